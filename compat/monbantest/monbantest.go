// Package monbantest starts a real Monban in process for tests: the whole
// server on a random loopback port, with a temporary SQLite file, and a few
// helpers that call its Management API the way an operator would.
//
// It is used by the tests of the m2m and protect packages, of the examples
// and of the compatibility suite; it is not meant for production code.
package monbantest

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/monban/monban/internal/pwticket"
	"github.com/monban/monban/internal/server"
	"github.com/monban/monban/internal/testkit"
	"github.com/monban/monban/internal/verifycode"
	"github.com/monban/monban/internal/webhook"
)

// The bootstrap app's credentials: it holds the Management API role.
const (
	AdminID     = "compat-admin"
	AdminSecret = "compat-admin-secret-0123456789abcdefghijklmnop"
)

// T is the part of testing.TB that the helpers use; *testing.T, *testing.B
// and *Env have it.
type T interface {
	Helper()
	Cleanup(func())
	TempDir() string
	Errorf(format string, args ...any)
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
	Failed() bool
}

// Env is a T for code that has no testing.TB, such as examples: Fatal and
// Fatalf panic, and Close runs the cleanups.
type Env struct {
	mu       sync.Mutex
	cleanups []func()
	failed   bool
}

// Helper does nothing.
func (e *Env) Helper() {}

// Cleanup registers f to run at Close, last registered first.
func (e *Env) Cleanup(f func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.cleanups = append(e.cleanups, f)
}

// TempDir makes a directory that Close removes.
func (e *Env) TempDir() string {
	dir, err := os.MkdirTemp("", "monbantest-")
	if err != nil {
		panic(err)
	}
	e.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// Errorf prints the message on stderr and marks the run failed.
func (e *Env) Errorf(format string, args ...any) {
	e.mu.Lock()
	e.failed = true
	e.mu.Unlock()
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}

// Fatal panics.
func (e *Env) Fatal(args ...any) { panic(fmt.Sprint(args...)) }

// Fatalf panics.
func (e *Env) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }

// Logf prints the message on stderr.
func (e *Env) Logf(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }

// Failed reports whether Errorf was called.
func (e *Env) Failed() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.failed
}

// Close runs the cleanups.
func (e *Env) Close() {
	e.mu.Lock()
	fs := e.cleanups
	e.cleanups = nil
	e.mu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
}

// Options change how Start configures the server.
type Options struct {
	// ManagementIndicator is the Management API's indicator; empty means
	// {URL}/api.
	ManagementIndicator string
	// Endpoint is the public base URL, as behind a TLS-terminating proxy
	// (https://auth.example); empty means the listener's URL.
	Endpoint string
	// TLS serves HTTPS with a self-signed certificate for 127.0.0.1 made
	// for the test (MONBAN_TLS_CERT_FILE and MONBAN_TLS_KEY_FILE): URL is
	// then https://127.0.0.1:port and CertFile names the certificate to
	// trust.
	TLS bool
	// SigningAlgorithm is the first signing key's algorithm
	// (MONBAN_SIGNING_ALG); empty means the default, ES256.
	SigningAlgorithm string
	// CodeDeliverer receives the one-time codes the server sends, and
	// ResetMailer its password reset links; nil: none are sent.
	CodeDeliverer verifycode.Deliverer
	ResetMailer   pwticket.Mailer
}

// Server is a running Monban.
type Server struct {
	URL                 string // e.g. http://127.0.0.1:39251
	Issuer              string // URL + "/oidc"
	ManagementIndicator string
	// CertFile is the PEM certificate the server serves with Options.TLS
	// (for NODE_EXTRA_CA_CERTS, curl --cacert); empty without.
	CertFile string

	client *http.Client
	t      T
	logs   *logBuffer
	mu     sync.Mutex
	mgmtTk string
}

// Start starts a Monban that stops when the test ends. On failure the
// server's log is written to the test log.
func Start(t T, opts Options) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	scheme, client := "http", http.DefaultClient
	var certFile, keyFile string
	if opts.TLS {
		var pool *x509.CertPool
		certFile, keyFile, pool = testkit.WriteCert(t, t.TempDir(), time.Now().UnixNano())
		scheme, client = "https", testkit.TLSClient(pool)
	}
	base := scheme + "://" + ln.Addr().String()
	endpoint := base
	if opts.Endpoint != "" {
		endpoint = opts.Endpoint
	}
	s := &Server{URL: base, Issuer: endpoint + "/oidc", ManagementIndicator: opts.ManagementIndicator, CertFile: certFile, client: client, t: t, logs: &logBuffer{}}
	if s.ManagementIndicator == "" {
		s.ManagementIndicator = endpoint + "/api"
	}
	cfg := server.DefaultConfig()
	cfg.Listener = ln
	cfg.Endpoint = endpoint
	cfg.DatabaseURL = "sqlite://" + filepath.Join(t.TempDir(), "monban.db")
	cfg.ManagementIndicator = s.ManagementIndicator
	cfg.BootstrapAppID, cfg.BootstrapAppSecret = AdminID, AdminSecret
	cfg.KeyPublishDelay = 0 // a rotated key signs at once
	cfg.TLSCertFile, cfg.TLSKeyFile = certFile, keyFile
	cfg.SigningAlgorithm = opts.SigningAlgorithm
	cfg.CodeDeliverer, cfg.ResetMailer = opts.CodeDeliverer, opts.ResetMailer
	// The clients' webhook receivers listen on loopback, which hooks may
	// not reach by default.
	cfg.Webhooks = webhook.DefaultOptions()
	cfg.Webhooks.Egress.AllowNetworks = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	cfg.Logger = slog.New(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := server.New(context.Background(), cfg)
	if err != nil {
		ln.Close()
		t.Fatalf("start Monban: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Monban Serve: %v", err)
		}
		if err := srv.Close(); err != nil {
			t.Errorf("Monban Close: %v", err)
		}
		if t.Failed() {
			t.Logf("Monban log:\n%s", s.logs.String())
		}
	})
	return s
}

// Resource is an API resource created by CreateResource.
type Resource struct {
	ID        string
	Indicator string
	// Scopes maps a permission's name to its id.
	Scopes map[string]string
}

// App is an M2M app created by CreateApp.
type App struct {
	ID     string
	Secret string
}

// CreateResource creates an API resource with permissions. ttl is its
// accessTokenTtl in seconds; 0 keeps the default (3600).
func (s *Server) CreateResource(t T, name, indicator string, ttl int, scopes ...string) Resource {
	t.Helper()
	body := map[string]any{"name": name, "indicator": indicator}
	if ttl > 0 {
		body["accessTokenTtl"] = ttl
	}
	res := s.MustCall(t, "POST", "/api/resources", body, http.StatusCreated)
	r := Resource{ID: res["id"].(string), Indicator: indicator, Scopes: map[string]string{}}
	for _, sc := range scopes {
		m := s.MustCall(t, "POST", "/api/resources/"+r.ID+"/scopes", map[string]any{"name": sc, "description": sc}, http.StatusCreated)
		r.Scopes[sc] = m["id"].(string)
	}
	return r
}

// ShopIndicator is the indicator of the shopping API that the guides
// (docs/m2m.md), the examples and their tests set up.
const ShopIndicator = "https://shopping.api"

// CreateShop creates the shopping API: the resource ShopIndicator, named
// "Shopping", with the permissions read:products and write:products. ttl is
// as for CreateResource.
func (s *Server) CreateShop(t T, ttl int) Resource {
	t.Helper()
	return s.CreateResource(t, "Shopping", ShopIndicator, ttl, "read:products", "write:products")
}

// CreateAppWith creates an M2M app named name holding a new role, named
// role, with the given permissions of res (by name).
func (s *Server) CreateAppWith(t T, name, role string, res Resource, scopes ...string) App {
	t.Helper()
	ids := make([]string, len(scopes))
	for i, sc := range scopes {
		id, ok := res.Scopes[sc]
		if !ok {
			t.Fatalf("resource %s has no permission %q", res.Indicator, sc)
		}
		ids[i] = id
	}
	return s.CreateApp(t, name, s.CreateRole(t, role, ids...))
}

// CreateRole creates an M2M role holding the given permission ids.
func (s *Server) CreateRole(t T, name string, scopeIDs ...string) string {
	t.Helper()
	body := map[string]any{"name": name, "description": name, "type": "MachineToMachine"}
	if len(scopeIDs) > 0 {
		body["scopeIds"] = scopeIDs
	}
	return s.MustCall(t, "POST", "/api/roles", body, http.StatusOK)["id"].(string)
}

// RoleID returns the id of the role with this name.
func (s *Server) RoleID(t T, name string) string {
	t.Helper()
	r := s.Call(t, "GET", "/api/roles?page_size=100", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /api/roles: %d %s", r.Status, r.Body)
	}
	var roles []map[string]any
	if err := json.Unmarshal(r.Body, &roles); err != nil {
		t.Fatalf("GET /api/roles: %v", err)
	}
	for _, role := range roles {
		if role["name"] == name {
			return role["id"].(string)
		}
	}
	t.Fatalf("no role named %q", name)
	return ""
}

// CreateApp creates an M2M app and gives it the roles.
func (s *Server) CreateApp(t T, name string, roleIDs ...string) App {
	t.Helper()
	m := s.MustCall(t, "POST", "/api/applications", map[string]any{"name": name, "type": "MachineToMachine"}, http.StatusOK)
	app := App{ID: m["id"].(string), Secret: m["secret"].(string)}
	if len(roleIDs) > 0 {
		s.MustCall(t, "POST", "/api/applications/"+app.ID+"/roles", map[string]any{"roleIds": roleIDs}, http.StatusCreated)
	}
	return app
}

// RotateKey makes a new current signing key with the algorithm (empty: the
// current one).
func (s *Server) RotateKey(t T, alg string) {
	t.Helper()
	var body any
	if alg != "" {
		body = map[string]any{"signingKeyAlgorithm": alg}
	}
	s.MustCall(t, "POST", "/api/configs/oidc/private-keys/rotate", body, http.StatusOK)
}

// Response is a raw answer from the server.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body as an object.
func (r Response) JSON(t T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("status %d: body %q is not a JSON object: %v", r.Status, r.Body, err)
	}
	return m
}

// Call calls the Management API with the bootstrap app's token and a JSON
// body (nil for none).
func (s *Server) Call(t T, method, path string, body any) Response {
	t.Helper()
	h := http.Header{"Authorization": {"Bearer " + s.managementToken(t)}}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
		h.Set("Content-Type", "application/json")
	}
	return s.Do(t, method, path, h, rd)
}

// MustCall is Call that expects a status and decodes an object (nil when the
// body is not one).
func (s *Server) MustCall(t T, method, path string, body any, want int) map[string]any {
	t.Helper()
	r := s.Call(t, method, path, body)
	if r.Status != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, want, r.Body)
	}
	if len(r.Body) == 0 || r.Body[0] != '{' {
		return nil
	}
	return r.JSON(t)
}

// Client is an HTTP client for the server: with Options.TLS it trusts the
// server's certificate.
func (s *Server) Client() *http.Client { return s.client }

// Do sends a request to the server.
func (s *Server) Do(t T, method, path string, header http.Header, body io.Reader) Response {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return Response{res.StatusCode, res.Header, b}
}

// Token gets an access token with a form body and Basic credentials, and
// returns the decoded answer; it fails the test on any status but 200.
func (s *Server) Token(t T, app App, resource string, scopes ...string) map[string]any {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {resource}}
	if len(scopes) > 0 {
		form.Set("scope", strings.Join(scopes, " "))
	}
	req, err := http.NewRequest("POST", s.Issuer+"/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(app.ID), url.QueryEscape(app.Secret))
	res, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := Response{res.StatusCode, res.Header, b}
	if r.Status != http.StatusOK {
		t.Fatalf("token for %s: %d %s", resource, r.Status, r.Body)
	}
	return r.JSON(t)
}

func (s *Server) managementToken(t T) string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mgmtTk == "" {
		m := s.Token(t, App{ID: AdminID, Secret: AdminSecret}, s.ManagementIndicator, "all")
		s.mgmtTk = m["access_token"].(string)
	}
	return s.mgmtTk
}

// logBuffer collects the server's log while tests run.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	const max = 64 << 10
	s := b.buf.String()
	if len(s) > max {
		s = "…" + s[len(s)-max:]
	}
	return s
}
