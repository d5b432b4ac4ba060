package server_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/password"
	"github.com/monban/monban/internal/server"
)

// fastPasswords keeps argon2id cheap in tests; the real costs are tested
// in the password package.
var fastPasswords = password.Params{Time: 1, Memory: 64, Threads: 1}

// startUserServer starts a server tuned for user tests: cheap password
// hashing, then edit.
func startUserServer(t *testing.T, edit func(*server.Config)) *testServer {
	t.Helper()
	ts := &testServer{t: t, dbPath: filepath.Join(t.TempDir(), "data", "monban.db"), port: newPort(t), Logs: &syncBuffer{}}
	ts.edit = func(c *server.Config) {
		c.Users.PasswordParams = fastPasswords
		c.AccessLog = false
		c.Logger = slog.New(slog.NewTextHandler(ts.Logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
		if edit != nil {
			edit(c)
		}
	}
	ts.start()
	t.Cleanup(ts.stop)
	return ts
}

const (
	shopAPI     = "https://shop.example/api"
	spaRedirect = "https://spa.example/cb"
	spaLogout   = "https://spa.example/"
	webRedirect = "https://web.example/cb"
	userPass    = "correct horse battery"
)

type appCreds struct{ ID, Secret string }

// userFixture is a server with an API resource, a user holding a User role
// that grants read:products (not write:products), a SPA and a confidential
// web app.
type userFixture struct {
	*testServer
	mt              string
	resID           string
	readID, writeID string
	roleID          string
	userID          string
	spa, spa2, web  appCreds
}

func newUserFixture(t *testing.T, edit func(*server.Config)) *userFixture {
	t.Helper()
	ts := startUserServer(t, edit)
	f := &userFixture{testServer: ts, mt: ts.managementToken()}
	f.resID = ts.mustAPI(f.mt, "POST", "/api/resources", map[string]any{"name": "Shop", "indicator": shopAPI}, 201)["id"].(string)
	f.readID = ts.mustAPI(f.mt, "POST", "/api/resources/"+f.resID+"/scopes", map[string]any{"name": "read:products"}, 201)["id"].(string)
	f.writeID = ts.mustAPI(f.mt, "POST", "/api/resources/"+f.resID+"/scopes", map[string]any{"name": "write:products"}, 201)["id"].(string)
	f.roleID = ts.mustAPI(f.mt, "POST", "/api/roles", map[string]any{"name": "Shopper", "description": "reads products",
		"type": "User", "scopeIds": []string{f.readID}}, 200)["id"].(string)
	f.userID = ts.mustAPI(f.mt, "POST", "/api/users", map[string]any{
		"username": "jane", "primaryEmail": "jane@example.com", "primaryPhone": "15550100", "name": "Jane Doe",
		"password": userPass, "profile": map[string]any{"givenName": "Jane", "familyName": "Doe"},
		"customData": map[string]any{"plan": "pro"},
	}, 200)["id"].(string)
	ts.mustAPI(f.mt, "POST", "/api/users/"+f.userID+"/roles", map[string]any{"roleIds": []string{f.roleID}}, 201)
	f.spa = f.newApp("SPA", spaRedirect, spaLogout)
	f.spa2 = f.newApp("SPA", "https://other.example/cb", "")
	f.web = f.newApp("Traditional", webRedirect, "")
	return f
}

func (f *userFixture) newApp(typ, redirect, logout string) appCreds {
	f.t.Helper()
	meta := map[string]any{"redirectUris": []string{redirect}}
	if logout != "" {
		meta["postLogoutRedirectUris"] = []string{logout}
	}
	m := f.mustAPI(f.mt, "POST", "/api/applications", map[string]any{"name": typ + " app", "type": typ, "oidcClientMetadata": meta}, 200)
	c := appCreds{ID: m["id"].(string)}
	if s, ok := m["secret"].(string); ok {
		c.Secret = s
	}
	return c
}

// browser is a user agent with a cookie jar. It follows redirects within
// the server and stops at the first one leaving it (to an app).
type browser struct {
	t  *testing.T
	ts *testServer
	c  *http.Client
}

func newBrowser(t *testing.T, ts *testServer) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if !strings.HasPrefix(req.URL.String(), ts.URL+"/") {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	return &browser{t: t, ts: ts, c: c}
}

type page struct {
	Status int
	Header http.Header
	Body   string
	URL    *url.URL
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return page{Status: res.StatusCode, Header: res.Header, Body: string(body), URL: res.Request.URL}
}

func (b *browser) get(u string) page {
	b.t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

func (b *browser) post(u string, form url.Values, header http.Header) page {
	b.t.Helper()
	req, err := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	return b.do(req)
}

var inputRe = regexp.MustCompile(`<input type="hidden" name="(\w+)" value="([^"]*)">`)

// hidden returns the hidden fields of the page's form.
func (p page) hidden() url.Values {
	v := url.Values{}
	for _, m := range inputRe.FindAllStringSubmatch(p.Body, -1) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	return v
}

// signIn submits the sign-in form of page p.
func (b *browser) signIn(p page, identifier, pw string) page {
	b.t.Helper()
	if p.Status != 200 || !strings.Contains(p.Body, `action="`+b.ts.URL+`/sign-in"`) {
		b.t.Fatalf("not a sign-in page: %d %s", p.Status, p.Body)
	}
	form := p.hidden()
	form.Set("identifier", identifier)
	form.Set("password", pw)
	return b.post(b.ts.URL+"/sign-in", form, nil)
}

// redirected returns the query of a redirect to an app.
func (p page) redirected(t *testing.T, prefix string) url.Values {
	t.Helper()
	loc := p.Header.Get("Location")
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(loc, prefix) {
		t.Fatalf("want a redirect to %s, got %d %q: %.300s", prefix, p.Status, loc, p.Body)
	}
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

// pkce returns a code verifier and its S256 challenge.
func pkce() (verifier, challenge string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	verifier = base64.RawURLEncoding.EncodeToString(b)
	return verifier, s256(verifier)
}

func s256(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// authURL builds an authorization request.
func (f *userFixture) authURL(client, redirect, challenge string, extra url.Values) string {
	q := url.Values{"response_type": {"code"}, "client_id": {client}, "redirect_uri": {redirect},
		"scope": {"openid profile email offline_access read:products"}, "state": {"st"}, "nonce": {"nn"}, "resource": {shopAPI}}
	if challenge != "" {
		q.Set("code_challenge", challenge)
		q.Set("code_challenge_method", "S256")
	}
	for k, v := range extra {
		q[k] = v
	}
	return f.Issuer + "/auth?" + q.Encode()
}

// signedIn returns a browser signed in as the fixture's user.
func (f *userFixture) signedIn(t *testing.T) *browser {
	t.Helper()
	b := newBrowser(t, f.testServer)
	_, ch := pkce()
	b.signIn(b.get(f.authURL(f.spa.ID, spaRedirect, ch, nil)), "jane", userPass).redirected(t, spaRedirect)
	return b
}

// code gets an authorization code for the SPA through a signed-in browser.
func (f *userFixture) code(t *testing.T, b *browser, client, redirect, challenge string, extra url.Values) string {
	t.Helper()
	q := b.get(f.authURL(client, redirect, challenge, extra)).redirected(t, redirect)
	if q.Get("code") == "" {
		t.Fatalf("no code: %v", q)
	}
	return q.Get("code")
}

// token posts to the token endpoint; id and secret, if set, go in Basic.
func (f *userFixture) token(id, secret string, form url.Values) response {
	f.t.Helper()
	if secret == "" && id != "" {
		form.Set("client_id", id)
		id = ""
	}
	return f.tokenForm(id, secret, form)
}

// exchange redeems a SPA code with its verifier.
func (f *userFixture) exchange(t *testing.T, code, verifier string, extra url.Values) map[string]any {
	t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {spaRedirect}, "code_verifier": {verifier}}
	for k, v := range extra {
		form[k] = v
	}
	r := f.token(f.spa.ID, "", form)
	if r.Status != 200 {
		t.Fatalf("code exchange: %d %s", r.Status, r.Body)
	}
	return r.json(t)
}

// introspect asks about a token as the confidential web app.
func (f *userFixture) introspect(t *testing.T, tok string) map[string]any {
	t.Helper()
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(f.web.ID)+":"+url.QueryEscape(f.web.Secret))))
	r := f.do("POST", "/oidc/token/introspection", h, strings.NewReader(url.Values{"token": {tok}}.Encode()))
	if r.Status != 200 {
		t.Fatalf("introspection: %d %s", r.Status, r.Body)
	}
	return r.json(t)
}

// userinfo calls the userinfo endpoint with a bearer token.
func (f *userFixture) userinfo(tok string) response {
	return f.do("GET", "/oidc/me", http.Header{"Authorization": {"Bearer " + tok}}, nil)
}
