package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/monban/monban/internal/server"
	"github.com/monban/monban/internal/testkit"
)

// postJSON posts a JSON body to path.
func (ts *testServer) postJSON(path string, body any) response {
	ts.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		ts.t.Fatal(err)
	}
	return ts.do("POST", path, http.Header{"Content-Type": {"application/json"}}, strings.NewReader(string(b)))
}

// Both faces answer on one server: the root discovery document is Auth0's
// face, /oidc's is Logto's, and each names its own endpoints.
func TestAuth0Discovery(t *testing.T) {
	ts := startUserServer(t, nil)
	for _, path := range []string{"/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"} {
		r := ts.do("GET", path, nil, nil)
		if r.Status != 200 {
			t.Fatalf("%s: %d %s", path, r.Status, r.Body)
		}
		doc := r.json(t)
		want := map[string]string{
			"issuer": ts.URL + "/", "authorization_endpoint": ts.URL + "/authorize", "token_endpoint": ts.URL + "/oauth/token",
			"userinfo_endpoint": ts.URL + "/userinfo", "jwks_uri": ts.URL + "/.well-known/jwks.json",
			"revocation_endpoint": ts.URL + "/oauth/revoke", "end_session_endpoint": ts.URL + "/oidc/logout",
		}
		for k, v := range want {
			if doc[k] != v {
				t.Errorf("%s: %s = %v, want %s", path, k, doc[k], v)
			}
		}
		if !slices.Contains(anyStrings(doc["grant_types_supported"]), "http://auth0.com/oauth/grant-type/password-realm") {
			t.Errorf("%s: grants %v", path, doc["grant_types_supported"])
		}
	}
	doc := ts.do("GET", "/oidc/.well-known/openid-configuration", nil, nil).json(t)
	if doc["issuer"] != ts.Issuer || doc["token_endpoint"] != ts.Issuer+"/token" || slices.Contains(anyStrings(doc["grant_types_supported"]), "http://auth0.com/oauth/grant-type/password-realm") {
		t.Errorf("Logto's discovery: %v", doc)
	}
	if r := ts.do("GET", "/.well-known/jwks.json", nil, nil); r.Status != 200 || r.json(t)["keys"] == nil {
		t.Errorf("jwks: %d %s", r.Status, r.Body)
	}
}

// m2mFixture is a user fixture with two M2M apps: one holding an M2M role
// that grants read:products and write:products on the shop API (a client
// grant, in Auth0's words), one holding nothing.
type m2mFixture struct {
	*userFixture
	robot, stranger appCreds
}

func newM2MFixture(t *testing.T) *m2mFixture {
	f := &m2mFixture{userFixture: newUserFixture(t, nil)}
	role := f.mustAPI(f.mt, "POST", "/api/roles", map[string]any{"name": "Robot", "description": "shop robot",
		"type": "MachineToMachine", "scopeIds": []string{f.readID, f.writeID}}, 200)["id"].(string)
	for _, app := range []*appCreds{&f.robot, &f.stranger} {
		m := f.mustAPI(f.mt, "POST", "/api/applications", map[string]any{"name": "robot", "type": "MachineToMachine"}, 200)
		*app = appCreds{ID: m["id"].(string), Secret: m["secret"].(string)}
	}
	f.mustAPI(f.mt, "POST", "/api/roles/"+role+"/applications", map[string]any{"applicationIds": []string{f.robot.ID}}, 201)
	return f
}

// client_credentials on Auth0's face follows client grants: no scope is
// every scope of the grant, a scope outside it or an app without one is
// 403 access_denied in Auth0's words, and the token has Auth0's shape. The
// same app on Logto's face keeps Logto's semantics.
func TestAuth0ClientCredentials(t *testing.T) {
	f := newM2MFixture(t)
	cc := func(app appCreds, extra map[string]string) response {
		body := map[string]string{"grant_type": "client_credentials", "client_id": app.ID, "client_secret": app.Secret, "audience": shopAPI}
		for k, v := range extra {
			if v == "" {
				delete(body, k)
			} else {
				body[k] = v
			}
		}
		return f.postJSON("/oauth/token", body)
	}
	r := cc(f.robot, nil)
	if r.Status != 200 {
		t.Fatalf("client grant: %d %s", r.Status, r.Body)
	}
	m := r.json(t)
	if m["scope"] != "read:products write:products" || m["token_type"] != "Bearer" || m["expires_in"].(float64) != 3600 {
		t.Errorf("answer: %v", m)
	}
	claims, _ := verifyWithJWKS(t, f.testServer, m["access_token"].(string))
	for k, v := range map[string]any{"iss": f.URL + "/", "sub": f.robot.ID + "@clients", "gty": "client-credentials",
		"azp": f.robot.ID, "aud": shopAPI, "scope": "read:products write:products"} {
		if claims[k] != v {
			t.Errorf("claim %s = %v, want %v", k, claims[k], v)
		}
	}

	if r := cc(f.robot, map[string]string{"scope": "read:products"}); r.Status != 200 || r.json(t)["scope"] != "read:products" {
		t.Errorf("a scope of the grant: %d %s", r.Status, r.Body)
	}
	for name, c := range map[string]struct {
		app   appCreds
		extra map[string]string
		desc  string
	}{
		"scope outside the grant": {f.robot, map[string]string{"scope": "read:products delete:products"}, "Client has not been granted scopes: delete:products"},
		"no grant":                {f.stranger, nil, `Client is not authorized to access "` + shopAPI + `". You need to create a "client-grant" associated to this API.`},
		"unknown audience":        {f.robot, map[string]string{"audience": "https://nowhere.example/"}, "Service not found: https://nowhere.example/"},
		"no audience":             {f.robot, map[string]string{"audience": ""}, "No audience parameter was provided, and no default audience has been configured"},
	} {
		r := cc(c.app, c.extra)
		m := r.json(t)
		if _, logto := m["code"]; r.Status != 403 || m["error"] != "access_denied" || m["error_description"] != c.desc || logto {
			t.Errorf("%s: %d %v", name, r.Status, m)
		}
	}
	if r := cc(appCreds{f.robot.ID, "wrong"}, nil); r.Status != 401 || r.json(t)["error"] != "invalid_client" {
		t.Errorf("wrong secret: %d %s", r.Status, r.Body)
	}

	// Logto's face: no scope is no scope, the stranger gets an empty
	// token, and the token is Logto's shape.
	r = f.tokenForm(f.robot.ID, f.robot.Secret, url.Values{"grant_type": {"client_credentials"}, "resource": {shopAPI}})
	claims = testkit.Claims(t, r.json(t)["access_token"].(string))
	if _, scoped := claims["scope"]; r.Status != 200 || claims["iss"] != f.Issuer || claims["sub"] != f.robot.ID || scoped || claims["gty"] != nil {
		t.Errorf("Logto's face: %d %v", r.Status, claims)
	}
	if r := f.tokenForm(f.stranger.ID, f.stranger.Secret, url.Values{"grant_type": {"client_credentials"}, "resource": {shopAPI}}); r.Status != 200 {
		t.Errorf("Logto's face, no role: %d %s", r.Status, r.Body)
	}

	// The Management API takes tokens of both issuers.
	r = f.postJSON("/oauth/token", map[string]string{"grant_type": "client_credentials", "client_id": bootID, "client_secret": bootSecret, "audience": f.Mgmt})
	if r.Status != 200 {
		t.Fatalf("management token on Auth0's face: %d %s", r.Status, r.Body)
	}
	if r := f.api(r.json(t)["access_token"].(string), "GET", "/api/applications", nil); r.Status != 200 {
		t.Errorf("Management API with an Auth0-face token: %d %s", r.Status, r.Body)
	}
}

// auth0AuthURL is an authorization request on Auth0's face.
func (f *userFixture) auth0AuthURL(challenge string, extra url.Values) string {
	q := url.Values{"response_type": {"code"}, "client_id": {f.spa.ID}, "redirect_uri": {spaRedirect},
		"scope": {"openid profile email offline_access read:products"}, "state": {"st"}, "audience": {shopAPI},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	for k, v := range extra {
		q[k] = v
	}
	return f.URL + "/authorize?" + q.Encode()
}

// The code flow started at /authorize ends on Auth0's face: the sign-in
// resumes there (the redirect's iss), the code is redeemed at
// /oauth/token only, and the token is for the audience and Auth0's
// userinfo endpoint, which accepts it. Started at /oidc/auth, with
// audience as resource, it ends on Logto's face.
func TestAuth0CodeFlow(t *testing.T) {
	f := newUserFixture(t, nil)
	b := newBrowser(t, f.testServer)
	verifier, challenge := pkce()
	p := b.get(f.auth0AuthURL(challenge, url.Values{"connection": {"Username-Password-Authentication"}, "prompt": {"login"}, "screen_hint": {"login"}}))
	q := b.signIn(p, "jane", userPass).redirected(t, spaRedirect)
	if q.Get("iss") != f.URL+"/" || q.Get("code") == "" || q.Get("state") != "st" {
		t.Fatalf("redirect: %v", q)
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {spaRedirect}, "code_verifier": {verifier}, "client_id": {f.spa.ID}}
	// At Logto's token endpoint the code is refused, and stays good.
	if r := f.do("POST", "/oidc/token", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, strings.NewReader(form.Encode())); r.Status != 400 || r.json(t)["error"] != "invalid_grant" {
		t.Errorf("code at /oidc/token: %d %s", r.Status, r.Body)
	}
	r := f.do("POST", "/oauth/token", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, strings.NewReader(form.Encode()))
	if r.Status != 200 {
		t.Fatalf("code at /oauth/token: %d %s", r.Status, r.Body)
	}
	tok := r.json(t)
	at := testkit.Claims(t, tok["access_token"].(string))
	if at["iss"] != f.URL+"/" || !slices.Equal(anyStrings(at["aud"]), []string{shopAPI, f.URL + "/userinfo"}) || at["scope"] != "openid profile email read:products" || at["sub"] != f.userID {
		t.Errorf("access token: %v", at)
	}
	if id := testkit.Claims(t, tok["id_token"].(string)); id["iss"] != f.URL+"/" || id["aud"] != f.spa.ID {
		t.Errorf("ID token: %v", id)
	}
	bearer := http.Header{"Authorization": {"Bearer " + tok["access_token"].(string)}}
	if r := f.do("GET", "/userinfo", bearer, nil); r.Status != 200 || r.json(t)["sub"] != f.userID {
		t.Errorf("/userinfo with the API token: %d %s", r.Status, r.Body)
	}
	if r := f.do("GET", "/oidc/me", bearer, nil); r.Status != 401 {
		t.Errorf("/oidc/me with an Auth0-face token: %d %s", r.Status, r.Body)
	}
	// A refresh without audience stays on the granted one.
	r = f.postJSON("/oauth/token", map[string]string{"grant_type": "refresh_token", "client_id": f.spa.ID, "refresh_token": tok["refresh_token"].(string)})
	if r.Status != 200 {
		t.Fatalf("refresh: %d %s", r.Status, r.Body)
	}
	refreshed := r.json(t)
	if at := testkit.Claims(t, refreshed["access_token"].(string)); at["iss"] != f.URL+"/" || anyStrings(at["aud"])[0] != shopAPI {
		t.Errorf("refreshed: %v", at)
	}
	// Revocation (JSON, as Auth0's SDKs send it) ends the grant.
	r = f.postJSON("/oauth/revoke", map[string]string{"client_id": f.spa.ID, "token": refreshed["refresh_token"].(string)})
	if r.Status != 200 || len(r.Body) != 0 {
		t.Errorf("revoke: %d %q", r.Status, r.Body)
	}
	r = f.postJSON("/oauth/token", map[string]string{"grant_type": "refresh_token", "client_id": f.spa.ID, "refresh_token": refreshed["refresh_token"].(string)})
	if r.Status != 400 || r.json(t)["error"] != "invalid_grant" {
		t.Errorf("refresh after revoke: %d %s", r.Status, r.Body)
	}

	// The same browser, signed in, at Logto's authorization endpoint with
	// audience: a Logto-face code for the audience.
	verifier, challenge = pkce()
	q = b.get(f.authURL(f.spa.ID, spaRedirect, challenge, url.Values{"resource": nil, "audience": {shopAPI}})).redirected(t, spaRedirect)
	if q.Get("iss") != f.Issuer {
		t.Fatalf("Logto redirect: %v", q)
	}
	logto := f.exchange(t, q.Get("code"), verifier, url.Values{"resource": {shopAPI}})
	if at := testkit.Claims(t, logto["access_token"].(string)); at["iss"] != f.Issuer || at["aud"] != shopAPI || at["scope"] != "read:products" {
		t.Errorf("Logto-face token for the audience: %v", at)
	}
}

// The authorization request's Auth0 parameters: an unknown connection is
// refused back to the app; on Logto's face connection is not known.
func TestAuth0AuthorizeParameters(t *testing.T) {
	f := newUserFixture(t, nil)
	b := f.signedIn(t)
	_, challenge := pkce()
	q := b.get(f.auth0AuthURL(challenge, url.Values{"connection": {"google-oauth2"}})).redirected(t, spaRedirect)
	if q.Get("error") != "invalid_request" || !strings.Contains(q.Get("error_description"), "Username-Password-Authentication") || q.Get("iss") != f.URL+"/" {
		t.Errorf("unknown connection: %v", q)
	}
	q = b.get(f.authURL(f.spa.ID, spaRedirect, challenge, url.Values{"connection": {"Username-Password-Authentication"}})).redirected(t, spaRedirect)
	if q.Get("error") != "invalid_request" {
		t.Errorf("connection on Logto's face: %v", q)
	}
	q = b.get(f.auth0AuthURL(challenge, url.Values{"audience": {"https://nowhere.example/"}})).redirected(t, spaRedirect)
	if q.Get("error") != "invalid_target" {
		t.Errorf("unknown audience: %v", q)
	}
	q = b.get(f.authURL(f.spa.ID, spaRedirect, challenge, url.Values{"audience": {"https://nowhere.example/"}})).redirected(t, spaRedirect)
	if q.Get("error") != "invalid_target" {
		t.Errorf("unknown audience at /oidc/auth: %v", q)
	}
}

// /v2/logout ends the session and redirects only to an allowed logout URL
// of the named app; anything else is a page that redirects nowhere and
// ends nothing.
func TestAuth0Logout(t *testing.T) {
	f := newUserFixture(t, nil)
	b := f.signedIn(t)
	for name, q := range map[string]url.Values{
		"foreign returnTo":      {"client_id": {f.spa.ID}, "returnTo": {"https://evil.example/"}},
		"prefix of an allowed":  {"client_id": {f.spa.ID}, "returnTo": {spaLogout + "x"}},
		"user info":             {"client_id": {f.spa.ID}, "returnTo": {"https://spa.example@evil.example/"}},
		"returnTo without app":  {"returnTo": {spaLogout}},
		"another app's URL":     {"client_id": {f.spa2.ID}, "returnTo": {spaLogout}},
		"unknown app":           {"client_id": {"nope"}, "returnTo": {spaLogout}},
		"repeated returnTo":     {"client_id": {f.spa.ID}, "returnTo": {spaLogout, "https://evil.example/"}},
		"scheme-relative":       {"client_id": {f.spa.ID}, "returnTo": {"//evil.example/"}},
		"javascript":            {"client_id": {f.spa.ID}, "returnTo": {"javascript:alert(1)"}},
		"encoded in another ..": {"client_id": {f.spa.ID}, "returnTo": {"https://spa.example/%2F%2Fevil.example"}},
	} {
		p := b.get(f.URL + "/v2/logout?" + q.Encode())
		if p.Status != 400 || p.Header.Get("Location") != "" || p.URL.Host != strings.TrimPrefix(f.URL, "http://") {
			t.Errorf("%s: %d %q %s", name, p.Status, p.Header.Get("Location"), p.URL)
		}
	}
	if r := b.do(mustRequest(t, "HEAD", f.URL+"/v2/logout?"+url.Values{"client_id": {f.spa.ID}, "returnTo": {spaLogout}}.Encode())); r.Status != http.StatusMethodNotAllowed {
		t.Errorf("HEAD: %d", r.Status)
	}
	// Still signed in: a code at once.
	_, challenge := pkce()
	if q := b.get(f.auth0AuthURL(challenge, nil)).redirected(t, spaRedirect); q.Get("code") == "" {
		t.Fatalf("the refused logouts ended the session: %v", q)
	}
	p := b.get(f.URL + "/v2/logout?" + url.Values{"client_id": {f.spa.ID}, "returnTo": {spaLogout}}.Encode())
	if p.Status != http.StatusFound || p.Header.Get("Location") != spaLogout {
		t.Fatalf("logout: %d %q", p.Status, p.Header.Get("Location"))
	}
	if p := b.get(f.auth0AuthURL(challenge, nil)); p.URL.Path != "/sign-in" {
		t.Errorf("after logout the browser is still signed in: %s", p.URL)
	}
	if p := b.get(f.URL + "/v2/logout"); p.Status != 200 || !strings.Contains(p.Body, "Signed out") {
		t.Errorf("logout without returnTo: %d %.200s", p.Status, p.Body)
	}
	// RP-initiated logout at Auth0's /oidc/logout.
	b = f.signedIn(t)
	p = b.get(f.URL + "/oidc/logout?" + url.Values{"client_id": {f.spa.ID}, "post_logout_redirect_uri": {"https://evil.example/"}}.Encode())
	if p.Status != 400 || p.Header.Get("Location") != "" {
		t.Errorf("/oidc/logout to a foreign URL: %d %q", p.Status, p.Header.Get("Location"))
	}
	p = b.get(f.URL + "/oidc/logout?" + url.Values{"client_id": {f.spa.ID}, "post_logout_redirect_uri": {spaLogout}}.Encode())
	if p.Status != 200 || !strings.Contains(p.Body, `action="`+f.URL+`/oidc/logout/confirm"`) {
		t.Errorf("/oidc/logout asks for confirmation: %d %.300s", p.Status, p.Body)
	}
}

// Auth0's password-realm grant, where the app allows the password grant,
// with the database connection as realm, on Auth0's face only.
func TestAuth0PasswordRealm(t *testing.T) {
	f := newUserFixture(t, nil)
	grant := "http://auth0.com/oauth/grant-type/password-realm"
	body := map[string]string{"grant_type": grant, "client_id": f.web.ID, "client_secret": f.web.Secret,
		"username": "jane@example.com", "password": userPass, "realm": "Username-Password-Authentication", "audience": shopAPI, "scope": "openid read:products"}
	if r := f.postJSON("/oauth/token", body); r.Status != 400 || r.json(t)["error"] != "unauthorized_client" {
		t.Errorf("password grant off: %d %s", r.Status, r.Body)
	}
	f.mustAPI(f.mt, "PATCH", "/api/applications/"+f.web.ID, map[string]any{"customClientMetadata": map[string]any{"allowPasswordGrant": true}}, 200)
	r := f.postJSON("/oauth/token", body)
	if r.Status != 200 {
		t.Fatalf("password-realm: %d %s", r.Status, r.Body)
	}
	if at := testkit.Claims(t, r.json(t)["access_token"].(string)); at["iss"] != f.URL+"/" || at["scope"] != "openid read:products" {
		t.Errorf("token: %v", at)
	}
	body["realm"] = "google-oauth2"
	if r := f.postJSON("/oauth/token", body); r.Status != 400 || r.json(t)["error"] != "invalid_request" {
		t.Errorf("unknown realm: %d %s", r.Status, r.Body)
	}
	delete(body, "realm")
	if r := f.postJSON("/oauth/token", body); r.Status != 400 || r.json(t)["error"] != "invalid_request" {
		t.Errorf("no realm: %d %s", r.Status, r.Body)
	}
	body["realm"] = "Username-Password-Authentication"
	b, _ := json.Marshal(body)
	if r := f.do("POST", "/oidc/token", http.Header{"Content-Type": {"application/json"}}, strings.NewReader(string(b))); r.Status != 400 || r.json(t)["error"] != "unsupported_grant_type" {
		t.Errorf("password-realm on Logto's face: %d %s", r.Status, r.Body)
	}
}

// Auth0's database sign-up creates a user of the one directory, who then
// signs in on either face; its refusals have Auth0's shapes.
func TestAuth0SignUp(t *testing.T) {
	f := newUserFixture(t, nil)
	signUp := func(body map[string]any) (int, map[string]any) {
		r := f.postJSON("/dbconnections/signup", body)
		return r.Status, r.json(t)
	}
	body := func(edit map[string]any) map[string]any {
		b := map[string]any{"client_id": f.spa.ID, "email": "new@example.com", "password": "a long enough password",
			"connection": "Username-Password-Authentication", "username": "newbie", "name": "New Bie",
			"user_metadata": map[string]any{"plan": "free"}}
		for k, v := range edit {
			if v == nil {
				delete(b, k)
			} else {
				b[k] = v
			}
		}
		return b
	}
	status, m := signUp(body(nil))
	if status != 200 || m["email"] != "new@example.com" || m["email_verified"] != false || m["_id"] == "" || m["username"] != "newbie" {
		t.Fatalf("sign-up: %d %v", status, m)
	}
	// The same user through the Logto API, with user_metadata as custom data.
	u := f.mustAPI(f.mt, "GET", "/api/users/"+m["_id"].(string), nil, 200)
	if u["primaryEmail"] != "new@example.com" || u["customData"].(map[string]any)["plan"] != "free" || u["name"] != "New Bie" {
		t.Errorf("the user in the Logto API: %v", u)
	}
	// And signs in at the hosted page.
	b := newBrowser(t, f.testServer)
	_, challenge := pkce()
	if q := b.signIn(b.get(f.auth0AuthURL(challenge, nil)), "new@example.com", "a long enough password").redirected(t, spaRedirect); q.Get("code") == "" {
		t.Errorf("sign-in after sign-up: %v", q)
	}

	for name, c := range map[string]struct {
		edit   map[string]any
		status int
		code   string
	}{
		"duplicate e-mail":   {map[string]any{"username": nil}, 400, "invalid_signup"},
		"duplicate username": {map[string]any{"email": "other@example.com"}, 400, "invalid_signup"},
		"weak password":      {map[string]any{"email": "weak@example.com", "username": nil, "password": "short"}, 400, "invalid_password"},
		"bad connection":     {map[string]any{"email": "c@example.com", "username": nil, "connection": "google-oauth2"}, 400, "invalid_connection"},
		"no connection":      {map[string]any{"email": "c@example.com", "username": nil, "connection": nil}, 400, "invalid_request"},
		"unknown client":     {map[string]any{"email": "c@example.com", "username": nil, "client_id": "nope"}, 400, "invalid_request"},
		"no email":           {map[string]any{"email": nil, "username": nil}, 400, "invalid_request"},
		"bad email":          {map[string]any{"email": "not an address", "username": nil}, 400, "invalid_request"},
		"unknown field":      {map[string]any{"email": "c@example.com", "username": nil, "app_metadata": map[string]any{"admin": true}}, 400, "invalid_request"},
		"number as email":    {map[string]any{"email": 12, "username": nil}, 400, "invalid_request"},
	} {
		status, m := signUp(body(c.edit))
		if status != c.status || m["code"] != c.code || m["statusCode"] != float64(c.status) || m["description"] == "" || m["name"] == "" {
			t.Errorf("%s: %d %v", name, status, m)
		}
		if strings.Contains(fmt2(m), "a long enough password") {
			t.Errorf("%s: the answer repeats the password: %v", name, m)
		}
	}
	big := strings.Repeat("x", 70<<10)
	if r := f.postJSON("/dbconnections/signup", body(map[string]any{"name": big})); r.Status != http.StatusRequestEntityTooLarge || r.json(t)["code"] != "invalid_request" {
		t.Errorf("body too large: %d %.200s", r.Status, r.Body)
	}
	if r := f.do("POST", "/dbconnections/signup", http.Header{"Content-Type": {"text/plain"}}, strings.NewReader("{}")); r.Status != 400 {
		t.Errorf("text/plain: %d %s", r.Status, r.Body)
	}
	if r := f.do("GET", "/dbconnections/signup", nil, nil); r.Status != http.StatusMethodNotAllowed || r.Header.Get("Allow") != "POST" {
		t.Errorf("GET: %d %v", r.Status, r.Header)
	}
	// A SPA's origin (that of its redirect URI) may call it from the
	// browser; another may not.
	pre := func(origin string) response {
		return f.do("OPTIONS", "/dbconnections/signup", http.Header{"Origin": {origin}, "Access-Control-Request-Method": {"POST"}}, nil)
	}
	if r := pre("https://spa.example"); r.Status != 204 || r.Header.Get("Access-Control-Allow-Origin") != "https://spa.example" || r.Header.Get("Access-Control-Allow-Methods") == "" {
		t.Errorf("preflight from the SPA: %d %v", r.Status, r.Header)
	}
	if r := pre("https://evil.example"); r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from elsewhere: %v", r.Header)
	}
	// A form body works too, without user_metadata.
	form := url.Values{"client_id": {f.spa.ID}, "email": {"form@example.com"}, "password": {"a long enough password"}, "connection": {"Username-Password-Authentication"}}
	if r := f.do("POST", "/dbconnections/signup", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, strings.NewReader(form.Encode())); r.Status != 200 {
		t.Errorf("form body: %d %s", r.Status, r.Body)
	}
}

// With sign-up turned off, every sign-up is refused and creates nothing.
func TestAuth0SignUpOff(t *testing.T) {
	f := newUserFixture(t, func(c *server.Config) { c.SignUp = false })
	r := f.postJSON("/dbconnections/signup", map[string]any{"client_id": f.spa.ID, "email": "new@example.com",
		"password": "a long enough password", "connection": "Username-Password-Authentication"})
	if m := r.json(t); r.Status != 400 || m["code"] != "operation_not_allowed" || m["description"] != "public signup is disabled" {
		t.Errorf("sign-up off: %d %v", r.Status, m)
	}
	if users := f.api(f.mt, "GET", "/api/users?search=new%40example.com", nil); strings.Contains(string(users.Body), "new@example.com") {
		t.Errorf("a user was created: %s", users.Body)
	}
}

func fmt2(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// Auth0's per-API settings on the resource, set through the Logto API:
// with "Enable RBAC" off a user gets every requested scope of the API, and
// "Add Permissions in the Access Token" adds the permissions claim to
// user and M2M tokens alike.
func TestAuth0APISettings(t *testing.T) {
	f := newM2MFixture(t)
	res := f.mustAPI(f.mt, "GET", "/api/resources/"+f.resID, nil, 200)
	if res["enableRbac"] != true || res["permissionsClaim"] != false {
		t.Fatalf("defaults: %v", res)
	}
	res = f.mustAPI(f.mt, "PATCH", "/api/resources/"+f.resID, map[string]any{"enableRbac": false, "permissionsClaim": true}, 200)
	if res["enableRbac"] != false || res["permissionsClaim"] != true {
		t.Fatalf("after PATCH: %v", res)
	}
	// M2M: the grant's scopes, also as permissions.
	r := f.postJSON("/oauth/token", map[string]string{"grant_type": "client_credentials", "client_id": f.robot.ID, "client_secret": f.robot.Secret, "audience": shopAPI})
	if at := testkit.Claims(t, r.json(t)["access_token"].(string)); !slices.Equal(anyStrings(at["permissions"]), []string{"read:products", "write:products"}) {
		t.Errorf("M2M permissions: %v", at)
	}
	// A user whose role grants read:products only gets write:products too.
	b := newBrowser(t, f.testServer)
	verifier, challenge := pkce()
	q := b.signIn(b.get(f.auth0AuthURL(challenge, url.Values{"scope": {"openid read:products write:products"}})), "jane", userPass).redirected(t, spaRedirect)
	form := url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {spaRedirect}, "code_verifier": {verifier}, "client_id": {f.spa.ID}}
	r = f.do("POST", "/oauth/token", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, strings.NewReader(form.Encode()))
	at := testkit.Claims(t, r.json(t)["access_token"].(string))
	if at["scope"] != "openid read:products write:products" || !slices.Equal(anyStrings(at["permissions"]), []string{"read:products", "write:products"}) {
		t.Errorf("user token with RBAC off: %v", at)
	}
	// RBAC on again: the role decides.
	f.mustAPI(f.mt, "PATCH", "/api/resources/"+f.resID, map[string]any{"enableRbac": true}, 200)
	verifier, challenge = pkce()
	q = b.get(f.auth0AuthURL(challenge, url.Values{"scope": {"openid read:products write:products"}})).redirected(t, spaRedirect)
	form.Set("code", q.Get("code"))
	form.Set("code_verifier", verifier)
	r = f.do("POST", "/oauth/token", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, strings.NewReader(form.Encode()))
	at = testkit.Claims(t, r.json(t)["access_token"].(string))
	if at["scope"] != "openid read:products" || !slices.Equal(anyStrings(at["permissions"]), []string{"read:products"}) {
		t.Errorf("user token with RBAC on: %v", at)
	}
}

// Introspection (Logto's face) answers for the access tokens of both
// faces, each with its own iss.
func TestIntrospectionOfBothFaces(t *testing.T) {
	f := newM2MFixture(t)
	r := f.postJSON("/oauth/token", map[string]string{"grant_type": "client_credentials", "client_id": f.robot.ID, "client_secret": f.robot.Secret, "audience": shopAPI})
	if m := f.introspect(t, r.json(t)["access_token"].(string)); m["active"] != true || m["iss"] != f.URL+"/" || m["sub"] != f.robot.ID+"@clients" {
		t.Errorf("Auth0-face token: %v", m)
	}
	r = f.tokenForm(f.robot.ID, f.robot.Secret, url.Values{"grant_type": {"client_credentials"}, "resource": {shopAPI}})
	if m := f.introspect(t, r.json(t)["access_token"].(string)); m["active"] != true || m["iss"] != f.Issuer {
		t.Errorf("Logto-face token: %v", m)
	}
}

func mustRequest(t *testing.T, method, u string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}
