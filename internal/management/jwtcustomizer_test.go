package management

import (
	"bytes"
	"strings"
	"testing"

	"github.com/monban/monban/internal/claims"
)

func newRunner(t *testing.T) *claims.Runner {
	r := claims.NewRunner(claims.Options{})
	t.Cleanup(func() { r.Close() })
	return r
}

const goodScript = `const getCustomJwtClaims = async ({ token, context, environmentVariables, api }) => {
  console.log('hello', token.clientId);
  return { tier: 'gold', region: environmentVariables.REGION, sub: 'nope' };
};`

func TestJWTCustomizerConfig(t *testing.T) {
	e := newEnv(t)
	path := "/api/configs/jwt-customizer/client-credentials"
	for _, r := range []resp{e.do("GET", path, nil), e.do("PATCH", path, map[string]any{"blockIssuanceOnError": true})} {
		var m map[string]string
		r.want(t, 404, &m)
		if m["code"] != "entity.not_exists_with_id" { // as Logto's getJwtCustomizer
			t.Errorf("missing script: %v", m)
		}
	}

	var saved map[string]any
	e.do("PUT", path, map[string]any{"script": goodScript, "environmentVariables": map[string]string{"REGION": "eu"},
		"tokenSample": map[string]any{"jti": "j"}}).want(t, 201, &saved)
	if saved["script"] != goodScript || saved["blockIssuanceOnError"] != false || saved["environmentVariables"].(map[string]any)["REGION"] != "eu" {
		t.Fatalf("saved = %v", saved)
	}
	if e.changes.Load() != 1 {
		t.Errorf("Changed called %d times", e.changes.Load())
	}
	saved = nil
	e.do("PUT", path, map[string]any{"script": goodScript}).want(t, 200, &saved)
	if len(saved["environmentVariables"].(map[string]any)) != 0 || saved["tokenSample"] != nil {
		t.Errorf("PUT replaces the whole configuration: %v", saved)
	}
	saved = nil
	e.do("PATCH", path, map[string]any{"blockIssuanceOnError": true, "environmentVariables": map[string]string{"K": "v"}}).want(t, 200, &saved)
	if saved["blockIssuanceOnError"] != true || saved["script"] != goodScript {
		t.Errorf("PATCH = %v", saved)
	}
	// The script comes back as written: "=>", not "=\u003e".
	if got := e.do("GET", path, nil); !bytes.Contains(got.body, []byte(") => {")) || bytes.Contains(got.body, []byte(`\u003e`)) {
		t.Errorf("echoed script: %s", got.body)
	}
	var list []map[string]any
	e.do("GET", "/api/configs/jwt-customizer", nil).want(t, 200, &list)
	if len(list) != 1 || list[0]["key"] != "jwt.clientCredentials" {
		t.Errorf("list = %v", list)
	}

	// A script that does not compile is refused with its position.
	r := e.do("PUT", path, map[string]any{"script": "const getCustomJwtClaims = () => {\n  return { a: 1 \n};"})
	var body map[string]any
	r.want(t, 400, &body)
	if body["line"] == nil || body["column"] == nil || !strings.HasPrefix(body["message"].(string), "The script does not compile: syntax error at line") {
		t.Errorf("syntax error body = %v", body)
	}
	// The message is for people: no package names of the server's.
	if m := body["message"].(string); strings.Contains(m, "claims:") || strings.Contains(m, "script: ") {
		t.Errorf("syntax error message = %q", m)
	}
	bad := []any{
		map[string]any{},
		map[string]any{"script": "   "},
		map[string]any{"script": goodScript, "unknown": 1},
		map[string]any{"script": goodScript, "environmentVariables": map[string]any{"A": 1}},
		map[string]any{"script": goodScript, "environmentVariables": map[string]string{"": "x"}},
		map[string]any{"script": goodScript, "environmentVariables": map[string]string{"A": strings.Repeat("v", 5000)}},
		map[string]any{"script": goodScript, "contextSample": []int{1}},
		map[string]any{"script": goodScript, "blockIssuanceOnError": "yes"},
	}
	for _, b := range bad {
		e.do("PUT", path, b).want(t, 400, nil)
	}
	e.do("PUT", "/api/configs/jwt-customizer/id-token", map[string]any{"script": goodScript}).want(t, 404, nil)
	e.do("DELETE", path, nil).want(t, 204, nil)
	e.do("DELETE", path, nil).want(t, 404, nil)
	if strings.Contains(e.logs.String(), "\"v\"") || strings.Contains(e.logs.String(), "REGION=eu") {
		t.Error("an environment variable value reached the log")
	}
}

func TestJWTCustomizerTestRun(t *testing.T) {
	e := newEnv(t)
	path := "/api/configs/jwt-customizer/test"
	token := map[string]any{"jti": "j1", "aud": "https://shopping.api", "scope": "read", "clientId": "app1", "kind": "ClientCredentials"}

	run := map[string]any{"tokenType": "client-credentials", "script": goodScript,
		"environmentVariables": map[string]string{"REGION": "eu"}, "token": token,
		"context": map[string]any{"application": map[string]any{"id": "app1"}}}
	// As Logto: the claims object itself.
	for _, p := range []string{path, path + "?details=false"} {
		var plain map[string]any
		e.do("POST", p, run).want(t, 200, &plain)
		if len(plain) != 2 || plain["tier"] != "gold" || plain["region"] != "eu" {
			t.Errorf("%s: claims = %v", p, plain)
		}
	}
	// Opted in: the claims with what helps to debug the script.
	var out testRunOut
	e.do("POST", path+"?details=true", run).want(t, 200, &out)
	if out.Claims["tier"] != "gold" || out.Claims["region"] != "eu" || out.Claims["sub"] != nil {
		t.Errorf("claims = %v", out.Claims)
	}
	if len(out.DroppedClaims) != 1 || out.DroppedClaims[0] != "sub" || len(out.Logs) != 1 || out.Logs[0] != "hello app1" || out.DurationMs <= 0 {
		t.Errorf("debug output = %+v", out)
	}
	if e.changes.Load() != 0 {
		t.Error("a test run changed something")
	}

	cases := []struct {
		name, script string
		status       int
		kind         string
	}{
		{"deny", `const getCustomJwtClaims = async ({ api }) => { api.denyAccess('no tokens on Sundays'); }`, 403, "denied"},
		{"syntax", "const getCustomJwtClaims = () => {", 422, "syntax_error"},
		{"throw", "const getCustomJwtClaims = () => {\n  throw new Error('boom');\n};", 422, "script_error"},
		{"loop", `const getCustomJwtClaims = () => { while (true) {} };`, 422, "timeout"},
		{"memory", `const getCustomJwtClaims = () => { let a = []; while (true) a.push(new Array(100000).fill(1)); };`, 422, "limit_memory"},
		{"not an object", `const getCustomJwtClaims = () => 42;`, 422, "script_error"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var body testRunError
			e.do("POST", path, map[string]any{"tokenType": "client-credentials", "script": c.script, "token": token}).want(t, c.status, &body)
			if body.Kind != c.kind || body.Message == "" || body.Code != "jwt_customizer.general" {
				t.Errorf("body = %+v", body)
			}
			if c.name == "deny" && body.Message != "no tokens on Sundays" {
				t.Errorf("deny message = %q", body.Message)
			}
			if c.name == "throw" && body.Line != 2 {
				t.Errorf("throw line = %d", body.Line)
			}
		})
	}
	for _, b := range []any{
		map[string]any{"tokenType": "id-token", "script": goodScript, "token": token},
		map[string]any{"tokenType": "client-credentials", "script": goodScript},
		map[string]any{"tokenType": "client-credentials", "script": goodScript, "token": "x"},
		map[string]any{"tokenType": "client-credentials", "script": "", "token": token},
	} {
		e.do("POST", path, b).want(t, 400, nil)
	}
	for _, q := range []string{"?details=yes", "?details=true&details=true", "?verbose=true", "?details="} {
		var m map[string]string
		e.do("POST", path+q, run).want(t, 400, &m)
		if m["code"] != "request.invalid_input" {
			t.Errorf("%s: %v", q, m)
		}
	}
	e.send(req{method: "POST", path: path, body: map[string]any{"tokenType": "client-credentials", "script": goodScript, "token": token}, token: tokNoScope}).want(t, 403, nil)
}

const postLoginAction = `exports.onExecutePostLogin = async (event, api) => {
  console.log('user', event.user.user_id);
  api.accessToken.setCustomClaim('https://x.test/roles', event.authorization.roles);
  api.idToken.setCustomClaim('email', event.user.email).idToken.setCustomClaim('nonce', 'n');
  api.accessToken.setCustomClaim('key', event.secrets.KEY);
};`

// An Auth0 Action is saved for the token type of its trigger, and a test
// run gives it Auth0's sample event (or the one sent), its secrets, and
// shows the claims of both tokens.
func TestJWTCustomizerAuth0Action(t *testing.T) {
	e := newEnv(t)
	e.do("PUT", "/api/configs/jwt-customizer/access-token", map[string]any{"script": postLoginAction}).want(t, 201, nil)
	var se map[string]any
	e.do("PUT", "/api/configs/jwt-customizer/client-credentials", map[string]any{"script": postLoginAction}).want(t, 400, &se)
	if se["code"] != "jwt_customizer.syntax_error" || !strings.Contains(se["message"].(string), "exports.onExecuteCredentialsExchange") {
		t.Errorf("wrong trigger: %v", se)
	}

	var out struct {
		Claims        map[string]any `json:"claims"`
		IDTokenClaims map[string]any `json:"idTokenClaims"`
		DroppedClaims []string       `json:"droppedClaims"`
		Logs          []string       `json:"logs"`
	}
	e.do("POST", "/api/configs/jwt-customizer/test?details=true", map[string]any{"tokenType": "access-token", "script": postLoginAction,
		"environmentVariables": map[string]string{"KEY": "k1"}}).want(t, 200, &out)
	if r, _ := out.Claims["https://x.test/roles"].([]any); len(r) != 1 || r[0] != "Reader" || out.Claims["key"] != "k1" ||
		out.IDTokenClaims["email"] != "jane@example.com" || len(out.DroppedClaims) != 1 || out.DroppedClaims[0] != "idToken.nonce" ||
		len(out.Logs) != 1 || out.Logs[0] != "user auth0|sample-user" {
		t.Errorf("sample event: %+v", out)
	}
	event := map[string]any{"user": map[string]any{"user_id": "auth0|u9", "email": "x@example.com"}, "authorization": map[string]any{"roles": []string{}}}
	out.Claims, out.IDTokenClaims = nil, nil
	e.do("POST", "/api/configs/jwt-customizer/test?details=true", map[string]any{"tokenType": "access-token", "script": postLoginAction,
		"context": event}).want(t, 200, &out)
	if out.IDTokenClaims["email"] != "x@example.com" {
		t.Errorf("own event: %+v", out)
	}

	var denied map[string]any
	e.do("POST", "/api/configs/jwt-customizer/test", map[string]any{"tokenType": "client-credentials",
		"script": `exports.onExecuteCredentialsExchange = async (event, api) => { api.access.deny('invalid_request', 'no ' + event.client.name); };`}).
		want(t, 403, &denied)
	if denied["kind"] != "denied" || denied["message"] != "no Sample application" {
		t.Errorf("denial: %v", denied)
	}
}
