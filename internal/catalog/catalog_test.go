package catalog

import (
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/monban/monban/internal/authz"
	"github.com/monban/monban/internal/clock"
	"github.com/monban/monban/internal/keys"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/store/sqlite"
	"github.com/monban/monban/internal/store/storetest"
	"github.com/monban/monban/internal/testwait"
	"github.com/monban/monban/internal/token"
)

// origin is the fake clock's start, on a whole millisecond (the store keeps
// milliseconds).
var origin = time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)

func genKey(t *testing.T, alg string, status store.KeyStatus, created time.Time) store.SigningKey {
	t.Helper()
	k, err := keys.Generate(alg, status, created)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func sorted(s authz.Set) []string {
	out := []string{}
	for k := range s {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func sameList(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

// roles builds a catalog where each role type grants scopes on one
// resource, and each kind of holder holds each role type.
func rolesCatalog() *store.Catalog {
	return &store.Catalog{
		Applications: []store.Application{
			{ID: "m2m", Type: store.AppMachineToMachine},
			{ID: "web", Type: store.AppTraditional},
		},
		Resources: []store.Resource{{ID: "api", Indicator: "https://api.example"}, {ID: "other", Indicator: "https://other.example"}},
		Scopes: []store.Scope{
			{ID: "s-read", ResourceID: "api", Name: "read"},
			{ID: "s-write", ResourceID: "api", Name: "write"},
			{ID: "s-admin", ResourceID: "api", Name: "admin"},
			{ID: "s-other", ResourceID: "other", Name: "other:read"},
		},
		Roles: []store.Role{
			{ID: "user-role", Type: store.RoleUser},
			{ID: "m2m-role", Type: store.RoleMachineToMachine},
			{ID: "typo-role", Type: "user"}, // not a known type: grants nothing
		},
		RoleScopes: []store.RoleScope{
			{RoleID: "user-role", ScopeID: "s-read"},
			{RoleID: "user-role", ScopeID: "s-other"},
			{RoleID: "m2m-role", ScopeID: "s-write"},
			{RoleID: "typo-role", ScopeID: "s-admin"},
			{RoleID: "user-role", ScopeID: "s-missing"}, // a dangling link is ignored
		},
		RoleApplications: []store.RoleApplication{
			{RoleID: "m2m-role", AppID: "m2m"},
			{RoleID: "user-role", AppID: "m2m"}, // a user role held by an app grants it nothing
			{RoleID: "m2m-role", AppID: "web"},
		},
	}
}

// Users get scopes through User roles only, and applications through M2M
// roles only: a role of the other type, or of no known type, grants
// nothing.
func TestRoleTypeRules(t *testing.T) {
	snap, err := Build(rolesCatalog(), origin, 0)
	if err != nil {
		t.Fatal(err)
	}
	ix := snap.Authz
	sameList(t, "user with a User role", sorted(ix.Scopes(authz.User("u", []string{"user-role"}), "", "api")), []string{"read"})
	sameList(t, "user with a User role, other resource", sorted(ix.Scopes(authz.User("u", []string{"user-role"}), "", "other")), []string{"other:read"})
	sameList(t, "user with a User role, unknown resource", sorted(ix.Scopes(authz.User("u", []string{"user-role"}), "", "nowhere")), []string{})
	sameList(t, "user with an M2M role", sorted(ix.Scopes(authz.User("u", []string{"m2m-role"}), "", "api")), []string{})
	sameList(t, "user with a role of an unknown type", sorted(ix.Scopes(authz.User("u", []string{"typo-role"}), "", "api")), []string{})
	sameList(t, "user with a deleted role", sorted(ix.Scopes(authz.User("u", []string{"gone"}), "", "api")), []string{})
	sameList(t, "user with every role", sorted(ix.Scopes(authz.User("u", []string{"m2m-role", "user-role", "typo-role", "gone"}), "", "api")), []string{"read"})
	sameList(t, "user with no role", sorted(ix.Scopes(authz.User("u", nil), "", "api")), []string{})

	sameList(t, "app with an M2M and a User role", sorted(snap.Authz.Scopes(authz.App("m2m"), "", "api")), []string{"write"})
	sameList(t, "app, resource its M2M role has no scope on", sorted(snap.Authz.Scopes(authz.App("m2m"), "", "other")), []string{})
	sameList(t, "another app with the M2M role", sorted(snap.Authz.Scopes(authz.App("web"), "", "api")), []string{"write"})
	sameList(t, "app with no role", sorted(snap.Authz.Scopes(authz.App("nobody"), "", "api")), []string{})
}

// Build indexes applications with their secrets, resources by indicator,
// the default resource, customizers by token type, and the CORS origins
// of apps that sign users in.
func TestBuild(t *testing.T) {
	cat := rolesCatalog()
	cat.Applications = append(cat.Applications,
		store.Application{ID: "spa", Type: store.AppSPA,
			RedirectURIs:       []string{"https://App.Example.com:8443/cb", "com.example.app:/cb", "http://localhost:3000/cb", "not a url"},
			CORSAllowedOrigins: []string{"https://extra.example/"}},
		store.Application{ID: "m2m-cors", Type: store.AppMachineToMachine,
			RedirectURIs: []string{"https://m2m.example/cb"}, CORSAllowedOrigins: []string{"https://m2m-cors.example"}},
	)
	cat.Secrets = []store.AppSecret{
		{AppID: "m2m", Name: "a", Hash: []byte("h1")},
		{AppID: "m2m", Name: "b", Hash: []byte("h2")},
		{AppID: "deleted", Name: "c", Hash: []byte("h3")},
	}
	cat.Resources[1].IsDefault = true
	cat.JWTCustomizers = []store.JWTCustomizer{{TokenType: store.TokenTypeAccessToken, Script: "x"}}
	cat.SigningKeys = []store.SigningKey{genKey(t, keys.ES256, store.KeyCurrent, origin.Add(-time.Hour))}

	snap, err := Build(cat, origin, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Apps) != 4 || snap.Apps["spa"] == nil || snap.Apps["deleted"] != nil {
		t.Fatalf("apps %v", snap.Apps)
	}
	if s := snap.Apps["m2m"].Secrets; len(s) != 2 || s[0].Name != "a" || s[1].Name != "b" {
		t.Fatalf("m2m secrets %+v", s)
	}
	if len(snap.Apps["web"].Secrets) != 0 {
		t.Fatal("web got another app's secret")
	}
	if r := snap.ByIndicator["https://api.example"]; r == nil || r.ID != "api" || len(snap.ByIndicator) != 2 {
		t.Fatalf("ByIndicator %v", snap.ByIndicator)
	}
	if snap.Default == nil || snap.Default.ID != "other" {
		t.Fatalf("default resource %v", snap.Default)
	}
	if c := snap.Customizers[store.TokenTypeAccessToken]; c == nil || c.Script != "x" || len(snap.Customizers) != 1 {
		t.Fatalf("customizers %v", snap.Customizers)
	}
	if snap.Signer == nil || snap.Keys.Current == nil || snap.Keys.Current.ID != cat.SigningKeys[0].ID {
		t.Fatal("the current key does not sign")
	}
	if !snap.LoadedAt.Equal(origin) {
		t.Fatalf("LoadedAt %v", snap.LoadedAt)
	}
	var origins []string
	for o := range snap.Users.Origins {
		origins = append(origins, o)
	}
	slices.Sort(origins)
	sameList(t, "CORS origins", origins, []string{"http://localhost:3000", "https://app.example.com:8443", "https://extra.example"})
	if r := snap.Users.Resources["api"]; r == nil || r.Indicator != "https://api.example" {
		t.Fatal("user index lacks a resource")
	}
	if r := snap.Authz.Role("m2m-role"); r == nil || r.Type != store.RoleMachineToMachine {
		t.Fatal("authz index lacks a role")
	}

	// No default resource, no key: both nil, not a zero value.
	snap, err = Build(&store.Catalog{}, origin, 0)
	if err != nil || snap.Default != nil || snap.Signer != nil || snap.Keys.Current != nil {
		t.Fatalf("empty catalog: %+v, %v", snap, err)
	}
	// A stored key that does not parse fails the build.
	bad := genKey(t, keys.ES256, store.KeyCurrent, origin)
	bad.Algorithm = keys.RS256
	if _, err := Build(&store.Catalog{SigningKeys: []store.SigningKey{bad}}, origin, 0); err == nil {
		t.Fatal("Build accepted a key that does not fit its algorithm")
	}
}

func TestOrigin(t *testing.T) {
	for raw, want := range map[string]string{
		"https://App.Example.com/cb?x=1": "https://app.example.com",
		"http://localhost:3000/":         "http://localhost:3000",
		"https://[::1]:8443/x":           "https://[::1]:8443",
		"com.example.app:/oauth":         "",
		"https:///path":                  "",
		"javascript:alert(1)":            "",
		"%zz":                            "",
		"":                               "",
	} {
		if got := Origin(raw); got != want {
			t.Errorf("Origin(%q) = %q, want %q", raw, got, want)
		}
	}
}

// A retired key stays published for the longest access token lifetime of
// any resource (at least an hour) plus the verifiers' leeway.
func TestRetiredKeyRetention(t *testing.T) {
	if got := KeyRetention(nil); got != time.Hour+token.Leeway {
		t.Fatalf("KeyRetention(none) = %v", got)
	}
	res := []store.Resource{{AccessTokenTTL: 60}, {AccessTokenTTL: 7200}, {AccessTokenTTL: 3600}}
	keep := 2*time.Hour + token.Leeway
	if got := KeyRetention(res); got != keep {
		t.Fatalf("KeyRetention = %v", got)
	}
	cur := genKey(t, keys.ES256, store.KeyCurrent, origin.Add(-3*time.Hour))
	prev := genKey(t, keys.ES256, store.KeyPrevious, origin.Add(-4*time.Hour))
	for _, tc := range []struct {
		retired time.Time
		kept    bool
	}{
		{origin.Add(-keep), true},
		{origin.Add(-keep - time.Millisecond), false},
	} {
		prev.RetiredAt = tc.retired
		snap, err := Build(&store.Catalog{Resources: res, SigningKeys: []store.SigningKey{cur, prev}}, origin, 0)
		if err != nil {
			t.Fatal(err)
		}
		if snap.KeyRetention != keep {
			t.Errorf("snapshot's key retention %v, want %v", snap.KeyRetention, keep)
		}
		if _, ok := snap.Keys.Lookup(prev.ID); ok != tc.kept {
			t.Errorf("key retired %v before now: published %v, want %v", origin.Sub(tc.retired), ok, tc.kept)
		}
	}
}

func openStore(t testing.TB) store.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	storetest.Unlock(t, st, storetest.NewKey(t))
	return st
}

// Reload shows the store's changes; a failed reload keeps serving the
// previous snapshot.
func TestCacheReload(t *testing.T) {
	ctx := t.Context()
	st := openStore(t)
	clk := clock.NewFake(origin)
	if err := st.CreateSigningKey(ctx, genKey(t, keys.ES256, store.KeyCurrent, origin)); err != nil {
		t.Fatal(err)
	}
	c, err := New(ctx, st, slog.Default(), 0, clk)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	first := c.Load()
	if first.Signer == nil || len(first.Apps) != 0 || !first.LoadedAt.Equal(origin) {
		t.Fatalf("first snapshot %+v", first)
	}
	if err := st.CreateApplication(ctx, store.Application{ID: "a", Name: "A", Type: store.AppMachineToMachine, CreatedAt: origin}); err != nil {
		t.Fatal(err)
	}
	if c.Load() != first {
		t.Fatal("the snapshot changed without a reload")
	}
	clk.Advance(time.Second)
	if err := c.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	second := c.Load()
	if second.Apps["a"] == nil || !second.LoadedAt.Equal(origin.Add(time.Second)) {
		t.Fatalf("after reload: %+v", second)
	}
	if first.Apps["a"] != nil {
		t.Fatal("a reload changed an earlier snapshot")
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := c.Reload(cancelled); err == nil {
		t.Fatal("Reload with a cancelled context succeeded")
	}
	if c.Load() != second {
		t.Fatal("a failed reload replaced the snapshot")
	}
}

// A next key signs once it has been published for the delay: the cache
// rebuilds itself then, with no other reload.
func TestCacheActivatesAPendingKey(t *testing.T) {
	ctx := t.Context()
	st := openStore(t)
	clk := clock.NewFake(origin)
	cur := genKey(t, keys.ES256, store.KeyCurrent, origin.Add(-time.Hour))
	next := genKey(t, keys.EdDSA, store.KeyNext, origin)
	for _, k := range []store.SigningKey{cur, next} {
		if err := st.CreateSigningKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	const delay = time.Minute
	c, err := New(ctx, st, slog.Default(), delay, clk)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	snap := c.Load()
	if snap.Keys.Current.ID != cur.ID || len(snap.Keys.Pending) != 1 {
		t.Fatalf("signer %s with %d pending, want the current key and one pending", snap.Keys.Current.ID, len(snap.Keys.Pending))
	}
	if _, ok := snap.Keys.Lookup(next.ID); !ok {
		t.Fatal("the next key is not published at once")
	}
	if clk.Pending() != 1 {
		t.Fatalf("%d timers, want the activation", clk.Pending())
	}
	clk.Advance(delay - time.Millisecond)
	time.Sleep(20 * time.Millisecond) // an early activation would show here
	if c.Load().Keys.Current.ID != cur.ID {
		t.Fatal("the next key signed before its delay")
	}
	if clk.Pending() != 1 {
		t.Fatalf("%d timers before the delay: the activation ran early", clk.Pending())
	}
	clk.Advance(10 * time.Millisecond)
	testwait.Until(t, "the next key signs", func() bool { return c.Load().Keys.Current.ID == next.ID })
	if s := c.Load(); s.Signer == nil || len(s.Keys.Pending) != 0 {
		t.Fatalf("after activation: %d pending", len(s.Keys.Pending))
	}
	if clk.Pending() != 0 {
		t.Fatalf("%d timers left with nothing pending", clk.Pending())
	}

	// Close stops a pending activation, and a later reload schedules none.
	later := genKey(t, keys.ES256, store.KeyNext, clk.Now())
	if err := st.CreateSigningKey(ctx, later); err != nil {
		t.Fatal(err)
	}
	if err := c.Reload(ctx); err != nil || clk.Pending() != 1 {
		t.Fatalf("reload with a new next key: %v, %d timers", err, clk.Pending())
	}
	c.Close()
	if clk.Pending() != 0 {
		t.Fatal("Close left the activation pending")
	}
	if err := c.Reload(ctx); err != nil || clk.Pending() != 0 {
		t.Fatalf("reload after Close: %v, %d timers", err, clk.Pending())
	}
}

// Refresh reloads every interval until its context ends.
func TestCacheRefresh(t *testing.T) {
	ctx := t.Context()
	st := openStore(t)
	c, err := New(ctx, st, slog.Default(), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	bg, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { c.Refresh(bg, time.Millisecond); close(done) }()
	if err := st.CreateResource(ctx, store.Resource{ID: "r", Name: "R", Indicator: "https://r.example", AccessTokenTTL: 60, CreatedAt: origin}); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "a refresh picks up the new resource", func() bool { return c.Load().ByIndicator["https://r.example"] != nil })
	stop()
	<-done
}
