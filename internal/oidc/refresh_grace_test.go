package oidc

import (
	"net/url"
	"testing"
	"time"

	"github.com/monban/monban/internal/clock"
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
			f.clk.Advance(c.after)
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
	url string // of the served provider
	clk *clock.Fake
}

type tokenReply struct {
	status  int
	refresh string
	body    map[string]any
}

func newGraceFixture(t *testing.T, grace time.Duration) *graceFixture {
	t.Helper()
	now := time.Now().Truncate(time.Millisecond)
	f := &graceFixture{t: t, clk: clock.NewFake(now)}
	st := openStore(t, now)
	addUser(t, st, testPasswords(), store.User{ID: "u1", Username: "jane", CreatedAt: now, UpdatedAt: now}, "secret password")
	addApp(t, st, testHasher, store.Application{ID: "web", Name: "Web", Type: store.AppTraditional,
		RedirectURIs: []string{"https://web.test/cb"}, AllowPasswordGrant: true, RotateRefreshToken: true, CreatedAt: now}, "websecret")
	_, mux := newTestProvider(t, st, providerSetup{Now: f.clk.Now, Users: func(c *UsersConfig) { c.RefreshGrace = grace }})
	f.url = serve(t, mux)
	return f
}

func (f *graceFixture) post(form url.Values) tokenReply {
	f.t.Helper()
	form.Set("client_id", "web")
	form.Set("client_secret", "websecret")
	res, m := postForm(f.t, f.url+"/oidc/token", form)
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
