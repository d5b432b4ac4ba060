package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/claims"
	"github.com/monban/monban/internal/server"
)

func newServer(t *testing.T, cfg server.Config) (*server.Server, error) {
	t.Helper()
	if cfg.Endpoint == "" {
		cfg.Endpoint = "http://localhost:3001"
		cfg.ManagementIndicator = "http://localhost:3001/api"
	}
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := server.New(context.Background(), cfg)
	if err == nil {
		t.Cleanup(func() { s.Close() })
	}
	return s, err
}

// With no bootstrap credentials, the first start creates an app with
// Management API access and prints its credentials once; later starts don't.
func TestBootstrapPrintsCredentialsOnce(t *testing.T) {
	db := "sqlite://" + filepath.Join(t.TempDir(), "m.db")
	var out bytes.Buffer
	s, err := newServer(t, server.Config{DatabaseURL: db, Stderr: &out, Listener: listen(t)})
	if err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 {
		t.Fatalf("credentials printed before the server listens:\n%s", out.String())
	}
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`App ID:\s+(\S+)\s+App Secret:\s+(\S+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no credentials printed:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "curl") {
		t.Error("no usage hint printed")
	}
	s.Close()

	out.Reset()
	s, err = newServer(t, server.Config{DatabaseURL: db, Stderr: &out, Listener: listen(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 {
		t.Errorf("second start printed:\n%s", out.String())
	}
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// With JSON logs, the credentials are JSON lines too, each a complete
// object with the log's time, level and msg.
func TestBootstrapCredentialsAsJSONLines(t *testing.T) {
	db := "sqlite://" + filepath.Join(t.TempDir(), "m.db")
	var out bytes.Buffer
	s, err := newServer(t, server.Config{DatabaseURL: db, Stderr: &out, NoticesJSON: true, Listener: listen(t),
		Users: server.UserSettings{PasswordParams: fastPasswords}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want the app's and the administrator's:\n%s", len(lines), out.String())
	}
	want := [][]string{{"app_id", "app_secret", "token_command"}, {"username", "password", "console"}}
	for i, line := range lines {
		var obj map[string]any
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatalf("line %d is not JSON: %v\n%s", i, err, line)
		}
		for _, k := range append([]string{"time", "level", "msg", "if_lost"}, want[i]...) {
			if s, _ := obj[k].(string); s == "" {
				t.Errorf("line %d lacks %q: %s", i, k, line)
			}
		}
		if strings.Contains(line, `\u0026`) || strings.Contains(line, `\u003c`) {
			t.Errorf("HTML-escaped: %s", line)
		}
	}
}

func TestBootstrapConfigErrors(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]server.Config{
		"only id":           {BootstrapAppID: "admin"},
		"only secret":       {BootstrapAppSecret: "s3cret-s3cret-s3cret"},
		"bad id":            {BootstrapAppID: "a b", BootstrapAppSecret: "s3cret-s3cret-s3cret"},
		"bad endpoint":      {Endpoint: "localhost:3001", ManagementIndicator: "http://localhost:3001/api"},
		"bad indicator":     {Endpoint: "http://localhost:3001", ManagementIndicator: "/api"},
		"postgres down":     {DatabaseURL: "postgres://user:hunter2@127.0.0.1:1/x?connect_timeout=1"},
		"unknown scheme":    {DatabaseURL: "mysql://user:hunter2@127.0.0.1/x"},
		"sqlite with query": {DatabaseURL: "sqlite://x.db?mode=ro"},
		"only admin name":   {AdminUsername: "root"},
		"only admin pass":   {AdminPassword: "s3cret-s3cret-s3cret"},
		"bad admin name":    {AdminUsername: "root admin", AdminPassword: "s3cret-s3cret-s3cret"},
		"short admin pass":  {AdminUsername: "root", AdminPassword: "s3cret"},
		// Negative was once "none" or "forever"; zero says that now.
		"negative key delay": {KeyPublishDelay: -1},
		"negative retention": {AuditRetention: -time.Hour},
		"negative grace":     {Users: server.UserSettings{RefreshGrace: -time.Second}},
		"negative fetches":   {ScriptLimits: claims.Limits{MaxFetches: -1}},
		"negative redirects": {ScriptPolicy: claims.Policy{MaxRedirects: -1}},
	}
	for name, cfg := range cases {
		t.Run(name, func(t *testing.T) {
			if cfg.DatabaseURL == "" {
				cfg.DatabaseURL = "sqlite://" + filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".db")
			}
			_, err := newServer(t, cfg)
			if err == nil {
				t.Fatal("started")
			}
			if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error leaks a secret: %v", err)
			}
		})
	}
}

// Restarting with a changed bootstrap secret replaces the old one.
func TestBootstrapSecretChange(t *testing.T) {
	ts := startServer(t)
	ts.managementToken()
	ts.stop()
	ts.restartWith(func(cfg *server.Config) { cfg.BootstrapAppSecret = "another-bootstrap-secret-0123456789abcdef" })
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {ts.Mgmt}, "scope": {"all"}}
	if r := ts.tokenForm(bootID, bootSecret, form); r.Status != 401 {
		t.Errorf("old bootstrap secret: %d", r.Status)
	}
	if r := ts.tokenForm(bootID, "another-bootstrap-secret-0123456789abcdef", form); r.Status != 200 || r.json(t)["scope"] != "all" {
		t.Errorf("new bootstrap secret: %d %s", r.Status, r.Body)
	}
}
