package webhook

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/monban/monban/internal/logto"
	"github.com/monban/monban/internal/store"
)

// Events are the event names a hook may subscribe to: Logto's, in Logto's
// order. Those that Fires says nothing of are accepted, as Logto accepts
// them, and never sent (no lockout events yet).
var Events = []string{
	"PostRegister", "PostSignIn", "PostSignInAdaptiveMfaTriggered", "PostResetPassword",
	"User.Created", "User.Deleted", "User.Data.Updated", "User.SuspensionStatus.Updated",
	"Role.Created", "Role.Deleted", "Role.Data.Updated", "Role.Scopes.Updated",
	"Scope.Created", "Scope.Deleted", "Scope.Data.Updated",
	"Organization.Created", "Organization.Deleted", "Organization.Data.Updated", "Organization.Membership.Updated",
	"OrganizationRole.Created", "OrganizationRole.Deleted", "OrganizationRole.Data.Updated", "OrganizationRole.Scopes.Updated",
	"OrganizationScope.Created", "OrganizationScope.Deleted", "OrganizationScope.Data.Updated",
	"Identifier.Lockout", "Message.RateLimited", "Grant.LimitExceeded",
}

// KnownEvent reports whether name is one of Events.
func KnownEvent(name string) bool { return slices.Contains(Events, name) }

// interactionEvents are Logto's interaction hook events.
var interactionEvents = []string{"PostRegister", "PostSignIn", "PostSignInAdaptiveMfaTriggered", "PostResetPassword"}

// dataShape says what a data hook's "data" is: Logto sends the response
// body of the route that made the change.
type dataShape int

const (
	noData     dataShape = iota // the route answers 204
	userData                    // the user, as the Management API answers it
	userInfo                    // the user with Logto's userInfoSelectFields
	customData                  // the user's customData object
	profile                     // the user's profile object
	roleData
	scopeData
	scopesData // the role's scopes
	orgData
	orgRoleData
	orgScopeData
	membership // no data: the organization and the members added and removed
)

// registration is one Management API route that fires a data hook: Logto's
// event, the outbox event that tells of it, the status the route answers
// and what its data is.
type registration struct {
	event  string
	kind   store.EventKind
	status int
	data   dataShape
}

// registrations are Logto's managementApiHooksRegistration, keyed by
// "METHOD route" in Logto's spelling (plus DELETE /users/:userId, which
// Logto fires by hand with the user's info).
var registrations = map[string]registration{
	"POST /users":                                   {"User.Created", store.EventUserCreated, 200, userData},
	"DELETE /users/:userId":                         {"User.Deleted", store.EventUserDeleted, 204, userInfo},
	"PATCH /users/:userId":                          {"User.Data.Updated", store.EventUserUpdated, 200, userData},
	"PATCH /users/:userId/custom-data":              {"User.Data.Updated", store.EventUserUpdated, 200, customData},
	"PATCH /users/:userId/profile":                  {"User.Data.Updated", store.EventUserUpdated, 200, profile},
	"PATCH /users/:userId/password":                 {"User.Data.Updated", store.EventUserUpdated, 200, userData},
	"PATCH /users/:userId/is-suspended":             {"User.SuspensionStatus.Updated", store.EventUserSuspensionChanged, 200, userData},
	"POST /roles":                                   {"Role.Created", store.EventRoleCreated, 200, roleData},
	"DELETE /roles/:id":                             {"Role.Deleted", store.EventRoleDeleted, 204, noData},
	"PATCH /roles/:id":                              {"Role.Data.Updated", store.EventRoleUpdated, 200, roleData},
	"POST /roles/:id/scopes":                        {"Role.Scopes.Updated", store.EventRoleScopesAdded, 201, scopesData},
	"DELETE /roles/:id/scopes/:scopeId":             {"Role.Scopes.Updated", store.EventRoleScopeRemoved, 204, noData},
	"POST /resources/:resourceId/scopes":            {"Scope.Created", store.EventScopeCreated, 201, scopeData},
	"DELETE /resources/:resourceId/scopes/:scopeId": {"Scope.Deleted", store.EventScopeDeleted, 204, noData},
	"PATCH /resources/:resourceId/scopes/:scopeId":  {"Scope.Data.Updated", store.EventScopeUpdated, 200, scopeData},

	"POST /organizations":                                        {"Organization.Created", store.EventOrganizationCreated, 201, orgData},
	"DELETE /organizations/:id":                                  {"Organization.Deleted", store.EventOrganizationDeleted, 204, noData},
	"PATCH /organizations/:id":                                   {"Organization.Data.Updated", store.EventOrganizationUpdated, 200, orgData},
	"POST /organizations/:id/users":                              {"Organization.Membership.Updated", store.EventOrganizationUsersChanged, 201, membership},
	"PUT /organizations/:id/users":                               {"Organization.Membership.Updated", store.EventOrganizationUsersChanged, 204, membership},
	"DELETE /organizations/:id/users/:userId":                    {"Organization.Membership.Updated", store.EventOrganizationUsersChanged, 204, membership},
	"POST /organizations/:id/applications":                       {"Organization.Membership.Updated", store.EventOrganizationApplicationsChanged, 201, membership},
	"PUT /organizations/:id/applications":                        {"Organization.Membership.Updated", store.EventOrganizationApplicationsChanged, 204, membership},
	"DELETE /organizations/:id/applications/:applicationId":      {"Organization.Membership.Updated", store.EventOrganizationApplicationsChanged, 204, membership},
	"PUT /organization-invitations/:id/status":                   {"Organization.Membership.Updated", store.EventOrganizationUsersChanged, 200, membership},
	"POST /organization-roles":                                   {"OrganizationRole.Created", store.EventOrganizationRoleCreated, 201, orgRoleData},
	"DELETE /organization-roles/:id":                             {"OrganizationRole.Deleted", store.EventOrganizationRoleDeleted, 204, noData},
	"PATCH /organization-roles/:id":                              {"OrganizationRole.Data.Updated", store.EventOrganizationRoleUpdated, 200, orgRoleData},
	"POST /organization-roles/:id/scopes":                        {"OrganizationRole.Scopes.Updated", store.EventOrganizationRoleScopesChanged, 201, noData},
	"PUT /organization-roles/:id/scopes":                         {"OrganizationRole.Scopes.Updated", store.EventOrganizationRoleScopesChanged, 204, noData},
	"DELETE /organization-roles/:id/scopes/:organizationScopeId": {"OrganizationRole.Scopes.Updated", store.EventOrganizationRoleScopesChanged, 204, noData},
	"POST /organization-scopes":                                  {"OrganizationScope.Created", store.EventOrganizationScopeCreated, 201, orgScopeData},
	"DELETE /organization-scopes/:id":                            {"OrganizationScope.Deleted", store.EventOrganizationScopeDeleted, 204, noData},
	"PATCH /organization-scopes/:id":                             {"OrganizationScope.Data.Updated", store.EventOrganizationScopeUpdated, 200, orgScopeData},
}

// Fires lists the events Monban sends today.
func Fires() []string {
	out := []string{"PostRegister", "PostSignIn", "PostResetPassword"}
	for _, r := range registrations {
		if !slices.Contains(out, r.event) {
			out = append(out, r.event)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return slices.Index(Events, a) - slices.Index(Events, b) })
	return out
}

// dataPayload is Logto's data hook payload (without hookId, added per hook).
type dataPayload struct {
	HookID       string            `json:"hookId"`
	Event        string            `json:"event"`
	CreatedAt    string            `json:"createdAt"`
	UserAgent    string            `json:"userAgent,omitempty"`
	IP           string            `json:"ip,omitempty"`
	Path         string            `json:"path"`
	Method       string            `json:"method"`
	Status       int               `json:"status"`
	Params       map[string]string `json:"params"`
	MatchedRoute string            `json:"matchedRoute"`
	Data         any               `json:"data,omitempty"`
	// Organization.Membership.Updated tells the organization and the
	// members added and removed instead of data.
	OrganizationID        string   `json:"organizationId,omitempty"`
	AddedUserIDs          []string `json:"addedUserIds,omitempty"`
	RemovedUserIDs        []string `json:"removedUserIds,omitempty"`
	AddedApplicationIDs   []string `json:"addedApplicationIds,omitempty"`
	RemovedApplicationIDs []string `json:"removedApplicationIds,omitempty"`
}

// maxMembershipDelta caps each list of members in a payload, as Logto's
// MEMBERSHIP_DELTA_CAP does.
const maxMembershipDelta = 5000

func capped(ids []string) []string {
	if len(ids) > maxMembershipDelta {
		return ids[:maxMembershipDelta]
	}
	return ids
}

// applicationInfo is what Logto tells of an application in a payload.
type applicationInfo struct {
	ID          string        `json:"id"`
	Type        store.AppType `json:"type"`
	Name        string        `json:"name"`
	Description string        `json:"description"`
}

// interactionPayload is Logto's interaction hook payload.
type interactionPayload struct {
	HookID           string           `json:"hookId"`
	Event            string           `json:"event"`
	InteractionEvent string           `json:"interactionEvent"`
	CreatedAt        string           `json:"createdAt"`
	SessionID        string           `json:"sessionId,omitempty"`
	UserAgent        string           `json:"userAgent,omitempty"`
	UserID           string           `json:"userId"`
	UserIP           string           `json:"userIp,omitempty"`
	User             map[string]any   `json:"user,omitempty"`
	Application      *applicationInfo `json:"application,omitempty"`
}

// userInfoFields are Logto's userInfoSelectFields that Monban has.
var userInfoFields = []string{"id", "username", "primaryEmail", "primaryPhone", "name", "avatar", "customData", "identities",
	"lastSignInAt", "createdAt", "updatedAt", "profile", "applicationId", "isSuspended"}

// pickUserInfo is u with only Logto's userInfoSelectFields.
func pickUserInfo(u *store.User) map[string]any {
	b, _ := json.Marshal(logto.UserOf(u)) // plain values always encode
	var all map[string]any
	_ = json.Unmarshal(b, &all)
	out := make(map[string]any, len(userInfoFields))
	for _, k := range userInfoFields {
		out[k] = all[k]
	}
	return out
}

// plan is what one outbox event becomes: Logto's event name and the
// payload to send, given a hook id.
type plan struct {
	event   string
	payload func(hookID string) any
}

// planOf turns an outbox event into Logto's payload, and reports false for
// an event no hook can hear (no origin, or a route Logto fires nothing
// for). app looks up an application for sign-in payloads (nil: none).
func planOf(ev store.Event, app func(id string) *store.Application) (plan, bool) {
	p, err := ev.Decode()
	if err != nil || p.Origin == nil {
		return plan{}, false
	}
	o := p.Origin
	created := ev.CreatedAt.UTC().Format(time.RFC3339Nano)
	// A sign-in ends an interaction; so does a password set at the end of
	// a ForgotPassword one that signs no one in (Auth0's reset link page).
	if ev.Kind == store.EventUserSignedIn || ev.Kind == store.EventUserUpdated && o.InteractionEvent == "ForgotPassword" {
		var u store.User
		if json.Unmarshal(p.Data, &u) != nil {
			return plan{}, false
		}
		hook, event := interactionHook(o.InteractionEvent)
		pl := interactionPayload{Event: hook, InteractionEvent: event, CreatedAt: created, SessionID: o.SessionID,
			UserAgent: o.UserAgent, UserID: u.ID, UserIP: o.IP, User: pickUserInfo(&u)}
		if o.ApplicationID != "" && app != nil {
			if a := app(o.ApplicationID); a != nil {
				pl.Application = &applicationInfo{ID: a.ID, Type: a.Type, Name: a.Name, Description: a.Description}
			}
		}
		return plan{hook, func(id string) any { pl.HookID = id; return pl }}, true
	}
	reg, ok := registrations[o.Method+" "+o.Route]
	if !ok || reg.kind != ev.Kind {
		return plan{}, false
	}
	data, ok := dataOf(reg.data, p.Data)
	if !ok {
		return plan{}, false
	}
	params := o.Params
	if params == nil {
		params = map[string]string{}
	}
	pl := dataPayload{Event: reg.event, CreatedAt: created, UserAgent: o.UserAgent, IP: o.IP, Path: o.Path, Method: o.Method,
		Status: reg.status, Params: params, MatchedRoute: o.Route, Data: data}
	if reg.data == membership {
		pl.OrganizationID = ev.Entity
		if ev.Kind == store.EventOrganizationUsersChanged {
			pl.AddedUserIDs, pl.RemovedUserIDs = capped(p.IDs), capped(p.RemovedIDs)
		} else {
			pl.AddedApplicationIDs, pl.RemovedApplicationIDs = capped(p.IDs), capped(p.RemovedIDs)
		}
	}
	return plan{reg.event, func(id string) any { pl.HookID = id; return pl }}, true
}

// interactionHook is Logto's hook event for a sign-in that ended an
// interaction of event ("" is SignIn), and the event as the payload's
// interactionEvent names it.
func interactionHook(event string) (hook, interactionEvent string) {
	switch event {
	case "Register":
		return "PostRegister", event
	case "ForgotPassword":
		return "PostResetPassword", event
	}
	return "PostSignIn", "SignIn"
}

// dataOf makes Logto's data of shape from a snapshot.
func dataOf(shape dataShape, snap json.RawMessage) (any, bool) {
	switch shape {
	case noData, membership:
		return nil, true
	case orgData:
		return decoded(snap, logto.OrganizationOf)
	case orgRoleData:
		return decoded(snap, logto.OrganizationRoleOf)
	case orgScopeData:
		return decoded(snap, logto.OrganizationScopeOf)
	case userData, userInfo, customData, profile:
		var u store.User
		if json.Unmarshal(snap, &u) != nil {
			return nil, false
		}
		switch shape {
		case userInfo:
			return pickUserInfo(&u), true
		case customData:
			return logto.UserOf(&u).CustomData, true
		case profile:
			return u.Profile, true
		}
		return logto.UserOf(&u), true
	case roleData:
		var r store.Role
		if json.Unmarshal(snap, &r) != nil {
			return nil, false
		}
		return logto.RoleOf(r), true
	case scopeData:
		var sc store.Scope
		if json.Unmarshal(snap, &sc) != nil {
			return nil, false
		}
		return logto.ScopeOf(sc), true
	case scopesData:
		var list []store.Scope
		if json.Unmarshal(snap, &list) != nil {
			return nil, false
		}
		out := make([]logto.Scope, len(list))
		for i, sc := range list {
			out[i] = logto.ScopeOf(sc)
		}
		return out, true
	}
	return nil, false
}

// decoded reads a snapshot of type T and gives it in Logto's shape.
func decoded[T, J any](snap json.RawMessage, shape func(T) J) (any, bool) {
	var v T
	if json.Unmarshal(snap, &v) != nil {
		return nil, false
	}
	return shape(v), true
}
