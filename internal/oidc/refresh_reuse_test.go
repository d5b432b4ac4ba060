package oidc

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/monban/monban/internal/clock"
	"github.com/monban/monban/internal/store"
)

// The refresh grant refuses a rotated token presented after the grace in
// two places: the handler, on the token it read, and the store, whose
// conditional UPDATE closes the race between two requests. These tests
// reach the handler's check alone: a request that the store never sees,
// because it would fail earlier, must still be treated as reuse.
func TestRefreshReuseCaughtByTheHandler(t *testing.T) {
	const grace = 10 * time.Second
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC))
	now := clk.Now()
	st := openStore(t, now)
	must(t, st.CreateResource(ctx, store.Resource{ID: "r1", Name: "Shop", Indicator: "https://shop.test", AccessTokenTTL: 600, CreatedAt: now}))
	for _, name := range []string{"read", "write"} {
		must(t, st.CreateScope(ctx, store.Scope{ID: name, ResourceID: "r1", Name: name, CreatedAt: now}))
	}
	must(t, st.CreateRole(ctx, store.Role{ID: "ro1", Name: "Shopper", Type: store.RoleUser, CreatedAt: now}))
	must(t, st.AddRoleScopes(ctx, "ro1", []string{"read", "write"}))
	addUser(t, st, testPasswords(), store.User{ID: "u1", Username: "jane", CreatedAt: now, UpdatedAt: now}, "secret password", "ro1")
	addApp(t, st, testHasher, store.Application{ID: "web", Name: "Web", Type: store.AppTraditional,
		RedirectURIs: []string{"https://web.test/cb"}, AllowPasswordGrant: true, RotateRefreshToken: true, CreatedAt: now}, "websecret")
	cust := &recordingCustomizer{}
	_, mux := newTestProvider(t, st, providerSetup{Clock: clk, Customizer: cust, Users: func(c *UsersConfig) { c.RefreshGrace = grace }})
	base := serve(t, mux)

	post := func(t *testing.T, form url.Values) (int, map[string]any) {
		t.Helper()
		form.Set("client_id", "web")
		form.Set("client_secret", "websecret")
		res, m := postForm(t, base+"/oidc/token", form)
		return res.StatusCode, m
	}
	refresh := func(t *testing.T, rt string, extra url.Values) (int, map[string]any) {
		t.Helper()
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
		for k, v := range extra {
			form[k] = v
		}
		return post(t, form)
	}
	signIn := func(t *testing.T) string {
		t.Helper()
		status, m := post(t, url.Values{"grant_type": {"password"}, "username": {"jane"}, "password": {"secret password"},
			"scope": {"openid offline_access read"}, "resource": {"https://shop.test"}})
		rt, _ := m["refresh_token"].(string)
		if status != 200 || rt == "" {
			t.Fatalf("password grant: %d %v", status, m)
		}
		return rt
	}
	// rotate uses rt once and returns its successor.
	rotate := func(t *testing.T, rt string) string {
		t.Helper()
		status, m := refresh(t, rt, nil)
		next, _ := m["refresh_token"].(string)
		if status != 200 || next == "" || next == rt {
			t.Fatalf("refresh: %d %v", status, m)
		}
		return next
	}
	wantReuse := func(t *testing.T, what string, status int, m map[string]any, successor string) {
		t.Helper()
		if status != 400 || m["error"] != "invalid_grant" {
			t.Fatalf("%s: %d %v, want 400 invalid_grant (reuse)", what, status, m)
		}
		// Reuse revokes the whole grant: the successor is dead too.
		if status, m := refresh(t, successor, nil); status != 400 || m["error"] != "invalid_grant" {
			t.Fatalf("%s: the successor still works after reuse: %d %v", what, status, m)
		}
	}

	// rotatedPastGrace signs in, rotates the refresh token and lets the
	// grace pass: the first token presented again is reuse.
	rotatedPastGrace := func(t *testing.T) (first, second string) {
		t.Helper()
		first = signIn(t)
		second = rotate(t, first)
		clk.Advance(grace + time.Second)
		return first, second
	}

	t.Run("reuse asking for a wider scope", func(t *testing.T) {
		first, second := rotatedPastGrace(t)
		// Without the handler's check the scope check answers first
		// (invalid_scope) and the grant survives.
		status, m := refresh(t, first, url.Values{"scope": {"read write"}})
		wantReuse(t, "widened scope", status, m, second)
	})

	t.Run("reuse asking for an unknown resource", func(t *testing.T) {
		first, second := rotatedPastGrace(t)
		status, m := refresh(t, first, url.Values{"resource": {"https://elsewhere.test"}})
		wantReuse(t, "unknown resource", status, m, second)
	})

	t.Run("reuse mints nothing", func(t *testing.T) {
		first, second := rotatedPastGrace(t)
		cust.mu.Lock()
		before := len(cust.got)
		cust.mu.Unlock()
		// Without the handler's check a token is minted (the claims
		// script runs) and only then refused by the store.
		status, m := refresh(t, first, nil)
		cust.mu.Lock()
		runs := len(cust.got) - before
		cust.mu.Unlock()
		if runs != 0 {
			t.Errorf("the customizer ran %d times for a reused token", runs)
		}
		wantReuse(t, "plain reuse", status, m, second)
	})

	// Not reuse, but the handler's own scope rule: a refresh may narrow
	// the granted scopes; without a scope parameter it keeps them all.
	t.Run("narrowing", func(t *testing.T) {
		rt := signIn(t)
		status, m := refresh(t, rt, url.Values{"scope": {"openid"}, "resource": {"https://shop.test"}})
		if status != 200 || m["scope"] != "" && m["scope"] != nil {
			t.Fatalf("narrowed to openid: %d %v", status, m)
		}
		status, m = refresh(t, m["refresh_token"].(string), url.Values{"resource": {"https://shop.test"}})
		if status != 200 || m["scope"] != "read" {
			t.Fatalf("no scope parameter: %d %v, want the granted read", status, m)
		}
	})

	t.Run("within the grace a retry works", func(t *testing.T) {
		first := signIn(t)
		second := rotate(t, first)
		clk.Advance(grace - time.Second)
		third := rotate(t, first)
		if third == second {
			t.Fatal("a retry got the same refresh token")
		}
		clk.Advance(2 * time.Second) // now past the grace of first's use
		status, m := refresh(t, first, nil)
		wantReuse(t, "after the grace", status, m, second)
	})
}
