package auth0_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/password"
	"github.com/monban/monban/internal/server"
)

const (
	bootID     = "v2-bootstrap"
	bootSecret = "v2-bootstrap-secret-0123456789"
)

// testServer is a real Monban on a loopback port, with a temporary SQLite
// database and the bootstrap app.
type testServer struct {
	t      *testing.T
	URL    string
	V2     string // the Management API v2 identifier
	client *http.Client
}

func start(t *testing.T, edit func(*server.Config)) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{t: t, URL: "http://" + ln.Addr().String(), client: &http.Client{Transport: &http.Transport{}}}
	ts.V2 = ts.URL + "/api/v2/"
	cfg := server.DefaultConfig()
	cfg.Listener = ln
	cfg.Endpoint = ts.URL
	cfg.DatabaseURL = "sqlite://" + filepath.Join(t.TempDir(), "monban.db")
	cfg.ManagementIndicator = ts.URL + "/api"
	cfg.BootstrapAppID, cfg.BootstrapAppSecret = bootID, bootSecret
	cfg.KeyPublishDelay = 0
	cfg.Users.PasswordParams = password.Params{Time: 1, Memory: 64, Threads: 1}
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg.Stderr = io.Discard
	cfg.RateLimits = &server.RateLimits{} // none, but where a test sets them
	if edit != nil {
		edit(&cfg)
	}
	srv, err := server.New(context.Background(), cfg)
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		ts.client.CloseIdleConnections()
	})
	return ts
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("not a JSON object (%d): %s", r.Status, r.Body)
	}
	return m
}

func (r response) list(t *testing.T) []map[string]any {
	t.Helper()
	var l []map[string]any
	if err := json.Unmarshal(r.Body, &l); err != nil {
		t.Fatalf("not a JSON array (%d): %s", r.Status, r.Body)
	}
	return l
}

func (ts *testServer) do(method, path string, header http.Header, body io.Reader) response {
	ts.t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, body)
	if err != nil {
		ts.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := ts.client.Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// token gets a client_credentials token for the bootstrap app (or id and
// secret) on resource with scopes.
func (ts *testServer) token(id, secret, resource string, scopes ...string) string {
	ts.t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {resource}, "scope": {strings.Join(scopes, " ")}}
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	req := form.Encode()
	r := ts.doAuth(id, secret, "/oidc/token", h, req)
	if r.Status != 200 {
		ts.t.Fatalf("token for %s %v: %d %s", resource, scopes, r.Status, r.Body)
	}
	return r.json(ts.t)["access_token"].(string)
}

func (ts *testServer) doAuth(id, secret, path string, h http.Header, body string) response {
	ts.t.Helper()
	req, err := http.NewRequest("POST", ts.URL+path, strings.NewReader(body))
	if err != nil {
		ts.t.Fatal(err)
	}
	req.Header = h
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	res, err := ts.client.Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// allScopes are every scope of the v2 API.
func allScopes() []string {
	out := make([]string, len(directory.ManagementV2Scopes))
	for i, s := range directory.ManagementV2Scopes {
		out[i] = s.Name
	}
	return out
}

// admin is a token of the bootstrap app with every v2 scope.
func (ts *testServer) admin() string { return ts.token(bootID, bootSecret, ts.V2, allScopes()...) }

// api calls a route with tok and a JSON body (nil for none).
func (ts *testServer) api(tok, method, path string, body any) response {
	ts.t.Helper()
	h := http.Header{}
	if tok != "" {
		h.Set("Authorization", "Bearer "+tok)
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			ts.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
		h.Set("Content-Type", "application/json")
	}
	return ts.do(method, path, h, rd)
}

// must calls a route and fails unless it answers status; it returns the
// JSON object answered, if any.
func (ts *testServer) must(tok, method, path string, body any, status int) map[string]any {
	ts.t.Helper()
	r := ts.api(tok, method, path, body)
	if r.Status != status {
		ts.t.Fatalf("%s %s: %d %s; want %d", method, path, r.Status, r.Body, status)
	}
	if len(r.Body) == 0 || r.Body[0] != '{' {
		return nil
	}
	return r.json(ts.t)
}

// wantError checks Auth0's error body.
func wantError(t *testing.T, r response, status int, code string) map[string]any {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d %s; want %d", r.Status, r.Body, status)
	}
	m := r.json(t)
	if m["statusCode"] != float64(status) || m["error"] != http.StatusText(status) || m["message"] == "" {
		t.Fatalf("error body %s", r.Body)
	}
	if code != "" && m["errorCode"] != code {
		t.Fatalf("errorCode %v; want %s (%s)", m["errorCode"], code, r.Body)
	}
	return m
}

// eventually lists path until it is not empty: the audit log is written
// in the background.
func (ts *testServer) eventually(tok, path string) []map[string]any {
	ts.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := ts.api(tok, "GET", path, nil)
		if r.Status != 200 {
			ts.t.Fatalf("%s: %d %s", path, r.Status, r.Body)
		}
		if l := r.list(ts.t); len(l) > 0 || time.Now().After(deadline) {
			if len(l) == 0 {
				ts.t.Fatalf("%s stayed empty", path)
			}
			return l
		}
		time.Sleep(50 * time.Millisecond)
	}
}
