package server_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/monban/monban/internal/server"
	"github.com/monban/monban/internal/store/postgres"
	"github.com/monban/monban/internal/store/storetest"
)

// onEngines runs fn against a server on SQLite and, with
// MONBAN_TEST_POSTGRES_URL, on PostgreSQL.
func onEngines(t *testing.T, fn func(t *testing.T, edit func(*server.Config))) {
	t.Run("sqlite", func(t *testing.T) { fn(t, nil) })
	t.Run("postgres", func(t *testing.T) {
		dbURL := postgres.NewTestDatabase(t)
		key := storetest.NewKey(t)
		fn(t, func(c *server.Config) { c.DatabaseURL, c.SecretKey = dbURL, key })
	})
}

// push sends a pushed authorization request to path as the SPA (client_id
// alone) or, with a secret, as a confidential client by Basic.
func (f *userFixture) push(path string, c appCreds, form url.Values) response {
	f.t.Helper()
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	if c.Secret != "" {
		r, _ := http.NewRequest("POST", "/", nil)
		r.SetBasicAuth(c.ID, c.Secret)
		h.Set("Authorization", r.Header.Get("Authorization"))
	} else {
		form.Set("client_id", c.ID)
	}
	return f.do("POST", path, h, strings.NewReader(form.Encode()))
}

// spaPushed is the SPA's authorization request with challenge, as pushed.
func spaPushed(challenge string) url.Values {
	return url.Values{"response_type": {"code"}, "redirect_uri": {spaRedirect}, "scope": {"openid offline_access read:products"},
		"resource": {shopAPI}, "state": {"st"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
}

// A SPA pushes its request (RFC 9126) to either face, the browser brings
// only client_id and request_uri to that face's authorization endpoint,
// signs in and the code is redeemed as usual; an app set to require
// pushed requests through the Management API takes no other.
func TestPushedAuthorizationRequests(t *testing.T) {
	onEngines(t, func(t *testing.T, edit func(*server.Config)) {
		f := newUserFixture(t, edit)
		disc := f.do("GET", "/oidc/.well-known/openid-configuration", nil, nil).json(t)
		if disc["pushed_authorization_request_endpoint"] != f.Issuer+"/request" || disc["require_pushed_authorization_requests"] != false {
			t.Errorf("discovery: %v %v", disc["pushed_authorization_request_endpoint"], disc["require_pushed_authorization_requests"])
		}
		if d := f.do("GET", "/.well-known/openid-configuration", nil, nil).json(t); d["pushed_authorization_request_endpoint"] != f.URL+"/oauth/par" {
			t.Errorf("Auth0 discovery: %v", d["pushed_authorization_request_endpoint"])
		}

		verifier, challenge := pkce()
		r := f.push("/oidc/request", f.spa, spaPushed(challenge))
		if r.Status != http.StatusCreated {
			t.Fatalf("push: %d %s", r.Status, r.Body)
		}
		uri := r.json(t)["request_uri"].(string)
		b := newBrowser(t, f.testServer)
		q := url.Values{"client_id": {f.spa.ID}, "request_uri": {uri}}
		code := b.signIn(b.get(f.Issuer+"/auth?"+q.Encode()), "jane", userPass).redirected(t, spaRedirect)
		if code.Get("state") != "st" || code.Get("code") == "" {
			t.Fatalf("redirect %v", code)
		}
		tok := f.exchange(t, code.Get("code"), verifier, url.Values{"resource": {shopAPI}})
		if tok["scope"] != "read:products" || tok["refresh_token"] == nil {
			t.Errorf("tokens %v", tok)
		}
		if p := b.get(f.Issuer + "/auth?" + q.Encode()); p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "invalid_request_uri") {
			t.Errorf("replayed request_uri: %d %.200s", p.Status, p.Body)
		}

		// Auth0's face: its own path, and a request_uri pushed to the other
		// face is not honoured here.
		_, challenge = pkce()
		other := f.push("/oidc/request", f.spa, spaPushed(challenge)).json(t)["request_uri"].(string)
		if p := b.get(f.URL + "/authorize?" + url.Values{"client_id": {f.spa.ID}, "request_uri": {other}}.Encode()); p.Status != http.StatusBadRequest {
			t.Errorf("Logto's request_uri at Auth0's /authorize: %d", p.Status)
		}
		r = f.push("/oauth/par", f.spa, spaPushed(challenge))
		if r.Status != http.StatusCreated {
			t.Fatalf("push to /oauth/par: %d %s", r.Status, r.Body)
		}
		loc := b.get(f.URL+"/authorize?"+url.Values{"client_id": {f.spa.ID}, "request_uri": {r.json(t)["request_uri"].(string)}}.Encode()).
			redirected(t, spaRedirect)
		if loc.Get("code") == "" || loc.Get("iss") != f.URL+"/" {
			t.Errorf("Auth0 face redirect %v", loc)
		}

		// Require PAR, through the Management API.
		app := f.mustAPI(f.mt, "PATCH", "/api/applications/"+f.web.ID, map[string]any{
			"customClientMetadata": map[string]any{"requirePushedAuthorizationRequests": true}}, 200)
		if app["customClientMetadata"].(map[string]any)["requirePushedAuthorizationRequests"] != true {
			t.Fatalf("PATCH answered %v", app["customClientMetadata"])
		}
		plain := b.get(f.authURL(f.web.ID, webRedirect, "", nil)).redirected(t, webRedirect)
		if plain.Get("error") != "invalid_request" || !strings.Contains(plain.Get("error_description"), "pushed authorization requests") {
			t.Errorf("unpushed request of a PAR-only app: %v", plain)
		}
		form := spaPushed("")
		form.Del("code_challenge")
		form.Del("code_challenge_method")
		form.Set("redirect_uri", webRedirect)
		r = f.push("/oidc/request", f.web, form)
		if r.Status != http.StatusCreated {
			t.Fatalf("web push: %d %s", r.Status, r.Body)
		}
		if q := b.get(f.Issuer+"/auth?"+url.Values{"client_id": {f.web.ID}, "request_uri": {r.json(t)["request_uri"].(string)}}.Encode()).
			redirected(t, webRedirect); q.Get("code") == "" {
			t.Errorf("PAR-only app's pushed request: %v", q)
		}
		if r := f.api(f.mt, "PATCH", "/api/applications/"+f.web.ID, map[string]any{"customClientMetadata": map[string]any{"requirePushedAuthorizationRequests": "yes"}}); r.Status != 400 {
			t.Errorf("requirePushedAuthorizationRequests as a string: %d %s", r.Status, r.Body)
		}
	})
}

// tokenExchange posts a token exchange as the confidential web app.
func (f *userFixture) tokenExchange(subject, typ string, extra url.Values) response {
	f.t.Helper()
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:token-exchange"}, "subject_token": {subject}, "subject_token_type": {typ}}
	for k, v := range extra {
		form[k] = v
	}
	return f.token(f.web.ID, f.web.Secret, form)
}

// Impersonation and personal access tokens through the Management API,
// exchanged at the token endpoint by an app that opted in, as Logto does:
// a subject token once, with its context in the claims script's
// context.grant; a personal access token until its user is suspended.
func TestTokenExchange(t *testing.T) {
	onEngines(t, func(t *testing.T, edit func(*server.Config)) {
		f := newUserFixture(t, edit)
		f.mustAPI(f.mt, "PUT", "/api/configs/jwt-customizer/access-token", map[string]any{
			"script": `const getCustomJwtClaims = async ({ token, context }) => ({
  gty: token.gty, ticket: context.grant ? context.grant.subjectTokenContext.ticket : 'none',
  grantType: context.grant ? context.grant.type : 'none' });`,
		}, 201)
		st := f.mustAPI(f.mt, "POST", "/api/subject-tokens", map[string]any{"userId": f.userID, "context": map[string]any{"ticket": "T-42"}}, 201)
		subject, _ := st["subjectToken"].(string)
		if !strings.HasPrefix(subject, "sub_") || st["expiresIn"] != float64(600) {
			t.Fatalf("subject token %v", st)
		}
		extra := url.Values{"resource": {shopAPI}, "scope": {"read:products write:products"}}
		const impersonation = "urn:logto:token-type:impersonation_token"
		if r := f.tokenExchange(subject, impersonation, extra); r.Status != 400 || r.json(t)["error"] != "unauthorized_client" {
			t.Fatalf("exchange before the opt-in: %d %s", r.Status, r.Body)
		}
		f.mustAPI(f.mt, "PATCH", "/api/applications/"+f.web.ID, map[string]any{"customClientMetadata": map[string]any{"allowTokenExchange": true}}, 200)
		r := f.tokenExchange(subject, impersonation, extra)
		if r.Status != 200 {
			t.Fatalf("impersonation: %d %s", r.Status, r.Body)
		}
		m := r.json(t)
		claims, _ := verifyWithJWKS(t, f.testServer, m["access_token"].(string))
		if m["scope"] != "read:products" || m["issued_token_type"] != "urn:ietf:params:oauth:token-type:access_token" ||
			claims["sub"] != f.userID || claims["ticket"] != "T-42" || claims["grantType"] != "urn:ietf:params:oauth:grant-type:token-exchange" ||
			claims["gty"] != "urn:ietf:params:oauth:grant-type:token-exchange" {
			t.Errorf("impersonation answer %v, claims %v", m, claims)
		}
		if r := f.tokenExchange(subject, impersonation, extra); r.Status != 400 || r.json(t)["error"] != "invalid_grant" {
			t.Errorf("subject token reused: %d %s", r.Status, r.Body)
		}
		if r := f.api(f.mt, "POST", "/api/subject-tokens", map[string]any{"userId": "nobody"}); r.Status != 404 {
			t.Errorf("subject token of nobody: %d %s", r.Status, r.Body)
		}

		// Personal access tokens.
		base := "/api/users/" + f.userID + "/personal-access-tokens"
		pat := f.mustAPI(f.mt, "POST", base, map[string]any{"name": "ci"}, 201)
		value, _ := pat["value"].(string)
		if !strings.HasPrefix(value, "pat_") || pat["expiresAt"] != nil || pat["userId"] != f.userID {
			t.Fatalf("PAT %v", pat)
		}
		if r := f.api(f.mt, "POST", base, map[string]any{"name": "ci"}); r.Status != 422 {
			t.Errorf("PAT name taken: %d %s", r.Status, r.Body)
		}
		if r := f.api(f.mt, "POST", base, map[string]any{"name": "old", "expiresAt": nowMillis() - 1000}); r.Status != 400 {
			t.Errorf("PAT expiring in the past: %d %s", r.Status, r.Body)
		}
		f.mustAPI(f.mt, "PATCH", base+"/ci", map[string]any{"name": "build"}, 200)
		list := f.api(f.mt, "GET", base, nil)
		if list.Status != 200 || !strings.Contains(string(list.Body), `"name":"build"`) || strings.Contains(string(list.Body), value) ||
			strings.Contains(string(list.Body), `"value"`) {
			t.Errorf("PAT list: %d %s", list.Status, list.Body)
		}
		const patType = "urn:logto:token-type:personal_access_token"
		for range 2 {
			if r := f.tokenExchange(value, patType, extra); r.Status != 200 || r.json(t)["scope"] != "read:products" {
				t.Fatalf("PAT exchange: %d %s", r.Status, r.Body)
			}
		}
		// An access token of another app is narrowed, never widened; one
		// of the other face, or an app's own, is refused.
		patTok := f.tokenExchange(value, patType, extra).json(t)["access_token"].(string)
		const atType = "urn:ietf:params:oauth:token-type:access_token"
		if r := f.tokenExchange(patTok, atType, url.Values{"scope": {"read:products write:products"}}); r.Status != 400 || r.json(t)["error"] != "invalid_scope" {
			t.Errorf("widened scope: %d %s", r.Status, r.Body)
		}
		m2mTok := f.token(bootID, bootSecret, url.Values{"grant_type": {"client_credentials"}, "resource": {f.Mgmt}, "scope": {"all"}}).json(t)["access_token"].(string)
		if r := f.tokenExchange(m2mTok, atType, nil); r.Status != 400 || r.json(t)["error"] != "invalid_grant" {
			t.Errorf("an M2M token as the subject: %d %s", r.Status, r.Body)
		}
		form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:token-exchange"}, "subject_token": {value},
			"subject_token_type": {patType}, "audience": {shopAPI}, "scope": {"read:products"},
			"client_id": {f.web.ID}, "client_secret": {f.web.Secret}}
		r0 := f.do("POST", "/oauth/token", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, strings.NewReader(form.Encode()))
		if r0.Status != 200 {
			t.Fatalf("exchange on Auth0's face: %d %s", r0.Status, r0.Body)
		}
		if r := f.tokenExchange(r0.json(t)["access_token"].(string), atType, nil); r.Status != 400 || r.json(t)["error"] != "invalid_grant" {
			t.Errorf("the other face's token: %d %s", r.Status, r.Body)
		}

		f.mustAPI(f.mt, "PATCH", "/api/users/"+f.userID+"/is-suspended", map[string]any{"isSuspended": true}, 200)
		if r := f.tokenExchange(value, patType, extra); r.Status != 400 || r.json(t)["error"] != "invalid_grant" {
			t.Errorf("PAT of a suspended user: %d %s", r.Status, r.Body)
		}
		f.mustAPI(f.mt, "PATCH", "/api/users/"+f.userID+"/is-suspended", map[string]any{"isSuspended": false}, 200)
		if r := f.api(f.mt, "DELETE", base+"/build", nil); r.Status != 204 {
			t.Fatalf("PAT delete: %d %s", r.Status, r.Body)
		}
		if r := f.tokenExchange(value, patType, extra); r.Status != 400 || r.json(t)["error"] != "invalid_grant" {
			t.Errorf("deleted PAT: %d %s", r.Status, r.Body)
		}
		if r := f.api(f.mt, "DELETE", base+"/build", nil); r.Status != 404 {
			t.Errorf("PAT deleted twice: %d %s", r.Status, r.Body)
		}

		disc := f.do("GET", "/oidc/.well-known/openid-configuration", nil, nil).json(t)
		if gts, _ := disc["grant_types_supported"].([]any); !slices.Contains(toStrings(gts), "urn:ietf:params:oauth:grant-type:token-exchange") {
			t.Errorf("discovery grant types %v", gts)
		}
	})
}

func toStrings(v []any) []string {
	out := make([]string, len(v))
	for i, x := range v {
		out[i], _ = x.(string)
	}
	return out
}
