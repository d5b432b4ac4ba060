package oidc

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/monban/monban/internal/store"
)

// A redirect URI with a user-info part, stored before registration refused
// them, is never honoured: /oidc/auth and the logout endpoint answer with an
// error page, not a redirect, while the app's plain URIs still work.
func TestRedirectURIWithUserInfoNeverMatches(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	st := openStore(t, now)
	must(t, st.CreateApplication(ctx, store.Application{ID: "spa", Name: "SPA", Type: store.AppSPA,
		RedirectURIs:           []string{"https://app.example/cb", "https://app.example@evil.example/cb", "https://user:pw@evil.example/cb"},
		PostLogoutRedirectURIs: []string{"https://app.example/", "https://app.example@evil.example/"}, CreatedAt: now}))
	_, mux := newTestProvider(t, st, providerSetup{})
	base := serve(t, mux)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string, q url.Values) *http.Response {
		t.Helper()
		res, err := client.Get(base + path + "?" + q.Encode())
		must(t, err)
		res.Body.Close()
		return res
	}
	auth := func(redirect string) *http.Response {
		return get("/oidc/auth", url.Values{"client_id": {"spa"}, "redirect_uri": {redirect}, "response_type": {"code"},
			"scope": {"openid"}, "code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"}})
	}
	for _, bad := range []string{"https://app.example@evil.example/cb", "https://user:pw@evil.example/cb"} {
		if res := auth(bad); res.StatusCode != http.StatusBadRequest || res.Header.Get("Location") != "" {
			t.Errorf("/oidc/auth with %s: %d, Location %q", bad, res.StatusCode, res.Header.Get("Location"))
		}
	}
	if res := auth("https://app.example/cb"); res.StatusCode != http.StatusSeeOther && res.StatusCode != http.StatusFound {
		t.Errorf("/oidc/auth with the plain URI: %d", res.StatusCode)
	}
	logout := func(redirect string) *http.Response {
		return get("/oidc/session/end", url.Values{"client_id": {"spa"}, "post_logout_redirect_uri": {redirect}})
	}
	if res := logout("https://app.example@evil.example/"); res.StatusCode != http.StatusBadRequest || res.Header.Get("Location") != "" {
		t.Errorf("logout to a user-info URI: %d, Location %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res := logout("https://app.example/"); res.StatusCode == http.StatusBadRequest {
		t.Errorf("logout to the plain URI: %d", res.StatusCode)
	}
}
