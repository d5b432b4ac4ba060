package store

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"
)

// EventKind names what an outbox event says happened, as
// "aggregate.change" (see Aggregate).
type EventKind string

// Kinds of outbox event. The entity of an event is the id of the row of its
// aggregate that changed (for links, the id of the side named first).
const (
	EventApplicationCreated EventKind = "application.created"
	EventApplicationUpdated EventKind = "application.updated"
	EventApplicationDeleted EventKind = "application.deleted"
	// EventSecretsChanged: a secret of the application was created,
	// renamed, given another expiry or deleted; the payload names it.
	EventSecretsChanged EventKind = "application.secrets_changed"

	EventResourceCreated EventKind = "resource.created"
	EventResourceUpdated EventKind = "resource.updated" // name, token lifetime or default flag
	EventResourceDeleted EventKind = "resource.deleted"

	// Scope events carry the scope's resource id in the payload.
	EventScopeCreated EventKind = "scope.created"
	EventScopeUpdated EventKind = "scope.updated"
	EventScopeDeleted EventKind = "scope.deleted"

	EventRoleCreated EventKind = "role.created"
	EventRoleUpdated EventKind = "role.updated"
	EventRoleDeleted EventKind = "role.deleted"
	// Role link events carry the ids linked or unlinked in the payload.
	EventRoleScopesAdded        EventKind = "role.scopes_added"
	EventRoleScopeRemoved       EventKind = "role.scope_removed"
	EventRoleApplicationsAdded  EventKind = "role.applications_added"
	EventRoleApplicationRemoved EventKind = "role.application_removed"
	EventRoleUsersAdded         EventKind = "role.users_added"
	EventUserRolesAdded         EventKind = "user.roles_added"
	EventUserRoleRemoved        EventKind = "user.role_removed"
	EventUserCreated            EventKind = "user.created"
	EventUserUpdated            EventKind = "user.updated"
	EventUserDeleted            EventKind = "user.deleted" // its tokens were revoked too
	EventUserSuspensionChanged  EventKind = "user.suspension_changed"
	EventSigningKeyCreated      EventKind = "signing_key.created"
	EventSigningKeysRotated     EventKind = "signing_key.rotated"
	EventJWTCustomizerPut       EventKind = "jwt_customizer.put"
	EventJWTCustomizerDeleted   EventKind = "jwt_customizer.deleted"
	EventAccessTokenRevoked     EventKind = "access_token.revoked" // entity: the jti; payload: its expiry
	EventGrantRevoked           EventKind = "grant.revoked"        // its access tokens were revoked too
	// EventUserSignedIn: a user finished signing in on the hosted page;
	// written only when the sign-in has an origin (see WithOrigin).
	EventUserSignedIn EventKind = "user.signed_in"
	// EventSignInExperienceUpdated: the sign-in experience was replaced;
	// the entity is its id ("default").
	EventSignInExperienceUpdated EventKind = "sign_in_experience.updated"

	// Organizations and their template. Members changed events carry the
	// members added in IDs and those removed in RemovedIDs.
	EventOrganizationCreated             EventKind = "organization.created"
	EventOrganizationUpdated             EventKind = "organization.updated"
	EventOrganizationDeleted             EventKind = "organization.deleted"
	EventOrganizationUsersChanged        EventKind = "organization.users_changed"
	EventOrganizationApplicationsChanged EventKind = "organization.applications_changed"
	EventOrganizationRoleCreated         EventKind = "organization_role.created"
	EventOrganizationRoleUpdated         EventKind = "organization_role.updated"
	EventOrganizationRoleDeleted         EventKind = "organization_role.deleted"
	EventOrganizationRoleScopesChanged   EventKind = "organization_role.scopes_changed"
	EventOrganizationScopeCreated        EventKind = "organization_scope.created"
	EventOrganizationScopeUpdated        EventKind = "organization_scope.updated"
	EventOrganizationScopeDeleted        EventKind = "organization_scope.deleted"
)

// Aggregate returns the part of the kind before the dot: "application",
// "role", …
func (k EventKind) Aggregate() string {
	a, _, _ := strings.Cut(string(k), ".")
	return a
}

// Event is one change, appended to the outbox in the same transaction as
// the change itself, so that it is there if and only if the change
// committed. Events never carry secrets.
type Event struct {
	// Seq numbers the events in the order they committed, so a reader
	// that has seen every event up to n misses none by asking for those
	// after n.
	Seq    int64
	Kind   EventKind
	Entity string // the id of what changed
	// Payload is a small JSON object (see EventPayload), or nil.
	Payload   json.RawMessage
	CreatedAt time.Time
}

// EventPayload is what an event's Payload may hold; each kind fills in the
// fields its comment names.
type EventPayload struct {
	// ResourceID is a scope's resource (scope events).
	ResourceID string `json:"resourceId,omitempty"`
	// SecretName names the application secret that changed.
	SecretName string `json:"secretName,omitempty"`
	// IDs are what a link event linked to or unlinked from its entity:
	// scopes, applications, users or roles, as its kind says.
	IDs []string `json:"ids,omitempty"`
	// RemovedIDs are the members an organization's members changed event
	// removed.
	RemovedIDs []string `json:"removedIds,omitempty"`
	// Suspended is a user's new suspension flag.
	Suspended *bool `json:"suspended,omitempty"`
	// ExpiresAt is a revoked access token's expiry, in Unix milliseconds.
	ExpiresAt int64 `json:"expiresAt,omitempty"`

	// Origin is the request that made the change, when the writer said
	// (see WithOrigin); only such events are reported to webhooks.
	Origin *EventOrigin `json:"origin,omitempty"`
	// Data is the changed entity as the change left it (as it was, for a
	// deletion), in the store's types encoded as JSON: a User (its
	// password hash, if any, replaced by RedactedPassword), a Role, a Scope, or for role.scopes_added the
	// role's scopes ([]Scope), an Organization, an OrganizationRole or an
	// OrganizationScope. It is set on events that have an Origin.
	Data json.RawMessage `json:"data,omitempty"`
}

// EventOrigin describes the request that made a change, in the terms
// webhooks report: Logto's route and parameter names.
type EventOrigin struct {
	Method string `json:"method"`
	// Path is the request path below the API's prefix ("/users/u1").
	Path string `json:"path"`
	// Route is the matched route, in Logto's spelling ("/users/:userId").
	Route     string            `json:"route"`
	Params    map[string]string `json:"params,omitempty"`
	IP        string            `json:"ip,omitempty"`
	UserAgent string            `json:"userAgent,omitempty"`
	// SessionID and ApplicationID describe a sign-in.
	SessionID     string `json:"sessionId,omitempty"`
	ApplicationID string `json:"applicationId,omitempty"`
	// InteractionEvent is the Logto interaction event of a sign-in at the
	// hosted pages (SignIn, Register, ForgotPassword); "" is SignIn.
	InteractionEvent string `json:"interactionEvent,omitempty"`
}

// RedactedPassword stands for a user's password hash in an event's
// snapshot: the user has a password, and the event does not carry it.
const RedactedPassword = "[redacted]"

type originKey struct{}

// WithOrigin returns ctx carrying o: the events of the writes made with
// it record o and a snapshot of what they changed (EventPayload.Origin,
// Data).
func WithOrigin(ctx context.Context, o EventOrigin) context.Context {
	return context.WithValue(ctx, originKey{}, &o)
}

// OriginOf returns the origin ctx carries, or nil.
func OriginOf(ctx context.Context) *EventOrigin {
	o, _ := ctx.Value(originKey{}).(*EventOrigin)
	return o
}

// Decode reads the event's payload; an event without one gives the zero
// EventPayload.
func (e Event) Decode() (EventPayload, error) {
	var p EventPayload
	if len(e.Payload) == 0 {
		return p, nil
	}
	err := json.Unmarshal(e.Payload, &p)
	return p, err
}

// Equal reports whether p and q say the same.
func (p EventPayload) Equal(q EventPayload) bool {
	return p.ResourceID == q.ResourceID && p.SecretName == q.SecretName &&
		slices.Equal(p.IDs, q.IDs) && slices.Equal(p.RemovedIDs, q.RemovedIDs) &&
		(p.Suspended == nil) == (q.Suspended == nil) && (p.Suspended == nil || *p.Suspended == *q.Suspended) &&
		p.ExpiresAt == q.ExpiresAt &&
		(p.Origin == nil) == (q.Origin == nil) && (p.Origin == nil || p.Origin.equal(*q.Origin)) &&
		bytes.Equal(p.Data, q.Data)
}

func (o EventOrigin) equal(q EventOrigin) bool {
	return o.Method == q.Method && o.Path == q.Path && o.Route == q.Route && maps.Equal(o.Params, q.Params) &&
		o.IP == q.IP && o.UserAgent == q.UserAgent && o.SessionID == q.SessionID && o.ApplicationID == q.ApplicationID
}

// Events is the outbox: the durable, ordered record of changes that
// readers (this instance's caches, the other instances', the audit log,
// webhooks) follow from a cursor.
type Events interface {
	// ReadEvents returns up to limit events (all when limit is 0) with a
	// Seq greater than after, oldest first.
	ReadEvents(ctx context.Context, after int64, limit int) ([]Event, error)
	// LastEventSeq returns the Seq of the newest event, or 0 when there
	// is none.
	LastEventSeq(ctx context.Context) (int64, error)
	// PruneEvents deletes the events created before t, but never the
	// newest one, and returns how many it deleted.
	PruneEvents(ctx context.Context, before time.Time) (int, error)
}
