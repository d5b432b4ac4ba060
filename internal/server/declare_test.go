package server_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/monban/monban/internal/console"
	"github.com/monban/monban/internal/declare"
	"github.com/monban/monban/internal/server"
	"github.com/monban/monban/internal/store/postgres"
	"github.com/monban/monban/internal/store/storetest"
	"github.com/monban/monban/m2m"
)

const shopConfig = `version: 1
resources:
  - name: Shopping
    indicator: https://shopping.api
    accessTokenTtl: 600
    scopes:
      - {name: read:products, description: Read products}
      - {name: write:products}
applications:
  - name: Shop backend
    type: MachineToMachine
    customData: {team: orders}
  - name: Shop web
    type: Traditional
    redirectUris: [https://shop.example/callback]
roles:
  - name: Shop service
    description: What the order service may do
    type: MachineToMachine
    permissions:
      - {resource: https://shopping.api, scopes: [read:products, write:products]}
      - {resource: management-api, scopes: [all]}
    applications: [Shop backend]
customJwt:
  - tokenType: client-credentials
    script: |
      const getCustomJwtClaims = async ({ environmentVariables }) => ({ tier: environmentVariables.TIER });
    environmentVariables: {TIER: "${SHOP_TIER}"}
`

func shopEnv(name string) (string, bool) {
	if name == "SHOP_TIER" || name == "TIER" {
		return "gold", true
	}
	return "", false
}

func configDoc(t *testing.T, src string) *declare.Document {
	t.Helper()
	doc, err := declare.Parse(strings.NewReader(src))
	if err == nil {
		doc, err = declare.Resolve(doc, shopEnv)
	}
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// remoteTarget is the test server's Management API as a configuration
// target, with the bootstrap app's token.
func remoteTarget(t *testing.T, ts *testServer) *declare.Remote {
	t.Helper()
	src, err := m2m.New(m2m.Config{Endpoint: ts.URL, AppID: bootID, AppSecret: bootSecret, Resource: ts.Mgmt, Scopes: []string{"all"}})
	if err != nil {
		t.Fatal(err)
	}
	return &declare.Remote{Endpoint: ts.URL, Indicator: ts.Mgmt, BuiltInApps: []string{console.DefaultClientID}, Client: src.Client(context.Background())}
}

func planFor(t *testing.T, tg declare.Target, doc *declare.Document, prune bool) *declare.Plan {
	t.Helper()
	p, err := declare.Make(context.Background(), tg, doc, declare.Options{Prune: prune, Protected: bootID})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func applyTo(t *testing.T, tg declare.Target, doc *declare.Document, prune bool) *declare.Plan {
	t.Helper()
	p := planFor(t, tg, doc, prune)
	if err := p.Apply(context.Background()); err != nil {
		t.Fatal(err)
	}
	return p
}

func planText(p *declare.Plan) string {
	var b strings.Builder
	p.Write(&b)
	return b.String()
}

func exported(t *testing.T, tg declare.Target) string {
	t.Helper()
	st, err := tg.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out, err := declare.Marshal(declare.Export(st))
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// TestConfigThroughManagementAPI applies a document to a running server
// over its Management API: applying twice changes nothing, the export
// applied to a second server exports the same document, a change made
// through the API shows in the plan, and only -prune deletes.
func TestConfigThroughManagementAPI(t *testing.T) {
	a := startServer(t)
	ra := remoteTarget(t, a)
	doc := configDoc(t, shopConfig)
	applyTo(t, ra, doc, false)
	if p := planFor(t, ra, doc, false); !p.Empty() {
		t.Fatalf("second apply is not a no-op:\n%s", planText(p))
	}
	first := exported(t, ra)

	b := startServer(t)
	rb := remoteTarget(t, b)
	applyTo(t, rb, configDoc(t, first), false)
	if second := exported(t, rb); second != first {
		t.Fatalf("export after apply differs:\n--- first\n%s\n--- second\n%s", first, second)
	}

	// A manual change through the Management API shows in the plan.
	mt := b.managementToken()
	apps := b.mustAPI(mt, "GET", "/api/applications?search=Shop%20web", nil, 200)
	_ = apps
	var webID string
	st, _ := rb.Read(context.Background())
	for _, app := range st.Applications {
		if app.Name == "Shop web" {
			webID = app.ID
		}
	}
	b.mustAPI(mt, "PATCH", "/api/applications/"+webID, map[string]any{"oidcClientMetadata": map[string]any{"redirectUris": []string{"https://evil.example/cb"}}}, 200)
	out := planText(planFor(t, rb, configDoc(t, first), false))
	if !strings.Contains(out, `redirectUris: ["https://evil.example/cb"] → ["https://shop.example/callback"]`) {
		t.Fatalf("the manual change is not in the plan:\n%s", out)
	}

	// Without prune nothing is deleted; with it, what the document leaves
	// out is, but the app applying the plan and its role.
	small := configDoc(t, "version: 1\n")
	p := planFor(t, rb, small, false)
	if c, u, d := p.Counts(); c+u+d != 0 {
		t.Fatalf("changes without prune:\n%s", planText(p))
	}
	p = applyTo(t, rb, small, true)
	if out := planText(p); !strings.Contains(out, `- application "Shop web"`) || !strings.Contains(out, "the one applying the plan, never deleted") {
		t.Fatalf("prune plan:\n%s", out)
	}
	st, _ = rb.Read(context.Background())
	var names []string
	for _, app := range st.Applications {
		names = append(names, app.Name)
	}
	if len(st.Applications) != 2 || len(st.Resources) != 2 || len(st.CustomJWT) != 0 { // the two built-in resources stay
		t.Fatalf("after prune: apps %v, %d resources, %d scripts", names, len(st.Resources), len(st.CustomJWT))
	}
	if s := b.api(mt, "GET", "/api/roles", nil).Status; s != 200 {
		t.Fatalf("the Management API stopped answering after prune: %d", s)
	}
}

// TestConfigRefusedThroughManagementAPI: a document the directory's rules
// refuse changes nothing on the server.
func TestConfigRefusedThroughManagementAPI(t *testing.T) {
	ts := startServer(t)
	rt := remoteTarget(t, ts)
	before := exported(t, rt)
	bad := configDoc(t, strings.Replace(shopConfig, "https://shop.example/callback", "https://shop.example/cb#frag", 1))
	_, err := declare.Make(context.Background(), rt, bad, declare.Options{})
	var pe *declare.PlanError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "redirectUris") {
		t.Fatalf("err = %v", err)
	}
	if after := exported(t, rt); after != before {
		t.Fatal("a refused document changed the server")
	}
}

// TestConfigFileAtStart: the document of MONBAN_CONFIG_FILE is applied at
// start-up, again at a restart with nothing to do, and a refused one stops
// the start without writing anything.
func TestConfigFileAtStart(t *testing.T) {
	ts := &testServer{t: t, dbPath: t.TempDir() + "/data/monban.db", port: newPort(t), Logs: &syncBuffer{}}
	ts.edit = func(c *server.Config) { c.Config = configDoc(t, shopConfig) }
	ts.start()
	t.Cleanup(ts.stop)
	mt := ts.managementToken()
	if got := ts.mustAPI(mt, "GET", "/api/configs/jwt-customizer/client-credentials", nil, 200); got["environmentVariables"].(map[string]any)["TIER"] != "gold" {
		t.Fatalf("script = %v", got)
	}
	if !strings.Contains(ts.Logs.String(), `applied" created=7 changed=0 deleted=0`) {
		t.Fatalf("logs:\n%s", ts.Logs.String())
	}
	ts.restart()
	if !strings.Contains(ts.Logs.String(), `applied" created=0 changed=0 deleted=0`) {
		t.Fatalf("logs after restart:\n%s", ts.Logs.String())
	}
	if strings.Contains(ts.Logs.String(), "gold") {
		t.Fatal("a secret value reached the log")
	}

	// Pruning at start-up deletes what the file leaves out, but never the
	// bootstrap app nor the roles granting the Management API: the
	// next start finds nothing to do, and seeds nothing again.
	ts.restartWith(func(c *server.Config) { c.Config, c.ConfigPrune = configDoc(t, "version: 1\n"), true })
	if !strings.Contains(ts.Logs.String(), `applied" created=0 changed=0 deleted=4 kept=4`) {
		t.Fatalf("logs of the pruning start:\n%s", ts.Logs.String())
	}
	ts.restart()
	if logs := ts.Logs.String(); !strings.Contains(logs, `applied" created=0 changed=0 deleted=0 kept=4`) || strings.Count(logs, "Created an administrator") != 1 {
		t.Fatalf("logs after the pruning start:\n%s", logs)
	}
	ts.mustAPI(ts.managementToken(), "GET", "/api/roles", nil, 200)

	ts.stop()
	cfg := server.DefaultConfig()
	cfg.DatabaseURL, cfg.Endpoint, cfg.ManagementIndicator = "sqlite://"+ts.dbPath, ts.URL, ts.Mgmt
	cfg.BootstrapAppID, cfg.BootstrapAppSecret = bootID, bootSecret
	cfg.Config = configDoc(t, shopConfig+"  - tokenType: access-token\n    script: 'this is not javascript('\n")
	cfg.Config.Resources = append(cfg.Config.Resources, declare.Resource{Name: "Other", Indicator: "https://other.api"})
	_, err := server.New(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "customJwt[1]") {
		t.Fatalf("start with a refused document: %v", err)
	}
	ts.edit = nil
	ts.start()
	if s := ts.api(ts.managementToken(), "GET", "/api/configs/jwt-customizer/access-token", nil).Status; s != 404 {
		t.Fatalf("the refused document was partly applied: %d", s)
	}
}

// TestConfigFileConcurrentStartsOnPostgres: instances starting together
// on one database with the same document converge: each entity exists
// once.
func TestConfigFileConcurrentStartsOnPostgres(t *testing.T) {
	dbURL := postgres.NewTestDatabase(t)
	key := storetest.NewKey(t)
	cfg := server.DefaultConfig()
	cfg.DatabaseURL, cfg.Endpoint, cfg.ManagementIndicator, cfg.SecretKey = dbURL, "http://monban.test", "http://monban.test/api", key
	cfg.BootstrapAppID, cfg.BootstrapAppSecret = bootID, bootSecret
	cfg.Config = configDoc(t, shopConfig)
	const n = 3
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			srv, err := server.New(context.Background(), cfg)
			if err == nil {
				srv.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	ct, err := server.OpenConfigTarget(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ct.Close()
	st, err := ct.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, a := range st.Applications {
		count["app "+a.Name]++
	}
	for _, r := range st.Roles {
		count["role "+r.Name]++
	}
	for _, r := range st.Resources {
		count["resource "+r.Indicator]++
		if !r.BuiltIn {
			count["scopes"] += len(r.Scopes)
		}
	}
	if count["app Shop backend"] != 1 || count["app Shop web"] != 1 || count["role Shop service"] != 1 || count["resource https://shopping.api"] != 1 || count["scopes"] != 2 {
		t.Fatalf("not converged: %v", count)
	}
	p, err := declare.Make(context.Background(), ct, cfg.Config, declare.Options{})
	if err != nil || !p.Empty() {
		t.Fatalf("plan after the starts: %v\n%s", err, planText(p))
	}
}
