package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/monban/monban/internal/password"
	"github.com/monban/monban/internal/server"
)

// A listen address that cannot be bound stops "monban serve" before the
// database is created, anything is seeded or any credential printed.
func TestServeBindsBeforeSeeding(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	for _, c := range []struct{ addr, metrics, setting string }{
		{"nonsense", "", "MONBAN_ADDR"},
		{taken.Addr().String(), "", "MONBAN_ADDR"},
		{"127.0.0.1:99999", "", "MONBAN_ADDR"},
		{"127.0.0.1:0", taken.Addr().String(), "MONBAN_METRICS_ADDR"},
	} {
		t.Run(c.addr+" "+c.metrics, func(t *testing.T) {
			dir := t.TempDir()
			env := map[string]string{"MONBAN_ADDR": c.addr, "MONBAN_METRICS_ADDR": c.metrics, "MONBAN_DATABASE_URL": "sqlite://" + filepath.Join(dir, "data", "monban.db")}
			var stdout, stderr bytes.Buffer
			if code := run([]string{"serve"}, func(k string) string { return env[k] }, &stdout, &stderr); code != 1 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			if !strings.Contains(stderr.String(), "cannot listen") || !strings.Contains(stderr.String(), c.setting) {
				t.Errorf("stderr: %s", stderr.String())
			}
			for _, secret := range []string{"App Secret", "Password", "secret.key"} {
				if strings.Contains(stderr.String(), secret) {
					t.Errorf("printed %q before failing: %s", secret, stderr.String())
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "data")); !os.IsNotExist(err) {
				t.Errorf("the data directory was created: %v", err)
			}
		})
	}
}

func TestHealthcheck(t *testing.T) {
	var status int
	var mu sync.Mutex
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path != "/healthz" {
			w.WriteHeader(404)
			return
		}
		w.WriteHeader(status)
	}))
	defer ts.Close()
	addr := strings.TrimPrefix(ts.URL, "http://")
	_, port, _ := net.SplitHostPort(addr)
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedAddr := closed.Addr().String()
	closed.Close()
	cases := []struct {
		status int
		args   []string
		env    map[string]string
		code   int
		out    string
	}{
		{200, []string{"-addr", addr}, nil, 0, "ok"},
		{200, nil, map[string]string{"MONBAN_ADDR": "0.0.0.0:" + port}, 0, "http://127.0.0.1:" + port + "/healthz: ok"},
		{503, []string{"-addr", addr}, nil, 1, "503"},
		{302, []string{"-addr", addr}, nil, 1, "302"},
		{200, []string{"-addr", closedAddr}, nil, 1, "refused"},
		{200, []string{"-addr", "nonsense"}, nil, 2, "not host:port"},
		{200, []string{"extra"}, nil, 2, "unexpected argument"},
	}
	for _, c := range cases {
		mu.Lock()
		status = c.status
		mu.Unlock()
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"healthcheck"}, c.args...), func(k string) string { return c.env[k] }, &stdout, &stderr)
		if code != c.code || !strings.Contains(stdout.String()+stderr.String(), c.out) {
			t.Errorf("%d %v %v: exit %d, output %s%s", c.status, c.args, c.env, code, stdout.String(), stderr.String())
		}
	}
}

func TestVersionNamesTheCommit(t *testing.T) {
	defer func(c string) { commit = c }(commit)
	commit = "0123456789abcdef0123"
	var stdout bytes.Buffer
	if code := run([]string{"version"}, func(string) string { return "" }, &stdout, &stdout); code != 0 {
		t.Fatal(code)
	}
	if got := stdout.String(); got != "monban dev (commit 0123456789ab)\n" {
		t.Errorf("version: %q", got)
	}
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// monbanBinary builds the command once for the tests that run it.
func monbanBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "monban-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "monban")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = &exec.ExitError{Stderr: out}
		}
	})
	if binErr != nil {
		t.Fatalf("build: %v", binErr)
	}
	return binPath
}

// The first start, run as an operator runs it: JSON logs, only the port
// chosen. Every line of its output is JSON (the credentials too); the
// endpoint follows the port; the ready line names the console and a start
// time in milliseconds; the credentials work, and the recovery commands
// make new ones against the running server's database.
func TestFirstStartAsJSONAndRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := monbanBinary(t)
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, port, _ := net.SplitHostPort(addr)
	endpoint := "http://localhost:" + port
	env := append(os.Environ(), "MONBAN_ADDR="+addr, "MONBAN_LOG_FORMAT=json",
		"MONBAN_DATABASE_URL=sqlite://"+filepath.Join(dir, "monban.db"))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "serve")
	cmd.Env = env
	out, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() }()
	var app, admin, ready map[string]any
	sc := bufio.NewScanner(out)
	for ready == nil && sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("not a JSON line: %v\n%s", err, sc.Text())
		}
		switch {
		case line["app_secret"] != nil:
			app = line
		case line["password"] != nil:
			admin = line
		case line["msg"] == "monban is ready":
			ready = line
		}
	}
	go func() { // keep draining, so that the server never blocks on a full pipe
		for sc.Scan() {
		}
	}()
	if app == nil || admin == nil || ready == nil {
		t.Fatalf("app %v, admin %v, ready %v", app, admin, ready)
	}
	if ready["console"] != endpoint+"/console" || ready["issuer"] != endpoint+"/oidc" {
		t.Errorf("ready line: %v", ready)
	}
	if s, _ := ready["started_in"].(string); !regexp.MustCompile(`^[0-9.]+m?s$`).MatchString(s) {
		t.Errorf("started_in %v", ready["started_in"])
	}
	if cmdline, _ := app["token_command"].(string); !strings.Contains(cmdline, endpoint+"/oidc/token") {
		t.Errorf("token command: %v", app["token_command"])
	}
	mustToken(t, endpoint, app["app_id"].(string), app["app_secret"].(string))

	// The recovery commands, with the server's settings.
	getenv := func(k string) string {
		for _, kv := range env {
			if key, v, ok := strings.Cut(kv, "="); ok && key == k {
				return v
			}
		}
		return ""
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"create-bootstrap-app"}, getenv, &stdout, &stderr); code != 0 {
		t.Fatalf("create-bootstrap-app: %d %s", code, stderr.String())
	}
	m := regexp.MustCompile(`App ID:\s+(\S+)\s+App Secret:\s+(\S+)`).FindStringSubmatch(stdout.String())
	if m == nil || m[1] == app["app_id"] {
		t.Fatalf("create-bootstrap-app printed:\n%s", stdout.String())
	}
	mustToken(t, endpoint, m[1], m[2]) // the running server picks the new app up
	mustToken(t, endpoint, app["app_id"].(string), app["app_secret"].(string))

	stdout.Reset()
	if code := run([]string{"reset-admin-password"}, getenv, &stdout, &stderr); code != 0 {
		t.Fatalf("reset-admin-password: %d %s", code, stderr.String())
	}
	pm := regexp.MustCompile(`Username:\s+(\S+)\s+Password:\s+(\S+)`).FindStringSubmatch(stdout.String())
	if pm == nil || pm[1] != admin["username"] || pm[2] == admin["password"] || !strings.Contains(stdout.String(), endpoint+"/console") {
		t.Fatalf("reset-admin-password printed:\n%s", stdout.String())
	}
	st, _, err := server.OpenStore(ctx, "sqlite://"+filepath.Join(dir, "monban.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.GetUserByUsername(ctx, pm[1])
	if err != nil {
		t.Fatal(err)
	}
	h := password.NewHasher(password.Params{}, 1)
	if ok, err := h.Verify(ctx, u.PasswordHash, pm[2]); !ok || err != nil {
		t.Errorf("the new password does not verify: %v", err)
	}
	if ok, _ := h.Verify(ctx, u.PasswordHash, admin["password"].(string)); ok {
		t.Error("the old password still verifies")
	}
}

// mustToken gets a Management API token, waiting a little for an app made
// by another process to reach the server's catalog.
func mustToken(t *testing.T, endpoint, id, secret string) {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {endpoint + "/api"}, "scope": {"all"}}
	deadline := time.Now().Add(15 * time.Second)
	for {
		req, _ := http.NewRequest("POST", endpoint+"/oidc/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(id, secret)
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no token for %s: %v %v", id, res, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// The recovery commands refuse a database that was never set up, without
// creating it.
func TestRecoveryNeedsAStartedDatabase(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"MONBAN_DATABASE_URL": "sqlite://" + filepath.Join(dir, "monban.db")}
	for _, c := range []string{"reset-admin-password", "create-bootstrap-app"} {
		var stdout, stderr bytes.Buffer
		if code := run([]string{c}, func(k string) string { return env[k] }, &stdout, &stderr); code != 1 {
			t.Errorf("%s: exit %d", c, code)
		}
		if !strings.Contains(stderr.String(), "start \"monban serve\" once first") || stdout.Len() != 0 {
			t.Errorf("%s: %s%s", c, stdout.String(), stderr.String())
		}
		if _, err := os.Stat(filepath.Join(dir, "monban.db")); !os.IsNotExist(err) {
			t.Errorf("%s created the database", c)
		}
	}
	var stderr bytes.Buffer
	if code := run([]string{"reset-admin-password", "-username", "a b"}, func(k string) string { return env[k] }, &stderr, &stderr); code != 1 || !strings.Contains(stderr.String(), "username") {
		t.Errorf("bad username: %d %s", code, stderr.String())
	}
}
