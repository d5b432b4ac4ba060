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
	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
)

// Names of what the first start seeds.
const (
	ManagementResourceName = "Management API"
	ManagementScope        = "all"
	ManagementRoleName     = "Management API access"
	bootstrapSecretName    = "bootstrap"
)

// seedManagementAPI makes sure the built-in Management API resource, its
// "all" permission and, on the first start, the "Management API access" M2M
// role exist. The role is only created together with the resource: it is
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
	role := store.Role{ID: randid.ID(), Name: ManagementRoleName, Description: "This default role grants access to the Management API.", Type: store.RoleMachineToMachine, CreatedAt: now}
	if err := st.CreateRole(ctx, role); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil // a role of that name exists: leave the admin's role alone
		}
		return fmt.Errorf("create the %q role: %w", ManagementRoleName, err)
	}
	return st.AddRoleScopes(ctx, role.ID, []string{scopeID})
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
	var scopeID string
	for _, res := range cat.Resources {
		if res.Indicator != indicator {
			continue
		}
		for _, s := range cat.Scopes {
			if s.ResourceID == res.ID && s.Name == ManagementScope {
				scopeID = s.ID
			}
		}
	}
	if scopeID == "" {
		return store.Role{}, nil, errors.New("the Management API resource has no \"all\" permission")
	}
	role := store.Role{ID: randid.ID(), Name: ManagementRoleName, Description: "This default role grants access to the Management API.", Type: store.RoleMachineToMachine, CreatedAt: now}
	if err := st.CreateRole(ctx, role); err != nil {
		return store.Role{}, nil, fmt.Errorf("create the %q role: %w", ManagementRoleName, err)
	}
	if err := st.AddRoleScopes(ctx, role.ID, []string{scopeID}); err != nil {
		return store.Role{}, nil, err
	}
	cat, err = st.LoadCatalog(ctx)
	return role, cat, err
}

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
