package console_test

// End-to-end tests of the console in a real browser. They start a real
// Monban with an administrator, with the console in front of it, seed the
// console's application and a user without access, and run console/e2e/console.e2e.mjs (Playwright
// driving Debian's Chromium) against it.
//
//	MONBAN_CONSOLE_E2E=1 go test -count=1 -run TestConsoleE2E -v ./internal/console
//
// needs Node.js, `npm ci` in console/ and /usr/bin/chromium. Set
// MONBAN_CONSOLE_SERVE=1 and run TestConsoleServe instead to get a seeded
// server to look at by hand (it prints the address and the credentials);
// with MONBAN_CONSOLE_DIST=console/../internal/console/dist it serves the
// build on disk, so that a rebuild shows without a restart.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/monban/monban/internal/console"
	"github.com/monban/monban/internal/password"
	"github.com/monban/monban/internal/server"
)

const (
	bootID        = "e2e-bootstrap"
	bootSecret    = "e2e-bootstrap-secret-0123456789abcdef"
	adminUsername = "admin"
	adminPassword = "console-e2e-Passw0rd"
	// viewerUsername signs in with adminPassword but holds no role: the
	// console must turn them away.
	viewerUsername = "viewer"
)

type harness struct {
	URL       string
	Indicator string
	ClientID  string
	Logs      *bytes.Buffer
}

// startHarness starts Monban on one loopback port and, on another, the
// public endpoint: the console under /console, everything else proxied to
// Monban.
func startHarness(t *testing.T) *harness {
	t.Helper()
	front, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	back, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "http://" + front.Addr().String()
	h := &harness{URL: endpoint, Indicator: endpoint + "/api", Logs: &bytes.Buffer{}}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("MONBAN_CONSOLE_SERVE") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	cfg := server.Config{
		Listener:            back,
		Endpoint:            endpoint,
		DatabaseURL:         "sqlite://" + filepath.Join(t.TempDir(), "monban.db"),
		ManagementIndicator: h.Indicator,
		BootstrapAppID:      bootID,
		BootstrapAppSecret:  bootSecret,
		// The administrator the console signs in as, with the seeded
		// "Admin" role (MONBAN_ADMIN_USERNAME, MONBAN_ADMIN_PASSWORD).
		AdminUsername: adminUsername,
		AdminPassword: adminPassword,
		Logger:        logger,
		Stderr:        io.Discard,
		// Short, so the browser sees a rotated key go from Next to Current.
		KeyPublishDelay: 3 * time.Second,
	}
	cfg.Users.PasswordParams = password.Params{Time: 1, Memory: 64, Threads: 1}
	srv, err := server.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()

	backURL, _ := url.Parse("http://" + back.Addr().String())
	proxy := httputil.NewSingleHostReverseProxy(backURL)
	mux := http.NewServeMux()
	var consoleHandler http.Handler
	mux.Handle("/console/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { consoleHandler.ServeHTTP(w, r) }))
	mux.Handle("/console", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { consoleHandler.ServeHTTP(w, r) }))
	mux.Handle("/", proxy)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(front) }()
	t.Cleanup(func() {
		_ = hs.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		_ = srv.Close()
	})

	h.ClientID = seed(t, h)
	ccfg := console.Config{Endpoint: endpoint, ClientID: h.ClientID, ManagementIndicator: h.Indicator}
	if dir := os.Getenv("MONBAN_CONSOLE_DIST"); dir != "" {
		// Serve the files on disk as they are rebuilt (npm run build).
		consoleHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hh, err := console.HandlerFS(os.DirFS(dir), ccfg)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			hh.ServeHTTP(w, r)
		})
	} else {
		consoleHandler = console.Handler(ccfg)
	}
	return h
}

type api struct {
	t     *testing.T
	base  string
	token string
}

func (a *api) call(method, path string, body any, want int) map[string]any {
	a.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, a.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+a.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		a.t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, raw)
	}
	out := map[string]any{}
	if len(raw) > 0 && raw[0] == '{' {
		_ = json.Unmarshal(raw, &out)
	} else if len(raw) > 0 && raw[0] == '[' {
		var list []any
		_ = json.Unmarshal(raw, &list)
		out["items"] = list
	}
	return out
}

// seed makes sure the console's application exists (the server seeds
// console.DefaultClientID; without it one is created here), gives the
// administrator the server created a name and an e-mail address, and adds a
// user without access. It returns the console's client_id.
func seed(t *testing.T, h *harness) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {h.Indicator}, "scope": {"all"}}
	req, _ := http.NewRequest("POST", h.URL+"/oidc/token", strings.NewReader(form.Encode()))
	req.SetBasicAuth(bootID, bootSecret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	if tok.AccessToken == "" {
		t.Fatalf("no management token: %d", res.StatusCode)
	}
	a := &api{t: t, base: h.URL, token: tok.AccessToken}

	clientID := console.DefaultClientID
	req, _ = http.NewRequest("GET", h.URL+"/api/applications/"+clientID, nil)
	req.Header.Set("Authorization", "Bearer "+a.token)
	if res, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode == http.StatusNotFound {
		app := a.call("POST", "/api/applications", map[string]any{
			"name": "Monban Console", "type": "SPA", "description": "The admin console",
			"oidcClientMetadata": map[string]any{
				"redirectUris":           []string{console.RedirectURI(h.URL)},
				"postLogoutRedirectUris": []string{console.PostLogoutRedirectURI(h.URL)},
			},
		}, 200)
		clientID = app["id"].(string)
	}

	var adminID string
	for _, u := range a.call("GET", "/api/users?search="+adminUsername, nil, 200)["items"].([]any) {
		if u := u.(map[string]any); u["username"] == adminUsername {
			adminID = u["id"].(string)
		}
	}
	if adminID == "" {
		t.Fatal("the server did not create the administrator")
	}
	a.call("PATCH", "/api/users/"+adminID, map[string]any{"name": "Ada Admin", "primaryEmail": "ada@monban.test"}, 200)
	a.call("POST", "/api/users", map[string]any{"username": viewerUsername, "name": "Vic Viewer", "password": adminPassword}, 200)
	return clientID
}

func consoleDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../../console")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestConsoleE2E(t *testing.T) {
	if os.Getenv("MONBAN_CONSOLE_E2E") == "" {
		t.Skip("set MONBAN_CONSOLE_E2E=1 to run the browser tests (Node.js, npm ci in console/, /usr/bin/chromium)")
	}
	dir := consoleDir(t)
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "playwright-core")); err != nil {
		t.Fatalf("run npm ci in console/ first: %v", err)
	}
	chromium := os.Getenv("CHROMIUM_PATH")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("no Chromium at %s: install Debian's chromium package, or set CHROMIUM_PATH", chromium)
	}
	h := startHarness(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "e2e/console.e2e.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"MONBAN_URL="+h.URL,
		"MONBAN_MANAGEMENT_INDICATOR="+h.Indicator,
		"MONBAN_ADMIN_USERNAME="+adminUsername,
		"MONBAN_ADMIN_PASSWORD="+adminPassword,
		"MONBAN_VIEWER_USERNAME="+viewerUsername,
		"MONBAN_BOOTSTRAP_APP_ID="+bootID,
		"MONBAN_BOOTSTRAP_APP_SECRET="+bootSecret,
	)
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("browser tests failed: %v", err)
	}
}

// TestConsoleServe serves a seeded console until interrupted, for looking
// at it by hand.
func TestConsoleServe(t *testing.T) {
	if os.Getenv("MONBAN_CONSOLE_SERVE") == "" {
		t.Skip("set MONBAN_CONSOLE_SERVE=1 to serve a seeded console until interrupted")
	}
	h := startHarness(t)
	fmt.Printf("console: %s/console/\nadmin: %s / %s\nbootstrap app: %s / %s\n", h.URL, adminUsername, adminPassword, bootID, bootSecret)
	if f := os.Getenv("MONBAN_CONSOLE_SERVE_INFO"); f != "" {
		info, _ := json.Marshal(map[string]string{"url": h.URL, "indicator": h.Indicator, "username": adminUsername, "password": adminPassword, "bootId": bootID, "bootSecret": bootSecret})
		_ = os.WriteFile(f, info, 0o600)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
}
