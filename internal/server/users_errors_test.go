package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/oidc"
	"github.com/monban/monban/internal/server"
)

// Every way an authorization request can be wrong. A request whose client
// or redirect URI cannot be trusted gets a page and never a redirect (no
// open redirect); the others go back to the app with an OAuth error.
func TestAuthorizeErrors(t *testing.T) {
	f := newUserFixture(t, nil)
	m2m := f.mustAPI(f.mt, "POST", "/api/applications", map[string]any{"name": "Robot", "type": "MachineToMachine"}, 200)["id"].(string)
	_, ch := pkce()
	base := func(edit func(url.Values)) string {
		q := url.Values{"response_type": {"code"}, "client_id": {f.spa.ID}, "redirect_uri": {spaRedirect},
			"scope": {"openid"}, "state": {"st"}, "code_challenge": {ch}, "code_challenge_method": {"S256"}}
		edit(q)
		return f.Issuer + "/auth?" + q.Encode()
	}
	set := func(k string, v ...string) func(url.Values) { return func(q url.Values) { q[k] = v } }
	del := func(k string) func(url.Values) { return func(q url.Values) { q.Del(k) } }
	pageCases := []struct {
		name string
		edit func(url.Values)
	}{
		{"no client_id", del("client_id")},
		{"unknown client", set("client_id", "nobody")},
		{"M2M client", set("client_id", m2m)},
		{"no redirect_uri", del("redirect_uri")},
		{"unregistered redirect_uri", set("redirect_uri", "https://evil.example/cb")},
		{"redirect_uri with extra path", set("redirect_uri", spaRedirect+"/../evil")},
		{"redirect_uri with a query", set("redirect_uri", spaRedirect+"?next=https://evil.example")},
		{"redirect_uri with a fragment", set("redirect_uri", spaRedirect+"#x")},
		{"redirect_uri in another case", set("redirect_uri", strings.ToUpper(spaRedirect))},
		{"redirect_uri with a trailing slash", set("redirect_uri", spaRedirect+"/")},
		{"scheme-relative redirect_uri", set("redirect_uri", "//evil.example/cb")},
		{"another app's redirect_uri", set("redirect_uri", webRedirect)},
		{"redirect_uri twice", set("redirect_uri", spaRedirect, "https://evil.example/cb")},
		{"NUL in a parameter", set("state", "a\x00b")},
		// A request_uri is a pushed request's (RFC 9126): nothing else may
		// come with it, and an unknown one names no trusted redirect.
		{"request_uri beside the request", set("request_uri", "urn:x")},
	}
	for _, tc := range pageCases {
		t.Run(tc.name, func(t *testing.T) {
			b := newBrowser(t, f.testServer)
			p := b.get(base(tc.edit))
			if p.Status != 400 || p.Header.Get("Location") != "" || !strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") {
				t.Fatalf("status %d, Location %q", p.Status, p.Header.Get("Location"))
			}
			if strings.Contains(p.Body, "evil.example") {
				t.Error("the page shows the attacker's URI")
			}
		})
	}
	redirectCases := []struct {
		name, err string
		edit      func(url.Values)
	}{
		{"no response_type", "invalid_request", del("response_type")},
		{"token response_type", "unsupported_response_type", set("response_type", "token")},
		{"id_token response_type", "unsupported_response_type", set("response_type", "code id_token")},
		{"form_post", "invalid_request", set("response_mode", "form_post")},
		{"public client without PKCE", "invalid_request", func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") }},
		{"plain PKCE", "invalid_request", set("code_challenge_method", "plain")},
		{"PKCE method missing", "invalid_request", del("code_challenge_method")},
		{"short challenge", "invalid_request", set("code_challenge", "abc")},
		{"method without challenge", "invalid_request", del("code_challenge")},
		{"unknown resource", "invalid_target", set("resource", "https://unknown.example")},
		{"relative resource", "invalid_target", set("resource", "shop")},
		{"bad scope", "invalid_scope", set("scope", "openid \"x")},
		{"repeated scope", "invalid_request", set("scope", "openid", "email")},
		{"prompt none with login", "invalid_request", set("prompt", "none login")},
		{"unknown prompt", "invalid_request", set("prompt", "create")},
		{"bad max_age", "invalid_request", set("max_age", "-1")},
		{"request object", "request_not_supported", set("request", "eyJ")},
		{"prompt none without session", "login_required", set("prompt", "none")},
	}
	for _, tc := range redirectCases {
		t.Run(tc.name, func(t *testing.T) {
			b := newBrowser(t, f.testServer)
			q := b.get(base(tc.edit)).redirected(t, spaRedirect+"?")
			if q.Get("error") != tc.err || q.Get("state") != "st" || q.Get("iss") != f.Issuer || q.Get("code") != "" {
				t.Fatalf("redirect query %v, want error %s", q, tc.err)
			}
		})
	}
	// A confidential client may skip PKCE.
	b := newBrowser(t, f.testServer)
	p := b.get(f.authURL(f.web.ID, webRedirect, "", nil))
	b.signIn(p, "jane", userPass).redirected(t, webRedirect)
}

// Every way a code exchange can be wrong: invalid_grant, and the code is
// not spent unless it was the right client.
func TestCodeExchangeErrors(t *testing.T) {
	f := newUserFixture(t, nil)
	b := f.signedIn(t)
	m2m := f.mustAPI(f.mt, "POST", "/api/applications", map[string]any{"name": "Robot", "type": "MachineToMachine"}, 200)
	m2mID, m2mSecret := m2m["id"].(string), m2m["secret"].(string)
	type tc struct {
		name          string
		id, secret    string
		edit          func(url.Values)
		status        int
		err           string
		stillUsable   bool // the code can be redeemed afterwards by its client
		noVerifierApp bool // a web app code without PKCE
	}
	set := func(k, v string) func(url.Values) { return func(q url.Values) { q.Set(k, v) } }
	cases := []tc{
		{name: "wrong client", id: f.spa2.ID, status: 400, err: "invalid_grant", stillUsable: true},
		{name: "missing verifier", edit: func(q url.Values) { q.Del("code_verifier") }, status: 400, err: "invalid_grant", stillUsable: true},
		{name: "wrong verifier", edit: set("code_verifier", strings.Repeat("a", 43)), status: 400, err: "invalid_grant", stillUsable: true},
		{name: "malformed verifier", edit: set("code_verifier", "short"), status: 400, err: "invalid_grant", stillUsable: true},
		{name: "wrong redirect_uri", edit: set("redirect_uri", spaRedirect+"/x"), status: 400, err: "invalid_grant", stillUsable: true},
		{name: "missing redirect_uri", edit: func(q url.Values) { q.Del("redirect_uri") }, status: 400, err: "invalid_grant", stillUsable: true},
		{name: "unknown code", edit: set("code", "nope"), status: 400, err: "invalid_grant", stillUsable: true},
		{name: "missing code", edit: func(q url.Values) { q.Del("code") }, status: 400, err: "invalid_request", stillUsable: true},
		{name: "resource not granted", edit: set("resource", f.Mgmt), status: 400, err: "invalid_target", stillUsable: true},
		{name: "public client with a secret", id: f.spa.ID, secret: "x", status: 401, err: "invalid_client", stillUsable: true},
		{name: "unknown client", id: "nobody", status: 401, err: "invalid_client", stillUsable: true},
		{name: "M2M client", id: m2mID, secret: m2mSecret, status: 400, err: "unauthorized_client", stillUsable: true},
		{name: "confidential client without its secret", id: f.web.ID, status: 401, err: "invalid_client", stillUsable: true, noVerifierApp: true},
		{name: "verifier without a challenge", id: f.web.ID, secret: f.web.Secret, edit: set("code_verifier", strings.Repeat("v", 43)),
			status: 400, err: "invalid_grant", stillUsable: true, noVerifierApp: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			verifier, challenge := pkce()
			client, redirect := f.spa.ID, spaRedirect
			if c.noVerifierApp {
				client, redirect, challenge = f.web.ID, webRedirect, ""
			}
			code := f.code(t, b, client, redirect, challenge, nil)
			form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}}
			if challenge != "" {
				form.Set("code_verifier", verifier)
			}
			if c.edit != nil {
				c.edit(form)
			}
			id := c.id
			if id == "" {
				id = f.spa.ID
			}
			r := f.token(id, c.secret, form)
			if r.Status != c.status || r.json(t)["error"] != c.err {
				t.Fatalf("%d %s, want %d %s", r.Status, r.Body, c.status, c.err)
			}
			if strings.Contains(string(r.Body), code) {
				t.Error("the error echoes the code")
			}
			if c.stillUsable {
				good := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}}
				gid, gsecret := client, ""
				if challenge != "" {
					good.Set("code_verifier", verifier)
				} else {
					gsecret = f.web.Secret
				}
				if r := f.token(gid, gsecret, good); r.Status != 200 {
					t.Errorf("the right client could not redeem the code afterwards: %d %s", r.Status, r.Body)
				}
			}
		})
	}

	t.Run("replayed code revokes what it issued", func(t *testing.T) {
		verifier, challenge := pkce()
		code := f.code(t, b, f.spa.ID, spaRedirect, challenge, nil)
		first := f.exchange(t, code, verifier, url.Values{"resource": {shopAPI}})
		if m := f.introspect(t, first["access_token"].(string)); m["active"] != true {
			t.Fatalf("fresh token inactive: %v", m)
		}
		r := f.token(f.spa.ID, "", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {spaRedirect}, "code_verifier": {verifier}})
		if r.Status != 400 || r.json(t)["error"] != "invalid_grant" {
			t.Fatalf("replay: %d %s", r.Status, r.Body)
		}
		if m := f.introspect(t, first["access_token"].(string)); m["active"] != false {
			t.Errorf("the first access token survived the replay: %v", m)
		}
		rr := f.token(f.spa.ID, "", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first["refresh_token"].(string)}})
		if rr.Status != 400 || rr.json(t)["error"] != "invalid_grant" {
			t.Errorf("the first refresh token survived the replay: %d %s", rr.Status, rr.Body)
		}
	})

	t.Run("suspended user", func(t *testing.T) {
		verifier, challenge := pkce()
		code := f.code(t, b, f.spa.ID, spaRedirect, challenge, nil)
		f.mustAPI(f.mt, "PATCH", "/api/users/"+f.userID+"/is-suspended", map[string]any{"isSuspended": true}, 200)
		defer f.mustAPI(f.mt, "PATCH", "/api/users/"+f.userID+"/is-suspended", map[string]any{"isSuspended": false}, 200)
		r := f.token(f.spa.ID, "", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {spaRedirect}, "code_verifier": {verifier}})
		if r.Status != 400 || r.json(t)["error"] != "invalid_grant" {
			t.Fatalf("code of a suspended user: %d %s", r.Status, r.Body)
		}
		// Suspension ended the session too.
		p := b.get(f.authURL(f.spa.ID, spaRedirect, challenge, nil))
		if p.URL.Path != "/sign-in" {
			t.Errorf("a suspended user's session still works: %s", p.URL)
		}
		if p := b.signIn(p, "jane", userPass); p.Status != 403 || !strings.Contains(p.Body, "suspended") {
			t.Errorf("sign-in of a suspended user: %d", p.Status)
		}
	})
}

func TestExpiredCode(t *testing.T) {
	clk := fakeClock()
	f := newUserFixture(t, func(c *server.Config) { c.Users.CodeTTL = 100 * time.Millisecond; c.Clock = clk })
	b := f.signedIn(t)
	verifier, challenge := pkce()
	code := f.code(t, b, f.spa.ID, spaRedirect, challenge, nil)
	clk.Advance(100 * time.Millisecond)
	r := f.token(f.spa.ID, "", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {spaRedirect}, "code_verifier": {verifier}})
	if r.Status != 400 || r.json(t)["error"] != "invalid_grant" || !strings.Contains(string(r.Body), "expired") {
		t.Fatalf("expired code: %d %s", r.Status, r.Body)
	}
}

// Refresh tokens: rotation, reuse detection with a grace period, narrowing,
// and role changes taking effect.
func TestRefreshTokens(t *testing.T) {
	clk := fakeClock()
	f := newUserFixture(t, func(c *server.Config) { c.Users.RefreshGrace = time.Second; c.Clock = clk })
	b := f.signedIn(t)
	get := func() map[string]any {
		verifier, challenge := pkce()
		return f.exchange(t, f.code(t, b, f.spa.ID, spaRedirect, challenge, nil), verifier, nil)
	}
	refresh := func(id, secret, rt string, extra url.Values) response {
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
		for k, v := range extra {
			form[k] = v
		}
		return f.token(id, secret, form)
	}

	t.Run("errors", func(t *testing.T) {
		rt := get()["refresh_token"].(string)
		for _, tc := range []struct {
			name, id, secret, rt string
			extra                url.Values
			status               int
			err                  string
		}{
			{"missing", f.spa.ID, "", "", nil, 400, "invalid_request"},
			{"unknown", f.spa.ID, "", "nope", nil, 400, "invalid_grant"},
			{"other client", f.spa2.ID, "", rt, nil, 400, "invalid_grant"},
			{"widened scope", f.spa.ID, "", rt, url.Values{"scope": {"openid write:products"}}, 400, "invalid_scope"},
			{"resource not granted", f.spa.ID, "", rt, url.Values{"resource": {f.Mgmt}}, 400, "invalid_target"},
			{"two resources", f.spa.ID, "", rt, url.Values{"resource": {shopAPI, f.Mgmt}}, 400, "invalid_target"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := refresh(tc.id, tc.secret, tc.rt, tc.extra)
				if r.Status != tc.status || r.json(t)["error"] != tc.err {
					t.Fatalf("%d %s, want %d %s", r.Status, r.Body, tc.status, tc.err)
				}
			})
		}
		// None of that spent the token.
		if r := refresh(f.spa.ID, "", rt, nil); r.Status != 200 {
			t.Fatalf("refresh after the failures: %d %s", r.Status, r.Body)
		}
	})

	t.Run("narrowing and resources", func(t *testing.T) {
		rt := get()["refresh_token"].(string)
		r := refresh(f.spa.ID, "", rt, url.Values{"scope": {"openid read:products"}, "resource": {shopAPI}})
		if r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		m := r.json(t)
		if m["scope"] != "read:products" || m["id_token"] == nil {
			t.Errorf("narrowed refresh: %v", m)
		}
		// Auth0's audience names the resource too.
		r = refresh(f.spa.ID, "", m["refresh_token"].(string), url.Values{"audience": {shopAPI}, "scope": {"email"}})
		if r.Status != 200 || r.json(t)["id_token"] != nil {
			t.Errorf("refresh with audience and without openid: %d %s", r.Status, r.Body)
		}
	})

	t.Run("role changes apply at the next refresh", func(t *testing.T) {
		rt := get()["refresh_token"].(string)
		f.mustAPI(f.mt, "DELETE", "/api/users/"+f.userID+"/roles/"+f.roleID, nil, 204)
		defer f.mustAPI(f.mt, "POST", "/api/users/"+f.userID+"/roles", map[string]any{"roleIds": []string{f.roleID}}, 201)
		r := refresh(f.spa.ID, "", rt, url.Values{"resource": {shopAPI}})
		if r.Status != 200 || r.json(t)["scope"] != "" {
			t.Errorf("scope after losing the role: %s", r.Body)
		}
	})

	t.Run("reuse within the grace, then after it", func(t *testing.T) {
		tok := get()
		rt := tok["refresh_token"].(string)
		first := refresh(f.spa.ID, "", rt, nil)
		if first.Status != 200 {
			t.Fatal(first.Status)
		}
		// A concurrent retry within the grace still works.
		retry := refresh(f.spa.ID, "", rt, nil)
		if retry.Status != 200 {
			t.Fatalf("retry within the grace: %d %s", retry.Status, retry.Body)
		}
		clk.Advance(time.Second + time.Millisecond)
		late := refresh(f.spa.ID, "", rt, nil)
		if late.Status != 400 || late.json(t)["error"] != "invalid_grant" {
			t.Fatalf("reuse after the grace: %d %s", late.Status, late.Body)
		}
		// The whole grant is gone: the successors and the access tokens.
		for _, next := range []response{first, retry} {
			m := next.json(t)
			if r := refresh(f.spa.ID, "", m["refresh_token"].(string), nil); r.Status != 400 {
				t.Errorf("a successor survived the reuse: %d", r.Status)
			}
			if r := f.userinfo(m["access_token"].(string)); r.Status != 401 {
				t.Errorf("an access token of the revoked grant still works at userinfo: %d", r.Status)
			}
		}
		if m := f.introspect(t, tok["access_token"].(string)); m["active"] != false {
			t.Errorf("the first access token survived: %v", m)
		}
	})

	t.Run("confidential client without rotation", func(t *testing.T) {
		f.mustAPI(f.mt, "PATCH", "/api/applications/"+f.web.ID, map[string]any{"customClientMetadata": map[string]any{"rotateRefreshToken": false}}, 200)
		code := f.code(t, b, f.web.ID, webRedirect, "", nil)
		r := f.token(f.web.ID, f.web.Secret, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {webRedirect}})
		if r.Status != 200 {
			t.Fatal(r.Status, string(r.Body))
		}
		rt := r.json(t)["refresh_token"].(string)
		for range 3 {
			r := refresh(f.web.ID, f.web.Secret, rt, nil)
			if r.Status != 200 || r.json(t)["refresh_token"] != nil {
				t.Fatalf("non-rotating refresh: %d %s", r.Status, r.Body)
			}
		}
		// The web app cannot use it without its secret.
		if r := refresh(f.web.ID, "", rt, nil); r.Status != 401 {
			t.Errorf("refresh without the secret: %d", r.Status)
		}
	})

	t.Run("suspension and deletion revoke", func(t *testing.T) {
		rt := get()["refresh_token"].(string)
		f.mustAPI(f.mt, "PATCH", "/api/users/"+f.userID+"/is-suspended", map[string]any{"isSuspended": true}, 200)
		r := refresh(f.spa.ID, "", rt, nil)
		f.mustAPI(f.mt, "PATCH", "/api/users/"+f.userID+"/is-suspended", map[string]any{"isSuspended": false}, 200)
		if r.Status != 400 || r.json(t)["error"] != "invalid_grant" {
			t.Errorf("refresh of a suspended user: %d %s", r.Status, r.Body)
		}
	})
}

// The hosted sign-in form: the same answer for a wrong password and an
// unknown account, CSRF protection, and the back-off.
func TestSignInForm(t *testing.T) {
	f := newUserFixture(t, func(c *server.Config) {
		c.Users.Throttle = oidc.ThrottleConfig{AccountFree: 3, IPFree: 8, Base: time.Minute}
	})
	f.mustAPI(f.mt, "POST", "/api/users", map[string]any{"username": "other", "password": "other password"}, 200)
	_, ch := pkce()
	authURL := f.authURL(f.spa.ID, spaRedirect, ch, url.Values{"login_hint": {`<script>alert(1)</script>`}})
	b := newBrowser(t, f.testServer)
	p := b.get(authURL)
	if strings.Contains(p.Body, "<script>alert") || !strings.Contains(p.Body, "&lt;script&gt;") {
		t.Fatal("login_hint is not escaped")
	}

	wrong := b.signIn(p, "jane", "wrong password")
	unknown := b.signIn(p, "nobody", "wrong password")
	if wrong.Status != 401 || unknown.Status != 401 {
		t.Fatalf("wrong password %d, unknown user %d", wrong.Status, unknown.Status)
	}
	strip := func(p page, id string) string {
		body := inputRe.ReplaceAllString(p.Body, "")
		return strings.ReplaceAll(body, `value="`+id+`"`, "")
	}
	if strip(wrong, "jane") != strip(unknown, "nobody") {
		t.Error("a wrong password and an unknown account get different pages")
	}

	// CSRF: no token, a wrong one, another browser's, a foreign Origin.
	form := p.hidden()
	form.Set("identifier", "jane")
	form.Set("password", userPass)
	other := newBrowser(t, f.testServer)
	otherForm := other.get(authURL).hidden()
	for _, tc := range []struct {
		name   string
		edit   func(url.Values)
		header http.Header
	}{
		{"missing token", func(v url.Values) { v.Del("csrf") }, nil},
		{"wrong token", func(v url.Values) { v.Set("csrf", "forged") }, nil},
		{"another browser's token", func(v url.Values) { v.Set("csrf", otherForm.Get("csrf")) }, nil},
		{"foreign origin", func(url.Values) {}, http.Header{"Origin": {"https://evil.example"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := url.Values{}
			for k, vals := range form {
				v[k] = append([]string(nil), vals...)
			}
			tc.edit(v)
			r := b.post(f.URL+"/sign-in", v, tc.header)
			if r.Status != 403 || r.Header.Get("Location") != "" || !strings.Contains(r.Body, "expired") {
				t.Fatalf("status %d, Location %q", r.Status, r.Header.Get("Location"))
			}
		})
	}
	// "Origin: null" (sent under some referrer policies) is no proof of
	// forgery: the token decides.
	nullOrigin := url.Values{}
	for k, vals := range form {
		nullOrigin[k] = vals
	}
	nullOrigin.Set("identifier", "other")
	nullOrigin.Set("password", "other password")
	if r := b.post(f.URL+"/sign-in", nullOrigin, http.Header{"Origin": {"null"}}); r.Status != 303 {
		t.Errorf("sign-in with Origin null: %d", r.Status)
	}
	// A completed sign-in's interaction is single use; the next tries
	// start again at a new sign-in page (prompt=login: b is signed in).
	if r := b.post(f.URL+"/sign-in", nullOrigin, nil); r.Status != 400 || r.Header.Get("Location") != "" {
		t.Errorf("a completed interaction posted again: %d %q", r.Status, r.Header.Get("Location"))
	}
	fresh := func() page { return b.get(authURL + "&prompt=login") }
	p = fresh()
	// The form carries no request to tamper with, only the interaction's
	// id: a tampered one is unknown.
	tampered := p.hidden()
	tampered.Set("identifier", "jane")
	tampered.Set("password", userPass)
	tampered.Set("interaction", strings.ToUpper(tampered.Get("interaction")))
	if r := b.post(f.URL+"/sign-in", tampered, nil); r.Status != 400 || r.Header.Get("Location") != "" {
		t.Errorf("tampered interaction: %d %q", r.Status, r.Header.Get("Location"))
	}

	// Back-off per account: after 3 failures (1 so far for jane), even the
	// right password is refused for a while; other accounts are not.
	b.signIn(p, "JANE", "wrong again")
	b.signIn(p, "jane", "wrong thrice")
	if r := b.signIn(p, "jane", userPass); r.Status != 429 || !strings.Contains(r.Body, "Too many") {
		t.Errorf("locked account: %d", r.Status)
	}
	if r := b.signIn(p, "other", "other password"); r.Status != 303 {
		t.Errorf("another account during jane's lock-out: %d", r.Status)
	}
	p = fresh()
	// Per IP: 8 failures from one address (4 so far) lock it out for every
	// account.
	for i := range 4 {
		b.signIn(p, "ghost"+string(rune('a'+i)), "x")
	}
	if r := b.signIn(p, "other", "other password"); r.Status != 429 {
		t.Errorf("locked IP address: %d", r.Status)
	}
	// Nothing in the logs names a password.
	if strings.Contains(f.Logs.String(), userPass) || strings.Contains(f.Logs.String(), "wrong password") {
		t.Error("a password reached the logs")
	}
}

// The password grant: off unless the app enables it.
func TestPasswordGrant(t *testing.T) {
	f := newUserFixture(t, nil)
	form := func(user, pw string) url.Values {
		return url.Values{"grant_type": {"password"}, "username": {user}, "password": {pw},
			"scope": {"openid email offline_access read:products write:products"}, "audience": {shopAPI}}
	}
	r := f.token(f.web.ID, f.web.Secret, form("jane", userPass))
	if r.Status != 400 || r.json(t)["error"] != "unauthorized_client" {
		t.Fatalf("password grant while disabled: %d %s", r.Status, r.Body)
	}
	f.mustAPI(f.mt, "PATCH", "/api/applications/"+f.web.ID, map[string]any{"customClientMetadata": map[string]any{"allowPasswordGrant": true}}, 200)
	r = f.token(f.web.ID, f.web.Secret, form("jane@EXAMPLE.com", userPass))
	if r.Status != 200 {
		t.Fatalf("password grant: %d %s", r.Status, r.Body)
	}
	m := r.json(t)
	if m["scope"] != "read:products" || m["id_token"] == nil || m["refresh_token"] == nil {
		t.Errorf("password grant response %v", m)
	}
	claims, _ := verifyWithJWKS(t, f.testServer, m["access_token"].(string))
	if claims["sub"] != f.userID || claims["aud"] != shopAPI {
		t.Errorf("claims %v", claims)
	}
	for _, tc := range []struct {
		name   string
		form   url.Values
		id     string
		secret string
		status int
		err    string
	}{
		{"wrong password", form("jane", "nope"), f.web.ID, f.web.Secret, 400, "invalid_grant"},
		{"unknown user", form("nobody", "nope"), f.web.ID, f.web.Secret, 400, "invalid_grant"},
		{"missing password", form("jane", ""), f.web.ID, f.web.Secret, 400, "invalid_request"},
		{"unknown resource", func() url.Values { v := form("jane", userPass); v.Set("audience", "https://x.example"); return v }(), f.web.ID, f.web.Secret, 400, "invalid_target"},
		{"wrong secret", form("jane", userPass), f.web.ID, "bad", 401, "invalid_client"},
		{"app without it", form("jane", userPass), f.spa.ID, "", 400, "unauthorized_client"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.token(tc.id, tc.secret, tc.form)
			if r.Status != tc.status || r.json(t)["error"] != tc.err {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
		})
	}
}

// RP-initiated logout refuses unregistered redirects and asks before
// signing out without a matching id_token_hint.
func TestEndSession(t *testing.T) {
	f := newUserFixture(t, nil)
	b := f.signedIn(t)
	for _, tc := range []struct {
		name string
		q    url.Values
	}{
		{"unregistered post_logout_redirect_uri", url.Values{"client_id": {f.spa.ID}, "post_logout_redirect_uri": {"https://evil.example/"}}},
		{"post_logout_redirect_uri without a client", url.Values{"post_logout_redirect_uri": {spaLogout}}},
		{"bad id_token_hint", url.Values{"id_token_hint": {"a.b.c"}, "post_logout_redirect_uri": {spaLogout}}},
		{"unknown client", url.Values{"client_id": {"nobody"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := b.get(f.Issuer + "/session/end?" + tc.q.Encode())
			if p.Status != 400 || p.Header.Get("Location") != "" {
				t.Fatalf("%d %q", p.Status, p.Header.Get("Location"))
			}
		})
	}
	// Without a hint: a confirmation page, whose form needs its CSRF token.
	p := b.get(f.Issuer + "/session/end?" + url.Values{"client_id": {f.spa.ID}, "post_logout_redirect_uri": {spaLogout}, "state": {"s"}}.Encode())
	if p.Status != 200 || !strings.Contains(p.Body, "Do you want to sign out") {
		t.Fatalf("confirmation page: %d", p.Status)
	}
	form := p.hidden()
	bad := url.Values{"request": {form.Get("request")}}
	if r := b.post(f.Issuer+"/session/end/confirm", bad, nil); r.Status != 403 {
		t.Errorf("confirmation without CSRF token: %d", r.Status)
	}
	if q := b.post(f.Issuer+"/session/end/confirm", form, nil).redirected(t, spaLogout); q.Get("state") != "s" {
		t.Errorf("after confirmation: %v", q)
	}
	_, ch := pkce()
	if p := b.get(f.authURL(f.spa.ID, spaRedirect, ch, nil)); p.URL.Path != "/sign-in" {
		t.Errorf("still signed in after logout: %s", p.URL)
	}
}

// CORS for browser apps: the SPA's origin (from its redirect URI) may call
// the token endpoint; others get no CORS headers.
func TestUserCORS(t *testing.T) {
	f := newUserFixture(t, nil)
	for _, tc := range []struct {
		origin string
		allow  bool
	}{{"https://spa.example", true}, {"https://evil.example", false}} {
		h := http.Header{"Origin": {tc.origin}, "Access-Control-Request-Method": {"POST"}}
		for _, path := range []string{"/oidc/token", "/oidc/me", "/oidc/token/revocation"} {
			r := f.do("OPTIONS", path, h, nil)
			got := r.Header.Get("Access-Control-Allow-Origin")
			if r.Status != 204 || (got == tc.origin) != tc.allow || r.Header.Get("Access-Control-Allow-Credentials") != "" {
				t.Errorf("preflight %s from %s: %d, allow-origin %q", path, tc.origin, r.Status, got)
			}
		}
		r := f.do("POST", "/oidc/token", http.Header{"Origin": {tc.origin}, "Content-Type": {"application/x-www-form-urlencoded"}},
			strings.NewReader("grant_type=refresh_token&refresh_token=x&client_id="+f.spa.ID))
		if (r.Header.Get("Access-Control-Allow-Origin") == tc.origin) != tc.allow {
			t.Errorf("token response from %s: allow-origin %q", tc.origin, r.Header.Get("Access-Control-Allow-Origin"))
		}
	}
}

// Revoked and deleted users' access tokens stop working everywhere,
// including at the Management API's own verifier (a user may hold a role
// on it).
func TestUserDeletionRevokes(t *testing.T) {
	f := newUserFixture(t, nil)
	b := f.signedIn(t)

	var resources []map[string]any
	if err := json.Unmarshal(f.api(f.mt, "GET", "/api/resources", nil).Body, &resources); err != nil {
		t.Fatal(err)
	}
	var mgmtID string
	for _, r := range resources {
		if r["indicator"] == f.Mgmt {
			mgmtID = r["id"].(string)
		}
	}
	var scopes []map[string]any
	if err := json.Unmarshal(f.api(f.mt, "GET", "/api/resources/"+mgmtID+"/scopes", nil).Body, &scopes); err != nil || len(scopes) != 1 {
		t.Fatalf("management scopes %v %v", scopes, err)
	}
	admin := f.mustAPI(f.mt, "POST", "/api/roles", map[string]any{"name": "User admins", "description": "d", "type": "User",
		"scopeIds": []string{scopes[0]["id"].(string)}}, 200)["id"].(string)
	f.mustAPI(f.mt, "POST", "/api/users/"+f.userID+"/roles", map[string]any{"roleIds": []string{admin}}, 201)
	v, c := pkce()
	mgmtTok := f.exchange(t, f.code(t, b, f.spa.ID, spaRedirect, c, url.Values{"resource": {f.Mgmt}, "scope": {"openid all"}}),
		v, url.Values{"resource": {f.Mgmt}})["access_token"].(string)
	if r := f.api(mgmtTok, "GET", "/api/users", nil); r.Status != 200 {
		t.Fatalf("a user's Management API token: %d %s", r.Status, r.Body)
	}
	rv := f.do("POST", "/oidc/token/revocation", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
		strings.NewReader(url.Values{"client_id": {f.spa.ID}, "token": {mgmtTok}}.Encode()))
	if rv.Status != 200 {
		t.Fatal(rv.Status)
	}
	if r := f.api(mgmtTok, "GET", "/api/users", nil); r.Status != 401 {
		t.Errorf("the Management API accepts a revoked token: %d", r.Status)
	}

	verifier, challenge := pkce()
	tok := f.exchange(t, f.code(t, b, f.spa.ID, spaRedirect, challenge, nil), verifier, nil)
	if r := f.userinfo(tok["access_token"].(string)); r.Status != 200 {
		t.Fatalf("userinfo: %d", r.Status)
	}
	f.mustAPI(f.mt, "DELETE", "/api/users/"+f.userID, nil, 204)
	if r := f.userinfo(tok["access_token"].(string)); r.Status != 401 {
		t.Errorf("userinfo after deletion: %d", r.Status)
	}
	if m := f.introspect(t, tok["access_token"].(string)); m["active"] != false {
		t.Errorf("introspection after deletion: %v", m)
	}
}
