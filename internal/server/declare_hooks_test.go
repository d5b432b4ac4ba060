package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/monban/monban/internal/declare"
	"github.com/monban/monban/internal/server"
)

const hooksConfig = `version: 1
webhooks:
  - name: Orders
    url: https://orders.example/hooks
    events: [User.Created, PostRegister]
    headers: {Authorization: "Bearer ${HOOK_TOKEN}"}
  - name: Audit
    url: https://audit.example/in
    events: [Role.Created]
    enabled: false
`

// hooksDoc parses and resolves src with vars.
func hooksDoc(t *testing.T, src string, vars map[string]string) *declare.Document {
	t.Helper()
	doc, err := declare.Parse(strings.NewReader(src))
	if err == nil {
		doc, err = declare.Resolve(doc, func(name string) (string, bool) { v, ok := vars[name]; return v, ok })
	}
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// hookNamed finds a hook by name in GET /api/hooks.
func hookNamed(t *testing.T, ts *testServer, tok, name string) map[string]any {
	t.Helper()
	r := ts.api(tok, "GET", "/api/hooks", nil)
	var hooks []map[string]any
	if err := json.Unmarshal(r.Body, &hooks); r.Status != 200 || err != nil {
		t.Fatalf("GET /api/hooks: %d %s", r.Status, r.Body)
	}
	for _, h := range hooks {
		if h["name"] == name {
			return h
		}
	}
	t.Fatalf("no hook %q in %v", name, hooks)
	return nil
}

// TestConfigWebhooksThroughManagementAPI: webhooks applied over Logto's
// /api/hooks: applying twice changes nothing, the export (headers as
// references) applied to a second server exports the same document, a
// change made through the API shows in the plan and is put back without
// touching the signing key, only -prune deletes, and a URL the server's
// egress policy refuses fails naming the webhook.
func TestConfigWebhooksThroughManagementAPI(t *testing.T) {
	a := startServer(t)
	ra := remoteTarget(t, a)
	doc := hooksDoc(t, hooksConfig, map[string]string{"HOOK_TOKEN": "tok-1"})
	p := applyTo(t, ra, doc, false)
	if out := planText(p); !strings.Contains(out, `+ webhook "Orders"`) || !strings.Contains(out, "headers.Authorization: (sensitive value)") || strings.Contains(out, "tok-1") {
		t.Fatalf("create plan:\n%s", out)
	}
	mt := a.managementToken()
	orders, audit := hookNamed(t, a, mt, "Orders"), hookNamed(t, a, mt, "Audit")
	if orders["config"].(map[string]any)["headers"].(map[string]any)["Authorization"] != "Bearer tok-1" || orders["enabled"] != true ||
		audit["enabled"] != false || len(orders["signingKey"].(string)) != 32 {
		t.Fatalf("hooks on the server: %v\n%v", orders, audit)
	}
	if p := planFor(t, ra, doc, false); !p.Empty() {
		t.Fatalf("second apply is not a no-op:\n%s", planText(p))
	}
	first := exported(t, ra)
	if !strings.Contains(first, "Authorization: ${WEBHOOK_ORDERS_AUTHORIZATION}") || strings.Contains(first, "tok-1") || strings.Contains(first, orders["signingKey"].(string)) {
		t.Fatalf("export:\n%s", first)
	}

	b := startServer(t)
	rb := remoteTarget(t, b)
	again := hooksDoc(t, first, map[string]string{"WEBHOOK_ORDERS_AUTHORIZATION": "Bearer tok-1"})
	applyTo(t, rb, again, false)
	if second := exported(t, rb); second != first {
		t.Fatalf("export after apply differs:\n--- first\n%s\n--- second\n%s", first, second)
	}
	if p := planFor(t, ra, again, true); !p.Empty() {
		t.Fatalf("the export does not match the server it came from:\n%s", planText(p))
	}

	// A change through the Management API shows in the plan, with no
	// header value; the apply puts the document back and keeps the
	// signing key and retries.
	bt := b.managementToken()
	ordersB := hookNamed(t, b, bt, "Orders")
	id := ordersB["id"].(string)
	b.mustAPI(bt, "PATCH", "/api/hooks/"+id, map[string]any{"enabled": false, "events": []string{"User.Deleted"},
		"config": map[string]any{"url": "https://elsewhere.example/", "headers": map[string]string{"Authorization": "Bearer changed"}, "retries": 2}}, 200)
	out := planText(planFor(t, rb, again, false))
	for _, want := range []string{`~ webhook "Orders"`, `url: "https://elsewhere.example/" → "https://orders.example/hooks"`,
		`events: ["User.Deleted"] → ["PostRegister","User.Created"]`, "enabled: false → true", "headers.Authorization: (sensitive value changed)"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Bearer") {
		t.Fatalf("the plan shows a header value:\n%s", out)
	}
	applyTo(t, rb, again, false)
	after := b.mustAPI(bt, "GET", "/api/hooks/"+id, nil, 200)
	if after["signingKey"] != ordersB["signingKey"] || after["config"].(map[string]any)["retries"] != float64(2) || after["enabled"] != true {
		t.Fatalf("after the apply: %v", after)
	}
	if p := planFor(t, rb, again, false); !p.Empty() {
		t.Fatalf("not restored:\n%s", planText(p))
	}

	// A hook the document does not declare is kept, and deleted with prune.
	made := b.mustAPI(bt, "POST", "/api/hooks", map[string]any{"name": "By hand", "events": []string{"PostSignIn"}, "config": map[string]any{"url": "https://hand.example/"}}, 201)
	if out := planText(planFor(t, rb, again, false)); !strings.Contains(out, `webhook "By hand" (`+made["id"].(string)+")") {
		t.Fatalf("kept list:\n%s", out)
	}
	if out := planText(applyTo(t, rb, again, true)); !strings.Contains(out, `- webhook "By hand"`) || strings.Contains(out, `- webhook "Orders"`) {
		t.Fatalf("prune plan:\n%s", out)
	}
	if r := b.api(bt, "GET", "/api/hooks/"+made["id"].(string), nil); r.Status != 404 {
		t.Fatalf("the pruned hook: %d %s", r.Status, r.Body)
	}

	// The rules a client can judge are judged before the first write; the
	// server's egress policy is judged by the server, at the hook's write.
	_, err := declare.Make(context.Background(), rb, hooksDoc(t, "version: 1\nwebhooks:\n  - {name: Odd, url: \"https://odd.example/\", events: [User.Exploded]}\n", nil), declare.Options{})
	if err == nil || !strings.Contains(err.Error(), `webhooks[0] "Odd": events: unknown event "User.Exploded"`) {
		t.Fatalf("unknown event: %v", err)
	}
	// The new hook goes into the export's webhook list, wherever the
	// list stands among the document's sections.
	internal := hooksDoc(t, strings.Replace(first, "\nwebhooks:\n", "\nwebhooks:\n  - {name: Internal, url: \"http://10.1.2.3/hooks\", events: [PostSignIn]}\n", 1),
		map[string]string{"WEBHOOK_ORDERS_AUTHORIZATION": "Bearer tok-1"})
	err = planFor(t, rb, internal, false).Apply(context.Background())
	var ae *declare.ApplyError
	if !errors.As(err, &ae) || ae.Change.Key != "Internal" || !strings.Contains(err.Error(), `creating webhook "Internal": POST /api/hooks: HTTP 400`) ||
		!strings.Contains(err.Error(), "not allowed by the egress policy") {
		t.Fatalf("a URL the server's egress policy refuses: %v", err)
	}
}

// TestConfigWebhooksAtStart: MONBAN_CONFIG_FILE's webhooks are made at
// start-up under the server's egress policy; a URL it refuses stops the
// start before anything is written, naming the webhook.
func TestConfigWebhooksAtStart(t *testing.T) {
	ts := &testServer{t: t, dbPath: t.TempDir() + "/data/monban.db", port: newPort(t), Logs: &syncBuffer{}}
	doc := hooksDoc(t, hooksConfig, map[string]string{"HOOK_TOKEN": "tok-start"})
	ts.edit = func(c *server.Config) { c.Config = doc }
	ts.start()
	t.Cleanup(ts.stop)
	mt := ts.managementToken()
	if h := hookNamed(t, ts, mt, "Orders"); h["config"].(map[string]any)["headers"].(map[string]any)["Authorization"] != "Bearer tok-start" {
		t.Fatalf("hook = %v", h)
	}
	ts.restart()
	if logs := ts.Logs.String(); !strings.Contains(logs, `applied" created=0 changed=0 deleted=0`) || strings.Contains(logs, "tok-start") {
		t.Fatalf("logs after restart:\n%s", logs)
	}
	ts.stop()

	cfg := server.DefaultConfig()
	cfg.DatabaseURL, cfg.Endpoint, cfg.ManagementIndicator = "sqlite://"+ts.dbPath, ts.URL, ts.Mgmt
	cfg.BootstrapAppID, cfg.BootstrapAppSecret = bootID, bootSecret
	cfg.Config = hooksDoc(t, hooksConfig+"  - {name: Internal, url: \"http://10.1.2.3/hooks\", events: [PostSignIn]}\nresources:\n  - {name: Other, indicator: \"https://other.api\"}\n",
		map[string]string{"HOOK_TOKEN": "tok-start"})
	_, err := server.New(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), `webhooks[2] "Internal": config.url: destination 10.1.2.3 is not allowed by the egress policy`) {
		t.Fatalf("start with a refused webhook: %v", err)
	}
	ts.edit = nil
	ts.start()
	if out := exported(t, remoteTarget(t, ts)); strings.Contains(out, "other.api") || strings.Contains(out, "Internal") {
		t.Fatalf("the refused document was partly applied:\n%s", out)
	}
}
