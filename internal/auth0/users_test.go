package auth0_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

const conn = "Username-Password-Authentication"

func newUser(ts *testServer, tok, email, name string, extra map[string]any) map[string]any {
	ts.t.Helper()
	body := map[string]any{"connection": conn, "email": email, "password": "correct horse battery", "name": name}
	for k, v := range extra {
		body[k] = v
	}
	return ts.must(tok, "POST", "/api/v2/users", body, 201)
}

// A user made through /api/v2 is the user of the Logto API and of sign-in.
func TestUserCreatedInV2IsEveryonesUser(t *testing.T) {
	ts := start(t, nil)
	tok := ts.admin()
	u := newUser(ts, tok, "Jane@Example.com", "Jane Doe", map[string]any{
		"username": "jane", "given_name": "Jane", "family_name": "Doe", "nickname": "jd",
		"user_metadata": map[string]any{"theme": "dark"}, "app_metadata": map[string]any{"plan": "gold"},
		"email_verified": true, "verify_email": false,
	})
	id := u["user_id"].(string)
	if !strings.HasPrefix(id, "auth0|") || u["email"] != "Jane@Example.com" || u["email_verified"] != true || u["blocked"] != false ||
		u["logins_count"] != float64(0) || u["given_name"] != "Jane" || u["nickname"] != "jd" {
		t.Fatalf("created %v", u)
	}
	ids := u["identities"].([]any)[0].(map[string]any)
	if ids["connection"] != conn || ids["provider"] != "auth0" || ids["user_id"] != strings.TrimPrefix(id, "auth0|") {
		t.Fatalf("identities %v", ids)
	}
	if _, err := time.Parse(time.RFC3339, u["created_at"].(string)); err != nil {
		t.Fatalf("created_at %v", u["created_at"])
	}

	// The Logto API sees the same user, user_metadata as its customData.
	logto := ts.token(bootID, bootSecret, ts.URL+"/api", "all")
	lu := ts.must(logto, "GET", "/api/users/"+strings.TrimPrefix(id, "auth0|"), nil, 200)
	if lu["username"] != "jane" || lu["customData"].(map[string]any)["theme"] != "dark" {
		t.Fatalf("Logto's view %v", lu)
	}

	// And it signs in: a client made through /api/v2 with the password grant.
	c := ts.must(tok, "POST", "/api/v2/clients", map[string]any{"name": "Web", "app_type": "regular_web",
		"callbacks": []string{"https://web.example/cb"}, "grant_types": []string{"authorization_code", "refresh_token", "password"}}, 201)
	form := url.Values{"grant_type": {"password"}, "username": {"jane"}, "password": {"correct horse battery"}, "scope": {"openid"}}
	r := ts.doAuth(c["client_id"].(string), c["client_secret"].(string), "/oidc/token",
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, form.Encode())
	if r.Status != 200 {
		t.Fatalf("password sign-in: %d %s", r.Status, r.Body)
	}
	u = ts.must(tok, "GET", "/api/v2/users/"+url.PathEscape(id), nil, 200)
	if u["logins_count"] != float64(1) || u["last_login"] == nil {
		t.Fatalf("after sign-in %v", u)
	}
	// The sign-in is in the log, as Auth0's sepft.
	logs := ts.eventually(tok, "/api/v2/users/"+url.PathEscape(id)+"/logs")
	if logs[0]["type"] != "sepft" || logs[0]["user_id"] != id || logs[0]["client_id"] != c["client_id"] {
		t.Fatalf("user logs %v", logs)
	}
}

func TestUserChanges(t *testing.T) {
	ts := start(t, nil)
	tok := ts.admin()
	u := newUser(ts, tok, "a@example.com", "A", map[string]any{
		"user_metadata": map[string]any{"a": 1, "b": 2}, "app_metadata": map[string]any{"plan": "gold", "seats": 3}})
	path := "/api/v2/users/" + url.PathEscape(u["user_id"].(string))

	u = ts.must(tok, "PATCH", path, map[string]any{"name": "Alice", "user_metadata": map[string]any{"b": nil, "c": 3},
		"app_metadata": map[string]any{"seats": 4}, "blocked": true}, 200)
	um, am := u["user_metadata"].(map[string]any), u["app_metadata"].(map[string]any)
	if u["name"] != "Alice" || u["blocked"] != true || um["a"] != float64(1) || um["b"] != nil || um["c"] != float64(3) ||
		am["plan"] != "gold" || am["seats"] != float64(4) {
		t.Fatalf("patched %v", u)
	}
	// An empty object clears.
	u = ts.must(tok, "PATCH", path, map[string]any{"app_metadata": map[string]any{}, "blocked": false}, 200)
	if len(u["app_metadata"].(map[string]any)) != 0 || u["blocked"] != false {
		t.Fatalf("cleared %v", u)
	}
	// update:users_app_metadata changes metadata only.
	meta := ts.token(bootID, bootSecret, ts.V2, "update:users_app_metadata")
	ts.must(meta, "PATCH", path, map[string]any{"app_metadata": map[string]any{"x": true}}, 200)
	wantError(t, ts.api(meta, "PATCH", path, map[string]any{"name": "Eve"}), 403, "insufficient_scope")

	// fields / include_fields.
	sel := ts.must(tok, "GET", path+"?fields=email,user_id&include_fields=true", nil, 200)
	if len(sel) != 2 || sel["email"] != "a@example.com" {
		t.Fatalf("fields %v", sel)
	}
	sel = ts.must(tok, "GET", path+"?fields=identities&include_fields=false", nil, 200)
	if _, ok := sel["identities"]; ok || sel["email"] == nil {
		t.Fatalf("excluded fields %v", sel)
	}

	// Refusals, in Auth0's shape.
	for _, c := range []struct {
		method, path string
		body         any
		status       int
		code         string
	}{
		{"POST", "/api/v2/users", map[string]any{"email": "b@example.com", "password": "correct horse battery"}, 400, "invalid_body"},
		{"POST", "/api/v2/users", map[string]any{"connection": "google-oauth2", "email": "b@example.com", "password": "correct horse battery"}, 400, "invalid_body"},
		{"POST", "/api/v2/users", map[string]any{"connection": conn, "email": "b@example.com"}, 400, "invalid_body"},
		{"POST", "/api/v2/users", map[string]any{"connection": conn, "email": "b@example.com", "password": "short"}, 400, "invalid_body"},
		{"POST", "/api/v2/users", map[string]any{"connection": conn, "email": "b@example.com", "password": "correct horse battery", "verify_email": true}, 400, "invalid_body"},
		{"POST", "/api/v2/users", map[string]any{"connection": conn, "email": "b@example.com", "password": "correct horse battery", "bogus": 1}, 400, "invalid_body"},
		{"POST", "/api/v2/users", map[string]any{"connection": conn, "email": "A@example.com", "password": "correct horse battery"}, 409, "auth0_idp_error"},
		{"GET", "/api/v2/users/auth0|missing", nil, 404, "inexistent_user"},
		{"GET", "/api/v2/users/google|x", nil, 404, "inexistent_user"},
		{"PATCH", "/api/v2/users/auth0|missing", map[string]any{"name": "x"}, 404, "inexistent_user"},
		{"DELETE", "/api/v2/users/auth0|missing", nil, 404, "inexistent_user"},
		{"GET", "/api/v2/users?per_page=101", nil, 400, "invalid_query_string"},
		{"GET", "/api/v2/users?per_page=0", nil, 400, "invalid_query_string"},
		{"GET", "/api/v2/users?page=-1", nil, 400, "invalid_query_string"},
		{"GET", "/api/v2/users?include_totals=yes", nil, 400, "invalid_query_string"},
		{"GET", "/api/v2/users?bogus=1", nil, 400, "invalid_query_string"},
		{"GET", "/api/v2/users?q=jane", nil, 400, "invalid_query_string"},
		{"GET", "/api/v2/users?sort=password:1", nil, 400, "invalid_query_string"},
		{"GET", "/api/v2/users?search_engine=v2", nil, 400, "invalid_query_string"},
		{"GET", "/api/v2/users-by-email", nil, 400, "invalid_query_string"},
	} {
		var r response
		if s, ok := c.body.(map[string]any); ok || c.body == nil {
			if c.body == nil {
				r = ts.api(tok, c.method, c.path, nil)
			} else {
				r = ts.api(tok, c.method, c.path, s)
			}
		}
		t.Run(c.method+" "+c.path, func(t *testing.T) { wantError(t, r, c.status, c.code) })
	}
	// A malformed body and a wrong content type.
	wantError(t, ts.do("POST", "/api/v2/users", http.Header{"Authorization": {"Bearer " + tok}, "Content-Type": {"application/json"}},
		strings.NewReader("{")), 400, "invalid_body")
	wantError(t, ts.do("POST", "/api/v2/users", http.Header{"Authorization": {"Bearer " + tok}, "Content-Type": {"text/plain"}},
		strings.NewReader("{}")), 415, "")

	ts.must(tok, "DELETE", path, nil, 204)
	wantError(t, ts.api(tok, "GET", path, nil), 404, "inexistent_user")
}

func TestUserSearchAndPages(t *testing.T) {
	ts := start(t, nil)
	tok := ts.admin()
	for i, n := range []string{"Ann", "Bob", "Cid", "Dan", "Eve"} {
		plan := "free"
		if i%2 == 0 {
			plan = "gold"
		}
		newUser(ts, tok, strings.ToLower(n)+"@example.com", n, map[string]any{"app_metadata": map[string]any{"plan": plan, "org": map[string]any{"id": "o1"}}})
	}
	names := func(list []any) string {
		var out []string
		for _, u := range list {
			out = append(out, u.(map[string]any)["name"].(string))
		}
		return strings.Join(out, ",")
	}
	search := func(q string, extra string) []any {
		t.Helper()
		r := ts.api(tok, "GET", "/api/v2/users?include_totals=true&q="+url.QueryEscape(q)+extra, nil)
		if r.Status != 200 {
			t.Fatalf("q=%s: %d %s", q, r.Status, r.Body)
		}
		return r.json(t)["users"].([]any)
	}
	for _, c := range []struct{ q, want string }{
		{`email:"BOB@example.com"`, "Bob"},
		{`name:Cid OR name:Dan`, "Cid,Dan"},
		{`app_metadata.plan:gold`, "Ann,Cid,Eve"},
		{`app_metadata.plan:gold AND NOT name:Cid`, "Ann,Eve"},
		{`app_metadata.org.id:o1 AND (name:A* OR name:E*)`, "Ann,Eve"},
		{`name:Zed`, ""},
	} {
		if got := names(search(c.q, "")); got != c.want {
			t.Errorf("q=%s: %s; want %s", c.q, got, c.want)
		}
	}
	u := search(`name:Bob`, "")[0].(map[string]any)
	if got := names(search(`user_id:"`+u["user_id"].(string)+`"`, "")); got != "Bob" {
		t.Errorf("by user_id: %s", got)
	}
	// Pages with totals, sorted.
	m := ts.must(tok, "GET", "/api/v2/users?include_totals=true&page=1&per_page=2&sort=name:-1", nil, 200)
	if m["start"] != float64(2) || m["limit"] != float64(2) || m["length"] != float64(2) || m["total"] != float64(6) || // and the first start's admin

		names(m["users"].([]any)) != "Cid,Bob" {
		t.Fatalf("page %v", m)
	}
	// Without include_totals, a bare array.
	if l := ts.api(tok, "GET", "/api/v2/users?per_page=3", nil).list(t); len(l) != 3 {
		t.Fatalf("per_page=3: %d", len(l))
	}
	if l := ts.api(tok, "GET", "/api/v2/users-by-email?email=EVE%40example.com", nil).list(t); len(l) != 1 || l[0]["name"] != "Eve" {
		t.Fatalf("by email %v", l)
	}
	if l := ts.api(tok, "GET", "/api/v2/users-by-email?email=nobody%40example.com", nil).list(t); len(l) != 0 {
		t.Fatalf("by unknown email %v", l)
	}
}
