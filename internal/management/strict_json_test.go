package management

import (
	"strings"
	"testing"
)

// Every body is read strictly: a member name in another case than the
// field's, or repeated in its object at any depth, is a 400 in Logto's
// error shape naming it, and nothing is written.
func TestBodiesRefuseCaseVariantsAndRepeatedNames(t *testing.T) {
	e := newEnv(t)
	const cust = "/api/configs/jwt-customizer/client-credentials"
	for _, tc := range []struct {
		name, method, path, body, msg string
	}{
		{"field in another case", "POST", "/api/applications", `{"Name":"x","type":"SPA"}`, `unknown field "Name" (names are case-sensitive: "name")`},
		{"repeated field", "POST", "/api/applications", `{"name":"x","name":"y","type":"SPA"}`, `field "name" is repeated`},
		{"repeated nested field", "POST", "/api/applications", `{"name":"x","type":"SPA","oidcClientMetadata":{"redirectUris":[],"redirectUris":["https://a.example/cb"]}}`,
			`field "oidcClientMetadata.redirectUris" is repeated`},
		{"nested field in another case", "POST", "/api/applications", `{"name":"x","type":"SPA","customClientMetadata":{"RotateRefreshToken":false}}`,
			`unknown field "customClientMetadata.RotateRefreshToken"`},
		{"repeated resource field", "POST", "/api/resources", `{"name":"r","indicator":"https://a.api","indicator":"https://b.api"}`, `field "indicator" is repeated`},
		{"user profile in another case", "POST", "/api/users", `{"username":"jane","profile":{"Website":"javascript:alert(1)"}}`, `unknown field "profile.Website"`},
		{"repeated custom data key", "POST", "/api/users", `{"username":"jane","customData":{"tier":"gold","tier":"free"}}`, `field "customData.tier" is repeated`},
		{"repeated environment variable", "PUT", cust, `{"script":"x","environmentVariables":{"K":"a","K":"b"}}`, `field "environmentVariables.K" is repeated`},
		{"repeated in a token sample", "PUT", cust, `{"script":"x","tokenSample":{"a":{"b":1,"b":2}}}`, `field "tokenSample.a.b" is repeated`},
		{"repeated in a test context", "POST", "/api/configs/jwt-customizer/test", `{"tokenType":"client-credentials","script":"x","token":{},"context":{"application":{"id":"a","id":"b"}}}`,
			`field "context.application.id" is repeated`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.changes.Load()
			r := e.send(req{method: tc.method, path: tc.path, body: tc.body, token: tokAdmin})
			if r.status != 400 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			m := r.errBody(t)
			if m["code"] != "request.invalid_input" || !strings.Contains(m["message"], tc.msg) {
				t.Errorf("error %v, want request.invalid_input naming %q", m, tc.msg)
			}
			if e.changes.Load() != before {
				t.Error("a refused body changed something")
			}
		})
	}
	// Distinct names that differ only in case are fine where the names are
	// data (custom data, environment variables), not fields.
	e.do("POST", "/api/users", map[string]any{"username": "casey", "customData": map[string]any{"Tier": 1, "tier": 2}}).want(t, 200, nil)
}
