package webhook

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/monban/monban/internal/egress"
	"github.com/monban/monban/internal/sealed"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/store/sqlite"
	"github.com/monban/monban/internal/store/storetest"
)

// loopback allows the test receivers, which listen on 127.0.0.1.
var loopback = egress.Policy{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}

// clock is a settable time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// received is one request a receiver got.
type received struct {
	header http.Header
	body   []byte
}

// receiver is a real HTTP endpoint on loopback that answers with status()
// and records what it gets.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []received
	status func() int
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{status: func() int { return 200 }}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{req.Header.Clone(), b})
		st := r.status
		r.mu.Unlock()
		w.WriteHeader(st())
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

type fixture struct {
	key   sealed.Key
	t     *testing.T
	path  string
	st    store.Store
	clock *clock
	svc   *Service
	disp  *Dispatcher
	opts  Options
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, path: filepath.Join(t.TempDir(), "m.db"), clock: &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}}
	st, err := sqlite.Open(context.Background(), f.path)
	if err != nil {
		t.Fatal(err)
	}
	f.key = storetest.NewKey(t)
	storetest.Unlock(t, st, f.key)
	t.Cleanup(func() { st.Close() })
	f.st = st
	f.opts = DefaultOptions()
	f.opts.Egress, f.opts.Now, f.opts.Timeout = loopback, f.clock.Now, 2*time.Second
	f.svc = NewService(st, loopback, 2*time.Second, f.clock.Now)
	f.disp = NewDispatcher(st, f.opts)
	return f
}

func (f *fixture) hook(url string, events ...string) store.Hook {
	f.t.Helper()
	h, err := f.svc.Create(context.Background(), Patch{Events: &events, Config: &Config{URL: url, Headers: map[string]string{"X-Api-Key": "k1"}}})
	if err != nil {
		f.t.Fatalf("create hook: %v", err)
	}
	return h
}

// api is a context as the Management API gives its writes.
func api(method, route, path string, params map[string]string) context.Context {
	return store.WithOrigin(context.Background(), store.EventOrigin{Method: method, Path: path, Route: route, Params: params,
		IP: "203.0.113.9", UserAgent: "test-agent/1"})
}

func (f *fixture) createUser(id string) {
	f.t.Helper()
	u := store.User{ID: id, Username: "user_" + id, PrimaryEmail: id + "@example.com", CustomData: map[string]any{"plan": "pro"},
		PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", CreatedAt: f.clock.Now(), UpdatedAt: f.clock.Now()}
	if err := f.st.CreateUser(api("POST", "/users", "/users", nil), u); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) attempts(h store.Hook) []store.DeliveryAttempt {
	f.t.Helper()
	list, _, err := f.st.ListAttempts(context.Background(), h.ID, store.AttemptFilter{}, store.Page{})
	if err != nil {
		f.t.Fatal(err)
	}
	return list
}

// TestDeliveredSigned: a committed change is delivered once, as Logto's
// payload, with the hook's headers and a signature the receiver can check.
func TestDeliveredSigned(t *testing.T) {
	f := newFixture(t)
	rcv := newReceiver(t)
	h := f.hook(rcv.URL+"/hook", "User.Created", "User.Deleted")
	other := f.hook(rcv.URL+"/other", "Role.Created")
	f.createUser("u1")
	// A write without an origin (seeding, sign-in internals) fires nothing.
	if err := f.st.CreateUser(context.Background(), store.User{ID: "u2", Username: "quiet", CreatedAt: f.clock.Now(), UpdatedAt: f.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	f.disp.Round(context.Background())
	f.disp.Round(context.Background())
	got := rcv.requests()
	if len(got) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(got))
	}
	r := got[0]
	if sig := r.header.Get(SignatureHeader); sig != Sign(h.SigningKey, r.body) || len(sig) != 64 {
		t.Errorf("signature %q does not verify", sig)
	}
	if r.header.Get("X-Api-Key") != "k1" || r.header.Get("User-Agent") != UserAgent || r.header.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", r.header)
	}
	var p map[string]any
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatal(err)
	}
	data, _ := p["data"].(map[string]any)
	if p["hookId"] != h.ID || p["event"] != "User.Created" || p["method"] != "POST" || p["path"] != "/users" || p["matchedRoute"] != "/users" ||
		p["status"] != 200.0 || p["ip"] != "203.0.113.9" || p["userAgent"] != "test-agent/1" || data["id"] != "u1" ||
		data["primaryEmail"] != "u1@example.com" || data["hasPassword"] != true {
		t.Errorf("payload %s", r.body)
	}
	if strings.Contains(string(r.body), "argon2") || strings.Contains(string(r.body), "redacted") {
		t.Errorf("the payload carries the password hash: %s", r.body)
	}
	if _, err := time.Parse(time.RFC3339Nano, p["createdAt"].(string)); err != nil {
		t.Errorf("createdAt %v", p["createdAt"])
	}
	if a := f.attempts(h); len(a) != 1 || !a[0].Success || a[0].Status != 200 || string(a[0].Body) != string(r.body) {
		t.Errorf("attempts %+v", a)
	}
	if a := f.attempts(other); len(a) != 0 {
		t.Errorf("a hook not listening got %+v", a)
	}

	// The deleted user's info, picked as Logto picks it.
	if err := f.st.DeleteUser(api("DELETE", "/users/:userId", "/users/u1", map[string]string{"userId": "u1"}), "u1", f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	f.disp.Round(context.Background())
	got = rcv.requests()
	if len(got) != 2 {
		t.Fatalf("receiver got %d requests, want 2", len(got))
	}
	p = nil
	_ = json.Unmarshal(got[1].body, &p)
	data, _ = p["data"].(map[string]any)
	if p["event"] != "User.Deleted" || p["status"] != 204.0 || data["id"] != "u1" || data["username"] != "user_u1" {
		t.Errorf("deletion payload %s", got[1].body)
	}
	if _, ok := data["hasPassword"]; ok {
		t.Errorf("user info has fields Logto does not pick: %s", got[1].body)
	}
}

// TestRetriedWithBackoff: failures (an error status, then a receiver that
// is down) are retried after doubling waits, and the delivery arrives when
// the receiver comes back; every attempt is on record.
func TestRetriedWithBackoff(t *testing.T) {
	f := newFixture(t)
	f.opts.BaseDelay, f.opts.MaxDelay = 10*time.Second, time.Hour
	f.disp = NewDispatcher(f.st, f.opts)
	// A port with nothing listening: the receiver is down.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	h := f.hook("http://"+addr+"/hook", "User.Created")
	f.createUser("u1")
	ctx := context.Background()

	f.disp.Round(ctx) // attempt 1: connection refused
	if a := f.attempts(h); len(a) != 1 || a[0].Success || a[0].Error == "" {
		t.Fatalf("after attempt 1: %+v", a)
	}
	f.clock.Add(9 * time.Second)
	f.disp.Round(ctx) // not due yet
	if a := f.attempts(h); len(a) != 1 {
		t.Fatalf("retried before its time: %+v", a)
	}
	f.clock.Add(time.Second)
	f.disp.Round(ctx) // attempt 2, after 10 s: still down
	if a := f.attempts(h); len(a) != 2 {
		t.Fatalf("after attempt 2: %+v", a)
	}
	f.clock.Add(19 * time.Second)
	f.disp.Round(ctx)
	if a := f.attempts(h); len(a) != 2 {
		t.Fatalf("the second wait did not double: %+v", a)
	}
	// The receiver comes back on the same address, answering 500 once.
	l2, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen again on %s: %v", addr, err)
	}
	rcv := &receiver{status: func() int { return 500 }}
	rcv.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		rcv.mu.Lock()
		rcv.got = append(rcv.got, received{req.Header.Clone(), b})
		st := rcv.status
		rcv.mu.Unlock()
		w.WriteHeader(st())
		_, _ = w.Write([]byte(`{"error":"busy"}`))
	}))
	rcv.Listener.Close()
	rcv.Listener = l2
	rcv.Start()
	defer rcv.Close()
	f.clock.Add(time.Second)
	f.disp.Round(ctx) // attempt 3: 500
	a := f.attempts(h)
	if len(a) != 3 || a[0].Status != 500 || a[0].Response != `{"error":"busy"}` || a[0].Success {
		t.Fatalf("after attempt 3: %+v", a)
	}
	rcv.mu.Lock()
	rcv.status = func() int { return 204 }
	rcv.mu.Unlock()
	f.clock.Add(40 * time.Second)
	f.disp.Round(ctx) // attempt 4: delivered
	f.clock.Add(time.Hour)
	f.disp.Round(ctx) // nothing more
	a = f.attempts(h)
	if len(a) != 4 || !a[0].Success || a[0].Status != 204 {
		t.Fatalf("after attempt 4: %+v", a)
	}
	if n := len(rcv.requests()); n != 2 {
		t.Errorf("the receiver got %d requests, want 2", n)
	}
	if got := rcv.requests()[1]; got.header.Get(SignatureHeader) != Sign(h.SigningKey, got.body) {
		t.Error("a retry's signature does not verify")
	}
}

// TestGivesUp: a delivery that always fails is tried MaxAttempts times.
func TestGivesUp(t *testing.T) {
	f := newFixture(t)
	f.opts.MaxAttempts, f.opts.BaseDelay, f.opts.MaxDelay = 3, time.Second, 2*time.Second
	f.disp = NewDispatcher(f.st, f.opts)
	rcv := newReceiver(t)
	rcv.status = func() int { return 503 }
	f.hook(rcv.URL, "User.Created")
	f.createUser("u1")
	for range 10 {
		f.disp.Round(context.Background())
		f.clock.Add(time.Minute)
	}
	if n := len(rcv.requests()); n != 3 {
		t.Errorf("%d attempts, want 3", n)
	}
	if got := f.disp.backoff(1); got != time.Second {
		t.Errorf("backoff(1) = %v", got)
	}
	if got := f.disp.backoff(5); got != 2*time.Second {
		t.Errorf("backoff(5) = %v, want the maximum", got)
	}
}

// TestRestartBetweenCommitAndDelivery: an event committed while no
// dispatcher runs is delivered by the next process on the same database,
// and a delivery claimed by an instance that died is sent once its lease
// runs out, not before.
func TestRestartBetweenCommitAndDelivery(t *testing.T) {
	f := newFixture(t)
	rcv := newReceiver(t)
	h := f.hook(rcv.URL, "User.Created")
	f.createUser("u1")
	// The process stops before any round; a new one opens the database.
	if err := f.st.Close(); err != nil {
		t.Fatal(err)
	}
	st2, err := sqlite.Open(context.Background(), f.path)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	storetest.Unlock(t, st2, f.key)
	if n := len(rcv.requests()); n != 0 {
		t.Fatalf("delivered before any dispatcher ran (%d)", n)
	}
	NewDispatcher(st2, f.opts).Round(context.Background())
	got := rcv.requests()
	if len(got) != 1 || got[0].header.Get(SignatureHeader) != Sign(h.SigningKey, got[0].body) {
		t.Fatalf("after the restart the receiver got %d requests", len(got))
	}
}

// TestDeadInstanceLease: a delivery claimed by an instance that died is
// sent by another once its lease runs out, and not before.
func TestDeadInstanceLease(t *testing.T) {
	f := newFixture(t)
	rcv := newReceiver(t)
	h := f.hook(rcv.URL, "User.Created")
	f.createUser("u1")
	ctx := context.Background()
	// Plan only, then a "dead" instance claims it and never finishes.
	if _, err := f.disp.plan(ctx); err != nil {
		t.Fatal(err)
	}
	claimed, err := f.st.ClaimDeliveries(ctx, "dead", f.clock.Now(), f.disp.lease(), 10)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim %v %v", claimed, err)
	}
	f.disp.Round(ctx)
	if n := len(rcv.requests()); n != 0 {
		t.Fatalf("a leased delivery was sent by another instance (%d)", n)
	}
	f.clock.Add(f.disp.lease())
	f.disp.Round(ctx)
	if n := len(rcv.requests()); n != 1 {
		t.Fatalf("after the lease ran out the receiver got %d requests, want 1", n)
	}
	if a := f.attempts(h); len(a) != 1 || !a[0].Success {
		t.Errorf("attempts %+v", a)
	}
}

// TestConcurrentDispatchers: two dispatchers over one database send each
// delivery once.
func TestConcurrentDispatchers(t *testing.T) {
	f := newFixture(t)
	var mu sync.Mutex
	seen := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p struct {
			Data struct{ ID string } `json:"data"`
		}
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &p)
		mu.Lock()
		seen[p.Data.ID]++
		mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}))
	defer srv.Close()
	f.hook(srv.URL, "User.Created")
	const n = 40
	for i := range n {
		f.createUser("u" + string(rune('a'+i%26)) + string(rune('a'+i/26)))
	}
	f.opts.Batch = 3
	a, b := NewDispatcher(f.st, f.opts), NewDispatcher(f.st, f.opts)
	var wg sync.WaitGroup
	for _, d := range []*Dispatcher{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 30 {
				d.Round(context.Background())
			}
		}()
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != n {
		t.Errorf("%d users delivered, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("%s delivered %d times", id, c)
		}
	}
}

// TestDisabledHook: a disabled hook gets nothing, and a hook disabled after
// a delivery was planned does not get it either.
func TestDisabledHook(t *testing.T) {
	f := newFixture(t)
	rcv := newReceiver(t)
	h := f.hook(rcv.URL, "User.Created")
	off := false
	if _, err := f.svc.Update(context.Background(), h.ID, Patch{Enabled: &off}); err != nil {
		t.Fatal(err)
	}
	f.createUser("u1")
	f.disp.Round(context.Background())
	on := true
	if _, err := f.svc.Update(context.Background(), h.ID, Patch{Enabled: &on}); err != nil {
		t.Fatal(err)
	}
	f.createUser("u2")
	if _, err := f.disp.plan(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Update(context.Background(), h.ID, Patch{Enabled: &off}); err != nil {
		t.Fatal(err)
	}
	f.disp.Round(context.Background())
	if n := len(rcv.requests()); n != 0 {
		t.Errorf("a disabled hook got %d requests", n)
	}
}

// TestFailuresLoggedWithoutSecrets: a failed delivery is logged with its
// hook, event and reason, never its body, headers or signing key.
func TestFailuresLoggedWithoutSecrets(t *testing.T) {
	f := newFixture(t)
	var logs strings.Builder
	var mu sync.Mutex
	f.opts.Logger = slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(p)
	}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.opts.MaxAttempts = 2
	f.disp = NewDispatcher(f.st, f.opts)
	rcv := newReceiver(t)
	rcv.status = func() int { return 500 }
	events := []string{"User.Created"}
	h, err := f.svc.Create(context.Background(), Patch{Events: &events, Config: &Config{URL: rcv.URL + "/hook?token=url-secret",
		Headers: map[string]string{"Authorization": "Bearer header-secret-value"}}})
	if err != nil {
		t.Fatal(err)
	}
	f.createUser("u1")
	f.disp.Round(context.Background())
	f.clock.Add(time.Hour)
	f.disp.Round(context.Background())
	mu.Lock()
	out := logs.String()
	mu.Unlock()
	if !strings.Contains(out, "webhook delivery failed; will retry") || !strings.Contains(out, "webhook delivery given up") ||
		!strings.Contains(out, h.ID) || !strings.Contains(out, "the endpoint answered 500") {
		t.Errorf("logs lack the failure: %s", out)
	}
	for _, secret := range []string{h.SigningKey, "header-secret-value", "u1@example.com", "url-secret", "argon2"} {
		if strings.Contains(out, secret) {
			t.Errorf("the logs hold %q: %s", secret, out)
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
