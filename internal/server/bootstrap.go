package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/monban/monban/internal/clientauth"
	"github.com/monban/monban/internal/console"
	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/password"
	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
)

// Names of what the first start seeds.
const (
	ManagementResourceName = "Management API"
	ManagementScope        = "all"
	ManagementRoleName     = "Management API access"
	// AdminRoleName is the user role seeded with the Management API's
	// "all" permission: its holders may use the admin console.
	AdminRoleName       = "Admin"
	bootstrapSecretName = "bootstrap"
)

// Descriptions of the seeded roles.
const (
	managementRoleDescription = "This default role grants access to the Management API."
	adminRoleDescription      = "Full access to the admin console and the Management API."
)

// seedManagementAPI makes sure the built-in Management API resource and its
// "all" permission exist and, on the first start, seeds two roles holding
// that permission: "Management API access" (machine-to-machine) and "Admin"
// (users). The roles are only created together with the resource: they are
// the admin's to edit or delete afterwards, as in Logto.
func seedManagementAPI(ctx context.Context, st store.Store, indicator string, now time.Time) error {
	cat, err := st.LoadCatalog(ctx)
	if err != nil {
		return err
	}
	var res *store.Resource
	for i := range cat.Resources {
		if cat.Resources[i].Indicator == indicator {
			res = &cat.Resources[i]
		}
	}
	created := false
	if res == nil {
		res = &store.Resource{ID: randid.ID(), Name: ManagementResourceName, Indicator: indicator, AccessTokenTTL: 3600, CreatedAt: now}
		switch err := st.CreateResource(ctx, *res); {
		case errors.Is(err, store.ErrConflict):
			return seedManagementAPI(ctx, st, indicator, now) // another instance was first
		case err != nil:
			return fmt.Errorf("create the Management API resource: %w", err)
		}
		created = true
	}
	var scopeID string
	for _, s := range cat.Scopes {
		if s.ResourceID == res.ID && s.Name == ManagementScope {
			scopeID = s.ID
		}
	}
	if scopeID == "" {
		scope := store.Scope{ID: randid.ID(), ResourceID: res.ID, Name: ManagementScope, Description: "Default permission of the Management API: allows everything.", CreatedAt: now}
		if err := st.CreateScope(ctx, scope); err != nil && !errors.Is(err, store.ErrConflict) {
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
		err := createRoleWithScope(ctx, st, role, scopeID)
		if err != nil && !errors.Is(err, store.ErrConflict) { // on a conflict, leave the admin's role alone
			return err
		}
	}
	return nil
}

// createRoleWithScope creates a role holding one permission. It returns
// store.ErrConflict, unwrapped, when a role of that name exists.
func createRoleWithScope(ctx context.Context, st store.Store, role store.Role, scopeID string) error {
	if err := st.CreateRole(ctx, role); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return store.ErrConflict
		}
		return fmt.Errorf("create the %q role: %w", role.Name, err)
	}
	if err := st.AddRoleScopes(ctx, role.ID, []string{scopeID}); err != nil {
		return fmt.Errorf("give the %q role its permission: %w", role.Name, err)
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
func managementRole(ctx context.Context, st store.Store, indicator string, now time.Time) (store.Role, *store.Catalog, error) {
	cat, err := st.LoadCatalog(ctx)
	if err != nil {
		return store.Role{}, nil, err
	}
	for _, r := range cat.Roles {
		if r.Name == ManagementRoleName && r.Type == store.RoleMachineToMachine {
			return r, cat, nil
		}
	}
	scopeID := managementScopeID(cat, indicator)
	if scopeID == "" {
		return store.Role{}, nil, errNoManagementScope
	}
	role := store.Role{ID: randid.ID(), Name: ManagementRoleName, Description: managementRoleDescription, Type: store.RoleMachineToMachine, CreatedAt: now}
	if err := createRoleWithScope(ctx, st, role, scopeID); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return store.Role{}, nil, fmt.Errorf("create the %q role: %w", ManagementRoleName, err)
		}
		return store.Role{}, nil, err
	}
	cat, err = st.LoadCatalog(ctx)
	return role, cat, err
}

var errNoManagementScope = errors.New("the Management API resource has no \"all\" permission")

// validAppID accepts the characters an App ID may have: the unreserved URI
// characters, so that it needs no escaping anywhere.
func validAppID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~') {
			return false
		}
	}
	return true
}

// bootstrapApp makes sure an M2M app can call the Management API. With
// appID and secret given, that app exists with exactly this secret and holds
// the "Management API access" role (idempotent). With neither given, and no
// app holding the role, it creates one and prints its credentials once.
func bootstrapApp(ctx context.Context, st store.Store, h *clientauth.Hasher, cfg Config, out io.Writer, now time.Time) error {
	if (cfg.BootstrapAppID == "") != (cfg.BootstrapAppSecret == "") {
		return errors.New("set both MONBAN_BOOTSTRAP_APP_ID and MONBAN_BOOTSTRAP_APP_SECRET, or neither")
	}
	role, cat, err := managementRole(ctx, st, cfg.ManagementIndicator, now)
	if err != nil {
		return err
	}
	if cfg.BootstrapAppID == "" {
		for _, ra := range cat.RoleApplications {
			if ra.RoleID == role.ID {
				return nil
			}
		}
		app := store.Application{ID: randid.ID(), Name: "Management API bootstrap", Description: "Created on first start to call the Management API.", Type: store.AppMachineToMachine, CreatedAt: now}
		secret := randid.Secret(32)
		if err := createAppWithSecret(ctx, st, app, h.Hash(secret), now); err != nil {
			return err
		}
		if err := st.AddRoleApplications(ctx, role.ID, []string{app.ID}); err != nil {
			return err
		}
		printCredentials(out, cfg, app.ID, secret)
		return nil
	}
	if !validAppID(cfg.BootstrapAppID) {
		return errors.New("MONBAN_BOOTSTRAP_APP_ID may only contain letters, digits and - _ . ~ (at most 128)")
	}
	if len(cfg.BootstrapAppSecret) > 256 {
		return errors.New("MONBAN_BOOTSTRAP_APP_SECRET is longer than 256 characters")
	}
	hash := h.Hash(cfg.BootstrapAppSecret)
	app, err := st.GetApplication(ctx, cfg.BootstrapAppID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		app = store.Application{ID: cfg.BootstrapAppID, Name: "Management API bootstrap", Description: "Set up from MONBAN_BOOTSTRAP_APP_ID.", Type: store.AppMachineToMachine, CreatedAt: now}
		if err := createAppWithSecret(ctx, st, app, hash, now); err != nil {
			return err
		}
	case err != nil:
		return err
	case app.Type != store.AppMachineToMachine:
		return fmt.Errorf("MONBAN_BOOTSTRAP_APP_ID names an application of type %s, not MachineToMachine", app.Type)
	default:
		if err := ensureSecret(ctx, st, app.ID, hash, now); err != nil {
			return err
		}
	}
	return st.AddRoleApplications(ctx, role.ID, []string{app.ID})
}

func createAppWithSecret(ctx context.Context, st store.Store, app store.Application, hash []byte, now time.Time) error {
	if err := st.CreateApplication(ctx, app); err != nil {
		return fmt.Errorf("create application: %w", err)
	}
	return st.CreateAppSecret(ctx, store.AppSecret{AppID: app.ID, Name: bootstrapSecretName, Hash: hash, CreatedAt: now})
}

// ensureSecret makes sure a live secret with this hash exists, replacing the
// bootstrap secret of an earlier start if the configured secret changed.
func ensureSecret(ctx context.Context, st store.Store, appID string, hash []byte, now time.Time) error {
	secrets, err := st.ListAppSecrets(ctx, appID)
	if err != nil {
		return err
	}
	for _, s := range secrets {
		if subtle.ConstantTimeCompare(s.Hash, hash) == 1 && !s.Expired(now) {
			return nil
		}
	}
	if err := st.DeleteAppSecret(ctx, appID, bootstrapSecretName); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return st.CreateAppSecret(ctx, store.AppSecret{AppID: appID, Name: bootstrapSecretName, Hash: hash, CreatedAt: now})
}

func printCredentials(out io.Writer, cfg Config, id, secret string) {
	fmt.Fprintf(out, `
Created an M2M app with the "Management API access" role. Its secret is shown this once; keep it:
  App ID:     %s
  App Secret: %s
Get a Management API token with:
  curl -s -u '%s:%s' -d grant_type=client_credentials --data-urlencode 'resource=%s' -d scope=all %s/oidc/token

`, id, secret, id, secret, cfg.ManagementIndicator, cfg.Endpoint)
}

// seedConsoleApp makes sure the admin console's SPA application exists with
// this endpoint's redirect URIs. It runs at every start: the endpoint may
// have changed, and a deleted console app comes back.
func seedConsoleApp(ctx context.Context, st store.Store, endpoint string, now time.Time) error {
	redirect, logout := []string{console.RedirectURI(endpoint)}, []string{console.PostLogoutRedirectURI(endpoint)}
	app, err := st.GetApplication(ctx, console.DefaultClientID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		err = st.CreateApplication(ctx, store.Application{ID: console.DefaultClientID, Name: "Monban Console",
			Description: "The admin console at /console", Type: store.AppSPA, CreatedAt: now,
			RedirectURIs: redirect, PostLogoutRedirectURIs: logout, RotateRefreshToken: true, RefreshTokenTTLDays: 14})
		if errors.Is(err, store.ErrConflict) {
			err = nil // another instance was first
		}
	case err == nil && (!slices.Equal(app.RedirectURIs, redirect) || !slices.Equal(app.PostLogoutRedirectURIs, logout)):
		app.RedirectURIs, app.PostLogoutRedirectURIs = redirect, logout
		err = st.UpdateApplication(ctx, app)
	}
	if err != nil {
		return fmt.Errorf("console application: %w", err)
	}
	return nil
}

// firstAdminUsername is the username of the administrator a first start
// creates.
const firstAdminUsername = "admin"

// bootstrapAdmin makes sure someone can sign in to the admin console.
//
// With cfg.AdminUsername and cfg.AdminPassword given, that user exists, has
// that password (a different one is replaced, as the bootstrap app's secret
// is) and holds a user role with the Management API's "all" permission
// ("Admin", unless they hold another such role already). Their other fields,
// other roles and suspension are left alone.
//
// With neither given, and no user holding a role with that permission, it
// creates the user "admin" with a random password, gives them "Admin" and
// prints the credentials once on out (never through the logger).
func bootstrapAdmin(ctx context.Context, st store.Store, pw *password.Hasher, cfg Config, out io.Writer, now time.Time) error {
	if err := checkAdminConfig(cfg); err != nil {
		return err
	}
	cat, err := st.LoadCatalog(ctx)
	if err != nil {
		return err
	}
	scopeID := managementScopeID(cat, cfg.ManagementIndicator)
	if scopeID == "" {
		return errNoManagementScope
	}
	if cfg.AdminUsername != "" {
		return ensureAdmin(ctx, st, pw, cfg, cat, scopeID, now)
	}
	if found, err := anyAdmin(ctx, st, cat, scopeID); err != nil || found {
		return err
	}
	role, err := adminRole(ctx, st, cat, scopeID, now)
	if err != nil {
		return err
	}
	secret := randid.Secret(18) // 24 characters, 144 bits
	hash, err := pw.Hash(ctx, secret)
	if err != nil {
		return err
	}
	u := store.User{ID: randid.ID(), Username: firstAdminUsername, Name: "Administrator", PasswordHash: hash,
		CustomData: map[string]any{}, CreatedAt: now, UpdatedAt: now}
	for attempt := 0; ; attempt++ {
		err = st.CreateUser(ctx, u)
		if err == nil {
			break
		}
		if !errors.Is(err, store.ErrConflict) || attempt == 3 {
			return fmt.Errorf("create the first administrator: %w", err)
		}
		if busy, err := adminUnderWay(ctx, st, scopeID, u.Username, now); err != nil || busy {
			return err
		}
		// Someone without the permission has the name: take another.
		u.Username = firstAdminUsername + "_" + randid.ID()[:6]
	}
	if err := st.AddUserRoles(ctx, u.ID, []string{role.ID}); err != nil {
		return fmt.Errorf("give the first administrator the %q role: %w", role.Name, err)
	}
	fmt.Fprintf(out, `
Created an administrator for the console. The password is shown this once:
  Username: %s
  Password: %s
Sign in at %s/console and change this password (Users, then the user, then "Reset password").

`, u.Username, secret, cfg.Endpoint)
	return nil
}

// checkAdminConfig checks the configured administrator without repeating
// the password.
func checkAdminConfig(cfg Config) error {
	if (cfg.AdminUsername == "") != (cfg.AdminPassword == "") {
		return errors.New("set both MONBAN_ADMIN_USERNAME and MONBAN_ADMIN_PASSWORD, or neither")
	}
	if cfg.AdminUsername == "" {
		return nil
	}
	if err := directory.CheckUsername(cfg.AdminUsername); err != nil {
		return fmt.Errorf("MONBAN_ADMIN_USERNAME: %v", err)
	}
	if err := directory.CheckPassword(cfg.AdminPassword); err != nil {
		return fmt.Errorf("MONBAN_ADMIN_PASSWORD: %v", err)
	}
	return nil
}

// ensureAdmin is bootstrapAdmin with a configured username and password.
func ensureAdmin(ctx context.Context, st store.Store, pw *password.Hasher, cfg Config, cat *store.Catalog, scopeID string, now time.Time) error {
	u, err := st.GetUserByUsername(ctx, cfg.AdminUsername)
	switch {
	case errors.Is(err, store.ErrNotFound):
		hash, err := pw.Hash(ctx, cfg.AdminPassword)
		if err != nil {
			return err
		}
		u = store.User{ID: randid.ID(), Username: cfg.AdminUsername, PasswordHash: hash,
			CustomData: map[string]any{}, CreatedAt: now, UpdatedAt: now}
		switch err := st.CreateUser(ctx, u); {
		case errors.Is(err, store.ErrConflict):
			return ensureAdmin(ctx, st, pw, cfg, cat, scopeID, now) // another instance was first
		case err != nil:
			return fmt.Errorf("create the administrator from MONBAN_ADMIN_USERNAME: %w", err)
		}
	case err != nil:
		return err
	default:
		ok, err := pw.Verify(ctx, u.PasswordHash, cfg.AdminPassword)
		if err != nil && !errors.Is(err, password.ErrMalformed) {
			return err
		}
		if !ok {
			hash, err := pw.Hash(ctx, cfg.AdminPassword)
			if err != nil {
				return err
			}
			if err := st.SetUserPassword(ctx, u.ID, hash, now); err != nil {
				return fmt.Errorf("set the password of the administrator from MONBAN_ADMIN_USERNAME: %w", err)
			}
			cfg.Logger.Info("the administrator's password was set from MONBAN_ADMIN_PASSWORD", "username", u.Username)
		}
		if u.IsSuspended {
			cfg.Logger.Warn("the administrator named by MONBAN_ADMIN_USERNAME is suspended and cannot sign in; reactivate them in the console or through the Management API", "username", u.Username)
		}
	}
	held, _, err := st.ListUserRoles(ctx, u.ID, store.Page{})
	if err != nil {
		return err
	}
	for _, r := range held {
		if r.Type == store.RoleUser && roleHolds(cat, r.ID, scopeID) {
			return nil
		}
	}
	role, err := adminRole(ctx, st, cat, scopeID, now)
	if err != nil {
		return err
	}
	if err := st.AddUserRoles(ctx, u.ID, []string{role.ID}); err != nil {
		return fmt.Errorf("give the administrator the %q role: %w", role.Name, err)
	}
	return nil
}

func roleHolds(cat *store.Catalog, roleID, scopeID string) bool {
	for _, rs := range cat.RoleScopes {
		if rs.RoleID == roleID && rs.ScopeID == scopeID {
			return true
		}
	}
	return false
}

// adminRoles returns the user roles holding the permission, the seeded
// "Admin" first, then by age.
func adminRoles(cat *store.Catalog, scopeID string) []store.Role {
	var out []store.Role
	for _, r := range cat.Roles {
		if r.Type == store.RoleUser && roleHolds(cat, r.ID, scopeID) {
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, func(a, b store.Role) int {
		switch {
		case a.Name == b.Name:
			return 0
		case a.Name == AdminRoleName:
			return -1
		case b.Name == AdminRoleName:
			return 1
		}
		return 0
	})
	return out
}

// anyAdmin reports whether a user holds a user role with the permission. A
// nil cat is read anew.
func anyAdmin(ctx context.Context, st store.Store, cat *store.Catalog, scopeID string) (bool, error) {
	if cat == nil {
		var err error
		if cat, err = st.LoadCatalog(ctx); err != nil {
			return false, err
		}
	}
	for _, r := range adminRoles(cat, scopeID) {
		_, n, err := st.ListRoleUsers(ctx, r.ID, store.Page{Limit: 1})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return false, err
		}
		if n > 0 {
			return true, nil
		}
	}
	return false, nil
}

// adminUnderWay tells, after the username of a new first administrator
// turned out taken, whether another instance starting at the same time is
// creating the first administrator: someone holds the permission already, or
// the user of that name was created seconds ago, has never signed in and
// has no role yet (the other instance gives it next).
func adminUnderWay(ctx context.Context, st store.Store, scopeID, username string, now time.Time) (bool, error) {
	if found, err := anyAdmin(ctx, st, nil, scopeID); err != nil || found {
		return found, err
	}
	other, err := st.GetUserByUsername(ctx, username)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if d := now.Sub(other.CreatedAt); d > 10*time.Second || d < -10*time.Second || !other.LastSignInAt.IsZero() {
		return false, nil
	}
	_, n, err := st.ListUserRoles(ctx, other.ID, store.Page{Limit: 1})
	return n == 0, err
}

// adminRole returns a user role holding the permission: "Admin" if it does,
// else the oldest such role, else a new "Admin" (named "Console admin" if a
// role without the permission has that name).
func adminRole(ctx context.Context, st store.Store, cat *store.Catalog, scopeID string, now time.Time) (store.Role, error) {
	if roles := adminRoles(cat, scopeID); len(roles) > 0 {
		return roles[0], nil
	}
	for _, name := range []string{AdminRoleName, "Console admin"} {
		role := store.Role{ID: randid.ID(), Name: name, Description: adminRoleDescription, Type: store.RoleUser, CreatedAt: now}
		err := createRoleWithScope(ctx, st, role, scopeID)
		if err == nil {
			return role, nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return store.Role{}, err
		}
		// Another instance starting at the same time may have created it.
		if cat, err = st.LoadCatalog(ctx); err != nil {
			return store.Role{}, err
		}
		if roles := adminRoles(cat, scopeID); len(roles) > 0 {
			return roles[0], nil
		}
	}
	return store.Role{}, fmt.Errorf("roles named %q and %q exist without the Management API's %q permission: give one of them the permission, or rename it", AdminRoleName, "Console admin", ManagementScope)
}
