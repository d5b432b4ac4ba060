package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/monban/monban/internal/store/postgres"
	"github.com/monban/monban/internal/store/storetest"
)

// buildMonban builds the monban binary once for the tests that run it as a
// real process.
var buildMonban = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "monban-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "monban")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/monban/monban/cmd/monban").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// process is a `monban serve` child process.
type process struct {
	URL  string
	cmd  *exec.Cmd
	logs *syncBuffer
}

// readyAddr finds the address in the start-up line of `monban serve`.
var readyAddr = regexp.MustCompile(`msg="monban is ready".* addr=(\S+)`)

// startProcess runs monban serve with env added to the environment (which
// must leave the log level at info: the start-up line names the address). All
// instances of a cluster share endpoint (the issuer), as they would behind
// one load balancer.
func startProcess(t *testing.T, endpoint string, env ...string) *process {
	t.Helper()
	bin, err := buildMonban()
	if err != nil {
		t.Fatal(err)
	}
	p := &process{logs: &syncBuffer{}}
	p.cmd = exec.Command(bin, "serve")
	// The process binds a port of its own choosing and logs it: a port
	// found free here and bound there could be taken in between.
	p.cmd.Env = append(os.Environ(), append([]string{
		"MONBAN_ADDR=127.0.0.1:0", "MONBAN_ENDPOINT=" + endpoint, "MONBAN_LOG_LEVEL=info", "MONBAN_LOG_FORMAT=text",
		"MONBAN_BOOTSTRAP_APP_ID=" + bootID, "MONBAN_BOOTSTRAP_APP_SECRET=" + bootSecret,
	}, env...)...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = p.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = p.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = p.cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("logs of %s:\n%s", p.URL, p.logs.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		if p.URL == "" {
			if m := readyAddr.FindStringSubmatch(p.logs.String()); m != nil {
				p.URL = "http://" + m[1]
			}
		}
		if p.URL != "" {
			res, err := http.Get(p.URL + "/readyz")
			if err == nil {
				res.Body.Close()
				if res.StatusCode == 200 {
					return p
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not become ready:\n%s", p.URL, p.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// send sends req and returns the status and the JSON object answered, if
// any.
func (p *process) send(t *testing.T, req *http.Request) (int, map[string]any) {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, m
}

// post sends a form to path as the client id:secret (HTTP Basic).
func (p *process) post(t *testing.T, path, id, secret string, form url.Values) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", p.URL+path, strings.NewReader(form.Encode()))
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return p.send(t, req)
}

func (p *process) token(t *testing.T, id, secret string, form url.Values) (int, map[string]any) {
	t.Helper()
	return p.post(t, "/oidc/token", id, secret, form)
}

func (p *process) api(t *testing.T, tok, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, p.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	return p.send(t, req)
}

func (p *process) jwks(t *testing.T) jose.JSONWebKeySet {
	t.Helper()
	res, err := http.Get(p.URL + "/oidc/jwks")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(res.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	return set
}

// verifies reports whether raw verifies against set.
func verifies(raw string, set jose.JSONWebKeySet) error {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.RS256, jose.EdDSA})
	if err != nil {
		return err
	}
	keys := set.Key(tok.Headers[0].KeyID)
	if len(keys) == 0 {
		return fmt.Errorf("kid %s is not published", tok.Headers[0].KeyID)
	}
	var c map[string]any
	return tok.Claims(keys[0].Key, &c)
}

// within polls cond for up to limit and fails naming what did not happen.
func within(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("%s: after %v", what, time.Since(start).Round(time.Millisecond))
}

// Two real monban processes on one PostgreSQL database behave as one
// server: changes made through either are honoured by the other within a
// second, and key rotation never lets a token be signed with a key the
// other instance does not publish.
func TestTwoInstancesOnPostgres(t *testing.T) {
	dbURL := postgres.NewTestDatabase(t)
	endpoint := "http://monban.test"
	env := []string{"MONBAN_DATABASE_URL=" + dbURL, "MONBAN_SECRET_KEY=" + storetest.NewKey(t).Encode(), "MONBAN_KEY_PUBLISH_DELAY=1s",
		"MONBAN_RATE_LIMIT_TOKEN_CLIENT=0", "MONBAN_RATE_LIMIT_TOKEN_IP=0", "MONBAN_RATE_LIMIT_MANAGEMENT=0"}
	a := startProcess(t, endpoint, env...)
	b := startProcess(t, endpoint, env...)
	mgmt := endpoint + "/api"

	status, tokA := a.token(t, bootID, bootSecret, url.Values{"grant_type": {"client_credentials"}, "resource": {mgmt}, "scope": {"all"}})
	if status != 200 {
		t.Fatalf("management token: %d %v", status, tokA)
	}
	mt := tokA["access_token"].(string)

	_, res := a.api(t, mt, "POST", "/api/resources", map[string]any{"name": "Shopping", "indicator": "https://shopping.api"})
	_, scope := a.api(t, mt, "POST", "/api/resources/"+res["id"].(string)+"/scopes", map[string]any{"name": "read:products"})
	_, role := a.api(t, mt, "POST", "/api/roles", map[string]any{"name": "Reader", "description": "reads", "type": "MachineToMachine", "scopeIds": []string{scope["id"].(string)}})
	status, app := a.api(t, mt, "POST", "/api/applications", map[string]any{"name": "Worker", "type": "MachineToMachine"})
	if status != 200 {
		t.Fatalf("create app: %d %v", status, app)
	}
	id, secret := app["id"].(string), app["secret"].(string)
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {"https://shopping.api"}, "scope": {"read:products"}}

	within(t, time.Second, "an app created through A gets tokens from B", func() bool {
		s, _ := b.token(t, id, secret, form)
		return s == 200
	})
	a.api(t, mt, "POST", "/api/applications/"+id+"/roles", map[string]any{"roleIds": []string{role["id"].(string)}})
	within(t, time.Second, "a role given through A grants scopes on B", func() bool {
		_, m := b.token(t, id, secret, form)
		return m["scope"] == "read:products"
	})
	if s, _ := b.api(t, mt, "DELETE", "/api/applications/"+id+"/roles/"+role["id"].(string), nil); s != 204 {
		t.Fatalf("remove role through B: %d", s)
	}
	within(t, time.Second, "a role removed through B stops granting scopes on A", func() bool {
		_, m := a.token(t, id, secret, form)
		return m["scope"] == ""
	})

	// The sign-in experience changed through A is what B answers: its
	// cache is dropped by the outbox event.
	if s, _ := b.api(t, mt, "GET", "/api/sign-in-exp", nil); s != 200 {
		t.Fatalf("sign-in experience through B: %d", s)
	}
	if s, m := a.api(t, mt, "PATCH", "/api/sign-in-exp", map[string]any{"signInMode": "SignIn"}); s != 200 {
		t.Fatalf("sign-in experience through A: %d %v", s, m)
	}
	within(t, 2*time.Second, "a sign-in experience changed through A is B's", func() bool {
		_, m := b.api(t, mt, "GET", "/api/sign-in-exp", nil)
		return m["signInMode"] == "SignIn"
	})

	// Rotate through A while both instances issue tokens: every token, from
	// either, must verify against both instances' JWKS at that moment.
	oldKid := a.jwks(t).Keys[0].KeyID
	var issued, checked atomic.Int32
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	for _, p := range []*process{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				s, m := p.token(t, id, secret, form)
				if s != 200 {
					continue
				}
				issued.Add(1)
				raw := m["access_token"].(string)
				for _, q := range []*process{a, b} {
					if err := verifies(raw, q.jwks(t)); err != nil {
						mu.Lock()
						failures = append(failures, fmt.Sprintf("token from %s against %s's JWKS: %v", p.URL, q.URL, err))
						mu.Unlock()
					}
				}
				checked.Add(1)
			}
		}()
	}
	status, _ = a.api(t, mt, "POST", "/api/configs/oidc/private-keys/rotate", map[string]any{"signingKeyAlgorithm": "ES256"})
	if status != 200 {
		t.Fatalf("rotate: %d", status)
	}
	newKid := ""
	// Rotation returns at once; the key signs after the 1 s publish delay.
	within(t, 3*time.Second, "tokens from both instances carry the new key", func() bool {
		var kids []string
		for _, p := range []*process{a, b} {
			_, m := p.token(t, id, secret, form)
			tok, err := jwt.ParseSigned(m["access_token"].(string), []jose.SignatureAlgorithm{jose.ES256})
			if err != nil {
				return false
			}
			kids = append(kids, tok.Headers[0].KeyID)
		}
		newKid = kids[0]
		return kids[0] != oldKid && kids[0] == kids[1]
	})
	time.Sleep(200 * time.Millisecond)
	stop()
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d of %d tokens failed:\n%s", len(failures), checked.Load(), strings.Join(failures[:min(5, len(failures))], "\n"))
	}
	t.Logf("%d tokens issued during rotation, each verified against both JWKS; new kid %s", issued.Load(), newKid)

	// A secret deleted through A stops working on B.
	a.api(t, mt, "DELETE", "/api/applications/"+id+"/secrets/"+url.PathEscape(firstSecretNameOf(t, a, mt, id)), nil)
	within(t, time.Second, "a secret deleted through A stops working on B", func() bool {
		s, _ := b.token(t, id, secret, form)
		return s == 401
	})
}

func firstSecretNameOf(t *testing.T, p *process, mt, appID string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", p.URL+"/api/applications/"+appID+"/secrets", nil)
	req.Header.Set("Authorization", "Bearer "+mt)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var list []map[string]any
	if err := json.NewDecoder(res.Body).Decode(&list); err != nil || len(list) == 0 {
		t.Fatalf("secrets: %v", err)
	}
	return list[0]["name"].(string)
}
