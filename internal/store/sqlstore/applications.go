package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/monban/monban/internal/store"
)

const appCols = "applications.id, applications.name, applications.description, applications.type, applications.created_at, " +
	"applications.redirect_uris, applications.post_logout_redirect_uris, applications.cors_allowed_origins, " +
	"applications.rotate_refresh_token, applications.refresh_token_ttl_days, applications.allow_password_grant, " +
	"applications.custom_data, applications.backchannel_logout_uri, applications.backchannel_logout_session_required, " +
	"applications.logo_uri, applications.id_token_ttl, applications.refresh_token_ttl, " +
	"applications.always_issue_refresh_token, applications.allow_token_exchange, applications.allow_passwordless_grant, " +
	"applications.token_endpoint_auth_method, applications.client_keys, applications.jwks_uri, applications.require_dpop, applications.require_par, applications.is_device_flow"

func scanApp(r scanner) (store.Application, error) {
	var (
		a                        store.Application
		typ                      string
		created                  int64
		redirects, logouts, cors string
		customData, clientKeys   string
	)
	if err := r.Scan(&a.ID, &a.Name, &a.Description, &typ, &created,
		&redirects, &logouts, &cors, &a.RotateRefreshToken, &a.RefreshTokenTTLDays, &a.AllowPasswordGrant,
		&customData, &a.BackchannelLogoutURI, &a.BackchannelLogoutSessionRequired, &a.LogoURI,
		&a.IDTokenTTL, &a.RefreshTokenTTL, &a.AlwaysIssueRefreshToken, &a.AllowTokenExchange, &a.AllowPasswordlessGrant,
		&a.TokenEndpointAuthMethod, &clientKeys, &a.JWKSURI, &a.RequireDPoP, &a.RequirePAR, &a.IsDeviceFlow); err != nil {
		return a, err
	}
	if err := readClientKeys(clientKeys, &a.ClientKeys); err != nil {
		return a, fmt.Errorf("application %s: malformed client keys: %w", a.ID, err)
	}
	if err := json.Unmarshal([]byte(customData), &a.CustomData); err != nil {
		return a, fmt.Errorf("application %s: malformed custom data: %w", a.ID, err)
	}
	if len(a.CustomData) == 0 {
		a.CustomData = nil // as it was written
	}
	a.Type = store.AppType(typ)
	a.CreatedAt = fromMillis(created)
	for _, l := range []struct {
		raw string
		dst *[]string
	}{{redirects, &a.RedirectURIs}, {logouts, &a.PostLogoutRedirectURIs}, {cors, &a.CORSAllowedOrigins}} {
		if err := json.Unmarshal([]byte(l.raw), l.dst); err != nil {
			return a, fmt.Errorf("application %s: malformed list column: %w", a.ID, err)
		}
	}
	return a, nil
}

// jsonList encodes a list column; nil is stored as [].
func jsonList(v []string) string {
	if len(v) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(v) // strings always encode
	return string(b)
}

// extraAppCols are the columns of Logto's kept-but-unused metadata and
// custom data, in the order of extraAppArgs.
const extraAppCols = "custom_data, backchannel_logout_uri, backchannel_logout_session_required, logo_uri, " +
	"id_token_ttl, refresh_token_ttl, always_issue_refresh_token, allow_token_exchange, allow_passwordless_grant, " +
	"token_endpoint_auth_method, client_keys, jwks_uri, require_dpop, require_par, is_device_flow"

func extraAppArgs(app store.Application, customData string) []any {
	return []any{customData, app.BackchannelLogoutURI, app.BackchannelLogoutSessionRequired, app.LogoURI,
		app.IDTokenTTL, app.RefreshTokenTTL, app.AlwaysIssueRefreshToken, app.AllowTokenExchange, app.AllowPasswordlessGrant,
		app.TokenEndpointAuthMethod, writeClientKeys(app.ClientKeys), app.JWKSURI, app.RequireDPoP, app.RequirePAR, app.IsDeviceFlow}
}

// storedKey is a client key as the client_keys column holds it.
type storedKey struct {
	ID        string          `json:"id"`
	Name      string          `json:"name,omitempty"`
	JWK       json.RawMessage `json:"jwk"`
	CreatedAt int64           `json:"createdAt"`
	ExpiresAt int64           `json:"expiresAt,omitempty"`
}

// writeClientKeys encodes the client_keys column; none is [].
func writeClientKeys(keys []store.ClientKey) string {
	out := make([]storedKey, len(keys))
	for i, k := range keys {
		out[i] = storedKey{ID: k.ID, Name: k.Name, JWK: k.JWK, CreatedAt: millis(k.CreatedAt)}
		if !k.ExpiresAt.IsZero() {
			out[i].ExpiresAt = millis(k.ExpiresAt)
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return "[]" // a JWK that is not JSON: the directory lets none through
	}
	return string(b)
}

func readClientKeys(raw string, dst *[]store.ClientKey) error {
	var in []storedKey
	if err := json.Unmarshal([]byte(raw), &in); err != nil {
		return err
	}
	*dst = nil
	for _, k := range in {
		ck := store.ClientKey{ID: k.ID, Name: k.Name, JWK: k.JWK, CreatedAt: fromMillis(k.CreatedAt)}
		if k.ExpiresAt != 0 {
			ck.ExpiresAt = fromMillis(k.ExpiresAt)
		}
		*dst = append(*dst, ck)
	}
	return nil
}

// jsonObject encodes an object column; nil is stored as {}.
func jsonObject(v map[string]any) (string, error) {
	if len(v) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// CreateApplication inserts app; an existing id is ErrConflict.
func (s *Store) CreateApplication(ctx context.Context, app store.Application) error {
	customData, err := jsonObject(app.CustomData)
	if err != nil {
		return fmt.Errorf("create application: %w", err)
	}
	err = s.change(ctx, event(store.EventApplicationCreated, app.ID, nil), func(t txn) error {
		_, err := t.exec("INSERT INTO applications (id, name, description, type, created_at, "+
			"redirect_uris, post_logout_redirect_uris, cors_allowed_origins, "+
			"rotate_refresh_token, refresh_token_ttl_days, allow_password_grant, "+extraAppCols+
			") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			append([]any{app.ID, app.Name, app.Description, string(app.Type), millis(app.CreatedAt),
				jsonList(app.RedirectURIs), jsonList(app.PostLogoutRedirectURIs), jsonList(app.CORSAllowedOrigins),
				app.RotateRefreshToken, app.RefreshTokenTTLDays, app.AllowPasswordGrant}, extraAppArgs(app, customData)...)...)
		return err
	})
	if err != nil {
		return fmt.Errorf("create application: %w", err)
	}
	return nil
}

// GetApplication returns the application with the id.
func (s *Store) GetApplication(ctx context.Context, id string) (store.Application, error) {
	return getOne(ctx, s, "get application", "application", id, scanApp, "SELECT "+appCols+" FROM applications WHERE id = ?", id)
}

// appSearch is where Logto's application search looks.
var appSearch = searchColumns{names: []string{"id", "name", "description"},
	cols: []string{"applications.id", "applications.name", "applications.description"}}

// ListApplications returns a page of the applications matching filter,
// oldest first.
func (s *Store) ListApplications(ctx context.Context, filter store.ApplicationFilter, page store.Page) ([]store.Application, int, error) {
	f := conds{d: &s.d}
	types := make([]any, len(filter.Types))
	for i, t := range filter.Types {
		types[i] = string(t)
	}
	f.add(len(types) > 0, "applications.type IN ("+marks(len(types))+")", types...)
	f.search(appSearch, filter.Match)
	f.add(filter.ExcludeRoleID != "", "NOT EXISTS (SELECT 1 FROM role_applications ra WHERE ra.app_id = applications.id AND ra.role_id = ?)",
		filter.ExcludeRoleID)
	f.add(filter.RoleID != "", "EXISTS (SELECT 1 FROM role_applications ra WHERE ra.app_id = applications.id AND ra.role_id = ?)",
		filter.RoleID)
	f.add(filter.ExcludeOrganizationID != "", "NOT EXISTS (SELECT 1 FROM organization_applications oa WHERE oa.application_id = applications.id AND oa.organization_id = ?)",
		filter.ExcludeOrganizationID)
	if f.err != nil {
		return nil, 0, fmt.Errorf("list applications: %w", f.err)
	}
	return listPage(ctx, s, "list applications", nil, appCols, f.from("applications"), "applications.created_at, applications.id", f.args, page, scanApp)
}

// UpdateApplication changes everything of app.ID but its type and creation
// time.
func (s *Store) UpdateApplication(ctx context.Context, app store.Application) error {
	customData, err := jsonObject(app.CustomData)
	if err != nil {
		return fmt.Errorf("update application: %w", err)
	}
	err = s.change(ctx, event(store.EventApplicationUpdated, app.ID, nil), func(t txn) error {
		args := []any{app.Name, app.Description, jsonList(app.RedirectURIs), jsonList(app.PostLogoutRedirectURIs),
			jsonList(app.CORSAllowedOrigins), app.RotateRefreshToken, app.RefreshTokenTTLDays, app.AllowPasswordGrant}
		args = append(append(args, extraAppArgs(app, customData)...), app.ID)
		return t.execOne(notFound("application", app.ID),
			"UPDATE applications SET name = ?, description = ?, redirect_uris = ?, post_logout_redirect_uris = ?, "+
				"cors_allowed_origins = ?, rotate_refresh_token = ?, refresh_token_ttl_days = ?, allow_password_grant = ?, "+
				strings.ReplaceAll(extraAppCols, ",", " = ?,")+" = ? WHERE id = ?", args...)
	})
	if err != nil {
		return fmt.Errorf("update application: %w", err)
	}
	return nil
}

// DeleteApplication deletes the application; its secrets and role links go
// with it through ON DELETE CASCADE.
func (s *Store) DeleteApplication(ctx context.Context, id string) error {
	err := s.change(ctx, event(store.EventApplicationDeleted, id, nil), func(t txn) error {
		return t.execOne(notFound("application", id), "DELETE FROM applications WHERE id = ?", id)
	})
	if err != nil {
		return fmt.Errorf("delete application: %w", err)
	}
	return nil
}

const secretCols = "app_id, name, hash, created_at, expires_at"

func scanSecret(r scanner) (store.AppSecret, error) {
	var (
		sec     store.AppSecret
		created int64
		expires sql.NullInt64
	)
	if err := r.Scan(&sec.AppID, &sec.Name, &sec.Hash, &created, &expires); err != nil {
		return sec, err
	}
	sec.CreatedAt = fromMillis(created)
	sec.ExpiresAt = fromNullMillis(expires)
	return sec, nil
}

// CreateAppSecret inserts a secret. An unknown application is ErrNotFound;
// a name the application already uses is ErrConflict.
func (s *Store) CreateAppSecret(ctx context.Context, sec store.AppSecret) error {
	err := s.change(ctx, event(store.EventSecretsChanged, sec.AppID, &store.EventPayload{SecretName: sec.Name}), func(t txn) error {
		if err := t.exists(notFound("application", sec.AppID), "applications", sec.AppID); err != nil {
			return err
		}
		_, err := t.exec("INSERT INTO app_secrets ("+secretCols+") VALUES (?, ?, ?, ?, ?)",
			sec.AppID, sec.Name, sec.Hash, millis(sec.CreatedAt), nullMillis(sec.ExpiresAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("create app secret: %w", err)
	}
	return nil
}

// ListAppSecrets returns the secrets of an application, oldest first. An
// unknown application is ErrNotFound.
func (s *Store) ListAppSecrets(ctx context.Context, appID string) ([]store.AppSecret, error) {
	var secs []store.AppSecret
	err := s.read(ctx, func(t txn) error {
		if err := t.exists(notFound("application", appID), "applications", appID); err != nil {
			return err
		}
		var err error
		secs, err = collect(t, scanSecret,
			"SELECT "+secretCols+" FROM app_secrets WHERE app_id = ? ORDER BY created_at, name", appID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list app secrets: %w", err)
	}
	return secs, nil
}

// UpdateAppSecret sets the name and expiry of the secret (appID, name) to
// those of updated; an empty updated.Name keeps the name. The hash and
// creation time never change. A name already taken is ErrConflict.
func (s *Store) UpdateAppSecret(ctx context.Context, appID, name string, updated store.AppSecret) error {
	newName := updated.Name
	if newName == "" {
		newName = name
	}
	err := s.change(ctx, event(store.EventSecretsChanged, appID, &store.EventPayload{SecretName: name}), func(t txn) error {
		return t.execOne(notFound("app secret", appID+"/"+name),
			"UPDATE app_secrets SET name = ?, expires_at = ? WHERE app_id = ? AND name = ?",
			newName, nullMillis(updated.ExpiresAt), appID, name)
	})
	if err != nil {
		return fmt.Errorf("update app secret: %w", err)
	}
	return nil
}

// DeleteAppSecret deletes the secret (appID, name).
func (s *Store) DeleteAppSecret(ctx context.Context, appID, name string) error {
	err := s.change(ctx, event(store.EventSecretsChanged, appID, &store.EventPayload{SecretName: name}), func(t txn) error {
		return t.execOne(notFound("app secret", appID+"/"+name),
			"DELETE FROM app_secrets WHERE app_id = ? AND name = ?", appID, name)
	})
	if err != nil {
		return fmt.Errorf("delete app secret: %w", err)
	}
	return nil
}
