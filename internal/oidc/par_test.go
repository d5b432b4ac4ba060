package oidc

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/clock"
	"github.com/monban/monban/internal/store"
)

// parFixture is a provider over a real SQLite store, served over HTTP,
// with a confidential app (web), a second one (other), a SPA, an app that
// requires pushed requests (strict) and an M2M app.
type parFixture struct {
	url string
	clk *clock.Fake
	st  store.Store
}

func newPARFixture(t *testing.T) *parFixture {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC))
	now := clk.Now()
	st := openStore(t, now)
	for _, a := range []store.Application{
		{ID: "web", Type: store.AppTraditional, RedirectURIs: []string{"https://web.test/cb"}},
		{ID: "other", Type: store.AppTraditional, RedirectURIs: []string{"https://web.test/cb"}},
		{ID: "spa", Type: store.AppSPA, RedirectURIs: []string{"https://spa.test/cb"}},
		{ID: "strict", Type: store.AppTraditional, RedirectURIs: []string{"https://strict.test/cb"}, RequirePAR: true},
		{ID: "m2m", Type: store.AppMachineToMachine},
	} {
		a.Name, a.CreatedAt = a.ID, now
		secret := ""
		if a.Type != store.AppSPA {
			secret = a.ID + "secret"
		}
		addApp(t, st, testHasher, a, secret)
	}
	_, mux := newTestProvider(t, st, providerSetup{Clock: clk})
	return &parFixture{url: serve(t, mux), clk: clk, st: st}
}

// push posts form to the PAR endpoint, with client id:secret in Basic
// unless secret is empty.
func (f *parFixture) push(t *testing.T, id, secret string, form url.Values) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest("POST", f.url+"/oidc/request", strings.NewReader(form.Encode()))
	must(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if secret != "" {
		req.SetBasicAuth(id, secret)
	}
	res, err := http.DefaultClient.Do(req)
	must(t, err)
	defer res.Body.Close()
	var m map[string]any
	must(t, json.NewDecoder(res.Body).Decode(&m))
	if res.StatusCode == http.StatusCreated && res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("PAR answer without Cache-Control: no-store")
	}
	return res.StatusCode, m
}

// webRequest is a valid authorization request of the web app.
func webRequest() url.Values {
	return url.Values{"response_type": {"code"}, "redirect_uri": {"https://web.test/cb"}, "scope": {"openid"}, "state": {"s1"}}
}

// mustPush pushes a request of app id and returns its request_uri.
func (f *parFixture) mustPush(t *testing.T, id string, form url.Values) string {
	t.Helper()
	status, m := f.push(t, id, id+"secret", form)
	uri, _ := m["request_uri"].(string)
	if status != http.StatusCreated || !strings.HasPrefix(uri, "urn:ietf:params:oauth:request_uri:") || m["expires_in"] != float64(60) {
		t.Fatalf("push: %d %v", status, m)
	}
	return uri
}

// authorize sends a browser to the authorization endpoint with q and
// returns the status and the Location (a redirect) or the body (a page).
func (f *parFixture) authorize(t *testing.T, q url.Values) (int, string) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(f.url + "/oidc/auth?" + q.Encode())
	must(t, err)
	defer res.Body.Close()
	if loc := res.Header.Get("Location"); loc != "" {
		return res.StatusCode, loc
	}
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return res.StatusCode, b.String()
}

func wantSignIn(t *testing.T, what string, status int, loc string) {
	t.Helper()
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, "https://id.test/sign-in?interaction=") {
		t.Fatalf("%s: %d %q, want the sign-in page", what, status, loc)
	}
}

func wantParPage(t *testing.T, what string, status int, body, text string) {
	t.Helper()
	if status != http.StatusBadRequest || !strings.Contains(body, text) {
		t.Fatalf("%s: %d %.300s, want a 400 page saying %q", what, status, body, text)
	}
}

// A pushed request is used once, by its client, before it expires, with
// nothing beside client_id and request_uri (RFC 9126 §4).
func TestPushedRequestSingleUse(t *testing.T) {
	f := newPARFixture(t)
	uri := f.mustPush(t, "web", webRequest())

	// Other parameters beside it are refused before the request_uri is
	// spent.
	extra := url.Values{"client_id": {"web"}, "request_uri": {uri}, "scope": {"openid email"}}
	status, body := f.authorize(t, extra)
	wantParPage(t, "extra parameter", status, body, "client_id and nothing else")
	status, body = f.authorize(t, url.Values{"request_uri": {uri}})
	wantParPage(t, "no client_id", status, body, "invalid_request_uri")

	status, loc := f.authorize(t, url.Values{"client_id": {"web"}, "request_uri": {uri}})
	wantSignIn(t, "pushed request", status, loc)
	status, body = f.authorize(t, url.Values{"client_id": {"web"}, "request_uri": {uri}})
	wantParPage(t, "replayed request_uri", status, body, "invalid_request_uri")

	// Another client's request_uri.
	uri = f.mustPush(t, "web", webRequest())
	status, body = f.authorize(t, url.Values{"client_id": {"other"}, "request_uri": {uri}})
	wantParPage(t, "another client's request_uri", status, body, "invalid_request_uri")

	// Expired: 60 seconds.
	uri = f.mustPush(t, "web", webRequest())
	f.clk.Advance(59 * time.Second)
	status, loc = f.authorize(t, url.Values{"client_id": {"web"}, "request_uri": {uri}})
	wantSignIn(t, "request_uri at 59 s", status, loc)
	uri = f.mustPush(t, "web", webRequest())
	f.clk.Advance(60 * time.Second)
	status, body = f.authorize(t, url.Values{"client_id": {"web"}, "request_uri": {uri}})
	wantParPage(t, "expired request_uri", status, body, "invalid_request_uri")

	for _, bad := range []string{"urn:ietf:params:oauth:request_uri:", "https://evil.test/req", "urn:ietf:params:oauth:request_uri:" + strings.Repeat("a", 100)} {
		status, body = f.authorize(t, url.Values{"client_id": {"web"}, "request_uri": {bad}})
		wantParPage(t, "request_uri "+bad, status, body, "invalid_request_uri")
	}
}

// The PAR endpoint authenticates the client as the token endpoint does and
// checks the request as the authorization endpoint would, answering in
// JSON with the same codes.
func TestPushedRequestChecks(t *testing.T) {
	f := newPARFixture(t)
	with := func(k, v string) url.Values {
		q := webRequest()
		q.Set(k, v)
		return q
	}
	for _, tc := range []struct {
		name         string
		id, secret   string
		form         url.Values
		status       int
		code, inDesc string
	}{
		{"no authentication", "web", "", with("client_id", "web"), 401, "invalid_client", ""},
		{"wrong secret", "web", "nope", webRequest(), 401, "invalid_client", ""},
		{"redirect_uri not registered", "web", "websecret", with("redirect_uri", "https://evil.test/cb"), 400, "invalid_request", "redirect_uri"},
		{"request_uri pushed", "web", "websecret", with("request_uri", "urn:ietf:params:oauth:request_uri:x"), 400, "invalid_request", "request_uri"},
		{"another client_id", "web", "websecret", with("client_id", "other"), 400, "invalid_request", ""},
		{"unsupported response_type", "web", "websecret", with("response_type", "token"), 400, "unsupported_response_type", ""},
		{"bad scope", "web", "websecret", with("scope", "a\"b"), 400, "invalid_scope", ""},
		{"unknown resource", "web", "websecret", with("resource", "https://nope.test"), 400, "invalid_target", ""},
		{"request object", "web", "websecret", with("request", "eyJ"), 400, "request_not_supported", ""},
		{"M2M app", "m2m", "m2msecret", webRequest(), 400, "unauthorized_client", ""},
		{"public client without PKCE", "spa", "", url.Values{"client_id": {"spa"}, "response_type": {"code"}, "redirect_uri": {"https://spa.test/cb"}}, 400, "invalid_request", "PKCE"},
	} {
		status, m := f.push(t, tc.id, tc.secret, tc.form)
		desc, _ := m["error_description"].(string)
		if status != tc.status || m["error"] != tc.code || !strings.Contains(desc, tc.inDesc) {
			t.Errorf("%s: %d %v, want %d %s", tc.name, status, m, tc.status, tc.code)
		}
	}

	// A public client pushes with its client_id alone.
	status, m := f.push(t, "spa", "", url.Values{"client_id": {"spa"}, "response_type": {"code"}, "redirect_uri": {"https://spa.test/cb"},
		"code_challenge": {strings.Repeat("c", 43)}, "code_challenge_method": {"S256"}})
	if status != http.StatusCreated {
		t.Fatalf("SPA push: %d %v", status, m)
	}
	status, loc := f.authorize(t, url.Values{"client_id": {"spa"}, "request_uri": {m["request_uri"].(string)}})
	wantSignIn(t, "SPA's pushed request", status, loc)

	if status, m = f.push(t, "web", "websecret", url.Values{}); status != 400 || m["error"] != "invalid_request" {
		t.Errorf("empty push: %d %v", status, m)
	}
}

// An app that requires pushed requests is refused a request in the query,
// at the authorization endpoint and at the sign-in page alike, and takes a
// pushed one.
func TestRequirePushedRequests(t *testing.T) {
	f := newPARFixture(t)
	q := url.Values{"client_id": {"strict"}, "response_type": {"code"}, "redirect_uri": {"https://strict.test/cb"}, "scope": {"openid"}}
	status, loc := f.authorize(t, q)
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, "https://strict.test/cb?") || !strings.Contains(loc, "error=invalid_request") ||
		!strings.Contains(loc, "pushed+authorization+requests") {
		t.Fatalf("unpushed request of a strict app: %d %q", status, loc)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(f.url + "/sign-in?" + q.Encode())
	must(t, err)
	res.Body.Close()
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "error=invalid_request") {
		t.Fatalf("the sign-in page with a strict app's unpushed request: %d %q", res.StatusCode, loc)
	}
	q.Del("client_id")
	uri := f.mustPush(t, "strict", q)
	status, loc = f.authorize(t, url.Values{"client_id": {"strict"}, "request_uri": {uri}})
	wantSignIn(t, "strict app's pushed request", status, loc)

}
