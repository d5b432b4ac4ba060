package auth0_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/monban/monban/internal/testkit"
)

// emailVerifiedSeen signs the user in with the password grant on both
// faces and returns email_verified as the ID tokens and the userinfo
// endpoints say it; they must agree.
func emailVerifiedSeen(t *testing.T, ts *testServer, clientID, secret, username string) any {
	t.Helper()
	var seen []any
	for _, face := range []struct{ token, userinfo string }{{"/oidc/token", "/oidc/me"}, {"/oauth/token", "/userinfo"}} {
		form := url.Values{"grant_type": {"password"}, "username": {username}, "password": {"correct horse battery"}, "scope": {"openid email"}}
		r := ts.doAuth(clientID, secret, face.token, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, form.Encode())
		if r.Status != 200 {
			t.Fatalf("password sign-in at %s: %d %s", face.token, r.Status, r.Body)
		}
		tok := r.json(t)
		id := testkit.Claims(t, tok["id_token"].(string))
		ui := ts.do("GET", face.userinfo, http.Header{"Authorization": {"Bearer " + tok["access_token"].(string)}}, nil)
		if ui.Status != 200 {
			t.Fatalf("%s: %d %s", face.userinfo, ui.Status, ui.Body)
		}
		seen = append(seen, id["email_verified"], ui.json(t)["email_verified"])
	}
	for _, v := range seen[1:] {
		if v != seen[0] {
			t.Fatalf("the ID tokens and userinfo disagree on email_verified: %v", seen)
		}
	}
	return seen[0]
}

// An address given at open sign-up is unverified everywhere until an
// administrator says otherwise; one an administrator gives through Logto's
// API is verified; Auth0's API says which with email_verified.
func TestEmailVerified(t *testing.T) {
	ts := start(t, nil)
	tok := ts.admin()
	c := ts.must(tok, "POST", "/api/v2/clients", map[string]any{"name": "Web", "app_type": "regular_web",
		"callbacks": []string{"https://web.example/cb"}, "grant_types": []string{"authorization_code", "password"}}, 201)
	clientID, secret := c["client_id"].(string), c["client_secret"].(string)

	// Open sign-up: unverified in the answer, the tokens, userinfo and
	// the Management API.
	r := ts.api("", "POST", "/dbconnections/signup", map[string]any{"client_id": clientID, "email": "mallory@example.com",
		"password": "correct horse battery", "connection": conn, "username": "mallory"})
	if r.Status != 200 || r.json(t)["email_verified"] != false {
		t.Fatalf("sign-up: %d %s", r.Status, r.Body)
	}
	id := "auth0|" + r.json(t)["_id"].(string)
	path := "/api/v2/users/" + url.PathEscape(id)
	if v := emailVerifiedSeen(t, ts, clientID, secret, "mallory"); v != false {
		t.Errorf("signed-up user's tokens: email_verified %v", v)
	}
	if u := ts.must(tok, "GET", path, nil, 200); u["email_verified"] != false {
		t.Errorf("signed-up user in /api/v2: %v", u)
	}
	// Sign-up cannot say otherwise: the field is refused.
	r = ts.api("", "POST", "/dbconnections/signup", map[string]any{"client_id": clientID, "email": "eve@example.com",
		"password": "correct horse battery", "connection": conn, "email_verified": true})
	if r.Status != 400 {
		t.Errorf("sign-up with email_verified: %d %s", r.Status, r.Body)
	}

	// An administrator of Logto's API sets an address: verified.
	logto := ts.token(bootID, bootSecret, ts.URL+"/api", "all")
	lu := ts.must(logto, "POST", "/api/users", map[string]any{"username": "jane", "primaryEmail": "jane@example.com",
		"password": "correct horse battery"}, 200)
	if v := emailVerifiedSeen(t, ts, clientID, secret, "jane"); v != true {
		t.Errorf("admin-created user's tokens: email_verified %v", v)
	}
	janePath := "/api/v2/users/auth0|" + lu["id"].(string)
	if u := ts.must(tok, "GET", janePath, nil, 200); u["email_verified"] != true {
		t.Errorf("admin-created user in /api/v2: %v", u)
	}
	// Sent back unchanged (as the console does) it stays as it is: the
	// signed-up address is not verified by an unrelated change.
	ts.must(logto, "PATCH", "/api/users/"+strings.TrimPrefix(id, "auth0|"), map[string]any{"primaryEmail": "mallory@example.com", "name": "M"}, 200)
	if u := ts.must(tok, "GET", path, nil, 200); u["email_verified"] != false {
		t.Errorf("after a Logto change that kept the address: %v", u)
	}

	// Auth0's search.
	list := ts.api(tok, "GET", "/api/v2/users?q="+url.QueryEscape("email_verified:false"), nil).list(t)
	if len(list) != 1 || list[0]["user_id"] != id {
		t.Errorf("q=email_verified:false: %v", list)
	}
	list = ts.api(tok, "GET", "/api/v2/users?q="+url.QueryEscape("email_verified:true"), nil).list(t)
	if len(list) != 1 || list[0]["email"] != "jane@example.com" {
		t.Errorf("q=email_verified:true: %v", list)
	}
	wantError(t, ts.api(tok, "GET", "/api/v2/users?q="+url.QueryEscape("email_verified:maybe"), nil), 400, "invalid_query_string")

	// An administrator of Auth0's API verifies the address.
	if u := ts.must(tok, "PATCH", path, map[string]any{"email_verified": true}, 200); u["email_verified"] != true {
		t.Errorf("PATCH email_verified true: %v", u)
	}
	if v := emailVerifiedSeen(t, ts, clientID, secret, "mallory"); v != true {
		t.Errorf("after PATCH email_verified true: %v", v)
	}
	// A new address through Auth0's API is unverified unless it says so.
	if u := ts.must(tok, "PATCH", path, map[string]any{"email": "mallory2@example.com"}, 200); u["email_verified"] != false {
		t.Errorf("PATCH email: %v", u)
	}
	if u := ts.must(tok, "PATCH", path, map[string]any{"email": "mallory3@example.com", "email_verified": true}, 200); u["email_verified"] != true {
		t.Errorf("PATCH email with email_verified true: %v", u)
	}
	if u := ts.must(tok, "PATCH", path, map[string]any{"email_verified": false}, 200); u["email_verified"] != false {
		t.Errorf("PATCH email_verified false: %v", u)
	}
	if v := emailVerifiedSeen(t, ts, clientID, secret, "mallory"); v != false {
		t.Errorf("after PATCH email_verified false: %v", v)
	}
	// A new address through Logto's API is verified.
	ts.must(logto, "PATCH", "/api/users/"+strings.TrimPrefix(id, "auth0|"), map[string]any{"primaryEmail": "mallory4@example.com"}, 200)
	if u := ts.must(tok, "GET", path, nil, 200); u["email_verified"] != true {
		t.Errorf("after a Logto change of the address: %v", u)
	}

	// Created through Auth0's API: unverified unless email_verified says so.
	if u := newUser(ts, tok, "b@example.com", "B", nil); u["email_verified"] != false {
		t.Errorf("created without email_verified: %v", u)
	}
	if u := newUser(ts, tok, "c@example.com", "C", map[string]any{"email_verified": true, "verify_email": false}); u["email_verified"] != true {
		t.Errorf("created with email_verified: %v", u)
	}
	for name, body := range map[string]map[string]any{
		"verify_email true":            {"connection": conn, "email": "d@example.com", "password": "correct horse battery", "verify_email": true},
		"email_verified without email": {"connection": conn, "username": "nomail", "password": "correct horse battery", "email_verified": true},
		"email_verified not a boolean": {"connection": conn, "email": "d@example.com", "password": "correct horse battery", "email_verified": "yes"},
	} {
		if r := ts.api(tok, "POST", "/api/v2/users", body); r.Status != 400 {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	wantError(t, ts.api(tok, "PATCH", path, map[string]any{"verify_email": true}), 400, "invalid_body")
}
