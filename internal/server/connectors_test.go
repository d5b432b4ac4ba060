package server_test

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/connector"
	"github.com/monban/monban/internal/egress"
	"github.com/monban/monban/internal/server"
	"github.com/monban/monban/internal/smtpsink"
	"github.com/monban/monban/internal/testwait"
)

// TestCodesEndToEnd: a connector configured over the Management API of a
// running server delivers a verification code through a real SMTP server
// (STARTTLS, AUTH PLAIN) from the server's own outbox loop; a refused
// attempt is retried and written to the audit log without the code; the
// code verifies once.
func TestCodesEndToEnd(t *testing.T) {
	sink := smtpsink.Start(t, smtpsink.Options{STARTTLS: true, User: "mailer", Pass: "relay-pass"})
	ts := startUserServer(t, func(c *server.Config) {
		c.Connectors = connector.DefaultOptions()
		c.Connectors.Egress = egress.Policy{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
		c.Connectors.Roots, c.Connectors.Poll, c.Connectors.BaseDelay = sink.Roots, 20*time.Millisecond, 50*time.Millisecond
	})
	mt := ts.managementToken()
	created := ts.mustAPI(mt, "POST", "/api/connectors", map[string]any{"connectorId": "simple-mail-transfer-protocol", "config": map[string]any{
		"host": "localhost", "port": sink.Port, "auth": map[string]any{"user": "mailer", "pass": "relay-pass"},
		"fromEmail": "no-reply@example.com", "templates": []any{},
	}}, 200)
	if cfg := created["config"].(map[string]any); cfg["auth"].(map[string]any)["pass"] != nil {
		t.Fatalf("the password is answered: %v", cfg)
	}

	sink.Refuse(1)
	start := time.Now()
	ts.mustAPI(mt, "POST", "/api/verification-codes", map[string]any{"email": "jane@example.com"}, 204)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the request waited %s for delivery", d)
	}
	code := sink.Code(t, "jane@example.com", 0, testwait.Timeout)
	if m := sink.Messages()[0]; !m.TLS || m.Authed != "mailer" || sink.Tries() != 2 {
		t.Errorf("delivered with tls %v, auth %q, after %d tries", m.TLS, m.Authed, sink.Tries())
	}
	testwait.Until(t, "the refused attempt is in the audit log", func() bool {
		time.Sleep(50 * time.Millisecond) // under the Management API's rate limit, however long the wait
		r := ts.api(mt, "GET", "/api/logs?logKey=Connector.SendMessage", nil)
		return r.Status == 200 && strings.Contains(string(r.Body), `"willRetry":true`)
	})
	if r := ts.api(mt, "GET", "/api/logs?logKey=Connector.SendMessage", nil); strings.Contains(string(r.Body), code) || strings.Contains(string(r.Body), "relay-pass") {
		t.Errorf("the audit log shows the code or the password: %s", r.Body)
	}
	ts.mustAPI(mt, "POST", "/api/verification-codes/verify", map[string]any{"email": "jane@example.com", "verificationCode": code}, 204)
	if r := ts.api(mt, "POST", "/api/verification-codes/verify", map[string]any{"email": "jane@example.com", "verificationCode": code}); r.Status != 400 {
		t.Errorf("a used code: %d %s", r.Status, r.Body)
	}
	if strings.Contains(ts.Logs.String(), code) {
		t.Error("the code is in the server's log")
	}
}
