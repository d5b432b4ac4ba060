package server_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/server"
	"github.com/monban/monban/internal/smtpsink"
	"github.com/monban/monban/internal/testkit"
	"github.com/monban/monban/internal/testwait"
)

// The code paths of the pages on a running server, with real receivers:
// codes by SMTP and by an HTTP SMS gateway, webhooks to an HTTP receiver.
// Each path fires its webhook (PostSignIn, PostRegister,
// PostResetPassword) with its interactionEvent, and the claims script
// sees its event and verification record.
func TestPagesCodePathsHooksAndClaims(t *testing.T) {
	clk := fakeClock()
	f := newUserFixture(t, func(c *server.Config) { allowLoopbackHooks(c); allowLoopbackConnectors(c); c.Clock = clk })
	sink := smtpsink.Start(t, smtpsink.Options{STARTTLS: true, User: "mailer", Pass: "s3cret-pass"})
	sms := &smsReceiver{got: make(chan struct{}, 8)}
	gw := httptest.NewServer(sms)
	t.Cleanup(gw.Close)
	rcv := &collector{}
	hooks := httptest.NewServer(http.HandlerFunc(rcv.handler))
	t.Cleanup(hooks.Close)
	h := f.mustAPI(f.mt, "POST", "/api/hooks", map[string]any{"name": "all", "events": []string{"PostRegister", "PostSignIn", "PostResetPassword"},
		"config": map[string]any{"url": hooks.URL}}, 201)
	rcv.mu.Lock()
	rcv.key = h["signingKey"].(string)
	rcv.mu.Unlock()
	f.mustAPI(f.mt, "POST", "/api/connectors", map[string]any{"connectorId": "simple-mail-transfer-protocol", "config": map[string]any{
		"host": sink.Host, "port": sink.Port, "auth": map[string]any{"type": "login", "user": "mailer", "pass": "s3cret-pass"},
		"fromEmail": "no-reply@example.com", "requireTLS": true, "tls": map[string]any{"rejectUnauthorized": false}, "templates": []any{},
	}}, 200)
	f.mustAPI(f.mt, "POST", "/api/connectors", map[string]any{"connectorId": "http-sms", "config": map[string]any{"endpoint": gw.URL + "/sms"}}, 200)
	f.mustAPI(f.mt, "PATCH", "/api/sign-in-exp", map[string]any{
		"signIn": map[string]any{"methods": []any{
			map[string]any{"identifier": "username", "password": true, "verificationCode": false, "isPasswordPrimary": true},
			map[string]any{"identifier": "email", "password": true, "verificationCode": true, "isPasswordPrimary": false},
			map[string]any{"identifier": "phone", "password": false, "verificationCode": true, "isPasswordPrimary": false}}},
		"signUp": map[string]any{"identifiers": []string{"phone"}, "password": false, "verify": true},
	}, 200)
	f.mustAPI(f.mt, "PUT", "/api/configs/jwt-customizer/access-token", map[string]any{
		"script": `const getCustomJwtClaims = async ({ context }) => ({
  how: context.interaction.interactionEvent,
  proof: context.interaction.verificationRecords.map(r => r.type).join(',') });`,
	}, 201)
	jane := f.mustAPI(f.mt, "GET", "/api/users/"+f.userID, nil, 200)["primaryEmail"].(string)

	// walk sends a code for event to the identifier, reads it from its
	// receiver, and answers; then the new password of a reset.
	walk := func(event, screen, identifier string, read func() string, newPassword string) map[string]any {
		t.Helper()
		b := newBrowser(t, f.testServer)
		verifier, challenge := pkce()
		p := b.get(f.authURL(f.spa.ID, spaRedirect, challenge, url.Values{"first_screen": {screen}}))
		form := p.hidden()
		form.Set("event", event)
		form.Set("code_identifier", identifier)
		if p = b.post(f.URL+"/sign-in/code", form, nil); p.Status != 200 || !strings.Contains(p.Body, `name="code"`) {
			t.Fatalf("%s: the code page: %d %s", event, p.Status, p.Body)
		}
		form = p.hidden()
		form.Set("code", read())
		p = b.post(f.URL+"/sign-in/code/verify", form, nil)
		if newPassword != "" {
			form = p.hidden()
			form.Set("new_password", newPassword)
			p = b.post(f.URL+"/sign-in/password/new", form, nil)
		}
		tok := f.exchange(t, p.redirected(t, spaRedirect).Get("code"), verifier, nil)
		claims, _ := verifyWithJWKS(t, f.testServer, tok["access_token"].(string))
		return claims
	}
	mails := 0
	readMail := func(to string) func() string {
		return func() string { mails++; return sink.Code(t, to, mails-1, testwait.Timeout) }
	}
	readSMS := func() string {
		t.Helper()
		testwait.Until(t, "the SMS", func() bool {
			select {
			case <-sms.got:
				return true
			default:
				return false
			}
		})
		sms.mu.Lock()
		defer sms.mu.Unlock()
		return sms.bodies[len(sms.bodies)-1]["code"].(string)
	}

	for _, c := range []struct {
		name, hook, event string
		claims            func() map[string]any
		proof             string
	}{
		{"passwordless by e-mail", "PostSignIn", "SignIn", func() map[string]any {
			return walk("SignIn", "sign_in", jane, readMail(jane), "")
		}, "EmailVerificationCode"},
		{"sign-up by phone code", "PostRegister", "Register", func() map[string]any {
			return walk("Register", "register", "+81 90 1111 2222", readSMS, "")
		}, "PhoneVerificationCode"},
		{"forgot password", "PostResetPassword", "ForgotPassword", func() map[string]any {
			return walk("ForgotPassword", "reset_password", jane, readMail(jane), "A fresh long passphrase 5")
		}, "EmailVerificationCode"},
	} {
		clk.Advance(time.Minute) // past the resend throttle of the address
		claims := c.claims()
		if claims["how"] != c.event || claims["proof"] != c.proof {
			t.Errorf("%s: claims how=%v proof=%v", c.name, claims["how"], claims["proof"])
		}
		testwait.Until(t, c.hook, func() bool { _, ok := rcv.find(c.hook); return ok })
		pl, sigOK := rcv.find(c.hook)
		if !sigOK || pl["interactionEvent"] != c.event || pl["user"] == nil {
			t.Errorf("%s: %s: signature ok %v, payload %v", c.name, c.hook, sigOK, pl)
		}
	}
}

// Auth0's passwordless OTP grant is a sign-in by a code: it fires
// PostSignIn, to a real receiver; the code that makes the account fires
// PostRegister instead. The claims script sees the event and the code's
// verification record.
func TestAuth0PasswordlessFiresPostSignIn(t *testing.T) {
	f := newPwlessFixture(t, allowLoopbackHooks)
	rcv := &collector{}
	hooks := httptest.NewServer(http.HandlerFunc(rcv.handler))
	t.Cleanup(hooks.Close)
	h := f.mustAPI(f.mt, "POST", "/api/hooks", map[string]any{"name": "all", "events": []string{"PostSignIn", "PostRegister"},
		"config": map[string]any{"url": hooks.URL}}, 201)
	rcv.mu.Lock()
	rcv.key = h["signingKey"].(string)
	rcv.mu.Unlock()
	f.mustAPI(f.mt, "PUT", "/api/configs/jwt-customizer/access-token", map[string]any{
		"script": `const getCustomJwtClaims = async ({ context }) => ({
  how: context.interaction.interactionEvent,
  proof: context.interaction.verificationRecords.map(r => r.type + ':' + r.identifier.type).join(',') });`,
	}, 201)
	for _, c := range []struct{ email, hook, event string }{
		{"jane@example.com", "PostSignIn", "SignIn"},
		{"newcomer@example.com", "PostRegister", "Register"},
	} {
		if r := f.start(map[string]any{"client_id": f.spa.ID, "connection": "email", "email": c.email, "send": "code"}); r.Status != 200 {
			t.Fatalf("%s: start: %d %s", c.email, r.Status, r.Body)
		}
		r := f.otp(f.spa, "email", c.email, f.sink.next(t).Code, map[string]string{"scope": "openid"})
		if r.Status != 200 {
			t.Fatalf("%s: otp: %d %s", c.email, r.Status, r.Body)
		}
		tok := r.json(t)
		claims, _ := verifyWithJWKS(t, f.testServer, tok["access_token"].(string))
		if claims["how"] != c.event || claims["proof"] != "EmailVerificationCode:email" {
			t.Errorf("%s: claims how=%v proof=%v", c.email, claims["how"], claims["proof"])
		}
		// A code, not a password (RFC 8176).
		if amr := fmt.Sprint(testkit.Claims(t, tok["id_token"].(string))["amr"]); amr != "[otp]" {
			t.Errorf("%s: amr %s", c.email, amr)
		}
		testwait.Until(t, c.hook, func() bool { _, ok := rcv.find(c.hook); return ok })
		pl, sigOK := rcv.find(c.hook)
		user, _ := pl["user"].(map[string]any)
		if app, _ := pl["application"].(map[string]any); !sigOK || pl["interactionEvent"] != c.event || user["primaryEmail"] != c.email || app["id"] != f.spa.ID {
			t.Errorf("%s: %s: signature ok %v, payload %v", c.email, c.hook, sigOK, pl)
		}
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if len(rcv.payloads) != 2 {
		t.Errorf("%d deliveries, want one PostSignIn and one PostRegister: %v", len(rcv.payloads), rcv.payloads)
	}
}
