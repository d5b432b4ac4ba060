package server_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/server"
)

// Every way a token request can be wrong gets the right OAuth error and
// status, never a 500, and never echoes a secret.
func TestTokenEndpointErrors(t *testing.T) {
	ts := startServer(t)
	mt := ts.managementToken()
	ts.mustAPI(mt, "POST", "/api/resources", map[string]any{"name": "Shopping", "indicator": "https://shopping.api"}, 201)
	app := ts.mustAPI(mt, "POST", "/api/applications", map[string]any{"name": "Worker", "type": "MachineToMachine"}, 200)
	id, secret := app["id"].(string), app["secret"].(string)
	web := ts.mustAPI(mt, "POST", "/api/applications", map[string]any{"name": "Web", "type": "Traditional"}, 200)
	webID, webSecret := web["id"].(string), web["secret"].(string)

	basic := func(id, secret string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
	}
	form := "application/x-www-form-urlencoded"
	good := "grant_type=client_credentials&resource=https%3A%2F%2Fshopping.api"
	cases := []struct {
		name      string
		ctype     string
		auth      string
		body      string
		status    int
		error     string
		challenge bool
	}{
		{"ok basic", form, basic(id, secret), good, 200, "", false},
		{"ok post", form, "", good + "&client_id=" + id + "&client_secret=" + secret, 200, "", false},
		{"unknown client", form, basic("nobody", secret), good, 401, "invalid_client", true},
		{"wrong secret", form, basic(id, "wrong"), good, 401, "invalid_client", true},
		{"empty secret", form, basic(id, ""), good, 401, "invalid_client", true},
		{"wrong secret post", form, "", good + "&client_id=" + id + "&client_secret=wrong", 401, "invalid_client", false},
		{"no client auth", form, "", good, 401, "invalid_client", false},
		{"client_id only", form, "", good + "&client_id=" + id, 401, "invalid_client", false},
		{"two methods", form, basic(id, secret), good + "&client_id=" + id + "&client_secret=" + secret, 400, "invalid_request", false},
		{"basic bad base64", form, "Basic !!!", good, 400, "invalid_request", false},
		{"basic no colon", form, "Basic " + base64.StdEncoding.EncodeToString([]byte(id)), good, 400, "invalid_request", false},
		{"basic bad escape", form, basic("%zz", secret), good, 400, "invalid_request", false},
		{"bearer scheme", form, "Bearer abc", good, 400, "invalid_request", false},
		{"not m2m", form, basic(webID, webSecret), good, 400, "unauthorized_client", false},
		{"no grant_type", form, basic(id, secret), "resource=https%3A%2F%2Fshopping.api", 400, "invalid_request", false},
		{"unsupported grant", form, basic(id, secret), "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer", 400, "unsupported_grant_type", false},
		{"user grant for M2M", form, basic(id, secret), "grant_type=password&username=u&password=p", 400, "unauthorized_client", false},
		{"repeated grant_type", form, basic(id, secret), good + "&grant_type=client_credentials", 400, "invalid_request", false},
		{"repeated scope", form, basic(id, secret), good + "&scope=a&scope=b", 400, "invalid_request", false},
		{"unknown resource", form, basic(id, secret), "grant_type=client_credentials&resource=https%3A%2F%2Fother.api", 400, "invalid_target", false},
		{"no resource no default", form, basic(id, secret), "grant_type=client_credentials", 400, "invalid_target", false},
		{"two resources", form, basic(id, secret), good + "&resource=" + url.QueryEscape(ts.Mgmt), 400, "invalid_target", false},
		{"relative resource", form, basic(id, secret), "grant_type=client_credentials&resource=shopping", 400, "invalid_target", false},
		{"resource with fragment", form, basic(id, secret), "grant_type=client_credentials&resource=https%3A%2F%2Fshopping.api%23x", 400, "invalid_target", false},
		{"resource and audience differ", form, basic(id, secret), good + "&audience=" + url.QueryEscape(ts.Mgmt), 400, "invalid_request", false},
		{"resource and audience agree", form, basic(id, secret), good + "&audience=https%3A%2F%2Fshopping.api", 200, "", false},
		{"audience alone", form, basic(id, secret), "grant_type=client_credentials&audience=https%3A%2F%2Fshopping.api", 200, "", false},
		{"no content type", "", basic(id, secret), good, 400, "invalid_request", false},
		{"text/plain", "text/plain", basic(id, secret), good, 400, "invalid_request", false},
		{"malformed content type", "application/x-www-form-urlencoded; ===", basic(id, secret), good, 400, "invalid_request", false},
		{"malformed form", form, basic(id, secret), "grant_type=%zz", 400, "invalid_request", false},
		{"NUL byte", form, basic(id, secret), good + "&scope=a%00b", 400, "invalid_request", false},
		{"invalid UTF-8", form, basic(id, secret), good + "&scope=%ff", 400, "invalid_request", false},
		{"very long value", form, basic(id, secret), good + "&scope=" + strings.Repeat("a", 5000), 400, "invalid_request", false},
		{"very long client id", form, basic(strings.Repeat("a", 600), secret), good, 400, "invalid_request", false},
		{"body too large", form, basic(id, secret), good + "&x=" + strings.Repeat("a", 70<<10), 413, "invalid_request", false},
		{"json ok", "application/json", "", `{"grant_type":"client_credentials","client_id":"` + id + `","client_secret":"` + secret + `","audience":"https://shopping.api"}`, 200, "", false},
		{"json malformed", "application/json", basic(id, secret), `{"grant_type":`, 400, "invalid_request", false},
		{"json array", "application/json", basic(id, secret), `["grant_type"]`, 400, "invalid_request", false},
		{"json null", "application/json", basic(id, secret), `null`, 400, "invalid_request", false},
		{"json number value", "application/json", basic(id, secret), `{"grant_type":"client_credentials","scope":5}`, 400, "invalid_request", false},
		{"json nested", "application/json", basic(id, secret), `{"grant_type":{"a":1}}`, 400, "invalid_request", false},
		{"json repeated", "application/json", basic(id, secret), `{"grant_type":"client_credentials","audience":"https://evil.api","audience":"https://shopping.api"}`, 400, "invalid_request", false},
		{"json repeated escaped", "application/json", "", `{"grant_type":"client_credentials","client_id":"` + id + `","client_secret":"` + secret + `","client_\u0069d":"other"}`, 400, "invalid_request", false},
		{"json NUL", "application/json", basic(id, secret), `{"grant_type":"client_credentials","resource":"https://shopping.api","scope":"a\u0000"}`, 400, "invalid_request", false},
		{"json resource list of two", "application/json", basic(id, secret), `{"grant_type":"client_credentials","resource":["https://shopping.api","https://x.api"]}`, 400, "invalid_target", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{}
			if c.ctype != "" {
				h.Set("Content-Type", c.ctype)
			}
			if c.auth != "" {
				h.Set("Authorization", c.auth)
			}
			r := ts.do("POST", "/oidc/token", h, strings.NewReader(c.body))
			if r.Status != c.status {
				t.Fatalf("status %d, want %d: %s", r.Status, c.status, r.Body)
			}
			m := r.json(t)
			if c.error == "" {
				if m["access_token"] == nil {
					t.Fatalf("no access token: %s", r.Body)
				}
				return
			}
			if m["error"] != c.error || m["error_description"] == "" {
				t.Errorf("body = %s, want error %s", r.Body, c.error)
			}
			if r.Header.Get("Cache-Control") != "no-store" || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
				t.Errorf("headers = %v", r.Header)
			}
			if got := r.Header.Get("WWW-Authenticate"); c.challenge != strings.HasPrefix(got, "Basic") {
				t.Errorf("WWW-Authenticate = %q", got)
			}
			if strings.Contains(string(r.Body), secret) {
				t.Error("the secret is echoed")
			}
		})
	}

	// Wrong method, unknown path.
	if r := ts.do("GET", "/oidc/token", nil, nil); r.Status != 405 {
		t.Errorf("GET /oidc/token: %d", r.Status)
	}
	if r := ts.do("GET", "/nope", nil, nil); r.Status != 404 {
		t.Errorf("GET /nope: %d", r.Status)
	}
	if strings.Contains(ts.Logs.String(), secret) {
		t.Error("a secret reached the log")
	}
}

// A default resource is used when the request names none.
func TestDefaultResource(t *testing.T) {
	ts := startServer(t)
	mt := ts.managementToken()
	res := ts.mustAPI(mt, "POST", "/api/resources", map[string]any{"name": "Shopping", "indicator": "https://shopping.api", "accessTokenTtl": 600}, 201)
	ts.mustAPI(mt, "PATCH", "/api/resources/"+res["id"].(string)+"/is-default", map[string]any{"isDefault": true}, 200)
	app := ts.mustAPI(mt, "POST", "/api/applications", map[string]any{"name": "Worker", "type": "MachineToMachine"}, 200)
	r := ts.tokenForm(app["id"].(string), app["secret"].(string), url.Values{"grant_type": {"client_credentials"}})
	if r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	m := r.json(t)
	claims, _ := verifyWithJWKS(t, ts, m["access_token"].(string))
	if claims["aud"] != "https://shopping.api" || m["expires_in"].(float64) != 600 || claims["exp"].(float64)-claims["iat"].(float64) != 600 {
		t.Errorf("response %v claims %v", m, claims)
	}
}

// Expired secrets do not authenticate.
func TestExpiredSecret(t *testing.T) {
	ts := startServer(t)
	clk := fakeClock()
	ts.restartWith(func(cfg *server.Config) { cfg.Clock = clk })
	mt := ts.managementToken()
	app := ts.mustAPI(mt, "POST", "/api/applications", map[string]any{"name": "Worker", "type": "MachineToMachine"}, 200)
	id := app["id"].(string)
	expires := clk.Now().Add(1500 * time.Millisecond)
	s := ts.mustAPI(mt, "POST", "/api/applications/"+id+"/secrets", map[string]any{"name": "short", "expiresAt": expires.UnixMilli()}, 201)
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {ts.Mgmt}}
	clk.Set(expires.Add(-time.Millisecond))
	if r := ts.tokenForm(id, s["value"].(string), form); r.Status != 200 {
		t.Fatalf("fresh secret: %d %s", r.Status, r.Body)
	}
	clk.Set(expires) // a secret expires at its expiresAt, not after
	if r := ts.tokenForm(id, s["value"].(string), form); r.Status != 401 {
		t.Errorf("expired secret: %d", r.Status)
	}
	if r := ts.tokenForm(id, app["secret"].(string), form); r.Status != 200 {
		t.Errorf("the other secret: %d", r.Status)
	}
}
