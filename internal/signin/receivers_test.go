package signin

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/monban/monban/internal/connector"
	"github.com/monban/monban/internal/egress"
	"github.com/monban/monban/internal/smtpsink"
	"github.com/monban/monban/internal/webhook"
)

// receivers are the real ends of the fixture's code deliveries once
// useConnectors has run: the SMTP connector sends to an SMTP server
// (smtpsink, over STARTTLS with AUTH), the http-sms connector posts to an
// HTTP gateway that checks each body's signature; both through the
// connectors' durable outbox, as production sends them.
type receivers struct {
	sink *smtpsink.Sink
	sms  *smsGateway

	mu   sync.Mutex
	read map[string]int // per address, how many of its messages were read
}

// smsGateway is the HTTP SMS provider: it keeps the codes of the bodies
// whose signature is right and refuses (and counts) the others.
type smsGateway struct {
	key string

	mu     sync.Mutex
	codes  []smsCode
	forged int
}

type smsCode struct{ to, code, locale string }

func (g *smsGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return
	}
	var m struct{ To, Code, Locale string }
	sig := r.Header.Get(webhook.SignatureHeader)
	g.mu.Lock()
	defer g.mu.Unlock()
	if !hmac.Equal([]byte(sig), []byte(webhook.Sign(g.key, body))) || json.Unmarshal(body, &m) != nil || m.Code == "" {
		g.forged++
		http.Error(w, "bad signature or body", http.StatusUnauthorized)
		return
	}
	g.codes = append(g.codes, smsCode{to: strings.TrimPrefix(m.To, "+"), code: m.Code, locale: m.Locale})
	w.WriteHeader(http.StatusNoContent)
}

// useConnectors replaces the fixture's in-memory outbox with the real
// delivery path: an SMTP and an http-sms connector in the store, the
// connectors' outbox dispatcher running, and the receivers above.
func (f *flows) useConnectors(t *testing.T) *receivers {
	t.Helper()
	rc := &receivers{sink: smtpsink.Start(t, smtpsink.Options{STARTTLS: true, User: "mailer", Pass: "relay pass 7"}),
		sms: &smsGateway{key: "sms signing key 3"}, read: map[string]int{}}
	gw := httptest.NewServer(rc.sms)
	t.Cleanup(gw.Close)
	opts := connector.DefaultOptions()
	opts.Egress = egress.Policy{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	opts.Roots, opts.Timeout, opts.Poll, opts.BaseDelay = rc.sink.Roots, 10*time.Second, 50*time.Millisecond, 200*time.Millisecond
	opts.Now = f.clock.Now
	svc := connector.New(f.st, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); svc.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	smtpConfig, err := json.Marshal(map[string]any{"host": rc.sink.Host, "port": rc.sink.Port,
		"auth":      map[string]any{"type": "login", "user": "mailer", "pass": "relay pass 7"},
		"fromEmail": "Monban <no-reply@example.com>", "templates": []any{}, "requireTLS": true})
	must(t, err)
	smsConfig, err := json.Marshal(map[string]any{"endpoint": gw.URL + "/sms", "signingKey": rc.sms.key})
	must(t, err)
	for factory, config := range map[string][]byte{connector.FactorySMTP: smtpConfig, connector.FactoryHTTPSMS: smsConfig} {
		if _, err := svc.Create(ctx, connector.Input{ConnectorID: factory, Config: config}); err != nil {
			t.Fatalf("connector %s: %v", factory, err)
		}
	}
	f.outbox.via(svc)
	f.mu.Lock()
	f.recv = rc
	f.mu.Unlock()
	t.Cleanup(func() {
		rc.sms.mu.Lock()
		defer rc.sms.mu.Unlock()
		if rc.sms.forged > 0 {
			t.Errorf("the SMS gateway refused %d bodies for their signature", rc.sms.forged)
		}
	})
	return rc
}

var sixDigits = regexp.MustCompile(`\b[0-9]{6}\b`)

// delivered are the codes the receivers got for to (an e-mail address, or
// a phone number's digits), oldest first.
func (rc *receivers) delivered(to string) []string {
	var codes []string
	if strings.Contains(to, "@") {
		for _, m := range rc.sink.Messages() {
			for _, rcpt := range m.To {
				if strings.EqualFold(rcpt, to) {
					codes = append(codes, sixDigits.FindString(m.Body))
				}
			}
		}
		return codes
	}
	rc.sms.mu.Lock()
	defer rc.sms.mu.Unlock()
	for _, c := range rc.sms.codes {
		if c.to == to {
			codes = append(codes, c.code)
		}
	}
	return codes
}

// next waits for a code to to that was not read yet and returns the newest
// one received (marking all read).
func (rc *receivers) next(ctx context.Context, to string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		codes := rc.delivered(to)
		rc.mu.Lock()
		unread := len(codes) > rc.read[to]
		if unread {
			rc.read[to] = len(codes)
		}
		rc.mu.Unlock()
		if unread {
			return codes[len(codes)-1], nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("no new code delivered to %s (%d so far)", to, len(codes))
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// languages checks that the messages to each address went out in the
// language of the pages that asked for them: want maps an e-mail address
// or a phone number's digits to "en" or "ja".
func (rc *receivers) languages(t *testing.T, want map[string]string) {
	t.Helper()
	japanese := func(s string) bool { return strings.ContainsFunc(s, func(r rune) bool { return r >= 0x3040 }) }
	for to, lang := range want {
		n := 0
		for _, m := range rc.sink.Messages() {
			if len(m.To) == 1 && strings.EqualFold(m.To[0], to) {
				n++
				if japanese(m.Subject) != (lang == "ja") {
					t.Errorf("the e-mail to %s is not in %s: %q", to, lang, m.Subject)
				}
			}
		}
		rc.sms.mu.Lock()
		for _, c := range rc.sms.codes {
			if c.to == to {
				n++
				if c.locale != lang {
					t.Errorf("the SMS to %s is in %q, want %s", to, c.locale, lang)
				}
			}
		}
		rc.sms.mu.Unlock()
		if n == 0 {
			t.Errorf("nothing was sent to %s", to)
		}
	}
}
