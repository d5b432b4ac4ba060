package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/monban/monban/internal/auth0shape"
	"github.com/monban/monban/internal/pwticket"
	"github.com/monban/monban/internal/server"
	"github.com/monban/monban/internal/smtpsink"
	"github.com/monban/monban/internal/testwait"
)

// mailSink receives the reset e-mails the server sends.
type mailSink struct{ mails chan pwticket.Mail }

func (s *mailSink) SendPasswordReset(_ context.Context, m pwticket.Mail) error {
	s.mails <- m
	return nil
}

func (s *mailSink) next(t *testing.T) pwticket.Mail {
	t.Helper()
	select {
	case m := <-s.mails:
		return m
	case <-time.After(20 * time.Second):
		t.Fatal("no reset e-mail was sent")
	}
	return pwticket.Mail{}
}

func (s *mailSink) none(t *testing.T) {
	t.Helper()
	select {
	case m := <-s.mails:
		t.Fatalf("a reset e-mail was sent to %s", m.To)
	case <-time.After(200 * time.Millisecond):
	}
}

func newResetFixture(t *testing.T, edit func(*server.Config)) (*userFixture, *mailSink) {
	t.Helper()
	sink := &mailSink{mails: make(chan pwticket.Mail, 16)}
	f := newUserFixture(t, func(c *server.Config) {
		c.ResetMailer = sink
		if edit != nil {
			edit(c)
		}
	})
	return f, sink
}

// resetForm opens a reset link and checks it is the form.
func resetForm(t *testing.T, b *browser, link string, header http.Header) page {
	t.Helper()
	req, err := http.NewRequest("GET", link, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	p := b.do(req)
	if p.Status != 200 || !strings.Contains(p.Body, `name="password_confirm"`) || p.hidden().Get("csrf") == "" || p.hidden().Get("ticket") == "" {
		t.Fatalf("not the reset form: %d %s", p.Status, p.Body)
	}
	return p
}

func submitReset(b *browser, p page, pw, confirm string) page {
	form := p.hidden()
	form.Set("password", pw)
	form.Set("password_confirm", confirm)
	return b.post(b.ts.URL+pwticket.Path, form, nil)
}

// Auth0's change-password request answers its text whether or not the
// address has an account; the account's holder gets a link whose page
// sets a new password once.
func TestAuth0ChangePassword(t *testing.T) {
	f, sink := newResetFixture(t, nil)
	req := func(body map[string]any) response {
		return f.postJSON("/dbconnections/change_password", body)
	}
	body := map[string]any{"client_id": f.spa.ID, "email": "jane@example.com", "connection": "Username-Password-Authentication"}
	r := req(body)
	if r.Status != 200 || string(r.Body) != "We've just sent you an email to reset your password." || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("change_password: %d %v %s", r.Status, r.Header, r.Body)
	}
	mail := sink.next(t)
	if mail.To != "jane@example.com" || !strings.HasPrefix(mail.Link, f.URL+"/lo/reset?ticket=") || mail.ApplicationID != f.spa.ID {
		t.Fatalf("mail: %+v", mail)
	}
	// An unknown address: the same answer, nothing sent.
	other := req(map[string]any{"client_id": f.spa.ID, "email": "nobody@example.com", "connection": "Username-Password-Authentication"})
	if other.Status != r.Status || string(other.Body) != string(r.Body) {
		t.Errorf("unknown address: %d %s", other.Status, other.Body)
	}
	sink.none(t)

	b := newBrowser(t, f.testServer)
	p := resetForm(t, b, mail.Link, nil)
	if !strings.Contains(p.Body, "jane@example.com") || !strings.Contains(p.Body, `lang="en"`) || p.Header.Get("Content-Security-Policy") == "" {
		t.Errorf("form: %s", p.Body)
	}
	if q := submitReset(b, p, "a new long password", "another long password"); q.Status != 400 || !strings.Contains(q.Body, "do not match") {
		t.Errorf("mismatch: %d %s", q.Status, q.Body)
	}
	if q := submitReset(b, p, "short", "short"); q.Status != 400 || !strings.Contains(q.Body, "not accepted") || !strings.Contains(q.Body, `aria-describedby="password-error"`) {
		t.Errorf("weak password: %d %s", q.Status, q.Body)
	}
	if q := submitReset(b, p, "password", "password"); q.Status != 400 || !strings.Contains(q.Body, "<li>The password is too common or was found in a data breach. Choose another.</li>") {
		t.Errorf("common password: %d %s", q.Status, q.Body)
	}
	// A form posted from another browser (no cookie) is refused.
	if q := submitReset(newBrowser(t, f.testServer), p, "a new long password", "a new long password"); q.Status != 403 {
		t.Errorf("without the cookie: %d %s", q.Status, q.Body)
	}
	// A form posted from another origin is refused.
	form := p.hidden()
	form.Set("password", "a new long password")
	form.Set("password_confirm", "a new long password")
	if q := b.post(f.URL+pwticket.Path, form, http.Header{"Origin": {"https://evil.example"}}); q.Status != 403 {
		t.Errorf("from another origin: %d %s", q.Status, q.Body)
	}
	if q := submitReset(b, p, "a new long password", "a new long password"); q.Status != 200 || !strings.Contains(q.Body, "Password changed") {
		t.Fatalf("reset: %d %s", q.Status, q.Body)
	}
	// The link was used up; the new password signs in, the old does not.
	if q := b.get(mail.Link); q.Status != 404 || !strings.Contains(q.Body, "cannot be used") {
		t.Errorf("used link: %d %s", q.Status, q.Body)
	}
	if q := submitReset(b, p, "a third long password", "a third long password"); q.Status != 404 {
		t.Errorf("used link posted again: %d %s", q.Status, q.Body)
	}
	_, challenge := pkce()
	sb := newBrowser(t, f.testServer)
	if q := sb.signIn(sb.get(f.auth0AuthURL(challenge, nil)), "jane@example.com", "a new long password").redirected(t, spaRedirect); q.Get("code") == "" {
		t.Errorf("sign-in with the new password: %v", q)
	}
	ob := newBrowser(t, f.testServer)
	if q := ob.signIn(ob.get(f.auth0AuthURL(challenge, nil)), "jane@example.com", userPass); q.Status == http.StatusSeeOther {
		t.Errorf("the old password still signs in")
	}

	// In Japanese, by Accept-Language.
	req(body)
	mail = sink.next(t)
	if mail.Locale != "en" {
		t.Errorf("locale: %q", mail.Locale)
	}
	p = resetForm(t, newBrowser(t, f.testServer), mail.Link, http.Header{"Accept-Language": {"ja,en;q=0.5"}})
	if !strings.Contains(p.Body, `lang="ja"`) || !strings.Contains(p.Body, "パスワードの変更") {
		t.Errorf("Japanese page: %s", p.Body)
	}
	jb := newBrowser(t, f.testServer)
	p = resetForm(t, jb, strings.TrimSuffix(mail.Link, "#")+"&ui_locales=ja", nil)
	if q := submitReset(jb, p, "password", "password"); q.Status != 400 || !strings.Contains(q.Body, "<li>このパスワードはよく使われているか、漏えいしたことがあります。別のパスワードを選んでください。</li>") {
		t.Errorf("Japanese policy issues: %d %s", q.Status, q.Body)
	}
	for _, bad := range []string{"", "nope", strings.Repeat("x", 500)} {
		if q := b.get(f.URL + "/lo/reset?ticket=" + bad); q.Status != 404 {
			t.Errorf("ticket %.10q: %d", bad, q.Status)
		}
	}

	for name, c := range map[string]struct {
		body   map[string]any
		status int
		code   string
	}{
		"no client":      {map[string]any{"email": "jane@example.com", "connection": "Username-Password-Authentication"}, 400, "invalid_request"},
		"unknown client": {map[string]any{"client_id": "nope", "email": "jane@example.com", "connection": "Username-Password-Authentication"}, 400, "invalid_request"},
		"no connection":  {map[string]any{"client_id": f.spa.ID, "email": "jane@example.com"}, 400, "invalid_request"},
		"bad connection": {map[string]any{"client_id": f.spa.ID, "email": "jane@example.com", "connection": "google-oauth2"}, 400, "invalid_connection"},
		"no email":       {map[string]any{"client_id": f.spa.ID, "connection": "Username-Password-Authentication"}, 400, "invalid_request"},
		"long email":     {map[string]any{"client_id": f.spa.ID, "email": strings.Repeat("a", 300), "connection": "Username-Password-Authentication"}, 400, "invalid_request"},
		"unknown field":  {map[string]any{"client_id": f.spa.ID, "email": "jane@example.com", "connection": "Username-Password-Authentication", "password": "x"}, 400, "invalid_request"},
		"number email":   {map[string]any{"client_id": f.spa.ID, "email": 1, "connection": "Username-Password-Authentication"}, 400, "invalid_request"},
	} {
		r := req(c.body)
		if m := r.json(t); r.Status != c.status || m["code"] != c.code || m["description"] == "" {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	sink.none(t)
	if r := f.do("GET", "/dbconnections/change_password", nil, nil); r.Status != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", r.Status)
	}
	form = url.Values{"client_id": {f.spa.ID}, "email": {"jane@example.com"}, "connection": {"Username-Password-Authentication"}}
	if r := f.do("POST", "/dbconnections/change_password", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, strings.NewReader(form.Encode())); r.Status != 200 {
		t.Errorf("form body: %d %s", r.Status, r.Body)
	}
	sink.next(t)
}

// The Management API v2's password-change ticket: a link for a user by id
// or by e-mail address, with a lifetime, that sends the user to
// result_url once the password is set.
func TestAuth0PasswordChangeTicket(t *testing.T) {
	clk := fakeClock()
	f, _ := newResetFixture(t, func(c *server.Config) { c.Clock = clk })
	v2 := f.tokenForm(bootID, bootSecret, url.Values{"grant_type": {"client_credentials"}, "resource": {f.URL + "/api/v2/"},
		"scope": {"create:user_tickets"}}).json(t)["access_token"].(string)
	m := f.mustAPI(v2, "POST", "/api/v2/tickets/password-change", map[string]any{"user_id": "auth0|" + f.userID,
		"result_url": "https://app.example/done?from=reset", "ttl_sec": 60, "includeEmailInRedirect": true, "mark_email_as_verified": true}, 201)
	link, _ := m["ticket"].(string)
	if !strings.HasPrefix(link, f.URL+"/lo/reset?ticket=") {
		t.Fatalf("ticket: %v", m)
	}
	b := newBrowser(t, f.testServer)
	p := submitReset(b, resetForm(t, b, link, nil), "a new long password", "a new long password")
	q := p.redirected(t, "https://app.example/done")
	if q.Get("success") != "true" || q.Get("email") != "jane@example.com" || q.Get("from") != "reset" || q.Get("message") == "" {
		t.Errorf("result_url: %v", q)
	}
	// By e-mail address, and expired after its lifetime.
	m = f.mustAPI(v2, "POST", "/api/v2/tickets/password-change", map[string]any{"email": "jane@example.com",
		"connection_id": auth0shape.ConnectionID, "ttl_sec": 60}, 201)
	clk.Advance(61 * time.Second)
	if p := b.get(m["ticket"].(string)); p.Status != 404 {
		t.Errorf("expired ticket: %d", p.Status)
	}

	for name, c := range map[string]struct {
		body   map[string]any
		status int
	}{
		"id and email":      {map[string]any{"user_id": "auth0|" + f.userID, "email": "jane@example.com"}, 400},
		"nobody":            {map[string]any{"result_url": "https://app.example/"}, 400},
		"email only":        {map[string]any{"email": "jane@example.com"}, 400},
		"other connection":  {map[string]any{"email": "jane@example.com", "connection_id": "con_other"}, 400},
		"unknown user":      {map[string]any{"user_id": "auth0|nosuchuser"}, 404},
		"foreign user id":   {map[string]any{"user_id": "google-oauth2|123"}, 404},
		"unknown email":     {map[string]any{"email": "nobody@example.com", "connection_id": auth0shape.ConnectionID}, 404},
		"ttl too long":      {map[string]any{"user_id": "auth0|" + f.userID, "ttl_sec": 31 * 24 * 3600}, 400},
		"negative ttl":      {map[string]any{"user_id": "auth0|" + f.userID, "ttl_sec": -1}, 400},
		"bad result_url":    {map[string]any{"user_id": "auth0|" + f.userID, "result_url": "javascript:alert(1)"}, 400},
		"unsupported field": {map[string]any{"user_id": "auth0|" + f.userID, "client_id": f.spa.ID}, 400},
	} {
		if r := f.api(v2, "POST", "/api/v2/tickets/password-change", c.body); r.Status != c.status {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	read := f.tokenForm(bootID, bootSecret, url.Values{"grant_type": {"client_credentials"}, "resource": {f.URL + "/api/v2/"},
		"scope": {"read:users"}}).json(t)["access_token"].(string)
	if r := f.api(read, "POST", "/api/v2/tickets/password-change", map[string]any{"user_id": "auth0|" + f.userID}); r.Status != 403 {
		t.Errorf("without create:user_tickets: %d %s", r.Status, r.Body)
	}
}

// Parallel submissions of one link's form: exactly one sets the password.
func TestAuth0ResetParallel(t *testing.T) {
	f, sink := newResetFixture(t, nil)
	f.postJSON("/dbconnections/change_password", map[string]any{"client_id": f.spa.ID, "email": "jane@example.com", "connection": "Username-Password-Authentication"})
	link := sink.next(t).Link
	b := newBrowser(t, f.testServer)
	p := resetForm(t, b, link, nil)
	pages := make([]page, 4)
	var wg sync.WaitGroup
	for i := range pages {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pw := fmt.Sprintf("parallel password number %d", i)
			pages[i] = submitReset(b, p, pw, pw)
		}()
	}
	wg.Wait()
	done := 0
	for _, q := range pages {
		switch q.Status {
		case 200:
			done++
		case 404:
		default:
			t.Errorf("parallel submission: %d %s", q.Status, q.Body)
		}
	}
	if done != 1 {
		t.Errorf("%d submissions set the password, want 1", done)
	}
}

var resetLinkRe = regexp.MustCompile(`https?://[^\s"<>]+/lo/reset\?ticket=[A-Za-z0-9_\-%]+#?`)

// resetLink waits for the n-th message of the sink (counted from 1) and
// returns the reset link in its body.
func resetLink(t *testing.T, sink *smtpsink.Sink, n int) (smtpsink.Message, string) {
	t.Helper()
	m := sink.Wait(t, n, testwait.Timeout)[n-1]
	link := resetLinkRe.FindString(m.Body)
	if link == "" {
		t.Fatalf("no reset link in the e-mail: %s", m.Body)
	}
	return m, link
}

// In production the reset e-mail goes through the connectors' outbox to
// a real SMTP server, with the built-in ForgotPasswordLink template (or
// one stored at /api/email-templates); its link opens the page, sets a
// new password, and the new password signs in.
func TestAuth0ChangePasswordThroughConnectors(t *testing.T) {
	f := newUserFixture(t, allowLoopbackConnectors)
	sink := smtpsink.Start(t, smtpsink.Options{STARTTLS: true, User: "mailer", Pass: "s3cret-pass"})
	req := func(lang string) {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"client_id": f.spa.ID, "email": "jane@example.com", "connection": "Username-Password-Authentication"})
		r := f.do("POST", "/dbconnections/change_password", http.Header{"Content-Type": {"application/json"}, "X-Request-Language": {lang}}, bytes.NewReader(body))
		if r.Status != 200 {
			t.Fatalf("change_password: %d %s", r.Status, r.Body)
		}
	}
	// No e-mail connector yet: the same answer, nothing queued.
	req("en")
	f.mustAPI(f.mt, "POST", "/api/connectors", map[string]any{"connectorId": "simple-mail-transfer-protocol", "config": map[string]any{
		"host": sink.Host, "port": sink.Port, "auth": map[string]any{"type": "login", "user": "mailer", "pass": "s3cret-pass"},
		"fromEmail": "no-reply@example.com", "requireTLS": true, "tls": map[string]any{"rejectUnauthorized": false},
		"templates": []any{map[string]any{"usageType": "Generic", "contentType": "text/plain", "subject": "Code", "content": "Your code is {{code}}."}},
	}}, 200)

	req("en")
	m, link := resetLink(t, sink, 1)
	if m.Subject != "Reset your password" || !m.TLS || m.To[0] != "jane@example.com" || !strings.HasPrefix(link, f.URL+"/lo/reset?ticket=") {
		t.Fatalf("the e-mail: %q to %v, link %s", m.Subject, m.To, link)
	}
	b := newBrowser(t, f.testServer)
	p := resetForm(t, b, link, nil)
	if q := submitReset(b, p, "a brand new passphrase", "a brand new passphrase"); q.Status != 200 || !strings.Contains(q.Body, "Password changed") {
		t.Fatalf("reset: %d %s", q.Status, q.Body)
	}
	_, challenge := pkce()
	sb := newBrowser(t, f.testServer)
	if q := sb.signIn(sb.get(f.auth0AuthURL(challenge, nil)), "jane@example.com", "a brand new passphrase").redirected(t, spaRedirect); q.Get("code") == "" {
		t.Errorf("sign-in with the new password: %v", q)
	}

	// In Japanese, with a template of its own, in HTML.
	if r := f.api(f.mt, "PUT", "/api/email-templates", map[string]any{"templates": []any{map[string]any{"languageTag": "ja", "templateType": "ForgotPasswordLink",
		"details": map[string]any{"subject": "再設定のご案内", "content": `<p><a href="{{link}}">再設定する</a></p>`, "contentType": "text/html"}}}}); r.Status != 200 {
		t.Fatalf("PUT /api/email-templates: %d %s", r.Status, r.Body)
	}
	req("ja")
	m, link = resetLink(t, sink, 2)
	if m.Subject != "再設定のご案内" || !strings.Contains(m.Body, `<a href="`+f.URL+`/lo/reset?ticket=`) {
		t.Fatalf("the Japanese e-mail: %q %s", m.Subject, m.Body)
	}
	p = resetForm(t, b, link, http.Header{"Accept-Language": {"ja"}})
	if !strings.Contains(p.Body, "パスワードの変更") {
		t.Errorf("the Japanese page: %s", p.Body)
	}
}

// The reset page's bad input: each is a 4xx page, and none uses up the
// link, which still sets the password afterwards.
func TestAuth0ResetBadInput(t *testing.T) {
	f, sink := newResetFixture(t, nil)
	f.postJSON("/dbconnections/change_password", map[string]any{"client_id": f.spa.ID, "email": "jane@example.com", "connection": "Username-Password-Authentication"})
	link := sink.next(t).Link
	b := newBrowser(t, f.testServer)
	p := resetForm(t, b, link, nil)
	good := p.hidden()
	good.Set("password", "a new long password")
	good.Set("password_confirm", "a new long password")
	with := func(edit func(url.Values)) url.Values {
		form := url.Values{}
		for k, v := range good {
			form[k] = append([]string(nil), v...)
		}
		edit(form)
		return form
	}
	long := strings.Repeat("p", 300)
	for name, c := range map[string]struct {
		form   url.Values
		status int
	}{
		"repeated ticket":   {with(func(v url.Values) { v.Add("ticket", "other") }), 400},
		"repeated password": {with(func(v url.Values) { v.Add("password", "x") }), 400},
		"no ticket":         {with(func(v url.Values) { v.Del("ticket") }), 404},
		"other ticket":      {with(func(v url.Values) { v.Set("ticket", strings.Repeat("A", 43)) }), 404},
		"long ticket":       {with(func(v url.Values) { v.Set("ticket", strings.Repeat("A", 5000)) }), 404},
		"no csrf":           {with(func(v url.Values) { v.Del("csrf") }), 403},
		"wrong csrf":        {with(func(v url.Values) { v.Set("csrf", "x") }), 403},
		"empty password":    {with(func(v url.Values) { v.Set("password", ""); v.Set("password_confirm", "") }), 400},
		"long password":     {with(func(v url.Values) { v.Set("password", long); v.Set("password_confirm", long) }), 400},
		"mismatch":          {with(func(v url.Values) { v.Set("password_confirm", "something else entirely") }), 400},
		"huge body":         {with(func(v url.Values) { v.Set("x", strings.Repeat("y", 20<<10)) }), 400},
		"unknown language":  {with(func(v url.Values) { v.Set("lang", strings.Repeat("zz-", 100)); v.Set("password_confirm", "no") }), 400},
	} {
		if q := b.post(f.URL+pwticket.Path, c.form, nil); q.Status != c.status || !strings.Contains(q.Body, "<!doctype html>") {
			t.Errorf("%s: %d, want %d: %.200s", name, q.Status, c.status, q.Body)
		}
	}
	if q := b.get(f.URL + pwticket.Path + "?ticket=a&ticket=b"); q.Status != 400 {
		t.Errorf("two tickets in the link: %d", q.Status)
	}
	if q := b.do(mustRequest(t, "PUT", f.URL+pwticket.Path)); q.Status != http.StatusMethodNotAllowed {
		t.Errorf("PUT: %d", q.Status)
	}
	if q := b.post(f.URL+pwticket.Path, good, nil); q.Status != 200 || !strings.Contains(q.Body, "Password changed") {
		t.Fatalf("the link after the bad input: %d %s", q.Status, q.Body)
	}
}

// A password set on the reset link's page ends a ForgotPassword
// interaction: it fires PostResetPassword (never PostSignIn: no one signs
// in), with the application the link was asked for, to a real receiver; a
// refused password fires nothing.
func TestAuth0ResetLinkFiresPostResetPassword(t *testing.T) {
	f, sink := newResetFixture(t, allowLoopbackHooks)
	rcv := &collector{}
	hooks := httptest.NewServer(http.HandlerFunc(rcv.handler))
	t.Cleanup(hooks.Close)
	h := f.mustAPI(f.mt, "POST", "/api/hooks", map[string]any{"name": "all", "events": []string{"PostResetPassword", "PostSignIn", "PostRegister"},
		"config": map[string]any{"url": hooks.URL}}, 201)
	rcv.mu.Lock()
	rcv.key = h["signingKey"].(string)
	rcv.mu.Unlock()
	if r := f.postJSON("/dbconnections/change_password", map[string]any{"client_id": f.spa.ID, "email": "jane@example.com",
		"connection": "Username-Password-Authentication"}); r.Status != 200 {
		t.Fatalf("change_password: %d %s", r.Status, r.Body)
	}
	b := newBrowser(t, f.testServer)
	p := resetForm(t, b, sink.next(t).Link, http.Header{"User-Agent": {"reset-browser/1"}})
	if q := submitReset(b, p, "short", "short"); q.Status != 400 {
		t.Fatalf("weak password: %d %s", q.Status, q.Body)
	}
	if q := submitReset(b, p, "a new long password", "a new long password"); q.Status != 200 {
		t.Fatalf("reset: %d %s", q.Status, q.Body)
	}
	testwait.Until(t, "PostResetPassword", func() bool { _, ok := rcv.find("PostResetPassword"); return ok })
	pl, sigOK := rcv.find("PostResetPassword")
	app, _ := pl["application"].(map[string]any)
	user, _ := pl["user"].(map[string]any)
	if !sigOK || pl["interactionEvent"] != "ForgotPassword" || pl["userId"] != f.userID || user["id"] != f.userID ||
		app["id"] != f.spa.ID || pl["hookId"] != h["id"] || pl["createdAt"] == "" {
		t.Errorf("PostResetPassword: signature ok %v, payload %v", sigOK, pl)
	}
	if _, ok := user["passwordDigest"]; ok {
		t.Errorf("the payload carries the password: %v", user)
	}
	time.Sleep(300 * time.Millisecond) // a wrong second event would be sent by now
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if len(rcv.payloads) != 1 {
		t.Errorf("%d deliveries, want the one PostResetPassword: %v", len(rcv.payloads), rcv.payloads)
	}
}
