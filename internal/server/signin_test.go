package server_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/connector"
	"github.com/monban/monban/internal/egress"
	"github.com/monban/monban/internal/server"
	"github.com/monban/monban/internal/smtpsink"
	"github.com/monban/monban/internal/testwait"
)

// A sign-up at the hosted pages, end to end: the account is made, the
// browser returns with a code, PostRegister is delivered (not
// PostSignIn), the audit log has Interaction.Register.Submit, and the
// claims script sees a Register with its NewPasswordIdentity record.
func TestSignUpAtThePages(t *testing.T) {
	f := newUserFixture(t, allowLoopbackHooks)
	rcv := &collector{}
	srv := httptest.NewServer(http.HandlerFunc(rcv.handler))
	defer srv.Close()
	rcvSrv := srv.URL
	h := f.mustAPI(f.mt, "POST", "/api/hooks", map[string]any{"name": "reg", "events": []string{"PostRegister", "PostSignIn"},
		"config": map[string]any{"url": rcvSrv}}, 201)
	rcv.mu.Lock()
	rcv.key = h["signingKey"].(string)
	rcv.mu.Unlock()
	f.mustAPI(f.mt, "PUT", "/api/configs/jwt-customizer/access-token", map[string]any{
		"script": `const getCustomJwtClaims = async ({ context }) => ({
  how: context.interaction.interactionEvent,
  proof: context.interaction.verificationRecords.map(r => r.type + ':' + r.identifier.value).join(',') });`,
	}, 201)

	b := newBrowser(t, f.testServer)
	verifier, challenge := pkce()
	p := b.get(f.authURL(f.spa.ID, spaRedirect, challenge, url.Values{"first_screen": {"register"}}))
	if p.Status != 200 {
		t.Fatalf("register page: %d %s", p.Status, p.Body)
	}
	form := p.hidden()
	form.Set("username", "kenji")
	form.Set("new_password", "Kenji's long passphrase 9")
	q := b.post(f.URL+"/sign-in/register", form, nil).redirected(t, spaRedirect)
	tok := f.exchange(t, q.Get("code"), verifier, nil)
	claims, _ := verifyWithJWKS(t, f.testServer, tok["access_token"].(string))
	if claims["how"] != "Register" || claims["proof"] != "NewPasswordIdentity:kenji" {
		t.Errorf("claims how=%v proof=%v", claims["how"], claims["proof"])
	}
	testwait.Until(t, "PostRegister delivered", func() bool { _, ok := rcv.find("PostRegister"); return ok })
	pl, sigOK := rcv.find("PostRegister")
	if user, _ := pl["user"].(map[string]any); !sigOK || pl["interactionEvent"] != "Register" || user["username"] != "kenji" {
		t.Errorf("PostRegister: signature ok %v, payload %v", sigOK, pl)
	}
	if _, ok := rcv.find("PostSignIn"); ok {
		t.Error("a sign-up fired PostSignIn too")
	}
	testwait.Until(t, "the audit entry", func() bool {
		// A busy machine may keep the poll going past the Management API's
		// rate limit: a 429 is one more wait, not a failure.
		r := f.api(f.mt, "GET", "/api/logs?logKey=Interaction.Register.Submit", nil)
		return r.Status == 200 && len(r.entries(t)) == 1
	})
}

// allowLoopbackConnectors lets the connectors reach the test's SMTP
// server on loopback, and look at their outbox often.
func allowLoopbackConnectors(c *server.Config) {
	c.Connectors = connector.DefaultOptions()
	c.Connectors.Egress = egress.Policy{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	c.Connectors.Poll = 20 * time.Millisecond
}

// Passwordless sign-in by e-mail at the pages of a running server: the
// code goes out through the SMTP connector to a real SMTP server, is read
// out of the delivered message, and signs jane in; a sign-up by e-mail
// verifies the address the same way.
func TestPasswordlessAtThePages(t *testing.T) {
	f := newUserFixture(t, allowLoopbackConnectors)
	sink := smtpsink.Start(t, smtpsink.Options{STARTTLS: true, User: "mailer", Pass: "s3cret-pass"})
	f.mustAPI(f.mt, "POST", "/api/connectors", map[string]any{"connectorId": "simple-mail-transfer-protocol", "config": map[string]any{
		"host": sink.Host, "port": sink.Port, "auth": map[string]any{"type": "login", "user": "mailer", "pass": "s3cret-pass"},
		"fromEmail": "no-reply@example.com", "requireTLS": true, "tls": map[string]any{"rejectUnauthorized": false},
		"templates": []any{map[string]any{"usageType": "Generic", "contentType": "text/plain", "subject": "Code", "content": "Your code is {{code}}."}},
	}}, 200)
	f.mustAPI(f.mt, "PATCH", "/api/sign-in-exp", map[string]any{
		"signIn": map[string]any{"methods": []any{
			map[string]any{"identifier": "username", "password": true, "verificationCode": false, "isPasswordPrimary": true},
			map[string]any{"identifier": "email", "password": true, "verificationCode": true, "isPasswordPrimary": false}}},
		"signUp": map[string]any{"identifiers": []string{"email"}, "password": false, "verify": true},
	}, 200)
	jane := f.mustAPI(f.mt, "GET", "/api/users/"+f.userID, nil, 200)["primaryEmail"].(string)

	b := newBrowser(t, f.testServer)
	verifier, challenge := pkce()
	p := b.get(f.authURL(f.spa.ID, spaRedirect, challenge, url.Values{"ui_locales": {"ja"}}))
	if p.Status != 200 || !strings.Contains(p.Body, `lang="ja"`) || !strings.Contains(p.Body, `action="`+f.URL+`/sign-in/code"`) {
		t.Fatalf("sign-in page: %d %s", p.Status, p.Body)
	}
	form := p.hidden()
	form.Set("event", "SignIn")
	form.Set("code_identifier", jane)
	p = b.post(f.URL+"/sign-in/code", form, nil)
	if p.Status != 200 || !strings.Contains(p.Body, `name="code"`) {
		t.Fatalf("code page: %d %s", p.Status, p.Body)
	}
	code := sink.Code(t, jane, 0, testwait.Timeout)
	form = p.hidden()
	form.Set("code", code)
	q := b.post(f.URL+"/sign-in/code/verify", form, nil).redirected(t, spaRedirect)
	tok := f.exchange(t, q.Get("code"), verifier, nil)
	if tok["access_token"] == nil {
		t.Fatalf("token %v", tok)
	}

	// A sign-up by e-mail: the address is verified by the code.
	b = newBrowser(t, f.testServer)
	p = b.get(f.authURL(f.spa.ID, spaRedirect, challenge, url.Values{"first_screen": {"register"}}))
	form = p.hidden()
	form.Set("event", "Register")
	form.Set("code_identifier", "mika@example.com")
	p = b.post(f.URL+"/sign-in/code", form, nil)
	form = p.hidden()
	form.Set("code", sink.Code(t, "mika@example.com", 0, testwait.Timeout))
	b.post(f.URL+"/sign-in/code/verify", form, nil).redirected(t, spaRedirect)
	found := false
	for _, u := range f.api(f.mt, "GET", "/api/users", nil).entries(t) {
		found = found || u["primaryEmail"] == "mika@example.com"
	}
	if !found {
		t.Fatal("the sign-up by e-mail made no user with the address")
	}
}

// The audit log keeps each step of a sign-in at the pages under Logto's
// Interaction.* keys, and /api/logs?logKey= finds each.
func TestSignInAuditKeys(t *testing.T) {
	f := newUserFixture(t, nil)
	f.signedIn(t)
	for _, key := range []string{"Interaction.Create", "Interaction.SignIn.Create", "Interaction.SignIn.Verification.Password.Submit",
		"Interaction.SignIn.Identifier.Submit", "Interaction.SignIn.Submit", "Interaction.End"} {
		testwait.Until(t, key, func() bool {
			r := f.api(f.mt, "GET", "/api/logs?logKey="+url.QueryEscape(key), nil)
			if r.Status != 200 {
				return false // a 429 of a busy machine is one more wait
			}
			list := r.entries(t)
			return len(list) == 1 && list[0]["key"] == key
		})
	}
}
