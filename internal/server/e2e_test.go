package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/monban/monban/internal/clock"
	"github.com/monban/monban/internal/server"
)

const (
	bootID     = "bootstrap-admin"
	bootSecret = "bootstrap-secret-0123456789abcdef0123456789"
)

// syncBuffer collects the server's log lines while the test reads them.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testServer is a real Monban on a loopback port, with its SQLite file.
type testServer struct {
	t      *testing.T
	URL    string
	Issuer string
	Mgmt   string // Management API indicator
	Logs   *syncBuffer
	dbPath string
	port   *port // kept across restarts
	cancel context.CancelFunc
	done   chan error
	srv    *server.Server
	// client has its own connection pool, closed when the server stops, so
	// no request after a restart goes down a connection to the old server.
	client *http.Client
	// edit, when set, changes the configuration before a start.
	edit func(*server.Config)
}

func startServer(t *testing.T) *testServer {
	t.Helper()
	ts := &testServer{t: t, dbPath: filepath.Join(t.TempDir(), "data", "monban.db"), port: newPort(t), Logs: &syncBuffer{}}
	ts.start()
	t.Cleanup(ts.stop)
	return ts
}

func (ts *testServer) start() {
	t := ts.t
	t.Helper()
	ln := ts.port.listener()
	ts.URL = "http://" + ln.Addr().String()
	ts.Issuer = ts.URL + "/oidc"
	ts.Mgmt = ts.URL + "/api"
	cfg := server.DefaultConfig()
	cfg.Listener = ln
	cfg.Endpoint = ts.URL
	cfg.DatabaseURL = "sqlite://" + ts.dbPath
	cfg.ManagementIndicator = ts.Mgmt
	cfg.BootstrapAppID, cfg.BootstrapAppSecret = bootID, bootSecret
	cfg.AccessLog = true
	cfg.KeyPublishDelay = 0 // rotation tests expect the new key to sign at once
	cfg.Logger = slog.New(slog.NewTextHandler(ts.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg.Stderr = ts.Logs
	if ts.edit != nil {
		ts.edit(&cfg)
	}
	srv, err := server.New(context.Background(), cfg)
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil { // writes a first start's credentials
		srv.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts.srv, ts.cancel, ts.done = srv, cancel, make(chan error, 1)
	ts.client = &http.Client{Transport: &http.Transport{}}
	go func() { ts.done <- srv.Serve(ctx) }()
}

// port is one loopback socket bound for a test's whole life. Each start of
// a test server gets a listener on it that the server may close, so a
// restart keeps its address (its issuer) without binding it again: a port
// closed and bound anew could be taken by another process in between.
type port struct {
	ln    net.Listener
	conns chan net.Conn
	done  chan struct{}
}

func newPort(t *testing.T) *port {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &port{ln: ln, conns: make(chan net.Conn), done: make(chan struct{})}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			select {
			case p.conns <- c:
			case <-p.done:
				c.Close()
				return
			}
		}
	}()
	// Registered before the server's stop, so it runs after it.
	t.Cleanup(func() {
		close(p.done)
		ln.Close()
	})
	return p
}

// listener returns a new listener on the port.
func (p *port) listener() net.Listener {
	return &portListener{port: p, closed: make(chan struct{})}
}

type portListener struct {
	port   *port
	once   sync.Once
	closed chan struct{}
}

func (l *portListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.port.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	case <-l.port.done:
		return nil, net.ErrClosed
	}
}

// Close stops this listener only; the socket stays bound for the next start.
func (l *portListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *portListener) Addr() net.Addr { return l.port.ln.Addr() }

func (ts *testServer) stop() {
	if ts.cancel == nil {
		return
	}
	ts.cancel()
	ts.client.CloseIdleConnections()
	if err := <-ts.done; err != nil {
		ts.t.Errorf("Serve: %v", err)
	}
	if err := ts.srv.Close(); err != nil {
		ts.t.Errorf("Close: %v", err)
	}
	ts.cancel = nil
}

func (ts *testServer) restart() {
	ts.stop()
	ts.start()
}

// restartWith stops the server if it runs and starts it with edit applied.
func (ts *testServer) restartWith(edit func(*server.Config)) {
	ts.stop()
	ts.edit = edit
	ts.start()
}

// response is a decoded reply.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("status %d, body %q is not a JSON object: %v", r.Status, r.Body, err)
	}
	return m
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
	b, err := io.ReadAll(res.Body)
	if err != nil {
		ts.t.Fatal(err)
	}
	return response{res.StatusCode, res.Header, b}
}

// tokenForm posts a form to the token endpoint with Basic credentials.
func (ts *testServer) tokenForm(id, secret string, form url.Values) response {
	ts.t.Helper()
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	if id != "" {
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret))))
	}
	return ts.do("POST", "/oidc/token", h, strings.NewReader(form.Encode()))
}

// managementToken gets a Management API token with the bootstrap app.
func (ts *testServer) managementToken() string {
	ts.t.Helper()
	r := ts.tokenForm(bootID, bootSecret, url.Values{"grant_type": {"client_credentials"}, "resource": {ts.Mgmt}, "scope": {"all"}})
	if r.Status != 200 {
		ts.t.Fatalf("management token: %d %s", r.Status, r.Body)
	}
	m := r.json(ts.t)
	if m["scope"] != "all" {
		ts.t.Fatalf("management token scope = %v", m["scope"])
	}
	return m["access_token"].(string)
}

// api calls the Management API with a JSON body (nil for none).
func (ts *testServer) api(tok, method, path string, body any) response {
	ts.t.Helper()
	h := http.Header{"Authorization": {"Bearer " + tok}}
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

// mustAPI is api that expects one status and decodes an object.
func (ts *testServer) mustAPI(tok, method, path string, body any, want int) map[string]any {
	ts.t.Helper()
	r := ts.api(tok, method, path, body)
	if r.Status != want {
		ts.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, want, r.Body)
	}
	if len(r.Body) == 0 || r.Body[0] != '{' {
		return nil
	}
	return r.json(ts.t)
}

func nowMillis() int64 { return time.Now().UnixMilli() }

// fakeClock returns a clock for server.Config.Clock that reads the wall
// clock's time at first (so that what the server issues looks current to
// outside verifiers) and then moves only when the test advances it.
func fakeClock() *clock.Fake { return clock.NewFake(time.Now().Truncate(time.Millisecond)) }
