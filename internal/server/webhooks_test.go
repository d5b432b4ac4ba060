package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/monban/monban/internal/egress"
	"github.com/monban/monban/internal/server"
	"github.com/monban/monban/internal/testwait"
	"github.com/monban/monban/internal/webhook"
)

// allowLoopbackHooks lets webhooks reach the test receivers on 127.0.0.1.
func allowLoopbackHooks(c *server.Config) {
	c.Webhooks = webhook.DefaultOptions()
	c.Webhooks.Egress = egress.Policy{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	c.Webhooks.Poll = 20 * time.Millisecond
}

// collector is a webhook receiver that records what it gets.
type collector struct {
	mu       sync.Mutex
	payloads []map[string]any
	sigOK    []bool
	key      string
}

func (c *collector) handler(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var p map[string]any
	_ = json.Unmarshal(b, &p)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.payloads = append(c.payloads, p)
	c.sigOK = append(c.sigOK, r.Header.Get(webhook.SignatureHeader) == webhook.Sign(c.key, b))
}

func (c *collector) find(event string) (map[string]any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, p := range c.payloads {
		if p["event"] == event {
			return p, c.sigOK[i]
		}
	}
	return nil, false
}

// TestWebhooksEndToEnd: a hosted sign-in fires PostSignIn and a Management
// API change fires its data event, delivered by the running server; a
// receiver that hangs holds up neither token issuance nor the Management
// API, and the delivery it holds is sent after a restart.
func TestWebhooksEndToEnd(t *testing.T) {
	f := newUserFixture(t, allowLoopbackHooks)

	good := &collector{}
	goodSrv := httptest.NewServer(http.HandlerFunc(good.handler))
	defer goodSrv.Close()
	h := f.mustAPI(f.mt, "POST", "/api/hooks", map[string]any{"name": "good", "events": []string{"PostSignIn", "User.Data.Updated"},
		"config": map[string]any{"url": goodSrv.URL}}, 201)
	good.mu.Lock()
	good.key = h["signingKey"].(string)
	good.mu.Unlock()

	// A receiver that takes every request and never answers, until the test
	// lets it go.
	release := make(chan struct{})
	var hanging sync.WaitGroup
	entered := make(chan struct{}, 16)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hanging.Add(1)
		defer hanging.Done()
		entered <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	f.mustAPI(f.mt, "POST", "/api/hooks", map[string]any{"name": "slow", "events": []string{"User.Created"},
		"config": map[string]any{"url": slow.URL}}, 201)

	// A Management API change: delivered to the good receiver, signed.
	f.mustAPI(f.mt, "PATCH", "/api/users/"+f.userID, map[string]any{"name": "Jane Hooked"}, 200)
	testwait.Until(t, "User.Data.Updated delivered", func() bool { _, ok := good.find("User.Data.Updated"); return ok })
	p, sigOK := good.find("User.Data.Updated")
	if !sigOK || p["path"] != "/users/"+f.userID || p["data"].(map[string]any)["name"] != "Jane Hooked" {
		t.Errorf("User.Data.Updated: signature ok %v, payload %v", sigOK, p)
	}

	// A hosted sign-in: PostSignIn with the user and the application.
	f.signedIn(t)
	testwait.Until(t, "PostSignIn delivered", func() bool { _, ok := good.find("PostSignIn"); return ok })
	p, sigOK = good.find("PostSignIn")
	user, _ := p["user"].(map[string]any)
	app, _ := p["application"].(map[string]any)
	if !sigOK || p["userId"] != f.userID || p["interactionEvent"] != "SignIn" || user["username"] != "jane" || app["id"] != f.spa.ID ||
		p["sessionId"] == nil || p["userIp"] == nil {
		t.Errorf("PostSignIn: signature ok %v, payload %v", sigOK, p)
	}
	if _, hasHash := user["passwordDigest"]; hasHash {
		t.Error("PostSignIn carries the password")
	}

	// Creating a user sends User.Created to the hanging receiver; while the
	// delivery hangs there, tokens are issued and the API answers.
	f.mustAPI(f.mt, "POST", "/api/users", map[string]any{"username": "blocked"}, 200)
	select {
	case <-entered:
	case <-time.After(testwait.Timeout):
		t.Fatal("the hanging receiver was never called")
	}
	r := f.tokenForm(bootID, bootSecret, url.Values{"grant_type": {"client_credentials"}, "resource": {f.Mgmt}, "scope": {"all"}})
	if r.Status != 200 {
		t.Fatalf("token while a delivery hangs: %d %s", r.Status, r.Body)
	}
	f.mustAPI(f.mt, "POST", "/api/users", map[string]any{"username": "also_fine"}, 200)

	// The server stops with the delivery in flight (it is not waited for
	// past the shutdown); after a restart it is sent again.
	f.restartWith(func(c *server.Config) {
		c.Users.PasswordParams = fastPasswords
		allowLoopbackHooks(c)
	})
	select {
	case <-entered:
	case <-time.After(testwait.Timeout):
		t.Fatal("the delivery cut short by the shutdown was not retried after the restart")
	}
}
