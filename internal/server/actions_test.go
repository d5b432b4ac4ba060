package server_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/monban/monban/internal/testkit"
)

// A credentials-exchange Action runs at client_credentials issuance on
// either face: it reads the client, the API, the request (without the
// secret) and its secrets, sets claims, and denies with Auth0's error; a
// runaway Action is stopped as any script is.
func TestAuth0ActionCredentialsExchange(t *testing.T) {
	f := newM2MFixture(t)
	path := "/api/configs/jwt-customizer/client-credentials"
	f.mustAPI(f.mt, "PUT", path, map[string]any{
		"script": `exports.onExecuteCredentialsExchange = async (event, api) => {
  if (event.request.body.scope && event.request.body.scope[0] === 'write:products') {
    api.access.deny('invalid_scope', 'writes are paused for ' + event.client.client_id);
    return;
  }
  api.accessToken.setCustomClaim('https://shop.test/key', event.secrets.KEY);
  api.accessToken.setCustomClaim('api', event.resource_server.identifier);
  api.accessToken.setCustomClaim('sawSecret', JSON.stringify(event.request).includes(event.client.client_id + '-never') ||
    'client_secret' in event.request.body);
  api.accessToken.setCustomClaim('gty', 'overridden');
};`,
		"environmentVariables": map[string]string{"KEY": "k-1"},
	}, 201)
	cc := func(scope string) response {
		body := map[string]string{"grant_type": "client_credentials", "client_id": f.robot.ID, "client_secret": f.robot.Secret, "audience": shopAPI}
		if scope != "" {
			body["scope"] = scope
		}
		return f.postJSON("/oauth/token", body)
	}
	r := cc("")
	if r.Status != 200 {
		t.Fatalf("token: %d %s", r.Status, r.Body)
	}
	claims, _ := verifyWithJWKS(t, f.testServer, r.json(t)["access_token"].(string))
	if claims["https://shop.test/key"] != "k-1" || claims["api"] != shopAPI || claims["sawSecret"] != false ||
		claims["gty"] != "client-credentials" || claims["sub"] != f.robot.ID+"@clients" {
		t.Errorf("claims: %v", claims)
	}
	r = cc("write:products")
	if m := r.json(t); r.Status != 400 || m["error"] != "invalid_scope" || m["error_description"] != "writes are paused for "+f.robot.ID {
		t.Errorf("denied: %d %v", r.Status, m)
	}
	// Logto's face runs the same Action.
	r = f.tokenForm(f.robot.ID, f.robot.Secret, url.Values{"grant_type": {"client_credentials"}, "resource": {shopAPI}})
	if claims := testkit.Claims(t, r.json(t)["access_token"].(string)); r.Status != 200 || claims["https://shop.test/key"] != "k-1" {
		t.Errorf("Logto's face: %d %v", r.Status, claims)
	}

	// A runaway Action: the token request is refused within the limit when
	// the script blocks issuance, and the failure is logged as a timeout.
	f.mustAPI(f.mt, "PUT", path, map[string]any{"script": `exports.onExecuteCredentialsExchange = async () => { for (;;) {} };`,
		"blockIssuanceOnError": true}, 200)
	if r := cc(""); r.Status != 400 || r.json(t)["error"] != "invalid_request" {
		t.Errorf("runaway: %d %s", r.Status, r.Body)
	}
	if logs := f.Logs.String(); !strings.Contains(logs, "outcome=timeout") {
		t.Errorf("the runaway Action is not logged as a timeout:\n%s", logs)
	}
}

// A post-login Action runs at user token issuance: it reads the user in
// Auth0's shape and their roles, sets claims on the access token and the ID
// token, and its denial refuses the token with 403 access_denied.
func TestAuth0ActionPostLogin(t *testing.T) {
	f := newUserFixture(t, nil)
	path := "/api/configs/jwt-customizer/access-token"
	f.mustAPI(f.mt, "PUT", path, map[string]any{
		"script": `exports.onExecutePostLogin = async (event, api) => {
  const ns = 'https://shop.test/';
  api.accessToken.setCustomClaim(ns + 'roles', event.authorization.roles);
  api.accessToken.setCustomClaim(ns + 'plan', event.user.user_metadata.plan);
  api.accessToken.setCustomClaim(ns + 'key', event.secrets.KEY);
  api.idToken.setCustomClaim(ns + 'user', event.user.user_id);
  api.idToken.setCustomClaim(ns + 'client', event.client.client_id);
  api.idToken.setCustomClaim(ns + 'protocol', event.transaction.protocol);
  api.idToken.setCustomClaim('nonce', 'forged');
};`,
		"environmentVariables": map[string]string{"KEY": "k-2"},
	}, 201)
	b := newBrowser(t, f.testServer)
	verifier, challenge := pkce()
	q := b.signIn(b.get(f.auth0AuthURL(challenge, nil)), "jane", userPass).redirected(t, spaRedirect)
	form := url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {spaRedirect}, "code_verifier": {verifier}, "client_id": {f.spa.ID}}
	r := f.do("POST", "/oauth/token", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, strings.NewReader(form.Encode()))
	if r.Status != 200 {
		t.Fatalf("token: %d %s", r.Status, r.Body)
	}
	tok := r.json(t)
	at, _ := verifyWithJWKS(t, f.testServer, tok["access_token"].(string))
	if !slices.Equal(anyStrings(at["https://shop.test/roles"]), []string{"Shopper"}) || at["https://shop.test/plan"] != "pro" ||
		at["https://shop.test/key"] != "k-2" || at["sub"] != f.userID {
		t.Errorf("access token: %v", at)
	}
	id, _ := verifyWithJWKS(t, f.testServer, tok["id_token"].(string))
	if id["https://shop.test/user"] != "auth0|"+f.userID || id["https://shop.test/client"] != f.spa.ID ||
		id["https://shop.test/protocol"] != "oidc-basic-profile" || id["nonce"] == "forged" || id["sub"] != f.userID {
		t.Errorf("ID token: %v", id)
	}

	f.mustAPI(f.mt, "PUT", path, map[string]any{
		"script": `exports.onExecutePostLogin = async (event, api) => { api.access.deny('no refresh for ' + event.user.email); };`,
	}, 200)
	r = f.postJSON("/oauth/token", map[string]string{"grant_type": "refresh_token", "client_id": f.spa.ID, "refresh_token": tok["refresh_token"].(string)})
	if m := r.json(t); r.Status != 403 || m["error"] != "access_denied" || !strings.HasPrefix(m["error_description"].(string), "no refresh for ") {
		t.Errorf("denied refresh: %d %v", r.Status, m)
	}
}
