package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestHealthReadyMetrics(t *testing.T) {
	ts := startServer(t)
	// The server's own address leads a person to the console; anything
	// else unknown is a JSON 404.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if res, err := noFollow.Get(ts.URL + "/"); err != nil || res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/console/" {
		t.Errorf("GET /: %v %v", res, err)
	} else {
		res.Body.Close()
	}
	if r := ts.do("GET", "/nope", nil, nil); r.Status != 404 || !strings.Contains(string(r.Body), `"not_found"`) {
		t.Errorf("GET /nope: %d %s", r.Status, r.Body)
	}
	if r := ts.do("GET", "/healthz", nil, nil); r.Status != 200 {
		t.Errorf("healthz: %d", r.Status)
	}
	r := ts.do("GET", "/readyz", nil, nil)
	if r.Status != 200 || r.json(t)["status"] != "ready" {
		t.Errorf("readyz: %d %s", r.Status, r.Body)
	}
	ts.managementToken()
	ts.tokenForm("nobody", "x", url.Values{"grant_type": {"client_credentials"}})
	m := string(ts.do("GET", "/metrics", nil, nil).Body)
	for _, want := range []string{
		`monban_token_requests_total{grant="client_credentials",result="ok"} 1`,
		`monban_token_requests_total{grant="client_credentials",result="invalid_client"} 1`,
		`monban_http_requests_total{code="200",method="POST",route="POST /oidc/token"} 1`,
		`monban_http_requests_total{code="200",method="GET",route="GET /readyz"} 1`,
		"monban_audit_logs_dropped_total 0",
		"go_sql_open_connections",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// Token requests and Management API changes reach the audit log, without
// secrets, and can be read back through the Management API.
func TestAuditLog(t *testing.T) {
	ts := startServer(t)
	mt := ts.managementToken()
	app := ts.mustAPI(mt, "POST", "/api/applications", map[string]any{"name": "Worker", "type": "MachineToMachine"}, 200)
	id, secret := app["id"].(string), app["secret"].(string)
	ts.tokenForm(id, "wrong-secret", url.Values{"grant_type": {"client_credentials"}, "resource": {ts.Mgmt}})

	var logs []map[string]any
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		r := ts.api(mt, "GET", "/api/logs?page_size=100", nil)
		if err := json.Unmarshal(r.Body, &logs); err != nil {
			t.Fatal(err)
		}
		if len(logs) >= 3 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	keys := map[string]map[string]any{}
	for _, l := range logs {
		p := l["payload"].(map[string]any)
		keys[l["key"].(string)+"/"+p["result"].(string)] = p
	}
	ok := keys["ExchangeTokenBy.ClientCredentials/Success"]
	if ok == nil || ok["applicationId"] != bootID || ok["scope"] != "all" || ok["resource"] != ts.Mgmt {
		t.Errorf("token success entry = %v (all: %v)", ok, keys)
	}
	failed := keys["ExchangeTokenBy.ClientCredentials/Error"]
	if failed == nil || failed["applicationId"] != id || failed["error"] != "invalid_client" || failed["ip"] != "127.0.0.1" {
		t.Errorf("token failure entry = %v", failed)
	}
	change := keys["ManagementApi.POST /api/applications/Success"]
	if change == nil || change["caller"] != bootID || change["path"] != "/api/applications" || change["applicationId"] != bootID {
		t.Errorf("management change entry = %v", change)
	}
	// Who made the change (the bootstrap app, by its name) and what it
	// made are apart.
	if a, _ := change["actor"].(map[string]any); a["type"] != "application" || a["id"] != bootID || a["name"] != "Management API (MONBAN_BOOTSTRAP_APP_ID)" {
		t.Errorf("actor = %v", change["actor"])
	}
	if tg, _ := change["target"].(map[string]any); tg["type"] != "application" || tg["id"] != id {
		t.Errorf("target = %v", change["target"])
	}
	// applicationId is who acted: the new app only failed a token request.
	r := ts.api(mt, "GET", "/api/logs?applicationId="+id, nil)
	if r.Header.Get("Total-Number") != "1" {
		t.Errorf("logs of the app: %q", r.Header.Get("Total-Number"))
	}
	all := string(ts.api(mt, "GET", "/api/logs?page_size=100", nil).Body)
	if strings.Contains(all, secret) || strings.Contains(all, "wrong-secret") || strings.Contains(all, bootSecret) {
		t.Error("a secret reached the audit log")
	}
}
