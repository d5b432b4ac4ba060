package oidc

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/clientauth"
	"github.com/monban/monban/internal/password"
	"github.com/monban/monban/internal/revocation"
	"github.com/monban/monban/internal/store"
)

// A rotated refresh token is honoured again only while less than the grace
// has passed since its first use; a grace of 0 is none: presented again at
// the very instant of its rotation, it is refused (and its grant revoked).
func TestRefreshGrace(t *testing.T) {
	cases := []struct {
		grace, after time.Duration
		ok           bool
	}{
		{0, 0, false},
		{0, time.Millisecond, false},
		{10 * time.Second, 0, true},
		{10 * time.Second, 9999 * time.Millisecond, true},
		{10 * time.Second, 10 * time.Second, false},
		{time.Second, 2 * time.Second, false},
	}
	for _, c := range cases {
		t.Run(c.grace.String()+"/"+c.after.String(), func(t *testing.T) {
			f := newGraceFixture(t, c.grace)
			first := f.password()
			second := f.refresh(first)
			if second.status != 200 || second.refresh == "" || second.refresh == first.refresh {
				t.Fatalf("first refresh: %d %v", second.status, second.body)
			}
			f.advance(c.after)
			again := f.refresh(first)
			if c.ok != (again.status == 200) {
				t.Fatalf("the rotated token presented again after %v with a grace of %v: %d %v", c.after, c.grace, again.status, again.body)
			}
			if !c.ok {
				if again.status != 400 || again.body["error"] != "invalid_grant" {
					t.Errorf("refusal: %d %v", again.status, again.body)
				}
				// The reuse revoked the grant: its successor is dead too.
				if r := f.refresh(second); r.status != 400 {
					t.Errorf("the successor still works after a reuse: %d %v", r.status, r.body)
				}
			}
		})
	}
}

type graceFixture struct {
	t   *testing.T
	srv *httptest.Server
	mu  sync.Mutex
	now time.Time
}

type tokenReply struct {
	status  int
	refresh string
	body    map[string]any
}

func newGraceFixture(t *testing.T, grace time.Duration) *graceFixture {
	t.Helper()
	ctx := context.Background()
	f := &graceFixture{t: t, now: time.Now().Truncate(time.Millisecond)}
	now := f.now
	st := openStore(t, now)
	pw := password.NewHasher(password.Params{Time: 1, Memory: 64, Threads: 1}, 1)
	hash, err := pw.Hash(ctx, "secret password")
	must(t, err)
	must(t, st.CreateUser(ctx, store.User{ID: "u1", Username: "jane", PasswordHash: hash, CreatedAt: now, UpdatedAt: now}))
	hasher := clientauth.NewHasher([]byte("k"))
	must(t, st.CreateApplication(ctx, store.Application{ID: "web", Name: "Web", Type: store.AppTraditional,
		RedirectURIs: []string{"https://web.test/cb"}, AllowPasswordGrant: true, RotateRefreshToken: true, CreatedAt: now}))
	must(t, st.CreateAppSecret(ctx, store.AppSecret{AppID: "web", Name: "s", Hash: hasher.Hash("websecret"), CreatedAt: now}))
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	cache, err := catalog.New(ctx, st, logger, 0, nil)
	must(t, err)
	rev, err := revocation.New(ctx, st, logger, nil)
	must(t, err)
	p := New(Config{Issuer: "https://id.test/oidc", Catalog: cache, Hasher: hasher, Logger: logger, Now: f.clock,
		Users: &UsersConfig{Store: st, Passwords: pw, Revocations: rev, Endpoint: "https://id.test", CSRFKey: make([]byte, 32),
			RefreshGrace: grace}})
	mux := http.NewServeMux()
	p.Register(mux)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *graceFixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *graceFixture) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

func (f *graceFixture) post(form url.Values) tokenReply {
	f.t.Helper()
	form.Set("client_id", "web")
	form.Set("client_secret", "websecret")
	res, err := http.PostForm(f.srv.URL+"/oidc/token", form)
	must(f.t, err)
	defer res.Body.Close()
	var m map[string]any
	must(f.t, json.NewDecoder(res.Body).Decode(&m))
	rt, _ := m["refresh_token"].(string)
	// Only the error fields are kept, to be printed.
	return tokenReply{status: res.StatusCode, refresh: rt, body: map[string]any{"error": m["error"], "error_description": m["error_description"]}}
}

func (f *graceFixture) password() tokenReply {
	f.t.Helper()
	r := f.post(url.Values{"grant_type": {"password"}, "username": {"jane"}, "password": {"secret password"}, "scope": {"openid offline_access"}})
	if r.status != 200 || r.refresh == "" {
		f.t.Fatalf("password grant: %d %v", r.status, r.body)
	}
	return r
}

func (f *graceFixture) refresh(r tokenReply) tokenReply {
	f.t.Helper()
	return f.post(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {r.refresh}})
}
