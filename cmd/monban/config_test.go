package main

import (
	"bytes"
	"context"
	"log/slog"
	"maps"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/monban/monban/internal/sealed"
	"github.com/monban/monban/internal/server"
	"github.com/monban/monban/internal/store/postgres"
)

const cliDoc = `version: 1
resources:
  - name: Shopping
    indicator: https://shopping.api
    scopes: [{name: read:products}]
roles:
  - name: Reader
    description: reads
    permissions: [{resource: https://shopping.api, scopes: [read:products]}]
customJwt:
  - tokenType: access-token
    script: "const getCustomJwtClaims = async () => ({});"
    environmentVariables: {KEY: "${CLI_TEST_KEY}"}
`

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestApplyCLI: the plan is printed first; -dry-run changes nothing; an
// apply changes the database; a second one plans nothing; bad documents
// are refused with a message naming the problem and exit 1 (2 for a
// mistake in the command line); export writes what apply wrote.
func TestApplyCLI(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite://" + filepath.Join(dir, "data", "m.db")
	if err := startOnce(db, sealed.Key{}); err != nil {
		t.Fatal(err)
	}
	doc := writeFile(t, dir, "monban.yaml", cliDoc)
	env := map[string]string{"CLI_TEST_KEY": "s3cr3t-value"}

	code, out := runCLI(env, "apply", "-f", doc, "-database-url", db, "-dry-run")
	if code != 0 || !strings.Contains(out, `+ resource "https://shopping.api"`) || !strings.Contains(out, "Plan: 4 to create, 0 to change, 0 to delete.") || strings.Contains(out, "Applied") {
		t.Fatalf("dry run: exit %d\n%s", code, out)
	}
	if code, out := runCLI(env, "apply", "-f", doc, "-database-url", db, "-dry-run"); code != 0 || !strings.Contains(out, "4 to create") {
		t.Fatalf("the dry run changed something: exit %d\n%s", code, out)
	}
	if code, out := runCLI(env, "apply", "-f", doc, "-database-url", db); code != 0 || !strings.Contains(out, "Applied.") {
		t.Fatalf("apply: exit %d\n%s", code, out)
	}
	if code, out := runCLI(env, "apply", "-f", doc, "-database-url", db); code != 0 || !strings.Contains(out, "No changes") {
		t.Fatalf("second apply: exit %d\n%s", code, out)
	}
	code, out = runCLI(nil, "export", "-database-url", db)
	if code != 0 || !strings.Contains(out, "indicator: https://shopping.api") || !strings.Contains(out, "KEY: ${KEY}") || strings.Contains(out, "s3cr3t") {
		t.Fatalf("export: exit %d\n%s", code, out)
	}
	exportFile := filepath.Join(dir, "out.yaml")
	if code, out := runCLI(nil, "export", "-database-url", db, "-o", exportFile); code != 0 {
		t.Fatalf("export -o: exit %d\n%s", code, out)
	}
	if code, out := runCLI(map[string]string{"KEY": "s3cr3t-value"}, "apply", "-f", exportFile, "-database-url", db, "-prune", "-dry-run"); code != 0 || !strings.Contains(out, "No changes") {
		t.Fatalf("the export does not match with -prune: exit %d\n%s", code, out)
	}

	for _, c := range []struct {
		name, text string
		env        map[string]string
		args       []string
		code       int
		want       string
	}{
		{"unknown key", strings.Replace(cliDoc, "  - name: Shopping", "  - name: Shopping\n    colour: red", 1), env, nil, 1, `line 4: unknown key "colour"`},
		{"wrong type", strings.Replace(cliDoc, "version: 1", "version: one", 1), env, nil, 1, `line 1: "one" is not a whole number`},
		{"missing variable", cliDoc, nil, nil, 1, "environment variable CLI_TEST_KEY is not set"},
		{"refused value", strings.Replace(cliDoc, "https://shopping.api\n    scopes", "not-a-uri\n    scopes", 1), env, nil, 1, `resources[0] "not-a-uri": indicator must be an absolute URI`},
		{"no file", "", env, []string{"-f", ""}, 2, "give the document with -f"},
		{"no such file", "", env, []string{"-f", filepath.Join(dir, "nope.yaml")}, 1, "no such file"},
		{"endpoint without credentials", cliDoc, env, []string{"-endpoint", "http://127.0.0.1:1"}, 1, "MONBAN_APPLY_CLIENT_ID"},
		{"bad flag value", cliDoc, env, []string{"-prune=maybe"}, 2, "invalid boolean"},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := c.args
			if c.text != "" {
				args = append([]string{"-f", writeFile(t, t.TempDir(), "bad.yaml", c.text)}, args...)
			}
			code, out := runCLI(c.env, append([]string{"apply", "-database-url", db}, args...)...)
			if code != c.code || !strings.Contains(out, c.want) {
				t.Errorf("exit %d, want %d with %q:\n%s", code, c.code, c.want, out)
			}
		})
	}
	if code, out := runCLI(nil, "export", "-database-url", db); code != 0 || strings.Contains(out, "not-a-uri") {
		t.Fatalf("a refused document changed the database:\n%s", out)
	}
	if code, out := runCLI(nil, "export", "-database-url", "sqlite://"+filepath.Join(dir, "none.db")); code != 1 || !strings.Contains(out, "start monban serve on it once first") {
		t.Fatalf("export of a database never started: exit %d\n%s", code, out)
	}
}

// TestApplyCLIWebhooks: offline, webhooks are held to the egress policy
// of -hook-allow (MONBAN_HOOK_ALLOW), read as monban serve reads it,
// before the first write; export writes header references, not values.
func TestApplyCLIWebhooks(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite://" + filepath.Join(dir, "data", "m.db")
	if err := startOnce(db, sealed.Key{}); err != nil {
		t.Fatal(err)
	}
	doc := writeFile(t, dir, "monban.yaml", `version: 1
resources:
  - {name: Shopping, indicator: "https://shopping.api"}
webhooks:
  - name: Internal
    url: http://10.1.2.3/hooks
    events: [User.Created]
    headers: {Authorization: "Bearer ${CLI_HOOK_TOKEN}"}
`)
	env := map[string]string{"CLI_HOOK_TOKEN": "h00k-s3cret"}
	code, out := runCLI(env, "apply", "-f", doc, "-database-url", db)
	if code != 1 || !strings.Contains(out, `webhooks[0] "Internal": config.url: destination 10.1.2.3 is not allowed by the egress policy`) || strings.Contains(out, "h00k") {
		t.Fatalf("apply without an allow-list: exit %d\n%s", code, out)
	}
	if code, out := runCLI(nil, "export", "-database-url", db); code != 0 || strings.Contains(out, "shopping.api") {
		t.Fatalf("the refused document changed the database: exit %d\n%s", code, out)
	}
	allowed := maps.Clone(env)
	allowed["MONBAN_HOOK_ALLOW"] = "10.0.0.0/8"
	if code, out := runCLI(allowed, "apply", "-f", doc, "-database-url", db); code != 0 || !strings.Contains(out, `+ webhook "Internal"`) ||
		!strings.Contains(out, "headers.Authorization: (sensitive value)") || strings.Contains(out, "h00k") {
		t.Fatalf("apply with MONBAN_HOOK_ALLOW: exit %d\n%s", code, out)
	}
	if code, out := runCLI(env, "apply", "-f", doc, "-database-url", db, "-hook-allow", "10.1.2.3"); code != 0 || !strings.Contains(out, "No changes") {
		t.Fatalf("second apply with -hook-allow: exit %d\n%s", code, out)
	}
	code, out = runCLI(nil, "export", "-database-url", db)
	if code != 0 || !strings.Contains(out, "Authorization: ${WEBHOOK_INTERNAL_AUTHORIZATION}") || strings.Contains(out, "h00k") {
		t.Fatalf("export: exit %d\n%s", code, out)
	}
	bad := maps.Clone(env)
	bad["MONBAN_HOOK_ALLOW"] = "10.0.0.0/99"
	if code, out := runCLI(bad, "apply", "-f", doc, "-database-url", db); code != 2 || !strings.Contains(out, "-hook-allow (MONBAN_HOOK_ALLOW)") {
		t.Fatalf("a malformed MONBAN_HOOK_ALLOW: exit %d\n%s", code, out)
	}
}

func TestServeConfigFile(t *testing.T) {
	dir := t.TempDir()
	doc := writeFile(t, dir, "monban.yaml", cliDoc)
	refusals(t, []cliCase{
		{[]string{"serve", "-config-file", doc}, nil, 2, "-config-file (MONBAN_CONFIG_FILE): " + doc + ": environment variable CLI_TEST_KEY is not set"},
		{[]string{"serve"}, map[string]string{"MONBAN_CONFIG_FILE": filepath.Join(dir, "missing.yaml")}, 2, "MONBAN_CONFIG_FILE"},
		{[]string{"serve", "-config-prune"}, nil, 2, "-config-prune (MONBAN_CONFIG_PRUNE) needs -config-file (MONBAN_CONFIG_FILE)"},
		{[]string{"serve"}, map[string]string{"MONBAN_CONFIG_PRUNE": "yes"}, 2, "MONBAN_CONFIG_PRUNE"},
	})
}

// TestSchemaCommitted: docs/monban.schema.json is what "monban config
// schema" prints (regenerate it with: go run ./cmd/monban config schema >
// docs/monban.schema.json).
func TestSchemaCommitted(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"config", "schema"}, func(string) string { return "" }, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	committed, err := os.ReadFile("../../docs/monban.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed, stdout.Bytes()) {
		t.Fatal("docs/monban.schema.json is not the output of monban config schema: regenerate it with go run ./cmd/monban config schema > docs/monban.schema.json")
	}
	if code, _ := runCLI(nil, "config", "dump"); code != 2 {
		t.Fatalf("config dump: exit %d", code)
	}
}

// TestApplyCLIEndpoint applies a document to a running server over
// loopback, through its Management API, with the credentials from the
// environment.
func TestApplyCLIEndpoint(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "http://" + ln.Addr().String()
	const id, secret = "config-ci", "config-ci-secret-0123456789abcdef0123456789"
	cfg := server.DefaultConfig()
	cfg.Listener, cfg.Endpoint, cfg.ManagementIndicator = ln, endpoint, endpoint+"/api"
	cfg.DatabaseURL = "sqlite://" + filepath.Join(t.TempDir(), "data", "m.db")
	cfg.BootstrapAppID, cfg.BootstrapAppSecret = id, secret
	cfg.Logger = slog.New(slog.DiscardHandler)
	srv, err := server.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() { cancel(); <-done; srv.Close() })

	doc := writeFile(t, t.TempDir(), "monban.yaml", cliDoc)
	env := map[string]string{"CLI_TEST_KEY": "s3cr3t-value", "MONBAN_APPLY_ENDPOINT": endpoint,
		"MONBAN_APPLY_CLIENT_ID": id, "MONBAN_APPLY_CLIENT_SECRET": secret}
	if code, out := runCLI(env, "apply", "-f", doc); code != 0 || !strings.Contains(out, "4 to create") || !strings.Contains(out, "Applied.") {
		t.Fatalf("apply: exit %d\n%s", code, out)
	}
	if code, out := runCLI(env, "apply", "-f", doc, "-dry-run"); code != 0 || !strings.Contains(out, "No changes") {
		t.Fatalf("second apply: exit %d\n%s", code, out)
	}
	code, out := runCLI(env, "export")
	if code != 0 || !strings.Contains(out, "name: Reader") || strings.Contains(out, "s3cr3t") {
		t.Fatalf("export: exit %d\n%s", code, out)
	}
	if code, out := runCLI(env, "apply", "-f", doc, "-prune", "-dry-run"); code != 0 || !strings.Contains(out, `role "Admin": grants the Management API`) ||
		strings.Contains(out, `- role "Management API access"`) || strings.Contains(out, `- application "Management`) || !strings.Contains(out, "the one applying the plan") {
		t.Fatalf("prune plan over the API: exit %d\n%s", code, out)
	}
	wrong := maps.Clone(env)
	wrong["MONBAN_APPLY_CLIENT_SECRET"] = "hunter2-wrong"
	if code, out := runCLI(wrong, "apply", "-f", doc); code != 1 || !strings.Contains(out, "getting a Management API token") || strings.Contains(out, "hunter2") {
		t.Fatalf("wrong secret: exit %d\n%s", code, out)
	}
}

// TestApplyCLIConcurrentOnPostgres: two offline applies of one document
// at once, on PostgreSQL, take turns: one creates, the other finds
// nothing to do.
func TestApplyCLIConcurrentOnPostgres(t *testing.T) {
	db := postgres.NewTestDatabase(t)
	key := newKey(t)
	if err := startOnce(db, key); err != nil {
		t.Fatal(err)
	}
	doc := writeFile(t, t.TempDir(), "monban.yaml", cliDoc)
	env := map[string]string{"CLI_TEST_KEY": "v", "MONBAN_SECRET_KEY": key.Encode()}
	var wg sync.WaitGroup
	outs := make([]string, 2)
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, out := runCLI(env, "apply", "-f", doc, "-database-url", db)
			if code != 0 {
				out = "exit " + strconv.Itoa(code) + ": " + out
			}
			outs[i] = out
		}()
	}
	wg.Wait()
	created := 0
	for _, out := range outs {
		switch {
		case strings.Contains(out, "4 to create"):
			created++
		case !strings.Contains(out, "No changes"):
			t.Fatalf("apply:\n%s", out)
		}
	}
	if created != 1 {
		t.Fatalf("the applies did not take turns:\n%s\n---\n%s", outs[0], outs[1])
	}
}

// TestApplyCLICodeSignInWithStoredConnector: a document that turns on
// sign-in by an e-mail code applies to a database that has an e-mail
// connector, as it does on a running server, and is refused with Logto's
// code on one that has none.
func TestApplyCLICodeSignInWithStoredConnector(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite://" + filepath.Join(dir, "data", "m.db")
	if err := startOnce(db, sealed.Key{}); err != nil {
		t.Fatal(err)
	}
	codes := writeFile(t, dir, "codes.yaml", `version: 1
signInExperience:
  signIn:
    methods:
      - {identifier: username, password: true, verificationCode: false, isPasswordPrimary: true}
      - {identifier: email, password: false, verificationCode: true, isPasswordPrimary: false}
`)
	if code, out := runCLI(nil, "apply", "-f", codes, "-database-url", db); code != 1 || !strings.Contains(out, "signInExperience: Enabled Email connector not found.") {
		t.Fatalf("code sign-in without a connector: exit %d\n%s", code, out)
	}
	mail := writeFile(t, dir, "mail.yaml", `version: 1
connectors:
  - connectorId: simple-mail-transfer-protocol
    config: {host: smtp.example.com, port: 587, auth: {type: login, user: mailer, pass: "${SMTP_PASS}"}, fromEmail: no-reply@example.com, templates: []}
`)
	env := map[string]string{"SMTP_PASS": "relay-pass"}
	if code, out := runCLI(env, "apply", "-f", mail, "-database-url", db); code != 0 {
		t.Fatalf("the connector: exit %d\n%s", code, out)
	}
	if code, out := runCLI(nil, "apply", "-f", codes, "-database-url", db); code != 0 || !strings.Contains(out, `sign-in experience "default"`) {
		t.Fatalf("code sign-in with a stored e-mail connector: exit %d\n%s", code, out)
	}
}
