package directory

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
)

// What a first start seeds, and what later starts repair. Seeding goes
// through the same rules as the Management API: roles are created with
// their scopes as CreateRole creates them, applications with their
// secrets as CreateApplication does, and roles are given only where
// store.RoleType.GivenTo allows.

// Names of what the first start seeds.
const (
	ManagementResourceName = "Management API"
	ManagementScope        = "all"
	ManagementRoleName     = "Management API access"
	// AdminRoleName is the user role seeded with the Management API's
	// "all" permission: its holders may use the admin console.
	AdminRoleName = "Admin"
	// BootstrapSecretName names the secret of the application that calls
	// the Management API after the first start.
	BootstrapSecretName = "bootstrap"
	// FirstStartAppName names the application a first start creates to
	// call the Management API, ConfiguredAppName the one
	// MONBAN_BOOTSTRAP_APP_ID names, when it is created.
	FirstStartAppName = "Management API bootstrap"
	ConfiguredAppName = "Management API (MONBAN_BOOTSTRAP_APP_ID)"
	// RecoveryAppName names the applications "monban create-bootstrap-app"
	// creates.
	RecoveryAppName = "Management API (create-bootstrap-app)"
	// ConsoleAppID is the id of the admin console's own application, which
	// every start makes sure of.
	ConsoleAppID = "monban-console"
	// FirstAdminUsername is the username of the administrator a first
	// start creates.
	FirstAdminUsername = "admin"
)

// Descriptions of the seeded roles.
const (
	managementRoleDescription = "This default role grants access to the Management API."
	adminRoleDescription      = "Full access to the admin console and the Management API."
)

// ErrNoManagementScope: the Management API resource has lost its "all"
// permission, so nothing can be given access to it.
var ErrNoManagementScope = errors.New("the Management API resource has no \"all\" permission")

// SeedManagementAPI makes sure the built-in Management API resource and its
// "all" permission exist and, when it creates the resource, seeds two roles
// holding that permission: "Management API access" (machine-to-machine) and
// "Admin" (users). The roles are only created together with the resource:
// they are the admin's to edit or delete afterwards.
func (d *Directory) SeedManagementAPI(ctx context.Context) error {
	cat, err := d.st.LoadCatalog(ctx)
	if err != nil {
		return err
	}
	now := d.now()
	var res *store.Resource
	for i := range cat.Resources {
		if d.BuiltIn(cat.Resources[i]) {
			res = &cat.Resources[i]
		}
	}
	created := false
	if res == nil {
		res = &store.Resource{ID: randid.ID(), Name: ManagementResourceName, Indicator: d.indicator, AccessTokenTTL: DefaultAccessTokenTTL, CreatedAt: now}
		switch err := d.st.CreateResource(ctx, *res); {
		case errors.Is(err, store.ErrConflict):
			return d.SeedManagementAPI(ctx) // another instance was first
		case err != nil:
			return fmt.Errorf("create the Management API resource: %w", err)
		}
		created = true
	}
	scopeID := managementScopeID(cat, d.indicator)
	if scopeID == "" {
		scope := store.Scope{ID: randid.ID(), ResourceID: res.ID, Name: ManagementScope, Description: "Default permission of the Management API: allows everything.", CreatedAt: now}
		if err := d.st.CreateScope(ctx, scope); err != nil && !errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("create the Management API permission: %w", err)
		}
		scopeID = scope.ID
	}
	if !created {
		return nil
	}
	for _, role := range []store.Role{
		{ID: randid.ID(), Name: ManagementRoleName, Description: managementRoleDescription, Type: store.RoleMachineToMachine, CreatedAt: now},
		{ID: randid.ID(), Name: AdminRoleName, Description: adminRoleDescription, Type: store.RoleUser, CreatedAt: now},
	} {
		err := d.seedRole(ctx, role, scopeID)
		if err != nil && !errors.Is(err, store.ErrConflict) { // on a conflict, leave the admin's role alone
			return err
		}
	}
	return nil
}

// seedRole creates a role holding one permission. It returns
// store.ErrConflict, unwrapped, when a role of that name exists.
func (d *Directory) seedRole(ctx context.Context, role store.Role, scopeID string) error {
	err := d.createRoleWithScopes(ctx, role, []string{scopeID})
	switch {
	case errors.Is(err, store.ErrConflict):
		return store.ErrConflict
	case err != nil:
		return fmt.Errorf("create the %q role with its permission: %w", role.Name, err)
	}
	return nil
}

// managementScopeID returns the id of the Management API's "all"
// permission, or "".
func managementScopeID(cat *store.Catalog, indicator string) string {
	for _, res := range cat.Resources {
		if res.Indicator != indicator {
			continue
		}
		for _, s := range cat.Scopes {
			if s.ResourceID == res.ID && s.Name == ManagementScope {
				return s.ID
			}
		}
	}
	return ""
}

// managementRole finds the "Management API access" role, creating it (with
// the "all" permission) if the admin has deleted it.
func (d *Directory) managementRole(ctx context.Context) (store.Role, *store.Catalog, error) {
	cat, err := d.st.LoadCatalog(ctx)
	if err != nil {
		return store.Role{}, nil, err
	}
	for _, r := range cat.Roles {
		if r.Name == ManagementRoleName && r.Type.GivenTo(store.HolderApplication) {
			return r, cat, nil
		}
	}
	scopeID := managementScopeID(cat, d.indicator)
	if scopeID == "" {
		return store.Role{}, nil, ErrNoManagementScope
	}
	role := store.Role{ID: randid.ID(), Name: ManagementRoleName, Description: managementRoleDescription, Type: store.RoleMachineToMachine, CreatedAt: d.now()}
	if err := d.seedRole(ctx, role, scopeID); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return store.Role{}, nil, fmt.Errorf("create the %q role: %w", ManagementRoleName, err)
		}
		return store.Role{}, nil, err
	}
	cat, err = d.st.LoadCatalog(ctx)
	return role, cat, err
}

// EnsureManagementApp makes sure a machine-to-machine application can call
// the Management API, holding the "Management API access" role.
//
// With id and secret given, that application exists with this secret (a
// secret of an earlier start that differs is replaced) and holds the role;
// description is given to it if it is created. An application of another
// type is refused (Invalid, ReasonApplicationType). Nothing is returned.
//
// With neither given, and no application holding the role, it creates one
// and returns its id and secret, which exist nowhere else.
func (d *Directory) EnsureManagementApp(ctx context.Context, id, secret, description string) (newID, newSecret string, err error) {
	role, cat, err := d.managementRole(ctx)
	if err != nil {
		return "", "", err
	}
	now := d.now()
	if id == "" {
		for _, ra := range cat.RoleApplications {
			if ra.RoleID == role.ID {
				return "", "", nil
			}
		}
		return d.newManagementApp(ctx, role, FirstStartAppName, description)
	}
	app, err := d.st.GetApplication(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		// Its own name: beside a first start's app, the two are told apart.
		app = store.Application{ID: id, Name: ConfiguredAppName, Description: description, Type: store.AppMachineToMachine, CreatedAt: now}
		if _, err := d.createAppWithSecret(ctx, app, BootstrapSecretName, secret); err != nil {
			return "", "", fmt.Errorf("create application: %w", err)
		}
	case err != nil:
		return "", "", err
	case app.Type != store.AppMachineToMachine:
		return "", "", &Error{Kind: Invalid, Reason: ReasonApplicationType,
			Message: fmt.Sprintf("an application of type %s, not MachineToMachine", app.Type)}
	default:
		if err := d.ensureSecret(ctx, app.ID, d.hash(secret), now); err != nil {
			return "", "", err
		}
	}
	return "", "", d.st.AddRoleApplications(ctx, role.ID, []string{app.ID})
}

// CreateManagementApp creates a new machine-to-machine application holding
// the "Management API access" role, named name, whatever other
// applications hold it: the way back in when the credentials of the
// others are lost. It returns the id and the secret, which exist nowhere
// else.
func (d *Directory) CreateManagementApp(ctx context.Context, name, description string) (id, secret string, err error) {
	role, _, err := d.managementRole(ctx)
	if err != nil {
		return "", "", err
	}
	return d.newManagementApp(ctx, role, name, description)
}

func (d *Directory) newManagementApp(ctx context.Context, role store.Role, name, description string) (id, secret string, err error) {
	app := store.Application{ID: randid.ID(), Name: name, Description: description, Type: store.AppMachineToMachine, CreatedAt: d.now()}
	if err := checkName(name); err != nil {
		return "", "", err
	}
	secret, err = d.createAppWithSecret(ctx, app, BootstrapSecretName, "")
	if err != nil {
		return "", "", fmt.Errorf("create application: %w", err)
	}
	return app.ID, secret, d.st.AddRoleApplications(ctx, role.ID, []string{app.ID})
}

// ensureSecret makes sure a live secret with this hash exists, replacing
// the bootstrap secret of an earlier start if the configured secret
// changed.
func (d *Directory) ensureSecret(ctx context.Context, appID string, hash []byte, now time.Time) error {
	secrets, err := d.st.ListAppSecrets(ctx, appID)
	if err != nil {
		return err
	}
	for _, s := range secrets {
		if subtle.ConstantTimeCompare(s.Hash, hash) == 1 && !s.Expired(now) {
			return nil
		}
	}
	if err := d.st.DeleteAppSecret(ctx, appID, BootstrapSecretName); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return d.st.CreateAppSecret(ctx, store.AppSecret{AppID: appID, Name: BootstrapSecretName, Hash: hash, CreatedAt: now})
}

// SeedApplication makes sure a built-in application exists with these
// redirect URIs, checked as any application's are: it creates app, with
// the defaults of a new application, when no application has its id, and
// puts back its redirect URIs when they changed (returning the ones it
// replaced). Anything else the admin changed is left alone.
func (d *Directory) SeedApplication(ctx context.Context, app store.Application, redirect, logout []string) (replaced []string, err error) {
	existing, err := d.st.GetApplication(ctx, app.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		newAppDefaults(&app)
		if _, err := (Metadata{RedirectURIs: &redirect, PostLogoutRedirectURIs: &logout}).apply(&app); err != nil {
			return nil, err
		}
		if err := d.st.CreateApplication(ctx, app); !errors.Is(err, store.ErrConflict) { // on a conflict, another instance was first
			return nil, err
		}
		return nil, nil
	case err != nil:
		return nil, err
	case slices.Equal(existing.RedirectURIs, redirect) && slices.Equal(existing.PostLogoutRedirectURIs, logout):
		return nil, nil
	}
	replaced = existing.RedirectURIs
	if _, err := (Metadata{RedirectURIs: &redirect, PostLogoutRedirectURIs: &logout}).apply(&existing); err != nil {
		return nil, err
	}
	return replaced, d.st.UpdateApplication(ctx, existing)
}
