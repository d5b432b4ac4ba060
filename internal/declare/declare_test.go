package declare

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/egress"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/store/sqlite"
	"github.com/monban/monban/internal/store/storetest"
	"github.com/monban/monban/internal/webhook"
)

const testIndicator = "http://localhost:3001/api"

// newOffline returns an Offline target over a new SQLite database seeded
// as a first start seeds it, its webhooks under the default egress policy
// (public addresses only).
func newOffline(t *testing.T) *Offline {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "declare.db"))
	if err != nil {
		t.Fatal(err)
	}
	storetest.Unlock(t, st, storetest.NewKey(t))
	t.Cleanup(func() { st.Close() })
	d := directory.New(directory.Config{Store: st, ManagementIndicator: testIndicator,
		HashSecret: func(s string) []byte { return []byte("hash:" + s) }})
	if err := d.SeedManagementAPI(context.Background()); err != nil {
		t.Fatal(err)
	}
	console := store.Application{ID: "console", Name: "Monban Console", Type: store.AppSPA}
	if _, err := d.SeedApplication(context.Background(), console, []string{"http://localhost:3001/console/callback"}, nil); err != nil {
		t.Fatal(err)
	}
	return &Offline{Dir: d, Store: st, BuiltInApps: []string{"console"}, Hooks: webhook.NewService(st, egress.Policy{}, time.Second, nil)}
}

const shop = `version: 1
resources:
  - name: Shopping
    indicator: https://shopping.api
    accessTokenTtl: 600
    scopes:
      - name: read:products
        description: Read products
      - name: write:products
applications:
  - name: Shop backend
    type: MachineToMachine
    description: The order service
    customData: {team: orders}
  - name: Shop web
    type: Traditional
    redirectUris: [https://shop.example/callback]
    postLogoutRedirectUris: [https://shop.example/]
    corsAllowedOrigins: [https://shop.example]
roles:
  - name: Shop service
    description: What the order service may do
    type: MachineToMachine
    permissions:
      - resource: https://shopping.api
        scopes: [read:products, write:products]
    applications: [Shop backend]
  - name: Shopper
    description: Signed-in customers
    isDefault: true
    permissions:
      - resource: https://shopping.api
        scopes: [read:products]
customJwt:
  - tokenType: client-credentials
    script: |
      const getCustomJwtClaims = async ({ token, context, environmentVariables }) => {
        return { tier: ` + "`${environmentVariables.TIER}`" + ` };
      };
    environmentVariables:
      TIER: ${SHOP_TIER}
`

func env(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) { v, ok := vars[name]; return v, ok }
}

func parse(t *testing.T, src string, vars map[string]string) *Document {
	t.Helper()
	doc, err := Parse(strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	doc, err = Resolve(doc, env(vars))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func plan(t *testing.T, tg Target, doc *Document, opts Options) *Plan {
	t.Helper()
	p, err := Make(context.Background(), tg, doc, opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func apply(t *testing.T, tg Target, doc *Document, opts Options) *Plan {
	t.Helper()
	p := plan(t, tg, doc, opts)
	if err := p.Apply(context.Background()); err != nil {
		t.Fatal(err)
	}
	return p
}

func printed(p *Plan) string {
	var b bytes.Buffer
	p.Write(&b)
	return b.String()
}

func export(t *testing.T, tg Target) string {
	t.Helper()
	st, err := tg.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out, err := Marshal(Export(st))
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

var vars = map[string]string{"SHOP_TIER": "gold"}

// TestRoundTrip: a document applied to a fresh database, exported,
// applied to another fresh database and exported again gives the same
// document; applying it again plans nothing.
func TestRoundTrip(t *testing.T) {
	a := newOffline(t)
	p := apply(t, a, parse(t, shop, vars), Options{})
	if c, u, d := p.Counts(); c != 8 || u != 0 || d != 0 {
		t.Fatalf("first plan: %d/%d/%d\n%s", c, u, d, printed(p))
	}
	first := export(t, a)
	for _, want := range []string{"indicator: https://shopping.api", "TIER: ${TIER}", "- Shop backend", "name: Management API access", "resource: management-api"} {
		if !strings.Contains(first, want) {
			t.Errorf("export lacks %q:\n%s", want, first)
		}
	}
	if strings.Contains(first, "gold") || strings.Contains(first, "Monban Console") || strings.Contains(first, testIndicator+"\n    scopes") {
		t.Errorf("export holds a secret value or a built-in:\n%s", first)
	}
	if p := plan(t, a, parse(t, shop, vars), Options{}); !p.Empty() {
		t.Fatalf("second apply is not a no-op:\n%s", printed(p))
	}

	b := newOffline(t)
	doc := parse(t, first, map[string]string{"TIER": "gold"})
	apply(t, b, doc, Options{})
	if second := export(t, b); second != first {
		t.Fatalf("export after apply differs:\n--- first\n%s\n--- second\n%s", first, second)
	}
	if p := plan(t, b, doc, Options{Prune: true}); !p.Empty() {
		t.Fatalf("exported document does not match with prune:\n%s", printed(p))
	}
}

// TestManualChangeShows: a change made outside the document shows in the
// plan as an update back, and applying it restores the document.
func TestManualChangeShows(t *testing.T) {
	tg := newOffline(t)
	doc := parse(t, shop, vars)
	apply(t, tg, doc, Options{})
	st, _ := tg.Read(context.Background())
	var webID, roleID string
	for _, a := range st.Applications {
		if a.Name == "Shop web" {
			webID = a.ID
		}
	}
	for _, r := range st.Roles {
		if r.Name == "Shop service" {
			roleID = r.ID
		}
	}
	ctx := context.Background()
	uris := []string{"https://evil.example/cb"}
	if _, _, err := tg.Dir.UpdateApplication(ctx, webID, directory.ApplicationChange{Metadata: directory.Metadata{RedirectURIs: &uris}}); err != nil {
		t.Fatal(err)
	}
	scopes, _, _ := tg.Dir.RoleScopes(ctx, roleID, store.Search{}, store.Page{})
	if err := tg.Dir.RemoveRoleScope(ctx, roleID, scopes[0].ID); err != nil {
		t.Fatal(err)
	}
	// A permission added by hand to a declared role is taken away; a
	// holder the document does not declare keeps its role.
	var shopperID, writeID, backendID string
	for _, r := range st.Roles {
		if r.Name == "Shopper" {
			shopperID = r.ID
		}
	}
	for _, r := range st.Resources {
		if r.Indicator == "https://shopping.api" {
			writeID = r.ScopeIDs["write:products"]
		}
	}
	for _, a := range st.Applications {
		if a.Name == "Shop backend" {
			backendID = a.ID
		}
	}
	ok(t, tg.Dir.AssignRoleScopes(ctx, shopperID, []string{writeID}))
	other, _, err := tg.Dir.CreateApplication(ctx, directory.NewApplication{Name: ptr("Undeclared worker"), Type: ptr("MachineToMachine")})
	ok(t, err)
	ok(t, tg.Dir.AssignRoleApplications(ctx, roleID, []string{other.ID}))
	ok(t, tg.Dir.RemoveRoleApplication(ctx, roleID, backendID))
	p := plan(t, tg, doc, Options{})
	out := printed(p)
	for _, want := range []string{
		`~ application "Shop web"`, `redirectUris: ["https://evil.example/cb"] → ["https://shop.example/callback"]`,
		`~ role "Shop service"`, `+ permission https://shopping.api`, "+ application Shop backend",
		`~ role "Shopper"`, "- permission https://shopping.api write:products", "Plan: 0 to create, 3 to change, 0 to delete.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "- application Undeclared worker") {
		t.Fatalf("the plan takes a role from an application the document does not declare:\n%s", out)
	}
	apply(t, tg, doc, Options{})
	if p := plan(t, tg, doc, Options{}); !p.Empty() {
		t.Fatalf("not restored:\n%s", printed(p))
	}
	holders, _, _ := tg.Dir.RoleApplications(ctx, roleID, store.Search{}, store.Page{})
	if len(holders) != 2 {
		t.Fatalf("holders of Shop service: %v", holders)
	}
}

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestPrune: what the document drops is kept without Prune and deleted
// with it; the built-ins never are.
func TestPrune(t *testing.T) {
	tg := newOffline(t)
	apply(t, tg, parse(t, shop, vars), Options{})
	small := parse(t, `version: 1
resources:
  - name: Shopping
    indicator: https://shopping.api
    accessTokenTtl: 600
    scopes: [{name: read:products, description: Read products}]
`, nil)
	p := plan(t, tg, small, Options{})
	if _, _, d := p.Counts(); d != 0 {
		t.Fatalf("deletes without prune:\n%s", printed(p))
	}
	out := printed(p)
	if !strings.Contains(out, `scope "https://shopping.api write:products"`) || !strings.Contains(out, `application "Shop web"`) {
		t.Fatalf("kept list incomplete:\n%s", out)
	}
	apply(t, tg, small, Options{})
	if st, _ := tg.Read(context.Background()); len(st.Roles) != 4 {
		t.Fatalf("roles deleted without prune: %d", len(st.Roles))
	}

	p = apply(t, tg, small, Options{Prune: true})
	out = printed(p)
	if !strings.Contains(out, `- role "Shopper"`) || !strings.Contains(out, `role "Admin": grants the Management API's "all" permission, never pruned`) ||
		strings.Contains(out, `- role "Admin"`) || !strings.Contains(out, `- scope "https://shopping.api write:products"`) || strings.Contains(out, "Console") {
		t.Fatalf("prune plan:\n%s", out)
	}
	st, _ := tg.Read(context.Background())
	if len(st.Roles) != 2 || len(st.Applications) != 1 || len(st.Resources) != 2 || len(st.CustomJWT) != 0 {
		t.Fatalf("after prune: %d roles, %d apps, %d resources, %d scripts", len(st.Roles), len(st.Applications), len(st.Resources), len(st.CustomJWT))
	}
	if p := plan(t, tg, small, Options{Prune: true}); !p.Empty() {
		t.Fatalf("prune twice:\n%s", printed(p))
	}
}

// TestRefusedWhole: a document with a value the directory refuses, or a
// reference to nothing, is refused before any write, naming every problem.
func TestRefusedWhole(t *testing.T) {
	tg := newOffline(t)
	bad := parse(t, strings.Replace(shop, "https://shop.example/callback", "not a uri", 1)+`  - tokenType: access-token
    script: "x"
`, vars)
	bad.Roles[1].Permissions[0].Scopes = append(bad.Roles[1].Permissions[0].Scopes, "delete:everything")
	bad.Resources = append(bad.Resources, Resource{Name: "Mgmt", Indicator: testIndicator})
	before := export(t, tg)
	_, err := Make(context.Background(), tg, bad, Options{})
	var pe *PlanError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"redirectUris", `"delete:everything"`, "built in"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal lacks %q: %v", want, err)
		}
	}
	if after := export(t, tg); after != before {
		t.Fatal("a refused document changed the database")
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"version: 1\nresources:\n  - name: a\n    indicator: https://a\n    colour: red\n", `line 5: unknown key "colour"`},
		{"version: 1\nresources:\n  - name: a\n    indicator: https://a\n    accessTokenTtl: soon\n", `line 5: "soon" is not a whole number`},
		{"version: 1\nroles: {}\n", "line 2:"},
		{"resources: []\n", "version must be 1"},
		{"", "empty"},
		{"version: 1\n---\nversion: 1\n", "more than one"},
	} {
		_, err := Parse(strings.NewReader(c.src))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q) = %v, want %q", c.src, err, c.want)
		}
	}
}

func TestResolve(t *testing.T) {
	doc := &Document{Version: 1, CustomJWT: []CustomJWT{{TokenType: "access-token", Script: "`${x}`",
		EnvironmentVariables: map[string]string{"A": "${ONE}-$${TWO}", "B": "${MISSING}", "C": "${ALSO_MISSING}"}}}}
	_, err := Resolve(doc, env(map[string]string{"ONE": "1"}))
	if err == nil || !strings.Contains(err.Error(), "ALSO_MISSING, MISSING is not set") {
		t.Fatalf("err = %v", err)
	}
	doc.CustomJWT[0].EnvironmentVariables = map[string]string{"A": "${ONE}-$${TWO}"}
	got, err := Resolve(doc, env(map[string]string{"ONE": "1"}))
	if err != nil || got.CustomJWT[0].EnvironmentVariables["A"] != "1-${TWO}" || got.CustomJWT[0].Script != "`${x}`" {
		t.Fatalf("got %+v, %v", got.CustomJWT, err)
	}
	if doc.CustomJWT[0].EnvironmentVariables["A"] != "${ONE}-$${TWO}" {
		t.Fatal("Resolve changed its input")
	}
	doc.CustomJWT[0].EnvironmentVariables = map[string]string{"A": "${not-a-name}"}
	if _, err := Resolve(doc, env(nil)); err == nil || !strings.Contains(err.Error(), "malformed") {
		t.Fatalf("err = %v", err)
	}
}

// TestDocumentedExample: the example of docs/config-as-code.md parses,
// and applies to a fresh database with its variable set.
func TestDocumentedExample(t *testing.T) {
	md, err := os.ReadFile("../../docs/config-as-code.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(md), "## The document\n\n```yaml\n")
	example, _, found := strings.Cut(rest, "```\n")
	if !found {
		t.Fatal("no example under \"The document\"")
	}
	tg := newOffline(t)
	vars := map[string]string{"SHOP_TIER": "gold", "ORDERS_HOOK_TOKEN": "t0k"}
	apply(t, tg, parse(t, example, vars), Options{})
	if p := plan(t, tg, parse(t, example, vars), Options{}); !p.Empty() {
		t.Fatalf("the example twice:\n%s", printed(p))
	}
}
