package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/monban/monban/internal/connector"
	"github.com/monban/monban/internal/egress"
	"github.com/monban/monban/internal/server"
	"github.com/monban/monban/internal/smtpsink"
	"github.com/monban/monban/internal/store/storetest"
	"github.com/monban/monban/internal/verifycode"
)

// lateDeliverer hands codes to a deliverer set after the server started
// (one over the server's own database).
type lateDeliverer struct {
	d atomic.Pointer[connector.Service]
}

func (l *lateDeliverer) Deliver(ctx context.Context, m verifycode.Message) error {
	return l.d.Load().Deliver(ctx, m)
}

func (l *lateDeliverer) HasChannel(ch verifycode.Channel) bool { return l.d.Load().HasChannel(ch) }

// smsReceiver is an HTTP SMS gateway that keeps what it is sent.
type smsReceiver struct {
	mu     sync.Mutex
	bodies []map[string]any
	got    chan struct{}
}

func (s *smsReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var m map[string]any
	b, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(b, &m)
	s.mu.Lock()
	s.bodies = append(s.bodies, m)
	s.mu.Unlock()
	s.got <- struct{}{}
}

// The passwordless flow with real delivery: the code goes through the
// connectors' outbox to an SMTP server (STARTTLS, AUTH PLAIN) and to an
// HTTP SMS gateway, and is read out of what they received.
func TestAuth0PasswordlessDelivery(t *testing.T) {
	key := storetest.NewKey(t)
	late := &lateDeliverer{}
	f := newPwlessFixture(t, func(c *server.Config) { c.SecretKey, c.CodeDeliverer = key, late })
	st, _, err := server.OpenStore(context.Background(), "sqlite://"+f.dbPath, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	storetest.Unlock(t, st, key)
	sink := smtpsink.Start(t, smtpsink.Options{STARTTLS: true, User: "mailer", Pass: "p4ss word"})
	sms := &smsReceiver{got: make(chan struct{}, 4)}
	gw := httptest.NewServer(sms)
	t.Cleanup(gw.Close)

	opts := connector.DefaultOptions()
	opts.Egress = egress.Policy{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	opts.Roots, opts.Timeout, opts.Poll = sink.Roots, 5*time.Second, 50*time.Millisecond
	svc := connector.New(st, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); svc.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	late.d.Store(svc)
	smtpConfig, _ := json.Marshal(map[string]any{"host": sink.Host, "port": sink.Port, "auth": map[string]any{"type": "login", "user": "mailer", "pass": "p4ss word"},
		"fromEmail": "Monban <no-reply@example.com>", "templates": []any{}, "requireTLS": true})
	for factory, config := range map[string]json.RawMessage{connector.FactorySMTP: smtpConfig, connector.FactoryHTTPSMS: json.RawMessage(`{"endpoint":"` + gw.URL + `/sms"}`)} {
		if _, err := svc.Create(ctx, connector.Input{ConnectorID: factory, Config: config}); err != nil {
			t.Fatalf("connector %s: %v", factory, err)
		}
	}

	// By e-mail, in English.
	r := f.postJSON("/passwordless/start", map[string]any{"client_id": f.spa.ID, "connection": "email", "email": "jane@example.com", "send": "code"})
	if r.Status != 200 {
		t.Fatalf("start: %d %s", r.Status, r.Body)
	}
	code := sink.Code(t, "jane@example.com", 0, 30*time.Second)
	if m := sink.Messages()[0]; !m.TLS || m.Authed != "mailer" || m.Subject != "Your sign-in code" {
		t.Errorf("the e-mail: tls %v, authed %q, subject %q", m.TLS, m.Authed, m.Subject)
	}
	if r := f.otp(f.spa, "email", "jane@example.com", code, map[string]string{"scope": "openid"}); r.Status != 200 {
		t.Fatalf("otp grant with the e-mailed code: %d %s", r.Status, r.Body)
	}

	// By SMS, in Japanese (x-request-language).
	body, _ := json.Marshal(map[string]any{"client_id": f.spa.ID, "connection": "sms", "phone_number": "+15550100", "send": "code"})
	r = f.do("POST", "/passwordless/start", http.Header{"Content-Type": {"application/json"}, "X-Request-Language": {"ja"}}, bytes.NewReader(body))
	if r.Status != 200 {
		t.Fatalf("start by SMS: %d %s", r.Status, r.Body)
	}
	select {
	case <-sms.got:
	case <-time.After(30 * time.Second):
		t.Fatal("no SMS was sent")
	}
	sms.mu.Lock()
	got := sms.bodies[0]
	sms.mu.Unlock()
	if got["to"] != "+15550100" || got["type"] != "SignIn" || got["locale"] != "ja" {
		t.Errorf("the SMS: %v", got)
	}
	if r := f.otp(f.spa, "sms", "+15550100", got["code"].(string), map[string]string{"scope": "openid"}); r.Status != 200 {
		t.Fatalf("otp grant with the SMS code: %d %s", r.Status, r.Body)
	}
}
