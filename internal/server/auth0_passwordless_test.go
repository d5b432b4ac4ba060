package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/monban/monban/internal/server"
	"github.com/monban/monban/internal/store/postgres"
	"github.com/monban/monban/internal/store/storetest"
	"github.com/monban/monban/internal/testkit"
	"github.com/monban/monban/internal/verifycode"
)

const otpGrant = "http://auth0.com/oauth/grant-type/passwordless/otp"

// codeSink receives the codes the server hands its deliverer.
type codeSink struct{ msgs chan verifycode.Message }

func newCodeSink() *codeSink { return &codeSink{msgs: make(chan verifycode.Message, 64)} }

func (s *codeSink) Deliver(_ context.Context, m verifycode.Message) error {
	s.msgs <- m
	return nil
}

// next is the next message delivered, within a generous bound.
func (s *codeSink) next(t *testing.T) verifycode.Message {
	t.Helper()
	select {
	case m := <-s.msgs:
		return m
	case <-time.After(20 * time.Second):
		t.Fatal("no code was delivered")
	}
	return verifycode.Message{}
}

// none checks that nothing was delivered.
func (s *codeSink) none(t *testing.T) {
	t.Helper()
	select {
	case m := <-s.msgs:
		t.Fatalf("a code was delivered to %s", m.To)
	case <-time.After(200 * time.Millisecond):
	}
}

// pwlessFixture is a user fixture whose SPA, second SPA and web app may
// use the passwordless grant, with a code sink.
type pwlessFixture struct {
	*userFixture
	sink *codeSink
}

func newPwlessFixture(t *testing.T, edit func(*server.Config)) *pwlessFixture {
	t.Helper()
	sink := newCodeSink()
	f := newUserFixture(t, func(c *server.Config) {
		c.CodeDeliverer = sink
		if edit != nil {
			edit(c)
		}
	})
	v2 := f.tokenForm(bootID, bootSecret, url.Values{"grant_type": {"client_credentials"}, "resource": {f.URL + "/api/v2/"},
		"scope": {"read:clients update:clients"}}).json(t)["access_token"].(string)
	for _, id := range []string{f.spa.ID, f.spa2.ID, f.web.ID} {
		m := f.mustAPI(v2, "PATCH", "/api/v2/clients/"+id, map[string]any{"grant_types": []string{"authorization_code", "refresh_token", otpGrant}}, 200)
		if got := fmt2(m["grant_types"]); !strings.Contains(got, otpGrant) {
			t.Fatalf("grant_types after the change: %s", got)
		}
	}
	return &pwlessFixture{userFixture: f, sink: sink}
}

func (f *pwlessFixture) start(body map[string]any) response {
	f.t.Helper()
	return f.postJSON("/passwordless/start", body)
}

func (f *pwlessFixture) otp(client appCreds, realm, username, code string, extra map[string]string) response {
	f.t.Helper()
	body := map[string]string{"grant_type": otpGrant, "client_id": client.ID, "realm": realm, "username": username, "otp": code}
	if client.Secret != "" {
		body["client_secret"] = client.Secret
	}
	for k, v := range extra {
		body[k] = v
	}
	return f.postJSON("/oauth/token", body)
}

// The passwordless flow end to end on SQLite and PostgreSQL: a code by
// e-mail and by SMS, exchanged for tokens of the user holding the address
// (a new one when sign-up is open), with Auth0's answers to every misuse.
func TestAuth0Passwordless(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			var edit func(*server.Config)
			if engine == "postgres" {
				dbURL, key := postgres.NewTestDatabase(t), storetest.NewKey(t)
				edit = func(c *server.Config) { c.DatabaseURL, c.SecretKey = dbURL, key }
			}
			f := newPwlessFixture(t, edit)
			testPasswordlessEmail(t, f)
			testPasswordlessSMS(t, f)
			testPasswordlessSignUp(t, f)
			testPasswordlessMisuse(t, f)
		})
	}
}

func testPasswordlessEmail(t *testing.T, f *pwlessFixture) {
	r := f.start(map[string]any{"client_id": f.spa.ID, "connection": "email", "email": "jane@example.com", "send": "code",
		"authParams": map[string]any{"scope": "openid", "state": "s"}})
	m := r.json(t)
	if r.Status != 200 || m["email"] != "jane@example.com" || m["email_verified"] != false || m["_id"] == "" {
		t.Fatalf("start: %d %s", r.Status, r.Body)
	}
	msg := f.sink.next(t)
	if msg.To != "jane@example.com" || msg.Channel != verifycode.ChannelEmail || msg.Purpose != verifycode.PurposeSignIn || len(msg.Code) != 6 {
		t.Fatalf("message: %+v", msg)
	}
	// A code of another application does not work, and costs this one a try only.
	if r := f.otp(f.spa2, "email", "jane@example.com", msg.Code, nil); r.Status != 403 || r.json(t)["error"] != "invalid_grant" ||
		r.json(t)["error_description"] != "Wrong email or verification code." {
		t.Errorf("another client's code: %d %s", r.Status, r.Body)
	}
	r = f.otp(f.spa, "email", "jane@example.com", msg.Code, map[string]string{"audience": shopAPI, "scope": "openid email offline_access read:products write:products"})
	tok := r.json(t)
	if r.Status != 200 || tok["id_token"] == nil || tok["refresh_token"] == nil {
		t.Fatalf("otp grant: %d %s", r.Status, r.Body)
	}
	at := testkit.Claims(t, tok["access_token"].(string))
	if at["iss"] != f.URL+"/" || at["sub"] != f.userID || at["scope"] != "openid email read:products" || at["client_id"] != f.spa.ID {
		t.Errorf("access token: %v", at)
	}
	if id := testkit.Claims(t, tok["id_token"].(string)); id["sub"] != f.userID || id["aud"] != f.spa.ID || id["email"] != "jane@example.com" {
		t.Errorf("ID token: %v", id)
	}
	// The refresh token works as any other.
	rr := f.postJSON("/oauth/token", map[string]string{"grant_type": "refresh_token", "client_id": f.spa.ID, "refresh_token": tok["refresh_token"].(string)})
	if rr.Status != 200 {
		t.Errorf("refresh: %d %s", rr.Status, rr.Body)
	}
	// The code was used up.
	if r := f.otp(f.spa, "email", "jane@example.com", msg.Code, nil); r.Status != 403 || r.json(t)["error"] != "invalid_grant" {
		t.Errorf("replayed code: %d %s", r.Status, r.Body)
	}
}

func testPasswordlessSMS(t *testing.T, f *pwlessFixture) {
	// A confidential client sends its secret; jane's phone is 15550100.
	r := f.start(map[string]any{"client_id": f.web.ID, "client_secret": f.web.Secret, "connection": "sms", "phone_number": "+1 555 0100", "send": "code"})
	if m := r.json(t); r.Status != 200 || m["phone_number"] != "+1 555 0100" || m["phone_verified"] != false {
		t.Fatalf("start by SMS: %d %s", r.Status, r.Body)
	}
	msg := f.sink.next(t)
	if msg.To != "15550100" || msg.Channel != verifycode.ChannelSMS {
		t.Fatalf("SMS message: %+v", msg)
	}
	if r := f.otp(f.web, "email", "15550100", msg.Code, nil); r.Status != 403 || r.json(t)["error"] != "invalid_grant" {
		t.Errorf("SMS code with realm email: %d %s", r.Status, r.Body)
	}
	r = f.otp(f.web, "sms", "+15550100", msg.Code, map[string]string{"scope": "openid"})
	if r.Status != 200 {
		t.Fatalf("otp grant by SMS: %d %s", r.Status, r.Body)
	}
	if id := testkit.Claims(t, r.json(t)["id_token"].(string)); id["sub"] != f.userID {
		t.Errorf("ID token by SMS: %v", id)
	}
}

func testPasswordlessSignUp(t *testing.T, f *pwlessFixture) {
	r := f.start(map[string]any{"client_id": f.spa.ID, "connection": "email", "email": "New.Person@Example.COM", "send": "code"})
	if m := r.json(t); r.Status != 200 || m["email_verified"] != false {
		t.Fatalf("start for a new address: %d %s", r.Status, r.Body)
	}
	msg := f.sink.next(t)
	if msg.To != "New.Person@example.com" {
		t.Errorf("normalized address: %q", msg.To)
	}
	r = f.otp(f.spa, "email", "New.Person@example.com", msg.Code, map[string]string{"scope": "openid email"})
	if r.Status != 200 {
		t.Fatalf("first sign-in: %d %s", r.Status, r.Body)
	}
	id := testkit.Claims(t, r.json(t)["id_token"].(string))
	u := f.mustAPI(f.mt, "GET", "/api/users/"+id["sub"].(string), nil, 200)
	if u["primaryEmail"] != "New.Person@example.com" || id["email_verified"] != true {
		t.Errorf("the new user: %v; ID token %v", u, id)
	}
}

func testPasswordlessMisuse(t *testing.T, f *pwlessFixture) {
	// Wrong codes: Auth0's invalid_grant, until the code is exhausted;
	// then even the right one is refused.
	// A second code to one address within a minute is throttled.
	r := f.start(map[string]any{"client_id": f.spa.ID, "connection": "email", "email": "jane@example.com", "send": "code"})
	if r.Status != 429 || r.json(t)["error"] != "too_many_requests" || r.Header.Get("Retry-After") == "" {
		t.Errorf("resend at once: %d %s %v", r.Status, r.Body, r.Header)
	}
	f.start(map[string]any{"client_id": f.spa.ID, "connection": "email", "email": "tries@example.com", "send": "code"})
	msg := f.sink.next(t)
	wrong := "000000"
	if msg.Code == wrong {
		wrong = "111111"
	}
	exhausted := false
	for i := 0; i < 6 && !exhausted; i++ {
		r := f.otp(f.spa, "email", "tries@example.com", wrong, nil)
		switch m := r.json(t); {
		case r.Status == 429 && m["error"] == "too_many_attempts":
			exhausted = true
		case r.Status != 403 || m["error"] != "invalid_grant":
			t.Fatalf("wrong code %d: %d %s", i, r.Status, r.Body)
		}
	}
	if r := f.otp(f.spa, "email", "tries@example.com", msg.Code, nil); !exhausted || r.Status != 429 || r.json(t)["error"] != "too_many_attempts" {
		t.Errorf("right code after too many tries (exhausted %v): %d %s", exhausted, r.Status, r.Body)
	}

	for name, c := range map[string]struct {
		body   map[string]any
		status int
		code   string
	}{
		"unknown connection": {map[string]any{"client_id": f.spa.ID, "connection": "google-oauth2", "email": "a@example.com", "send": "code"}, 400, "bad.connection"},
		"no connection":      {map[string]any{"client_id": f.spa.ID, "email": "a@example.com", "send": "code"}, 400, "bad.connection"},
		"no client":          {map[string]any{"connection": "email", "email": "a@example.com", "send": "code"}, 400, "bad.client_id"},
		"unknown client":     {map[string]any{"client_id": "nope", "connection": "email", "email": "a@example.com", "send": "code"}, 401, "unauthorized_client"},
		"web without secret": {map[string]any{"client_id": f.web.ID, "connection": "email", "email": "a@example.com", "send": "code"}, 401, "unauthorized_client"},
		"wrong secret":       {map[string]any{"client_id": f.web.ID, "client_secret": "x", "connection": "email", "email": "a@example.com", "send": "code"}, 401, "unauthorized_client"},
		"magic link":         {map[string]any{"client_id": f.spa.ID, "connection": "email", "email": "a@example.com", "send": "link"}, 400, "bad.send"},
		"no send":            {map[string]any{"client_id": f.spa.ID, "connection": "email", "email": "a@example.com"}, 400, "bad.send"},
		"no email":           {map[string]any{"client_id": f.spa.ID, "connection": "email", "send": "code"}, 400, "bad.email"},
		"bad email":          {map[string]any{"client_id": f.spa.ID, "connection": "email", "email": "not an address", "send": "code"}, 400, "bad.email"},
		"bad phone":          {map[string]any{"client_id": f.spa.ID, "connection": "sms", "phone_number": "call me", "send": "code"}, 400, "bad.phone_number"},
		"email and phone":    {map[string]any{"client_id": f.spa.ID, "connection": "email", "email": "a@example.com", "phone_number": "15550100", "send": "code"}, 400, "bad.request"},
		"unknown property":   {map[string]any{"client_id": f.spa.ID, "connection": "email", "email": "a@example.com", "send": "code", "type": "code"}, 400, "bad.request"},
		"unknown authParam":  {map[string]any{"client_id": f.spa.ID, "connection": "email", "email": "a@example.com", "send": "code", "authParams": map[string]any{"redirect_uri": "https://x"}}, 400, "bad.authParams"},
		"authParam number":   {map[string]any{"client_id": f.spa.ID, "connection": "email", "email": "a@example.com", "send": "code", "authParams": map[string]any{"scope": 1}}, 400, "bad.authParams"},
		"number as email":    {map[string]any{"client_id": f.spa.ID, "connection": "email", "email": 5, "send": "code"}, 400, "bad.email"},
		"long email":         {map[string]any{"client_id": f.spa.ID, "connection": "email", "email": strings.Repeat("a", 300) + "@example.com", "send": "code"}, 400, "bad.email"},
	} {
		r := f.start(c.body)
		if m := r.json(t); r.Status != c.status || m["error"] != c.code || m["error_description"] == "" {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	f.sink.none(t)
	// An application not allowed the grant may neither start nor finish.
	other := f.newApp("SPA", "https://third.example/cb", "")
	if r := f.start(map[string]any{"client_id": other.ID, "connection": "email", "email": "jane@example.com", "send": "code"}); r.Status != 403 || r.json(t)["error"] != "unauthorized_client" {
		t.Errorf("start without the grant: %d %s", r.Status, r.Body)
	}
	if r := f.otp(other, "email", "jane@example.com", "123456", nil); r.Status != 403 || r.json(t)["error"] != "unauthorized_client" {
		t.Errorf("grant without the grant: %d %s", r.Status, r.Body)
	}
	// The token request's own mistakes, before any code is looked at.
	for name, extra := range map[string]map[string]string{
		"unknown realm":    {"realm": "Username-Password-Authentication"},
		"no otp":           {"otp": ""},
		"no username":      {"username": ""},
		"unknown audience": {"audience": "https://nowhere.example"},
	} {
		r := f.otp(f.spa, "email", "jane@example.com", "123456", extra)
		if m := r.json(t); r.Status != 400 || (m["error"] != "invalid_request" && m["error"] != "invalid_target") {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	// Logto's face does not know the grant.
	form := url.Values{"grant_type": {otpGrant}, "client_id": {f.spa.ID}, "realm": {"email"}, "username": {"jane@example.com"}, "otp": {"123456"}}
	if r := f.do("POST", "/oidc/token", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, strings.NewReader(form.Encode())); r.Status != 400 || r.json(t)["error"] != "unsupported_grant_type" {
		t.Errorf("the grant on Logto's face: %d %s", r.Status, r.Body)
	}
	// A form body works for the start too.
	sf := url.Values{"client_id": {f.spa.ID}, "connection": {"email"}, "email": {"form@example.com"}, "send": {"code"}}
	if r := f.do("POST", "/passwordless/start", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, strings.NewReader(sf.Encode())); r.Status != 200 {
		t.Errorf("form body: %d %s", r.Status, r.Body)
	}
	f.sink.next(t)
	if r := f.do("GET", "/passwordless/start", nil, nil); r.Status != http.StatusMethodNotAllowed || r.Header.Get("Allow") != "POST" {
		t.Errorf("GET: %d %v", r.Status, r.Header)
	}
}

// With sign-up closed, an unknown address gets the same answer and no
// code; a known one still signs in.
func TestAuth0PasswordlessSignUpClosed(t *testing.T) {
	f := newPwlessFixture(t, func(c *server.Config) { c.SignUp = false })
	known := f.start(map[string]any{"client_id": f.spa.ID, "connection": "email", "email": "jane@example.com", "send": "code"})
	f.sink.next(t)
	unknown := f.start(map[string]any{"client_id": f.spa.ID, "connection": "email", "email": "stranger@example.com", "send": "code"})
	f.sink.none(t)
	km, um := known.json(t), unknown.json(t)
	if known.Status != 200 || unknown.Status != 200 || len(km) != len(um) || km["email_verified"] != um["email_verified"] {
		t.Errorf("answers differ: %s / %s", known.Body, unknown.Body)
	}
	if r := f.otp(f.spa, "email", "stranger@example.com", "123456", nil); r.Status != 403 || r.json(t)["error"] != "invalid_grant" {
		t.Errorf("unknown address: %d %s", r.Status, r.Body)
	}
}

// An expired code is refused with Auth0's words; without a deliverer the
// connection cannot send.
func TestAuth0PasswordlessExpiry(t *testing.T) {
	clk := fakeClock()
	f := newPwlessFixture(t, func(c *server.Config) { c.Clock = clk })
	f.start(map[string]any{"client_id": f.spa.ID, "connection": "email", "email": "jane@example.com", "send": "code"})
	msg := f.sink.next(t)
	clk.Advance(11 * time.Minute)
	r := f.otp(f.spa, "email", "jane@example.com", msg.Code, nil)
	if m := r.json(t); r.Status != 403 || m["error"] != "invalid_grant" || !strings.Contains(m["error_description"].(string), "expired") {
		t.Errorf("expired code: %d %s", r.Status, r.Body)
	}
	f.restartWith(func(c *server.Config) { c.CodeDeliverer = nil })
	if r := f.start(map[string]any{"client_id": f.spa.ID, "connection": "sms", "phone_number": "15550100", "send": "code"}); r.Status != 400 || r.json(t)["error"] != "bad.connection" {
		t.Errorf("no connector: %d %s", r.Status, r.Body)
	}
}

// Parallel exchanges of one code: exactly one gets tokens.
func TestAuth0PasswordlessParallel(t *testing.T) {
	f := newPwlessFixture(t, nil)
	f.start(map[string]any{"client_id": f.spa.ID, "connection": "email", "email": "jane@example.com", "send": "code"})
	code := f.sink.next(t).Code
	statuses := make([]int, 4)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = f.otp(f.spa, "email", "jane@example.com", code, map[string]string{"scope": "openid"}).Status
		}()
	}
	wg.Wait()
	ok := 0
	for _, s := range statuses {
		switch s {
		case 200:
			ok++
		case 403:
		default:
			t.Errorf("parallel exchange: %d", s)
		}
	}
	if ok != 1 {
		t.Errorf("%d exchanges succeeded (%v), want 1", ok, statuses)
	}
}
