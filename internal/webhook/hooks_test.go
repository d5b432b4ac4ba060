package webhook

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/egress"
	"github.com/monban/monban/internal/store"
)

// TestEgress: a private address is refused when the hook is made or tested
// and, for a name that resolves to one, when the delivery dials.
func TestEgress(t *testing.T) {
	f := newFixture(t)
	strict := NewService(f.st, egress.Policy{}, time.Second, f.clock.Now)
	events := []string{"User.Created"}
	hook := f.hook("https://example.com/", "User.Created")
	for _, u := range []string{"http://127.0.0.1:9/x", "http://10.1.2.3/", "http://169.254.169.254/latest", "http://[::1]/", "ftp://example.com/", "http://u:p@example.com/"} {
		_, err := strict.Create(context.Background(), Patch{Events: &events, Config: &Config{URL: u}})
		if e, ok := IsError(err); !ok || e.Reason != ReasonInvalid {
			t.Errorf("create with %s: %v", u, err)
		}
		if err := strict.Test(context.Background(), hook.ID, events, Config{URL: u}); !isReason(err, ReasonInvalid) {
			t.Errorf("test with %s: %v", u, err)
		}
	}
	// localhost passes the URL check (a name) and is refused at dial.
	rcv := newReceiver(t)
	url := strings.Replace(rcv.URL, "127.0.0.1", "localhost", 1)
	h, err := strict.Create(context.Background(), Patch{Events: &events, Config: &Config{URL: url}})
	if err != nil {
		t.Fatal(err)
	}
	opts := f.opts
	opts.Egress = egress.Policy{}
	d := NewDispatcher(f.st, opts)
	f.createUser("u1")
	d.Round(context.Background())
	if n := len(rcv.requests()); n != 0 {
		t.Fatalf("a private address was reached (%d requests)", n)
	}
	if a := f.attempts(h); len(a) != 1 || !strings.Contains(a[0].Error, "not allowed by the egress policy") {
		t.Errorf("attempts %+v", a)
	}
}

// TestHookRules: events are Logto's, a hook needs one, headers are checked.
func TestHookRules(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	bad := []string{"User.Created", "User.Exploded"}
	if _, err := f.svc.Create(ctx, Patch{Events: &bad, Config: &Config{URL: "https://example.com"}}); !isReason(err, ReasonUnknownEvent) {
		t.Errorf("unknown event: %v", err)
	}
	legacy := "User.Nope"
	if _, err := f.svc.Create(ctx, Patch{Event: &legacy, Config: &Config{URL: "https://example.com"}}); !isReason(err, ReasonUnknownEvent) {
		t.Errorf("unknown legacy event: %v", err)
	}
	if _, err := f.svc.Create(ctx, Patch{Config: &Config{URL: "https://example.com"}}); !isReason(err, ReasonMissingEvents) {
		t.Errorf("no events: %v", err)
	}
	ev := []string{"PostRegister", "PostRegister"}
	for _, hd := range []map[string]string{{"Bad Name": "x"}, {"X-A": "a\r\nb"}, {"Host": "evil"}, {SignatureHeader: "forged"}} {
		if _, err := f.svc.Create(ctx, Patch{Events: &ev, Config: &Config{URL: "https://example.com", Headers: hd}}); !isReason(err, ReasonInvalid) {
			t.Errorf("headers %v: %v", hd, err)
		}
	}
	h, err := f.svc.Create(ctx, Patch{Events: &ev, Config: &Config{URL: "https://example.com"}})
	if err != nil || len(h.Events) != 1 || len(h.SigningKey) != 32 || !h.Enabled {
		t.Fatalf("create: %+v %v", h, err)
	}
	h2, err := f.svc.RegenerateKey(ctx, h.ID)
	if err != nil || h2.SigningKey == h.SigningKey || len(h2.SigningKey) != 32 {
		t.Errorf("regenerate: %v", err)
	}
	if got, _ := f.svc.Get(ctx, h.ID); got.SigningKey != h2.SigningKey {
		t.Error("the new key was not stored")
	}
}

func isReason(err error, r Reason) bool {
	e, ok := IsError(err)
	return ok && e.Reason == r
}

// TestTestPayload: the test endpoint sends Logto's test payload to the URL
// given, signed, and reports the endpoint's error.
func TestTestPayload(t *testing.T) {
	f := newFixture(t)
	rcv := newReceiver(t)
	h := f.hook("https://example.com/", "User.Created")
	ctx := context.Background()
	if err := f.svc.Test(ctx, h.ID, []string{"PostSignIn", "Role.Created"}, Config{URL: rcv.URL, Headers: map[string]string{"X-T": "1"}}); err != nil {
		t.Fatal(err)
	}
	got := rcv.requests()
	if len(got) != 2 || got[0].header.Get("X-T") != "1" || got[0].header.Get(SignatureHeader) != Sign(h.SigningKey, got[0].body) {
		t.Fatalf("requests %+v", got)
	}
	var p map[string]any
	_ = json.Unmarshal(got[0].body, &p)
	if p["event"] != "PostSignIn" || p["hookId"] != h.ID || p["sessionId"] != "fake-session-id" {
		t.Errorf("interaction test payload %s", got[0].body)
	}
	_ = json.Unmarshal(got[1].body, &p)
	if p["event"] != "Role.Created" || p["path"] != "/fake-path/:id" {
		t.Errorf("data test payload %s", got[1].body)
	}
	rcv.status = func() int { return 418 }
	err := f.svc.Test(ctx, h.ID, []string{"User.Created"}, Config{URL: rcv.URL})
	if e, ok := IsError(err); !ok || e.Reason != ReasonEndpointError || e.Status != 418 || e.Response != `{"ok":true}` {
		t.Errorf("endpoint error: %#v", err)
	}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	if err := f.svc.Test(ctx, h.ID, []string{"User.Created"}, Config{URL: "http://" + addr}); !isReason(err, ReasonSendFailed) {
		t.Errorf("unreachable endpoint: %v", err)
	}
	if len(f.attempts(h)) != 0 {
		t.Error("a test was recorded as a delivery attempt")
	}
}

// TestCheck: Check judges a new hook as Create does, egress policy
// included, and makes nothing; CheckForm judges all but the policy.
func TestCheck(t *testing.T) {
	f := newFixture(t)
	strict := NewService(f.st, egress.Policy{}, time.Second, f.clock.Now)
	events := []string{"User.Created"}
	unknown := []string{"User.Exploded"}
	for _, c := range []struct {
		p            Patch
		check, form  Reason // 0: accepted
		name, reason string
	}{
		{Patch{Events: &events, Config: &Config{URL: "https://example.com/h"}}, 0, 0, "public", ""},
		{Patch{Events: &events, Config: &Config{URL: "http://10.1.2.3/h"}}, ReasonInvalid, 0, "private address", "egress policy"},
		{Patch{Events: &events, Config: &Config{URL: "http://[::1]/h"}}, ReasonInvalid, 0, "loopback", "egress policy"},
		{Patch{Events: &events, Config: &Config{URL: "ftp://example.com/"}}, ReasonInvalid, ReasonInvalid, "scheme", "http"},
		{Patch{Events: &events, Config: &Config{URL: "https://u:p@example.com/"}}, ReasonInvalid, ReasonInvalid, "credentials", "credentials"},
		{Patch{Events: &unknown, Config: &Config{URL: "https://example.com/"}}, ReasonUnknownEvent, ReasonUnknownEvent, "unknown event", "User.Exploded"},
		{Patch{Config: &Config{URL: "https://example.com/"}}, ReasonMissingEvents, ReasonMissingEvents, "no events", "events"},
		{Patch{Events: &events}, ReasonInvalid, ReasonInvalid, "no config", "config"},
		{Patch{Events: &events, Config: &Config{URL: "https://example.com/", Headers: map[string]string{"X-A": "a\nb"}}}, ReasonInvalid, ReasonInvalid, "header", "X-A"},
	} {
		for _, got := range []struct {
			err  error
			want Reason
		}{{strict.Check(c.p), c.check}, {CheckForm(c.p), c.form}} {
			switch {
			case got.want == 0 && got.err != nil:
				t.Errorf("%s: %v", c.name, got.err)
			case got.want != 0 && (!isReason(got.err, got.want) || !strings.Contains(got.err.Error(), c.reason)):
				t.Errorf("%s: %v, want reason %d naming %q", c.name, got.err, got.want, c.reason)
			}
		}
	}
	if list, _, _ := strict.List(context.Background(), store.Page{}); len(list) != 0 {
		t.Fatalf("a check made %d hook(s)", len(list))
	}
}
