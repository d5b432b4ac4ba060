package hooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/monban/monban/internal/audit"
	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/claims"
	"github.com/monban/monban/internal/oidc"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/store/sqlite"
	"github.com/monban/monban/internal/store/sqlstore"
	"github.com/monban/monban/internal/store/storetest"
)

// fixture is a Customizer over a store holding the scripts it runs.
type fixture struct {
	st    *sqlstore.Store
	cache *catalog.Cache
	aud   *audit.Writer
	c     *Customizer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	storetest.Unlock(t, st, storetest.NewKey(t))
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	cache, err := catalog.New(ctx, st, logger, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cache.Close)
	runner := claims.NewRunner(claims.Options{})
	t.Cleanup(func() { _ = runner.Close() })
	aud := audit.NewWriter(st, logger, audit.Options{Retention: audit.Forever})
	t.Cleanup(func() { _ = aud.Close(context.Background()) })
	return &fixture{st: st, cache: cache, aud: aud, c: New(runner, cache, aud, logger)}
}

// script saves script for tokenType and reloads the catalog.
func (f *fixture) script(t *testing.T, tokenType, script string, blocking bool) {
	t.Helper()
	if _, err := f.st.PutJWTCustomizer(t.Context(), store.JWTCustomizer{TokenType: tokenType, Script: script,
		EnvironmentVariables: map[string]string{"TIER": "gold"}, BlockIssuanceOnError: blocking, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := f.cache.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// logs flushes the audit log and returns its entries, newest first.
func (f *fixture) logs(t *testing.T) []store.LogEntry {
	t.Helper()
	if err := f.aud.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	list, _, err := f.st.ListLogs(t.Context(), store.LogFilter{}, store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

var robot = store.Application{ID: "m2m", Name: "Robot", Type: store.AppMachineToMachine, CreatedAt: now}

func ccInput() oidc.ClientCredentialsInput {
	return oidc.ClientCredentialsInput{JTI: "j1", Audience: "https://shop.test", Scope: "read", App: robot}
}

func atInput() oidc.AccessTokenInput {
	return oidc.AccessTokenInput{JTI: "j2", Audience: "https://shop.test", Scope: "read", ClientID: "web", AccountID: "u1",
		GrantID: "g1", GrantType: "password", User: jane(), Roles: []store.Role{reader()},
		App:    store.Application{ID: "web", Name: "Web", Type: store.AppTraditional, CreatedAt: now},
		SignIn: store.SignInRecord{VerificationID: "v1", IdentifierType: "username", IdentifierValue: "jane"}}
}

// Without a saved script, nothing runs and nothing is added.
func TestNoScript(t *testing.T) {
	f := newFixture(t)
	if extra, err := f.c.ClientCredentials(t.Context(), ccInput()); extra != nil || err != nil {
		t.Errorf("client credentials: %v, %v", extra, err)
	}
	if extra, err := f.c.AccessToken(t.Context(), atInput()); extra.Access != nil || extra.ID != nil || err != nil {
		t.Errorf("access token: %v, %v", extra, err)
	}
	if l := f.logs(t); len(l) != 0 {
		t.Errorf("audit log: %+v", l)
	}
}

// A script's claims are returned; it sees the token, the context and the
// environment variables of its token type only.
func TestScriptClaims(t *testing.T) {
	f := newFixture(t)
	f.script(t, store.TokenTypeClientCredentials, `const getCustomJwtClaims = async ({ token, context, environmentVariables }) => ({
		kind: token.kind, s: token.scope, app: context.application.name, tier: environmentVariables.TIER, j: token.jti });`, false)
	f.script(t, store.TokenTypeAccessToken, `const getCustomJwtClaims = async ({ token, context }) => ({
		kind: token.kind, gty: token.gty, user: context.user.username, role: context.user.roles[0].scopes[0].resource.indicator,
		via: context.interaction.verificationRecords[0].identifier.value });`, false)
	extra, err := f.c.ClientCredentials(t.Context(), ccInput())
	if err != nil || extra["kind"] != "ClientCredentials" || extra["s"] != "read" || extra["app"] != "Robot" ||
		extra["tier"] != "gold" || extra["j"] != "j1" {
		t.Errorf("client credentials: %v, %v", extra, err)
	}
	// The user's roles are described from the catalog.
	ctx := t.Context()
	must(t, f.st.CreateResource(ctx, store.Resource{ID: "r1", Name: "Shop", Indicator: "https://shop.test", AccessTokenTTL: 600, CreatedAt: now}))
	must(t, f.st.CreateScope(ctx, store.Scope{ID: "s1", ResourceID: "r1", Name: "read", CreatedAt: now}))
	must(t, f.st.CreateRole(ctx, reader()))
	must(t, f.st.AddRoleScopes(ctx, "ro1", []string{"s1"}))
	must(t, f.cache.Reload(ctx))
	custom, err := f.c.AccessToken(ctx, atInput())
	extra = custom.Access
	if err != nil || extra["kind"] != "AccessToken" || extra["gty"] != "password" || extra["user"] != "jane" ||
		extra["role"] != "https://shop.test" || extra["via"] != "jane" {
		t.Errorf("access token: %v, %v", extra, err)
	}
}

// A denial refuses the token with the script's message, or a default one,
// and is logged with the app and user.
func TestScriptDenies(t *testing.T) {
	f := newFixture(t)
	f.script(t, store.TokenTypeClientCredentials, `const getCustomJwtClaims = async ({ api }) => { api.denyAccess('paused'); };`, false)
	f.script(t, store.TokenTypeAccessToken, `const getCustomJwtClaims = async ({ api }) => { api.denyAccess(); };`, false)
	if extra, err := f.c.ClientCredentials(t.Context(), ccInput()); extra != nil || err == nil ||
		err.Status != 400 || err.Code != "access_denied" || err.Description != "paused" {
		t.Errorf("client credentials: %v, %+v", extra, err)
	}
	if extra, err := f.c.AccessToken(t.Context(), atInput()); extra.Access != nil || err == nil ||
		err.Status != 400 || err.Code != "access_denied" || err.Description != "access denied by the custom JWT claims script" {
		t.Errorf("access token: %v, %+v", extra, err)
	}
	logs := f.logs(t)
	if len(logs) != 2 {
		t.Fatalf("audit log: %+v", logs)
	}
	byKey := map[string]store.LogEntry{}
	for _, l := range logs {
		byKey[l.Key] = l
	}
	if l := byKey["JwtCustomizer.ClientCredentials"]; l.ApplicationID != "m2m" || l.UserID != "" || l.Result != store.ResultError {
		t.Errorf("client credentials entry: %+v", l)
	}
	if l := byKey["JwtCustomizer.AccessToken"]; l.ApplicationID != "web" || l.UserID != "u1" || l.Result != store.ResultError {
		t.Errorf("access token entry: %+v", l)
	}
	// A denial has no position in the script.
	for _, l := range logs {
		var details map[string]any
		must(t, json.Unmarshal(l.Payload, &details))
		if _, ok := details["line"]; ok || details["outcome"] == nil || details["blockIssuanceOnError"] != false {
			t.Errorf("%s details: %v", l.Key, details)
		}
	}
}

// A failing script issues the token without custom claims, or refuses it
// with a generic error when it blocks issuance; the log says where it
// failed, never its message.
func TestScriptFails(t *testing.T) {
	for _, blocking := range []bool{false, true} {
		f := newFixture(t)
		f.script(t, store.TokenTypeClientCredentials,
			"const getCustomJwtClaims = async ({ environmentVariables: e }) => {\n  throw new Error('no to ' + e.TIER);\n};", blocking)
		extra, err := f.c.ClientCredentials(t.Context(), ccInput())
		switch {
		case extra != nil:
			t.Errorf("blocking %v: claims %v", blocking, extra)
		case !blocking && err != nil:
			t.Errorf("not blocking: %+v", err)
		case blocking && (err == nil || err.Status != 400 || err.Code != "invalid_request" || err.Description != "the token could not be issued"):
			t.Errorf("blocking: %+v", err)
		}
		logs := f.logs(t)
		if len(logs) != 1 || logs[0].Key != "JwtCustomizer.ClientCredentials" || logs[0].ApplicationID != "m2m" {
			t.Fatalf("blocking %v: audit log %+v", blocking, logs)
		}
		var details map[string]any
		if err := json.Unmarshal(logs[0].Payload, &details); err != nil {
			t.Fatal(err)
		}
		if details["outcome"] != "script_error" || details["blockIssuanceOnError"] != blocking || details["line"] != 2.0 || details["column"] == nil {
			t.Errorf("blocking %v: details %v", blocking, details)
		}
		if strings.Contains(string(logs[0].Payload), "gold") {
			t.Errorf("the log quotes the script's message: %s", logs[0].Payload)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A failure's position is the script's line and column when the runner
// knows it, wrapped or not.
func TestScriptPosition(t *testing.T) {
	for _, tc := range []struct {
		err       error
		line, col int
	}{
		{&claims.ScriptError{Line: 3, Column: 7}, 3, 7},
		{fmt.Errorf("run: %w", &claims.ScriptError{Line: 4, Column: 1}), 4, 1},
		{&claims.SyntaxError{Line: 2, Column: 9}, 2, 9},
		{&claims.DeniedError{Message: "no"}, 0, 0},
		{errors.New("timeout"), 0, 0},
	} {
		if l, c := scriptPosition(tc.err); l != tc.line || c != tc.col {
			t.Errorf("%v: %d:%d, want %d:%d", tc.err, l, c, tc.line, tc.col)
		}
	}
}
