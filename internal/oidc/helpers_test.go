package oidc

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/monban/monban/internal/browser"
	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/clientauth"
	"github.com/monban/monban/internal/clock"
	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/password"
	"github.com/monban/monban/internal/revocation"
	"github.com/monban/monban/internal/signin"
	"github.com/monban/monban/internal/store"
)

// testLogger discards what the code under test logs.
var testLogger = slog.New(slog.NewTextHandler(io.Discard, nil))

// testHasher is the client secret hasher of newTestProvider by default.
var testHasher = clientauth.NewHasher([]byte("k"))

// testPasswords is a password hasher cheap enough for tests.
func testPasswords() *password.Hasher {
	return password.NewHasher(password.Params{Time: 1, Memory: 64, Threads: 1}, 1)
}

// providerSetup configures newTestProvider. Zero fields take defaults:
// issuer https://id.test/oidc, endpoint https://id.test, hash key "k", the
// real clock.
type providerSetup struct {
	Issuer, Endpoint string
	Hasher           *clientauth.Hasher
	Passwords        *password.Hasher
	// Clock drives the catalog, the revocation list and the provider.
	Clock clock.Clock
	// Now, when set, is the provider's clock instead of Clock's.
	Now        func() time.Time
	Customizer Customizer
	// NoUsers leaves the end-user endpoints off.
	NoUsers bool
	// Users adjusts the end-user endpoints' configuration.
	Users func(*UsersConfig)
}

// newTestProvider returns a provider over st with its catalog and
// revocation list, registered on a new mux.
func newTestProvider(t testing.TB, st store.Store, s providerSetup) (*Provider, *http.ServeMux) {
	t.Helper()
	ctx := context.Background()
	if s.Issuer == "" {
		s.Issuer, s.Endpoint = "https://id.test/oidc", "https://id.test"
	}
	if s.Hasher == nil {
		s.Hasher = testHasher
	}
	if s.Passwords == nil {
		s.Passwords = testPasswords()
	}
	var now func() time.Time
	if s.Clock != nil {
		now = s.Clock.Now
	}
	cache, err := catalog.New(ctx, st, testLogger, 0, s.Clock)
	must(t, err)
	t.Cleanup(cache.Close)
	cfg := Config{Issuer: s.Issuer, Catalog: cache, Hasher: s.Hasher, Customizer: s.Customizer, Logger: testLogger, Now: now}
	if s.Now != nil {
		cfg.Now = s.Now
	}
	if !s.NoUsers {
		rev, err := revocation.New(ctx, st, testLogger, now)
		must(t, err)
		cfg.Users = &UsersConfig{Store: st, Passwords: s.Passwords, Revocations: rev, Endpoint: s.Endpoint, CSRFKey: make([]byte, 32)}
		if s.Users != nil {
			s.Users(cfg.Users)
		}
	}
	p := New(cfg)
	mux := http.NewServeMux()
	p.Register(mux)
	if cfg.Users != nil {
		mountPages(p, mux, st, cfg.Users, cfg.Now)
	}
	return p, mux
}

// mountPages mounts the hosted sign-in pages beside p, as the server
// does, so that tests sign in through them.
func mountPages(p *Provider, mux *http.ServeMux, st store.Store, u *UsersConfig, now func() time.Time) {
	signin.New(signin.Config{Endpoint: u.Endpoint, Store: st, Authorization: p, Accounts: p.Accounts(),
		Directory: directory.New(directory.Config{Store: st, Passwords: u.Passwords, Now: now}),
		Cookies:   browser.New(u.Endpoint, u.CSRFKey), Logger: testLogger, Now: now}).Register(mux)
}

// serve serves h over HTTP until the test ends and returns its URL.
func serve(t testing.TB, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// addApp creates app and, unless secret is empty, a secret for it.
func addApp(t testing.TB, st store.Store, hasher *clientauth.Hasher, app store.Application, secret string) {
	t.Helper()
	ctx := context.Background()
	must(t, st.CreateApplication(ctx, app))
	if secret != "" {
		must(t, st.CreateAppSecret(ctx, store.AppSecret{AppID: app.ID, Name: "s", Hash: hasher.Hash(secret), CreatedAt: app.CreatedAt}))
	}
}

// addUser creates u with the password pw (hashed by h), and gives it roles.
func addUser(t testing.TB, st store.Store, h *password.Hasher, u store.User, pw string, roles ...string) {
	t.Helper()
	ctx := context.Background()
	if pw != "" {
		hash, err := h.Hash(ctx, pw)
		must(t, err)
		u.PasswordHash = hash
	}
	must(t, st.CreateUser(ctx, u))
	if len(roles) > 0 {
		must(t, st.AddUserRoles(ctx, u.ID, roles))
	}
}

// seedExchangeResources stores the two APIs the exchange tests narrow
// between: https://shop.test (r1, scopes read and write) and
// https://other.test (r2).
func seedExchangeResources(t *testing.T, st store.Store, now time.Time) {
	t.Helper()
	ctx := context.Background()
	for _, r := range []store.Resource{
		{ID: "r1", Name: "Shop", Indicator: "https://shop.test", AccessTokenTTL: 600, CreatedAt: now},
		{ID: "r2", Name: "Other", Indicator: "https://other.test", AccessTokenTTL: 600, CreatedAt: now},
	} {
		must(t, st.CreateResource(ctx, r))
	}
	for _, name := range []string{"read", "write"} {
		must(t, st.CreateScope(ctx, store.Scope{ID: name, ResourceID: "r1", Name: name, CreatedAt: now}))
	}
}
