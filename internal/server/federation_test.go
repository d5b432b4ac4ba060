package server_test

import (
	"net/http"
	"net/http/cookiejar"
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

	// Again, in a new browser: straight in, no offer.
	b = fedBrowser(t, down, nil)
	p, verifier = start(b, nil)
	q = upSignIn(b, up, p, "jane").redirected(t, spaRedirect)
	if tok := down.exchange(t, q.Get("code"), verifier, nil); tok["access_token"] == nil {
		t.Fatalf("token %v", tok)
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
