package server_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/monban/monban/internal/store/postgres"
	"github.com/monban/monban/internal/store/storetest"
)

// userinfo calls the userinfo endpoint with a bearer token.
func (p *process) userinfo(t *testing.T, tok string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", p.URL+"/oidc/me", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	status, _ := p.send(t, req)
	return status
}

// A revocation made through one instance is honoured by the other within a
// second, whatever made it: RFC 7009 revocation of a user's or of a
// Management API client's access token, a refresh token presented again,
// or a user suspended through the Management API. The periodic reload is a
// minute away, so only the change feed can carry these in time.
func TestRevocationAcrossInstances(t *testing.T) {
	dbURL := postgres.NewTestDatabase(t)
	endpoint := "http://monban.test"
	env := []string{"MONBAN_DATABASE_URL=" + dbURL, "MONBAN_SECRET_KEY=" + storetest.NewKey(t).Encode(), "MONBAN_REFRESH_TOKEN_GRACE=1ms",
		"MONBAN_RATE_LIMIT_TOKEN_CLIENT=0", "MONBAN_RATE_LIMIT_TOKEN_IP=0", "MONBAN_RATE_LIMIT_MANAGEMENT=0"}
	a := startProcess(t, endpoint, env...)
	b := startProcess(t, endpoint, env...)
	mgmtForm := url.Values{"grant_type": {"client_credentials"}, "resource": {endpoint + "/api"}, "scope": {"all"}}
	status, m := a.token(t, bootID, bootSecret, mgmtForm)
	if status != 200 {
		t.Fatalf("management token: %d %v", status, m)
	}
	mt := m["access_token"].(string)

	const pw = "a long enough password 1"
	s, user := a.api(t, mt, "POST", "/api/users", map[string]any{"username": "jane", "password": pw})
	if s != 200 {
		t.Fatalf("create user: %d %v", s, user)
	}
	userID := user["id"].(string)
	var app map[string]any
	s, app = a.api(t, mt, "POST", "/api/applications", map[string]any{"name": "Web", "type": "Traditional",
		"oidcClientMetadata": map[string]any{"redirectUris": []string{"https://app.example/cb"}}})
	if s != 200 {
		t.Fatalf("create app: %d %v", s, app)
	}
	webID, webSecret := app["id"].(string), app["secret"].(string)
	if s, _ := a.api(t, mt, "PATCH", "/api/applications/"+webID, map[string]any{"customClientMetadata": map[string]any{"allowPasswordGrant": true}}); s != 200 {
		t.Fatalf("enable the password grant: %d", s)
	}
	// signIn gets tokens for jane from A, once B knows the app.
	signIn := func() (access, refresh string) {
		t.Helper()
		form := url.Values{"grant_type": {"password"}, "username": {"jane"}, "password": {pw}, "scope": {"openid offline_access"}}
		s, m := a.token(t, webID, webSecret, form)
		if s != 200 {
			t.Fatalf("password grant: %d %v", s, m)
		}
		return m["access_token"].(string), m["refresh_token"].(string)
	}
	active := func(p *process, tok string) bool {
		t.Helper()
		s, m := p.post(t, "/oidc/token/introspection", webID, webSecret, url.Values{"token": {tok}})
		if s != 200 {
			t.Fatalf("introspection: %d %v", s, m)
		}
		return m["active"] == true
	}
	within(t, time.Second, "B knows the app created through A", func() bool {
		s, _ := b.post(t, "/oidc/token/introspection", webID, webSecret, url.Values{"token": {"x"}})
		return s == 200
	})

	// RFC 7009 revocation of a user's access token.
	access, _ := signIn()
	if !active(b, access) || b.userinfo(t, access) != 200 {
		t.Fatal("a fresh token is not accepted by B")
	}
	if s, m := a.post(t, "/oidc/token/revocation", webID, webSecret, url.Values{"token": {access}}); s != 200 {
		t.Fatalf("revocation: %d %v", s, m)
	}
	within(t, time.Second, "an access token revoked through A is inactive on B", func() bool { return !active(b, access) })
	if b.userinfo(t, access) != 401 {
		t.Error("B's userinfo accepts the revoked token")
	}

	// RFC 7009 revocation of a Management API token.
	_, m = a.token(t, bootID, bootSecret, mgmtForm)
	mt2 := m["access_token"].(string)
	if s, _ := b.api(t, mt2, "GET", "/api/applications", nil); s != 200 {
		t.Fatalf("B's Management API with a fresh token: %d", s)
	}
	if s, m := a.post(t, "/oidc/token/revocation", bootID, bootSecret, url.Values{"token": {mt2}}); s != 200 {
		t.Fatalf("revocation of a management token: %d %v", s, m)
	}
	within(t, time.Second, "a Management API token revoked through A is refused by B", func() bool {
		s, _ := b.api(t, mt2, "GET", "/api/applications", nil)
		return s == 401
	})

	// A refresh token presented again revokes its grant's access tokens.
	access, refresh := signIn()
	if b.userinfo(t, access) != 200 {
		t.Fatal("a fresh token is not accepted by B")
	}
	refreshForm := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}
	if s, m := a.token(t, webID, webSecret, refreshForm); s != 200 {
		t.Fatalf("refresh: %d %v", s, m)
	}
	time.Sleep(10 * time.Millisecond) // past the 1 ms grace
	if s, m := a.token(t, webID, webSecret, refreshForm); s != 400 || m["error"] != "invalid_grant" {
		t.Fatalf("reused refresh token: %d %v", s, m)
	}
	within(t, time.Second, "a grant revoked on refresh-token reuse at A is refused by B", func() bool { return b.userinfo(t, access) == 401 })
	if active(b, access) {
		t.Error("B's introspection says a token of a revoked grant is active")
	}

	// Suspending the user through A revokes their tokens on B.
	access, _ = signIn()
	if b.userinfo(t, access) != 200 {
		t.Fatal("a fresh token is not accepted by B")
	}
	if s, _ := a.api(t, mt, "PATCH", "/api/users/"+userID+"/is-suspended", map[string]any{"isSuspended": true}); s != 200 {
		t.Fatalf("suspend: %d", s)
	}
	// (B's userinfo reads the user, so it refuses at once; introspection
	// relies on the revocation list alone.)
	within(t, time.Second, "a suspended user's token is inactive on B", func() bool { return !active(b, access) })
	if b.userinfo(t, access) != 401 {
		t.Error("B's userinfo accepts a suspended user's token")
	}
	// The Management API token A used throughout still works on B.
	if s, _ := b.api(t, mt, "GET", "/api/applications", nil); s != 200 {
		t.Errorf("an unrevoked management token on B: %d", s)
	}
}
