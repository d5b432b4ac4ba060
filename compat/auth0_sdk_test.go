package compat_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/monban/monban/compat/monbantest"
	"github.com/monban/monban/internal/directory"
)

// Auth0's Node SDK (auth0 7, ManagementClient, pinned in compat/node's lock
// file) drives the Management API v2: users, clients and roles. Monban runs
// as behind a TLS-terminating proxy (its endpoint https://…), and the SDK's
// fetch sends its requests for that origin to the loopback listener.
//
// The SDK gets its token here rather than with clientId/clientSecret: its
// token request names no scope, and Monban's client_credentials grants no
// scope that was not asked for.
func TestAuth0NodeSDK(t *testing.T) {
	requireNode(t)
	const domain = "monban-compat.example"
	srv := monbantest.Start(t, monbantest.Options{Endpoint: "https://" + domain})
	var scopes []string
	for _, s := range directory.ManagementV2Scopes {
		scopes = append(scopes, s.Name)
	}
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {"https://" + domain + "/api/v2/"}, "scope": {strings.Join(scopes, " ")}}
	basic := base64.StdEncoding.EncodeToString([]byte(monbantest.AdminID + ":" + monbantest.AdminSecret))
	r := srv.Do(t, "POST", "/oidc/token", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Authorization": {"Basic " + basic}},
		strings.NewReader(form.Encode()))
	if r.Status != 200 {
		t.Fatalf("token: %d %s", r.Status, r.Body)
	}
	tok := r.JSON(t)
	f := newFlow(t, "node:auth0")
	out, code := runNode(f, "auth0-management.mjs", map[string]string{
		"MONBAN_URL": srv.URL, "MONBAN_DOMAIN": domain, "MONBAN_V2_TOKEN": tok["access_token"].(string),
	})
	if code != 0 || out["ok"] != true {
		t.Fatalf("the SDK failed at %v: %v (status %v, body %v)", out["step"], out["error"], out["status"], out["body"])
	}
	strs := func(v any) []string {
		var s []string
		for _, x := range v.([]any) {
			s = append(s, x.(string))
		}
		return s
	}
	switch {
	case !slices.Equal(strs(out["listed"]), []string{"sdk.user@example.com"}):
		t.Errorf("users.list with q: %v", out["listed"])
	case out["got"] != "sdk.user@example.com" || out["updated"] != true || out["byEmail"] != float64(1):
		t.Errorf("users: %v", out)
	case out["client_type"] != "spa" || out["client_name"] != "SDK App 2":
		t.Errorf("clients: %v", out)
	case !slices.Equal(strs(out["user_roles"]), []string{"sdk-role"}) || !slices.Contains(strs(out["roles"]), "sdk-role"):
		t.Errorf("roles: %v", out)
	case out["missing"] != float64(404):
		t.Errorf("a missing user: %v", out["missing"])
	}
}
