package server_test

import (
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// hostJar keeps each host:port's cookies apart, as a browser keeps two
// sites': both test servers listen on 127.0.0.1, and their cookies have
// the same names.
type hostJar struct {
	mu   sync.Mutex
	jars map[string]*cookiejar.Jar
}

func (j *hostJar) jar(u *url.URL) *cookiejar.Jar {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.jars == nil {
		j.jars = map[string]*cookiejar.Jar{}
	}
	if j.jars[u.Host] == nil {
		j.jars[u.Host], _ = cookiejar.New(nil)
	}
	return j.jars[u.Host]
}

func (j *hostJar) SetCookies(u *url.URL, cs []*http.Cookie) { j.jar(u).SetCookies(u, cs) }
func (j *hostJar) Cookies(u *url.URL) []*http.Cookie        { return j.jar(u).Cookies(u) }

// fedBrowser follows redirects between the two servers and stops at one
// to an app, or, with stopAtCallback, at the upstream's redirect to the
// downstream's callback.
func fedBrowser(t *testing.T, down *userFixture, stopAtCallback *bool) *browser {
	c := &http.Client{Jar: &hostJar{}, Timeout: 30 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Hostname() != "127.0.0.1" {
			return http.ErrUseLastResponse
		}
		if stopAtCallback != nil && *stopAtCallback && strings.HasPrefix(req.URL.String(), down.URL+"/sign-in/callback/") {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	return &browser{t: t, ts: down.testServer, c: c}
}

// Social sign-in through a second Monban instance as the upstream OpenID
// provider (real discovery, real keys, real sign-in pages): jane's
// verified address at the upstream offers a link to her account here,
// which she confirms; then she signs in with it directly; kenji, unknown
// here, gets a new account; the attacks on the callback are refused.
func TestSocialSignInThroughAnotherMonban(t *testing.T) {
	down := newUserFixture(t, allowLoopbackConnectors)
	up := newUserFixture(t, nil)
	callback := down.URL + "/sign-in/callback/upstream"
	rp := up.newApp("Traditional", callback, "")
	created := down.mustAPI(down.mt, "POST", "/api/connectors", map[string]any{"id": "upstream", "connectorId": "oidc",
		"config": map[string]any{"issuer": up.Issuer, "clientId": rp.ID, "clientSecret": rp.Secret, "scope": "openid profile email",
			"tokenEndpointAuthMethod": "client_secret_basic"},
		"metadata": map[string]any{"target": "monban-up", "name": map[string]any{"en": "Upstream", "ja": "アップストリーム"}}}, 200)
	if cfg, _ := created["config"].(map[string]any); cfg["clientSecret"] != nil || created["type"] != "Social" {
		t.Fatalf("the connector answered its secret, or not as social: %v", created)
	}
	down.mustAPI(down.mt, "PATCH", "/api/sign-in-exp", map[string]any{"socialSignInConnectorTargets": []string{"monban-up"}}, 200)

	// start opens the downstream sign-in page and presses the button.
	start := func(b *browser, extra url.Values) (page, string) {
		t.Helper()
		verifier, challenge := pkce()
		p := b.get(down.authURL(down.spa.ID, spaRedirect, challenge, extra))
		if p.Status != 200 || !strings.Contains(p.Body, `name="connector_id" value="upstream"`) {
			t.Fatalf("sign-in page without the button: %d %s", p.Status, p.Body)
		}
		form := p.hidden()
		form.Set("connector_id", "upstream")
		return b.post(down.URL+"/sign-in/social", form, nil), verifier
	}

	// Jane: the upstream's sign-in page, then the offer to link.
	b := fedBrowser(t, down, nil)
	p, verifier := start(b, url.Values{"ui_locales": {"ja"}})
	if p.Status != 200 || !strings.HasPrefix(p.URL.String(), up.URL+"/sign-in") {
		t.Fatalf("not at the upstream's sign-in page: %d %s", p.Status, p.URL)
	}
	p = upSignIn(b, up, p, "jane")
	if p.Status != 200 || !strings.Contains(p.Body, `action="`+down.URL+`/sign-in/link"`) || !strings.Contains(p.Body, "jane@example.com") ||
		!strings.Contains(p.Body, "アップストリーム") {
		t.Fatalf("no offer to link: %d %s %s", p.Status, p.URL, p.Body)
	}
	form := p.hidden()
	form.Set("decision", "link")
	q := b.post(down.URL+"/sign-in/link", form, nil).redirected(t, spaRedirect)
	tok := down.exchange(t, q.Get("code"), verifier, nil)
	claims, _ := verifyWithJWKS(t, down.testServer, tok["id_token"].(string))
	if claims["sub"] != down.userID {
		t.Fatalf("signed in as %v, not jane (%s)", claims["sub"], down.userID)
	}
	u := down.mustAPI(down.mt, "GET", "/api/users/"+down.userID, nil, 200)
	ids, _ := u["identities"].(map[string]any)
	ident, _ := ids["monban-up"].(map[string]any)
	if ident["userId"] != up.userID {
		t.Fatalf("jane's identities %v", u["identities"])
	}

	// Again, in a new browser: straight in, no offer; a claims script
	// sees the Social record as Logto writes it.
	down.mustAPI(down.mt, "PUT", "/api/configs/jwt-customizer/access-token", map[string]any{
		"script": `const getCustomJwtClaims = async ({ context }) => ({
  how: context.interaction.interactionEvent,
  proof: context.interaction.verificationRecords.map(r => r.type + ':' + r.connectorId + ':' + r.socialUserInfo.email).join(',') });`,
	}, 201)
	b = fedBrowser(t, down, nil)
	p, verifier = start(b, nil)
	q = upSignIn(b, up, p, "jane").redirected(t, spaRedirect)
	tok = down.exchange(t, q.Get("code"), verifier, nil)
	claims, _ = verifyWithJWKS(t, down.testServer, tok["access_token"].(string))
	if claims["how"] != "SignIn" || claims["proof"] != "Social:upstream:jane@example.com" {
		t.Errorf("the claims script saw how=%v proof=%v", claims["how"], claims["proof"])
	}

	// Kenji is unknown here: a new account, with his verified address.
	up.mustAPI(up.mt, "POST", "/api/users", map[string]any{"username": "kenji", "primaryEmail": "kenji@example.com", "password": userPass, "name": "Kenji"}, 200)
	b = fedBrowser(t, down, nil)
	p, _ = start(b, nil)
	upSignIn(b, up, p, "kenji").redirected(t, spaRedirect)
	users := down.api(down.mt, "GET", "/api/users?search=kenji@example.com", nil).entries(t)
	if len(users) != 1 || users[0]["name"] != "Kenji" || users[0]["identities"].(map[string]any)["monban-up"] == nil {
		t.Fatalf("kenji's new account: %v", users)
	}

	// The callback's attacks.
	stop := true
	b = fedBrowser(t, down, &stop)
	p, _ = start(b, nil)
	p = upSignIn(b, up, p, "jane")
	cb := p.Header.Get("Location")
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(cb, callback+"?") {
		t.Fatalf("no redirect to the callback: %d %q", p.Status, cb)
	}
	cbURL, _ := url.Parse(cb)
	if cbURL.Query().Get("iss") != up.Issuer {
		t.Fatalf("the upstream sent no iss: %s", cb)
	}
	withQuery := func(change func(q url.Values)) string {
		q := cbURL.Query()
		change(q)
		return callback + "?" + q.Encode()
	}
	// Another browser presenting it (a swapped state): refused.
	other := fedBrowser(t, down, &stop)
	if p := other.get(cb); p.Status != 400 {
		t.Errorf("a callback in another browser: %d %.300s", p.Status, p.Body)
	}
	// Another issuer's response (mix-up), or none where one is promised.
	if p := b.get(withQuery(func(q url.Values) { q.Set("iss", "https://evil.example/oidc") })); p.Status != 400 {
		t.Errorf("a mixed-up issuer: %d %.300s", p.Status, p.Body)
	}
	// The trip was spent by that callback: the real one is refused now.
	if p := b.get(cb); p.Status != 400 {
		t.Errorf("a callback after its trip was spent: %d %.300s", p.Status, p.Body)
	}

	// A fresh trip, its callback used once, then replayed.
	b = fedBrowser(t, down, &stop)
	p, _ = start(b, nil)
	cb = upSignIn(b, up, p, "jane").Header.Get("Location")
	stop = false
	b.get(cb).redirected(t, spaRedirect)
	if p := b.get(cb); p.Status != 400 {
		t.Errorf("a replayed callback: %d %.300s", p.Status, p.Body)
	}
	// A forged state for the interaction: refused.
	b = fedBrowser(t, down, &stop)
	stop = true
	p, _ = start(b, nil)
	cb = upSignIn(b, up, p, "jane").Header.Get("Location")
	cbURL, _ = url.Parse(cb)
	if p := b.get(withQuery(func(q url.Values) { q.Set("state", strings.Split(q.Get("state"), ".")[0]+".forged") })); p.Status != 400 {
		t.Errorf("a forged state: %d %.300s", p.Status, p.Body)
	}
	if strings.Contains(down.Logs.String(), rp.Secret) {
		t.Error("the upstream client secret is in the log")
	}
}

// upSignIn signs in at the upstream's sign-in page p.
func upSignIn(b *browser, up *userFixture, p page, username string) page {
	b.t.Helper()
	if p.Status != 200 || !strings.Contains(p.Body, `action="`+up.URL+`/sign-in"`) {
		b.t.Fatalf("not the upstream's sign-in page: %d %s", p.Status, p.Body)
	}
	form := p.hidden()
	form.Set("identifier", username)
	form.Set("password", userPass)
	return b.post(up.URL+"/sign-in", form, nil)
}

// gitHubShape is a small OAuth 2.0 provider of GitHub's shape (as GitHub
// Enterprise Server lays it out): it signs everyone in as its person, and
// lists their addresses at /api/v3/user/emails.
type gitHubShape struct {
	mu     sync.Mutex
	id     float64
	login  string
	emails []map[string]any
	codes  map[string]string // code → PKCE challenge
}

func (g *gitHubShape) handler(t *testing.T, clientID, secret string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login/oauth/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("client_id") != clientID || q.Get("code_challenge_method") != "S256" {
			http.Error(w, "bad request", 400)
			return
		}
		g.mu.Lock()
		code := "code-" + q.Get("state")[len(q.Get("state"))-8:]
		g.codes[code] = q.Get("code_challenge")
		g.mu.Unlock()
		http.Redirect(w, r, q.Get("redirect_uri")+"?"+url.Values{"code": {code}, "state": {q.Get("state")}}.Encode(), http.StatusFound)
	})
	mux.HandleFunc("POST /login/oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		g.mu.Lock()
		challenge, ok := g.codes[r.PostForm.Get("code")]
		delete(g.codes, r.PostForm.Get("code"))
		g.mu.Unlock()
		if !ok || r.PostForm.Get("client_id") != clientID || r.PostForm.Get("client_secret") != secret || s256(r.PostForm.Get("code_verifier")) != challenge {
			w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
			_, _ = w.Write([]byte("error=bad_verification_code"))
			return
		}
		// GitHub answers a form unless asked for JSON.
		w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
		_, _ = w.Write([]byte("access_token=gho_secret_token&token_type=bearer&scope=read%3Auser"))
	})
	auth := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer gho_secret_token" {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			g.mu.Lock()
			defer g.mu.Unlock()
			h(w, r)
		}
	}
	mux.HandleFunc("GET /api/v3/user", auth(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"id": g.id, "login": g.login, "name": "Octo " + g.login, "email": nil,
			"avatar_url": "https://avatars.example/" + g.login})
	}))
	mux.HandleFunc("GET /api/v3/user/emails", auth(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(g.emails)
	}))
	return mux
}

// Social sign-in through a provider of GitHub's shape: its person's
// primary address is unverified there, and is jane's here: no link is
// offered and jane's account is not touched; a new account is made
// without the address. Once verified upstream, it links to jane.
func TestGitHubShapedSignIn(t *testing.T) {
	down := newUserFixture(t, allowLoopbackConnectors)
	gh := &gitHubShape{id: 5830001, login: "octo", codes: map[string]string{},
		emails: []map[string]any{{"email": "other@example.com", "primary": false, "verified": true},
			{"email": "jane@example.com", "primary": true, "verified": false}}}
	srv := httptest.NewServer(gh.handler(t, "gh-client", "gh-secret"))
	defer srv.Close()
	down.mustAPI(down.mt, "POST", "/api/connectors", map[string]any{"id": "gh", "connectorId": "github-universal",
		"config": map[string]any{"clientId": "gh-client", "clientSecret": "gh-secret", "enterpriseUrl": srv.URL}}, 200)
	down.mustAPI(down.mt, "PATCH", "/api/sign-in-exp", map[string]any{"socialSignInConnectorTargets": []string{"github"}}, 200)

	signIn := func() (page, string) {
		b := fedBrowser(t, down, nil)
		verifier, challenge := pkce()
		p := b.get(down.authURL(down.spa.ID, spaRedirect, challenge, nil))
		if !strings.Contains(p.Body, "Continue with GitHub") {
			t.Fatalf("no GitHub button: %s", p.Body)
		}
		form := p.hidden()
		form.Set("connector_id", "gh")
		return b.post(down.URL+"/sign-in/social", form, nil), verifier
	}
	p, verifier := signIn()
	q := p.redirected(t, spaRedirect)
	tok := down.exchange(t, q.Get("code"), verifier, nil)
	claims, _ := verifyWithJWKS(t, down.testServer, tok["id_token"].(string))
	if claims["sub"] == down.userID {
		t.Fatal("an unverified upstream address signed in to jane's account")
	}
	octo := down.mustAPI(down.mt, "GET", "/api/users/"+claims["sub"].(string), nil, 200)
	if octo["primaryEmail"] != nil || octo["name"] != "Octo octo" || octo["identities"].(map[string]any)["github"].(map[string]any)["userId"] != "5830001" {
		t.Fatalf("the new account %v", octo)
	}
	jane := down.mustAPI(down.mt, "GET", "/api/users/"+down.userID, nil, 200)
	if len(jane["identities"].(map[string]any)) != 0 {
		t.Fatalf("jane's account was given the identity: %v", jane["identities"])
	}
	// The new account keeps its one way to sign in.
	r := down.api(down.mt, "DELETE", "/api/users/"+octo["id"].(string)+"/identities/github", nil)
	if r.Status != 400 || !strings.Contains(string(r.Body), "user.last_sign_in_method_required") {
		t.Fatalf("unlinking the last way to sign in: %d %s", r.Status, r.Body)
	}
	if strings.Contains(down.Logs.String(), "gho_secret_token") || strings.Contains(down.Logs.String(), "gh-secret") {
		t.Error("the provider's token or the client secret is in the log")
	}

	// A provider's form post (response_mode=form_post) is sent on to the
	// callback as a same-site navigation, which carries the cookies.
	post := fedBrowser(t, down, nil)
	post.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	pp := post.post(down.URL+"/sign-in/callback/gh", url.Values{"code": {"c1"}, "state": {"it.s"}, "user": {`{"name":{}}`}, "junk": {"x"}}, nil)
	want := url.Values{"code": {"c1"}, "state": {"it.s"}, "user": {`{"name":{}}`}}
	if loc := pp.Header.Get("Location"); pp.Status != http.StatusSeeOther || loc != down.URL+"/sign-in/callback/gh?"+want.Encode() {
		t.Errorf("a form post to the callback: %d %q", pp.Status, loc)
	}

	// Another person at the provider, with jane's address verified there:
	// the link is offered.
	gh.mu.Lock()
	gh.id, gh.login = 5830002, "jane-gh"
	gh.emails = []map[string]any{{"email": "jane@example.com", "primary": true, "verified": true}}
	gh.mu.Unlock()
	p, _ = signIn()
	if p.Status != 200 || !strings.Contains(p.Body, "/sign-in/link") || !strings.Contains(p.Body, "GitHub") {
		t.Fatalf("no offer to link: %d %s", p.Status, p.Body)
	}
}

// Auth0's /api/v2/users lists a user's social identities after the
// database one.
func TestAuth0ListsSocialIdentities(t *testing.T) {
	f := newUserFixture(t, nil)
	f.mustAPI(f.mt, "PUT", "/api/users/"+f.userID+"/identities/github", map[string]any{"userId": "5830001", "details": map[string]any{"login": "jane"}}, 201)
	tok := f.tokenForm(bootID, bootSecret, url.Values{"grant_type": {"client_credentials"}, "resource": {f.URL + "/api/v2/"},
		"scope": {"read:users"}}).json(t)["access_token"].(string)
	r := f.api(tok, "GET", "/api/v2/users/auth0|"+f.userID, nil)
	var u struct {
		Identities []map[string]any `json:"identities"`
	}
	if r.Status != 200 || json.Unmarshal(r.Body, &u) != nil || len(u.Identities) != 2 {
		t.Fatalf("user %d %s", r.Status, r.Body)
	}
	if gh := u.Identities[1]; gh["provider"] != "github" || gh["connection"] != "github" || gh["user_id"] != "5830001" || gh["isSocial"] != true {
		t.Fatalf("the social identity %v", gh)
	}
}
