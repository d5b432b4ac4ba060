package server_test

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Saved scripts add claims to every M2M token, with Logto's semantics for
// denials and failures.
func TestCustomClaimsAtIssuance(t *testing.T) {
	ts := startServer(t)
	mt := ts.managementToken()
	ts.mustAPI(mt, "POST", "/api/resources", map[string]any{"name": "Shopping", "indicator": "https://shopping.api"}, 201)
	app := ts.mustAPI(mt, "POST", "/api/applications", map[string]any{"name": "Order sync", "type": "MachineToMachine"}, 200)
	id, secret := app["id"].(string), app["secret"].(string)
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {"https://shopping.api"}}
	path := "/api/configs/jwt-customizer/client-credentials"
	issue := func() (int, map[string]any) {
		r := ts.tokenForm(id, secret, form)
		m := r.json(t)
		if r.Status != 200 {
			return r.Status, m
		}
		claims, _ := verifyWithJWKS(t, ts, m["access_token"].(string))
		return r.Status, claims
	}

	ts.mustAPI(mt, "PUT", path, map[string]any{
		"script": `const getCustomJwtClaims = async ({ token, context, environmentVariables }) => ({
  tier: 'gold', appName: context.application.name, region: environmentVariables.REGION,
  audSeen: token.aud, kind: token.kind, sub: 'someone-else', scope: 'all' });`,
		"environmentVariables": map[string]string{"REGION": "eu-west"},
	}, 201)
	status, claims := issue()
	if status != 200 || claims["tier"] != "gold" || claims["appName"] != "Order sync" || claims["region"] != "eu-west" ||
		claims["audSeen"] != "https://shopping.api" || claims["kind"] != "ClientCredentials" {
		t.Fatalf("custom claims: %d %v", status, claims)
	}
	if claims["sub"] != id || claims["scope"] != nil {
		t.Errorf("a script overrode registered claims: sub %v scope %v", claims["sub"], claims["scope"])
	}
	// The same input again: the script's result is reused, in a new token.
	if status, again := issue(); status != 200 || again["tier"] != "gold" || again["region"] != "eu-west" || again["jti"] == claims["jti"] {
		t.Fatalf("second token: %d %v", status, again)
	}

	// A script that reads the jti sees each token's own, and runs for each.
	ts.mustAPI(mt, "PUT", path, map[string]any{"script": `const getCustomJwtClaims = async ({ token }) => ({ ref: token.jti });`}, 200)
	for range 2 {
		if status, claims := issue(); status != 200 || claims["ref"] == nil || claims["ref"] != claims["jti"] {
			t.Fatalf("jti script: %d %v", status, claims)
		}
	}

	ts.mustAPI(mt, "PUT", path, map[string]any{"script": `const getCustomJwtClaims = async ({ api }) => { api.denyAccess('this app is paused'); };`}, 200)
	status, body := issue()
	if status != 400 || body["error"] != "access_denied" || body["error_description"] != "this app is paused" {
		t.Errorf("denied: %d %v", status, body)
	}

	failing := `const getCustomJwtClaims = async ({ environmentVariables }) => { throw new Error('upstream said no to ' + environmentVariables.API_KEY); };`
	ts.mustAPI(mt, "PUT", path, map[string]any{"script": failing, "environmentVariables": map[string]string{"API_KEY": "k-123456789"}}, 200)
	status, claims = issue()
	if status != 200 || claims["tier"] != nil {
		t.Errorf("a failing script must fail open: %d %v", status, claims)
	}
	ts.mustAPI(mt, "PATCH", path, map[string]any{"blockIssuanceOnError": true}, 200)
	status, body = issue()
	if status != 400 || body["error"] != "invalid_request" || strings.Contains(body["error_description"].(string), "upstream") {
		t.Errorf("blocking on error: %d %v", status, body)
	}
	if logs := ts.Logs.String(); !strings.Contains(logs, "custom JWT claims script failed") || strings.Contains(logs, "k-123456789") {
		t.Errorf("the failure must be logged without the variable's value:\n%s", logs)
	}

	ts.mustAPI(mt, "DELETE", path, nil, 204)
	if status, claims = issue(); status != 200 || claims["tier"] != nil {
		t.Errorf("after delete: %d %v", status, claims)
	}
	m := string(ts.do("GET", "/metrics", nil, nil).Body)
	for _, want := range []string{
		`monban_custom_jwt_runs_total{outcome="ok",token_type="client-credentials"} 4`,
		`monban_custom_jwt_reused_total{token_type="client-credentials"} 1`,
		`monban_custom_jwt_runs_total{outcome="denied",token_type="client-credentials"} 1`,
		`monban_custom_jwt_runs_total{outcome="script_error",token_type="client-credentials"} 2`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// The access-token script runs for user tokens with Logto's user,
// application and interaction context.
func TestCustomClaimsForUserTokens(t *testing.T) {
	f := newUserFixture(t, nil)
	f.mustAPI(f.mt, "PUT", "/api/configs/jwt-customizer/access-token", map[string]any{
		"script": `const getCustomJwtClaims = async ({ token, context }) => ({
  plan: context.user.customData.plan, username: context.user.username,
  roles: context.user.roles.map(r => r.name),
  perms: context.user.roles.flatMap(r => r.scopes.map(s => s.resource.indicator + ' ' + s.name)),
  app: context.application.name, how: context.interaction.interactionEvent,
  proof: context.interaction.verificationRecords[0].type,
  kind: token.kind, account: token.accountId, gty: token.gty });`,
	}, 201)
	b := f.signedIn(t)
	verifier, challenge := pkce()
	tok := f.exchange(t, f.code(t, b, f.spa.ID, spaRedirect, challenge, nil), verifier, nil)
	claims, _ := verifyWithJWKS(t, f.testServer, tok["access_token"].(string))
	want := map[string]any{"plan": "pro", "username": "jane", "app": "SPA app", "how": "SignIn", "proof": "Password",
		"kind": "AccessToken", "account": f.userID, "gty": "authorization_code", "sub": f.userID}
	for k, v := range want {
		if claims[k] != v {
			t.Errorf("claim %s = %v, want %v", k, claims[k], v)
		}
	}
	if r, _ := claims["roles"].([]any); len(r) != 1 || r[0] != "Shopper" {
		t.Errorf("roles = %v", claims["roles"])
	}
	if p, _ := claims["perms"].([]any); len(p) != 1 || p[0] != shopAPI+" read:products" {
		t.Errorf("perms = %v", claims["perms"])
	}

	// Refreshed tokens run the script too; a denial refuses the refresh.
	f.mustAPI(f.mt, "PUT", "/api/configs/jwt-customizer/access-token", map[string]any{
		"script": `const getCustomJwtClaims = async ({ api }) => api.denyAccess('signed out by policy');`,
	}, 200)
	r := f.token(f.spa.ID, "", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)}})
	if m := r.json(t); r.Status != 400 || m["error"] != "access_denied" || m["error_description"] != "signed out by policy" {
		t.Errorf("refresh with a denying script: %d %v", r.Status, m)
	}
}

// At issuance a failing script's message never reaches the server log or
// the audit log, so no form of a variable's value can (encoded, partial,
// shorter than 4 characters): only the outcome and the line and column do.
// A test run still shows the message to its caller.
func TestScriptFailureLogsNoMessage(t *testing.T) {
	ts := startServer(t)
	mt := ts.managementToken()
	ts.mustAPI(mt, "POST", "/api/resources", map[string]any{"name": "CRM", "indicator": "https://crm.api"}, 201)
	app := ts.mustAPI(mt, "POST", "/api/applications", map[string]any{"name": "CRM sync", "type": "MachineToMachine"}, 200)
	id, secret := app["id"].(string), app["secret"].(string)
	const key, pin = "crm-live-key-ABCDEF123456", "^~^" // the PIN is under 4 bytes
	script := "const getCustomJwtClaims = async ({ environmentVariables: e }) => {\n" +
		"  throw new Error('upstream-refused key=' + e.CRM_KEY + ' b64=' + btoa(e.CRM_KEY) + ' part=' + e.CRM_KEY.slice(13) +\n" +
		"    ' rev=' + e.CRM_KEY.split('').reverse().join('') + ' short=' + e.PIN);\n};"
	env := map[string]string{"CRM_KEY": key, "PIN": pin}
	ts.mustAPI(mt, "PUT", "/api/configs/jwt-customizer/client-credentials", map[string]any{"script": script, "environmentVariables": env}, 201)
	r := ts.tokenForm(id, secret, url.Values{"grant_type": {"client_credentials"}, "resource": {"https://crm.api"}})
	if r.Status != 200 {
		t.Fatalf("token: %d %s", r.Status, r.Body)
	}

	var entry map[string]any
	for deadline := time.Now().Add(5 * time.Second); entry == nil && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		var logs []map[string]any
		if err := json.Unmarshal(ts.api(mt, "GET", "/api/logs?page_size=100", nil).Body, &logs); err != nil {
			t.Fatal(err)
		}
		for _, l := range logs {
			if l["key"] == "JwtCustomizer.ClientCredentials" {
				entry = l["payload"].(map[string]any)
			}
		}
	}
	if entry == nil || entry["outcome"] != "script_error" || entry["line"] != float64(2) || entry["column"] == nil || entry["error"] != nil {
		t.Fatalf("audit entry = %v", entry)
	}
	audit := string(ts.api(mt, "GET", "/api/logs?page_size=100", nil).Body)
	logs := ts.Logs.String()
	if !strings.Contains(logs, "custom JWT claims script failed") || !strings.Contains(logs, "outcome=script_error line=2") {
		t.Errorf("the failure is not logged with its position:\n%s", logs)
	}
	b64 := base64.StdEncoding.EncodeToString([]byte(key))
	for _, leak := range []string{"upstream-refused", key, b64, strings.TrimRight(b64, "="), "ABCDEF123456", "654321FEDCBA", pin} {
		if strings.Contains(logs, leak) {
			t.Errorf("the server log holds %q", leak)
		}
		if strings.Contains(audit, leak) {
			t.Errorf("the audit log holds %q", leak)
		}
	}

	// A test run answers its caller with the message.
	tr := ts.api(mt, "POST", "/api/configs/jwt-customizer/test", map[string]any{
		"tokenType": "client-credentials", "script": script, "environmentVariables": env, "token": map[string]any{"jti": "j"}})
	if m := tr.json(t); tr.Status != 422 || !strings.Contains(m["message"].(string), "upstream-refused key="+key) || m["line"] != float64(2) {
		t.Errorf("test run: %d %v", tr.Status, m)
	}
}
