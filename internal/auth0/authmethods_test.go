package auth0_test

import (
	"net/url"
	"strings"
	"testing"
)

// A user's second factors are their authentication methods: listed (in
// pages), read and deleted with Auth0's shapes and scopes; another
// user's method is not found under this user.
func TestAuthenticationMethods(t *testing.T) {
	ts := start(t, nil)
	admin := ts.admin()
	logto := ts.token(bootID, bootSecret, ts.URL+"/api", "all")
	ada := ts.must(admin, "POST", "/api/v2/users", map[string]any{"connection": "Username-Password-Authentication",
		"email": "ada@example.com", "password": "a long passphrase 1"}, 201)["user_id"].(string)
	bob := ts.must(admin, "POST", "/api/v2/users", map[string]any{"connection": "Username-Password-Authentication",
		"email": "bob@example.com", "password": "a long passphrase 2"}, 201)["user_id"].(string)
	for _, id := range []string{ada, bob} {
		raw := strings.TrimPrefix(id, "auth0|")
		ts.must(logto, "POST", "/api/users/"+raw+"/mfa-verifications", map[string]any{"type": "Totp"}, 200)
	}
	ts.must(logto, "POST", "/api/users/"+strings.TrimPrefix(ada, "auth0|")+"/mfa-verifications", map[string]any{"type": "BackupCode"}, 200)
	path := "/api/v2/users/" + url.PathEscape(ada) + "/authentication-methods"

	r := ts.api(admin, "GET", path, nil)
	list := r.list(t)
	if r.Status != 200 || len(list) != 2 || list[0]["type"] != "totp" || list[1]["type"] != "recovery-code" ||
		!strings.HasPrefix(list[0]["id"].(string), "totp|") || list[0]["confirmed"] != true || list[0]["created_at"] == nil {
		t.Fatalf("methods %d %s", r.Status, r.Body)
	}
	paged := ts.must(admin, "GET", path+"?include_totals=true&per_page=1&page=1", nil, 200)
	if paged["total"] != float64(2) || len(paged["authenticators"].([]any)) != 1 {
		t.Fatalf("paged %v", paged)
	}
	one := ts.must(admin, "GET", path+"/"+url.PathEscape(list[0]["id"].(string)), nil, 200)
	if one["id"] != list[0]["id"] || one["type"] != "totp" {
		t.Fatalf("method %v", one)
	}
	bobs := ts.api(admin, "GET", "/api/v2/users/"+url.PathEscape(bob)+"/authentication-methods", nil).list(t)
	wantError(t, ts.api(admin, "DELETE", path+"/"+url.PathEscape(bobs[0]["id"].(string)), nil), 404, "inexistent_authentication_method")
	wantError(t, ts.api(admin, "GET", path+"/totp|nothing", nil), 404, "inexistent_authentication_method")
	wantError(t, ts.api(admin, "GET", "/api/v2/users/auth0|nobody/authentication-methods", nil), 404, "inexistent_user")
	wantError(t, ts.api(admin, "GET", "/api/v2/users/auth0|nobody/authentication-methods/totp|x", nil), 404, "inexistent_user")
	wantError(t, ts.api(ts.token(bootID, bootSecret, ts.V2, "read:users"), "GET", path, nil), 403, "")
	wantError(t, ts.api(admin, "GET", path+"?unknown=1", nil), 400, "invalid_query_string")

	ts.must(admin, "DELETE", path+"/"+url.PathEscape(list[0]["id"].(string)), nil, 204)
	if got := ts.api(admin, "GET", path, nil).list(t); len(got) != 1 || got[0]["type"] != "recovery-code" {
		t.Fatalf("after delete %v", got)
	}
	ts.must(admin, "DELETE", path, nil, 204)
	if got := ts.api(admin, "GET", path, nil).list(t); len(got) != 0 {
		t.Fatalf("after deleting all %v", got)
	}
	if got := ts.api(admin, "GET", "/api/v2/users/"+url.PathEscape(bob)+"/authentication-methods", nil).list(t); len(got) != 1 {
		t.Fatalf("bob's methods after ada's were deleted: %v", got)
	}
}
