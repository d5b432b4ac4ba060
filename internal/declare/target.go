package declare

import (
	"context"

	"github.com/monban/monban/internal/directory"
)

// Target is where a plan is read from and applied to. Each write is one
// call of the directory or of the Management API, which apply their own
// rules; ids are the target's.
type Target interface {
	// Read returns what the target holds now.
	Read(ctx context.Context) (*State, error)
	// Checker returns the directory whose checks a document is held to
	// before the first write.
	Checker() Checker
	// CheckScript reports whether a custom JWT script compiles; a target
	// that cannot tell returns nil and leaves it to the write.
	CheckScript(script string) error

	CreateResource(ctx context.Context, r Resource) (id string, err error)
	UpdateResource(ctx context.Context, id string, r Resource) error
	DeleteResource(ctx context.Context, id string) error
	CreateScope(ctx context.Context, resourceID string, s Scope) (id string, err error)
	UpdateScope(ctx context.Context, resourceID, scopeID string, s Scope) error
	DeleteScope(ctx context.Context, resourceID, scopeID string) error

	// CreateApplication creates an application without secrets it would
	// show: a confidential one gets a secret no one is told, to be
	// replaced through the console or the Management API.
	CreateApplication(ctx context.Context, a Application) (id string, err error)
	// UpdateApplication sets every field of a; its custom data keys are
	// merged into the stored ones.
	UpdateApplication(ctx context.Context, id string, a Application) error
	DeleteApplication(ctx context.Context, id string) error

	CreateRole(ctx context.Context, r Role) (id string, err error) // without permissions or holders
	UpdateRole(ctx context.Context, id string, r Role) error
	DeleteRole(ctx context.Context, id string) error
	AddRoleScopes(ctx context.Context, roleID string, scopeIDs []string) error
	RemoveRoleScope(ctx context.Context, roleID, scopeID string) error
	AddRoleApplications(ctx context.Context, roleID string, appIDs []string) error
	RemoveRoleApplication(ctx context.Context, roleID, appID string) error

	PutCustomJWT(ctx context.Context, c CustomJWT) error
	DeleteCustomJWT(ctx context.Context, tokenType string) error
}

// HookTarget is a Target that keeps webhooks too. A document that
// declares webhooks is refused by a target that is not one, or whose Read
// gives no State.Webhooks.
type HookTarget interface {
	Target
	// CheckWebhook reports whether the target would accept w, before the
	// first write.
	CheckWebhook(w Webhook) error
	CreateWebhook(ctx context.Context, w Webhook) (id string, err error)
	UpdateWebhook(ctx context.Context, id string, w Webhook) error
	DeleteWebhook(ctx context.Context, id string) error
}

// Checker is the directory's checks of new values (a
// *directory.Directory), run on every value of a document before the
// first write.
type Checker interface {
	CheckResource(in directory.NewResource) error
	CheckScope(in directory.NewScope) error
	CheckApplication(in directory.NewApplication) error
	CheckRole(in directory.NewRole) error
}

// The directory's inputs for the document's values.

func newResource(r Resource) directory.NewResource {
	return directory.NewResource{Name: &r.Name, Indicator: &r.Indicator, AccessTokenTTL: r.AccessTokenTTL}
}

func newScope(s Scope) directory.NewScope {
	return directory.NewScope{Name: &s.Name, Description: &s.Description}
}

func newRole(r Role) directory.NewRole {
	t := r.Type
	if t == "" {
		t = defaultRoleType
	}
	return directory.NewRole{Name: &r.Name, Description: &r.Description, Type: &t, IsDefault: r.IsDefault}
}

// metadata is the client metadata of a, every field given.
func metadata(a Application) directory.Metadata {
	redirect, logout, origins := list(a.RedirectURIs), list(a.PostLogoutRedirectURIs), list(a.CORSAllowedOrigins)
	return directory.Metadata{
		RedirectURIs: &redirect, PostLogoutRedirectURIs: &logout, CORSAllowedOrigins: &origins,
		RotateRefreshToken: a.RotateRefreshToken, RefreshTokenTTLDays: a.RefreshTokenTTLDays, AllowPasswordGrant: a.AllowPasswordGrant,
		AllowTokenExchange: or(a.AllowTokenExchange, false), RequirePAR: or(a.RequirePAR, false),
		RequireDPoP: or(a.RequireDPoP, false), IsDeviceFlow: or(a.IsDeviceFlow, false),
	}
}

func newApplication(a Application) directory.NewApplication {
	return directory.NewApplication{Name: &a.Name, Type: &a.Type, Description: &a.Description, Metadata: metadata(a), CustomData: a.CustomData}
}
