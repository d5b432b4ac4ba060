package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/monban/monban/internal/sealed"
	"github.com/monban/monban/internal/store/postgres"
)

// The chaos tests run real `monban serve` processes and break what they
// depend on: the process itself (kill -9) and the database connection (a
// proxy in the test that is cut and restored). Each takes a few seconds
// once the binary is built; MONBAN_TEST_CHAOS=0 skips them.

func skipChaos(t *testing.T) {
	t.Helper()
	if os.Getenv("MONBAN_TEST_CHAOS") == "0" {
		t.Skip("MONBAN_TEST_CHAOS=0")
	}
	if testing.Short() {
		t.Skip("-short")
	}
}

// chaosKey encrypts the secrets at rest of every chaos test's processes, so
// that a restarted process opens its database with the key it was made with.
var chaosKey = func() string {
	k, err := sealed.GenerateKey()
	if err != nil {
		panic(err)
	}
	return k.Encode()
}()

// chaosEnv is the environment of a chaos test's monban processes.
func chaosEnv(dbURL string) []string {
	return []string{"MONBAN_DATABASE_URL=" + dbURL, "MONBAN_SECRET_KEY=" + chaosKey,
		"MONBAN_RATE_LIMIT_TOKEN_CLIENT=0", "MONBAN_RATE_LIMIT_TOKEN_IP=0", "MONBAN_RATE_LIMIT_MANAGEMENT=0"}
}

// managementToken gets a Management API token for the bootstrap app.
func (p *process) managementToken(t *testing.T, endpoint string) string {
	t.Helper()
	status, m := p.token(t, bootID, bootSecret, url.Values{"grant_type": {"client_credentials"}, "resource": {endpoint + "/api"}, "scope": {"all"}})
	if status != 200 {
		t.Fatalf("management token: %d %v", status, m)
	}
	return m["access_token"].(string)
}

// kill9 kills the process with SIGKILL and waits for it to be gone.
func (p *process) kill9(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()
}

// post is one Management API request that reports a transport failure as
// an error instead of failing the test (the server may be dying).
func post(base, tok, path, body string) (int, error) {
	req, _ := http.NewRequest("POST", base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode, nil
}

// Every write the Management API acknowledged before the process was
// killed with SIGKILL is there after a restart, on SQLite and PostgreSQL.
func TestKillDuringWrites(t *testing.T) {
	skipChaos(t)
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			var dbURL string
			if engine == "sqlite" {
				dbURL = "sqlite://" + filepath.Join(t.TempDir(), "monban.db")
			} else {
				dbURL = postgres.NewTestDatabase(t)
			}
			endpoint := "http://monban.test"
			a := startProcess(t, endpoint, chaosEnv(dbURL)...)
			tok := a.managementToken(t, endpoint)

			// Four writers create roles with unique names; the process is
			// killed once 60 writes are acknowledged, while they go on.
			const killAfter = 60
			var mu sync.Mutex
			var acked []string
			enough := make(chan struct{})
			var once sync.Once
			var wg sync.WaitGroup
			for w := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; ; i++ {
						name := fmt.Sprintf("chaos-%d-%d", w, i)
						status, err := post(a.URL, tok, "/api/roles", `{"name":"`+name+`","description":"d","type":"MachineToMachine"}`)
						if err != nil {
							return // the process is gone
						}
						if status != 200 {
							t.Errorf("create role: %d", status)
							return
						}
						mu.Lock()
						acked = append(acked, name)
						if len(acked) >= killAfter {
							once.Do(func() { close(enough) })
						}
						mu.Unlock()
					}
				}()
			}
			select {
			case <-enough:
			case <-time.After(60 * time.Second):
				t.Fatal("60 writes were not acknowledged within a minute")
			}
			a.kill9(t)
			wg.Wait()

			b := startProcess(t, endpoint, chaosEnv(dbURL)...)
			tok = b.managementToken(t, endpoint)
			present := map[string]bool{}
			for page := 1; ; page++ {
				var roles []map[string]any
				status := b.getJSON(t, tok, fmt.Sprintf("/api/roles?page=%d&page_size=100", page), &roles)
				if status != 200 {
					t.Fatalf("list roles: %d", status)
				}
				for _, r := range roles {
					present[r["name"].(string)] = true
				}
				if len(roles) < 100 {
					break
				}
			}
			missing := 0
			for _, name := range acked {
				if !present[name] {
					missing++
				}
			}
			if missing > 0 {
				t.Fatalf("%d of %d acknowledged writes are missing after kill -9", missing, len(acked))
			}
			t.Logf("%d acknowledged writes, all present after kill -9 and restart (%d roles stored)", len(acked), len(present))
		})
	}
}

// With the database cut off (its proxy stopped), client_credentials tokens
// are still issued from the in-memory catalog and /readyz answers 503
// naming the database; once the proxy is back, the same process is ready
// again and writes work, without a restart.
func TestDatabaseOutage(t *testing.T) {
	skipChaos(t)
	dbURL := postgres.NewTestDatabase(t)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	px := startProxy(t, u.Host)
	u.Host = px.addr
	endpoint := "http://monban.test"
	p := startProcess(t, endpoint, chaosEnv(u.String())...)
	tok := p.managementToken(t, endpoint)
	if status, err := post(p.URL, tok, "/api/roles", `{"name":"before","description":"d","type":"MachineToMachine"}`); err != nil || status != 200 {
		t.Fatalf("write before the outage: %d %v", status, err)
	}

	px.stop()
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {endpoint + "/api"}, "scope": {"all"}}
	for i := range 20 {
		if status, m := p.token(t, bootID, bootSecret, form); status != 200 {
			t.Fatalf("token %d during the outage: %d %v", i, status, m)
		}
	}
	if status, m := p.token(t, bootID, "wrong secret", form); status != 401 {
		t.Fatalf("a wrong secret during the outage: %d %v", status, m)
	}
	var ready struct {
		Status string
		Checks map[string]string
	}
	within(t, 10*time.Second, "/readyz answers 503 with the database unreachable", func() bool {
		return p.getJSON(t, "", "/readyz", &ready) == 503 && ready.Checks["database"] == "unreachable"
	})
	if status, err := post(p.URL, tok, "/api/roles", `{"name":"during","description":"d","type":"MachineToMachine"}`); err != nil || status < 500 {
		t.Fatalf("a write during the outage: %d %v, want a 5xx", status, err)
	}

	px.start(t)
	within(t, 30*time.Second, "/readyz answers 200 again", func() bool {
		return p.getJSON(t, "", "/readyz", &ready) == 200
	})
	within(t, 30*time.Second, "writes work again", func() bool {
		status, err := post(p.URL, tok, "/api/roles", `{"name":"after","description":"d","type":"MachineToMachine"}`)
		return err == nil && status == 200
	})
	if status, m := p.token(t, bootID, bootSecret, form); status != 200 {
		t.Fatalf("token after the outage: %d %v", status, m)
	}
}

// getJSON GETs path (with a bearer token unless tok is "") into v and
// returns the status.
func (p *process) getJSON(t *testing.T, tok, path string, v any) int {
	t.Helper()
	req, _ := http.NewRequest("GET", p.URL+path, nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	_ = json.Unmarshal(body, v)
	return res.StatusCode
}

// proxy is a loopback TCP proxy to a backend that can be cut (listener
// closed, every open connection reset) and restored on the same address.
type proxy struct {
	addr, backend string
	mu            sync.Mutex
	ln            net.Listener
	conns         map[net.Conn]bool
}

func startProxy(t *testing.T, backend string) *proxy {
	t.Helper()
	px := &proxy{backend: backend, conns: map[net.Conn]bool{}}
	px.addr = "127.0.0.1:0"
	px.start(t)
	t.Cleanup(px.stop)
	return px
}

func (px *proxy) start(t *testing.T) {
	t.Helper()
	var ln net.Listener
	var err error
	// The port was just given up by stop; retry briefly if the kernel
	// still holds it.
	for i := 0; i < 50; i++ {
		if ln, err = net.Listen("tcp", px.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	px.mu.Lock()
	px.ln, px.addr = ln, ln.Addr().String()
	px.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go px.serve(c)
		}
	}()
}

func (px *proxy) serve(c net.Conn) {
	b, err := net.Dial("tcp", px.backend)
	if err != nil {
		c.Close()
		return
	}
	px.mu.Lock()
	if px.ln == nil { // cut while dialling
		px.mu.Unlock()
		c.Close()
		b.Close()
		return
	}
	px.conns[c], px.conns[b] = true, true
	px.mu.Unlock()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		done <- struct{}{}
	}
	go pipe(b, c)
	go pipe(c, b)
	<-done
	c.Close()
	b.Close()
	px.mu.Lock()
	delete(px.conns, c)
	delete(px.conns, b)
	px.mu.Unlock()
}

// stop closes the listener and resets every open connection.
func (px *proxy) stop() {
	px.mu.Lock()
	defer px.mu.Unlock()
	if px.ln != nil {
		px.ln.Close()
		px.ln = nil
	}
	for c := range px.conns {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		c.Close()
		delete(px.conns, c)
	}
}
