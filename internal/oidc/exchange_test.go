package oidc

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/clock"
	"github.com/monban/monban/internal/store"
)

// exchangeFixture is a provider over a real SQLite store with one user,
// one resource and one confidential app, served over HTTP. Codes are put
// in the store directly, as the authorization endpoint would.
type exchangeFixture struct {
	p   *Provider
	st  store.Store
	url string
	now time.Time
	clk *clock.Fake
	n   int
	// signIn is the sign-in record of the grants it makes.
	signIn store.SignInRecord
}

func newExchangeFixture(t *testing.T) *exchangeFixture {
	t.Helper()
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC))
	now := clk.Now()
	st := openStore(t, now)
	seedExchangeResources(t, st, now)
	must(t, st.CreateRole(ctx, store.Role{ID: "ro1", Name: "Shopper", Type: store.RoleUser, CreatedAt: now}))
	must(t, st.AddRoleScopes(ctx, "ro1", []string{"read"}))
	addUser(t, st, nil, store.User{ID: "u1", Username: "jane", CreatedAt: now, UpdatedAt: now}, "", "ro1")
	for _, id := range []string{"web", "other"} {
		addApp(t, st, testHasher, store.Application{ID: id, Name: strings.ToUpper(id[:1]) + id[1:], Type: store.AppTraditional,
			RedirectURIs: []string{"https://web.test/cb"}, CreatedAt: now}, id+"secret")
	}
	p, mux := newTestProvider(t, st, providerSetup{Clock: clk})
	return &exchangeFixture{p: p, st: st, url: serve(t, mux), now: now, clk: clk}
}

// code stores a grant of scope for the web app with an authorization code
// carrying nonce and challenge, and returns the code.
func (f *exchangeFixture) code(t *testing.T, scope, nonce, challenge string) string {
	t.Helper()
	f.n++
	code := "code-" + strconv.Itoa(f.n) + "-abcdefghijklmnopqrstuvwxyz0123456789"
	g := store.Grant{ID: "g" + strconv.Itoa(f.n), UserID: "u1", ClientID: "web", Scope: scope,
		Resources: []string{"https://shop.test"}, AuthTime: f.now, CreatedAt: f.now, ExpiresAt: f.now.Add(time.Minute),
		SignIn: f.signIn}
	c := store.AuthCode{ID: hashToken(code), GrantID: g.ID, ClientID: "web", UserID: "u1", RedirectURI: "https://web.test/cb",
		Scope: scope, Resources: g.Resources, Nonce: nonce, CodeChallenge: challenge,
		AuthTime: f.now, CreatedAt: f.now, ExpiresAt: g.ExpiresAt}
	must(t, f.st.CreateGrant(context.Background(), g, &c))
	return code
}

// post sends form, with the web app's credentials, to the token endpoint.
func (f *exchangeFixture) post(t *testing.T, form url.Values, header http.Header) (*http.Response, map[string]any) {
	t.Helper()
	if form.Get("client_id") == "" {
		form.Set("client_id", "web")
		form.Set("client_secret", "websecret")
	}
	req, err := http.NewRequest("POST", f.url+"/oidc/token", strings.NewReader(form.Encode()))
	must(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	must(t, err)
	defer res.Body.Close()
	var m map[string]any
	must(t, json.NewDecoder(res.Body).Decode(&m))
	return res, m
}

// redeem exchanges code, sending verifier when it is not empty, plus extra.
func (f *exchangeFixture) redeem(t *testing.T, code, verifier string, extra url.Values) (int, map[string]any) {
	t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {"https://web.test/cb"}}
	if verifier != "" {
		form.Set("code_verifier", verifier)
	}
	for k, v := range extra {
		form[k] = v
	}
	res, m := f.post(t, form, nil)
	return res.StatusCode, m
}

func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func wantInvalidGrant(t *testing.T, what string, status int, m map[string]any) {
	t.Helper()
	if status != 400 || m["error"] != "invalid_grant" {
		t.Fatalf("%s: %d %v, want 400 invalid_grant", what, status, m)
	}
}

func wantTokens(t *testing.T, what string, status int, m map[string]any) {
	t.Helper()
	if status != 200 || m["access_token"] == nil {
		t.Fatalf("%s: %d %v, want tokens", what, status, m)
	}
}

// PKCE at the code exchange (RFC 7636 §4.6): the verifier must hash to the
// challenge, must be sent when there was a challenge, and must not be sent
// when there was none. A refused verifier does not spend the code.
func TestCodeExchangePKCE(t *testing.T) {
	f := newExchangeFixture(t)
	verifier := strings.Repeat("v", 43)
	other := strings.Repeat("w", 43)

	code := f.code(t, "openid", "", s256(verifier))
	status, m := f.redeem(t, code, other, nil)
	wantInvalidGrant(t, "wrong verifier", status, m)
	status, m = f.redeem(t, code, "", nil)
	wantInvalidGrant(t, "no verifier", status, m)
	status, m = f.redeem(t, code, "short", nil)
	wantInvalidGrant(t, "malformed verifier", status, m)
	status, m = f.redeem(t, code, verifier, nil)
	wantTokens(t, "right verifier after refused ones", status, m)

	// Downgrade: a verifier for a code issued without a challenge.
	code = f.code(t, "openid", "", "")
	status, m = f.redeem(t, code, verifier, nil)
	wantInvalidGrant(t, "verifier without a challenge", status, m)
	status, m = f.redeem(t, code, "", nil)
	wantTokens(t, "no challenge, no verifier", status, m)
}

// A code is redeemed once; presenting it again is refused and revokes
// what the first redemption issued (RFC 6749 §4.1.2).
func TestCodeSingleUse(t *testing.T) {
	f := newExchangeFixture(t)
	code := f.code(t, "openid offline_access", "", "")
	status, m := f.redeem(t, code, "", nil)
	wantTokens(t, "first redemption", status, m)
	rt, _ := m["refresh_token"].(string)
	if rt == "" {
		t.Fatalf("no refresh token: %v", m)
	}
	status, m = f.redeem(t, code, "", nil)
	wantInvalidGrant(t, "second redemption", status, m)
	res, m := f.post(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, nil)
	wantInvalidGrant(t, "refresh token of a reused code", res.StatusCode, m)

	// The handler catches the reuse itself, before the other checks: a
	// spent code presented with a wrong redirect_uri, which the store
	// never sees, revokes the grant too.
	code = f.code(t, "openid offline_access", "", "")
	status, m = f.redeem(t, code, "", nil)
	wantTokens(t, "first redemption", status, m)
	rt, _ = m["refresh_token"].(string)
	status, m = f.redeem(t, code, "", url.Values{"redirect_uri": {"https://web.test/other"}})
	wantInvalidGrant(t, "reuse with another redirect_uri", status, m)
	res, m = f.post(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, nil)
	wantInvalidGrant(t, "refresh token after reuse with another redirect_uri", res.StatusCode, m)
}

// idClaims decodes the payload of the ID token in m.
func idClaims(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	return jwtClaims(t, m, "id_token")
}

// jwtClaims decodes the payload of the token m holds under key (its
// signature is the token package's business).
func jwtClaims(t *testing.T, m map[string]any, key string) map[string]any {
	t.Helper()
	idt, _ := m[key].(string)
	parts := strings.Split(idt, ".")
	if len(parts) != 3 {
		t.Fatalf("no ID token: %v", m)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	must(t, err)
	var c map[string]any
	must(t, json.Unmarshal(raw, &c))
	return c
}

// The ID token carries the authorization request's nonce, and no nonce
// claim when the request had none.
func TestIDTokenNonce(t *testing.T) {
	f := newExchangeFixture(t)
	status, m := f.redeem(t, f.code(t, "openid", "n-0S6_WzA2Mj", ""), "", nil)
	wantTokens(t, "with a nonce", status, m)
	if c := idClaims(t, m); c["nonce"] != "n-0S6_WzA2Mj" {
		t.Errorf("nonce claim %v, want n-0S6_WzA2Mj", c["nonce"])
	}
	if _, ok := idClaims(t, m)["amr"]; ok {
		t.Errorf("an amr claim for a grant whose sign-in names no method: %v", idClaims(t, m)["amr"])
	}
	// The sign-in's methods (RFC 8176): a password, then a passkey as the
	// second factor.
	f.signIn = store.SignInRecord{Verifications: []store.Verification{{ID: "v1", Type: "Password", Verified: true},
		{ID: "v2", Type: "WebAuthn", Verified: true}}}
	status, m = f.redeem(t, f.code(t, "openid", "n", ""), "", nil)
	wantTokens(t, "after a password and a passkey", status, m)
	if amr := fmt.Sprint(idClaims(t, m)["amr"]); amr != "[pwd hwk mfa]" {
		t.Errorf("amr claim %s, want [pwd hwk mfa]", amr)
	}
	status, m = f.redeem(t, f.code(t, "openid", "", ""), "", nil)
	wantTokens(t, "without a nonce", status, m)
	if c, ok := idClaims(t, m)["nonce"]; ok {
		t.Errorf("nonce claim %q for a request without one", c)
	}
}

// Auth0's audience may accompany resource only when both name the same
// resource.
func TestAudienceAndResource(t *testing.T) {
	f := newExchangeFixture(t)
	status, m := f.redeem(t, f.code(t, "openid", "", ""), "",
		url.Values{"resource": {"https://shop.test"}, "audience": {"https://other.test"}})
	if status != 400 || m["error"] != "invalid_request" {
		t.Fatalf("audience naming another resource: %d %v, want 400 invalid_request", status, m)
	}
	status, m = f.redeem(t, f.code(t, "openid", "", ""), "",
		url.Values{"resource": {"https://shop.test"}, "audience": {"https://shop.test"}})
	wantTokens(t, "audience naming the same resource", status, m)
	status, m = f.redeem(t, f.code(t, "openid", "", ""), "", url.Values{"audience": {"https://shop.test"}})
	wantTokens(t, "audience alone", status, m)
}

// The token endpoint answers a browser's cross-origin request only from an
// origin of an app that signs users in.
func TestTokenCORS(t *testing.T) {
	f := newExchangeFixture(t)
	for origin, want := range map[string]string{"https://web.test": "https://web.test", "https://evil.test": ""} {
		res, _ := f.post(t, url.Values{"grant_type": {"authorization_code"}, "code": {"none"}},
			http.Header{"Origin": {origin}})
		if got := res.Header.Get("Access-Control-Allow-Origin"); got != want {
			t.Errorf("Origin %s: Access-Control-Allow-Origin %q, want %q", origin, got, want)
		}
	}
}

// The token endpoint refuses repeated parameters (RFC 6749 §3.2), values
// longer than maxParamLen and values that are not text, before anything
// else; a value of exactly maxParamLen passes on to the grant.
func TestTokenParamChecks(t *testing.T) {
	f := newExchangeFixture(t)
	send := func(extra url.Values) map[string]any {
		t.Helper()
		form := url.Values{"grant_type": {"authorization_code"}, "code": {"none"}, "redirect_uri": {"https://web.test/cb"}}
		for k, v := range extra {
			form[k] = v
		}
		_, m := f.post(t, form, nil)
		return m
	}
	for what, extra := range map[string]url.Values{
		"repeated":     {"code": {"none", "other"}},
		"too long":     {"state": {strings.Repeat("x", maxParamLen+1)}},
		"NUL":          {"state": {"\x00x"}},
		"invalid text": {"state": {"\xff"}},
	} {
		if m := send(extra); m["error"] != "invalid_request" {
			t.Errorf("%s: %v, want invalid_request", what, m)
		}
	}
	if m := send(url.Values{"state": {strings.Repeat("x", maxParamLen)}}); m["error"] != "invalid_grant" {
		t.Errorf("a value of maxParamLen: %v, want it to reach the grant (invalid_grant)", m)
	}
}

// An access token for a resource carries the resource scopes the user's
// roles allow among those granted, never the OpenID ones; one for the
// userinfo endpoint carries the OpenID scopes but offline_access.
func TestAccessTokenScope(t *testing.T) {
	f := newExchangeFixture(t)
	const scope = "openid profile offline_access read write"
	status, m := f.redeem(t, f.code(t, scope, "", ""), "", url.Values{"resource": {"https://shop.test"}})
	wantTokens(t, "for the resource", status, m)
	if c := jwtClaims(t, m, "access_token"); c["scope"] != "read" || c["aud"] != "https://shop.test" {
		t.Errorf("access token for the resource: scope %v, aud %v; want read, https://shop.test", c["scope"], c["aud"])
	}
	status, m = f.redeem(t, f.code(t, scope, "", ""), "", nil)
	wantTokens(t, "for userinfo", status, m)
	if c := jwtClaims(t, m, "access_token"); c["scope"] != "openid profile" || c["aud"] != "https://id.test/oidc/me" {
		t.Errorf("access token for userinfo: scope %v, aud %v; want openid profile, https://id.test/oidc/me", c["scope"], c["aud"])
	}
}

// A code is redeemed only by the client it was issued to, with the
// redirect URI of its request, and before it expires; a refusal does not
// spend it.
func TestCodeBinding(t *testing.T) {
	f := newExchangeFixture(t)
	code := f.code(t, "openid", "", "")
	status, m := f.redeem(t, code, "", url.Values{"client_id": {"other"}, "client_secret": {"othersecret"}})
	wantInvalidGrant(t, "another client", status, m)
	status, m = f.redeem(t, code, "", url.Values{"redirect_uri": {"https://web.test/cb2"}})
	wantInvalidGrant(t, "another redirect_uri", status, m)
	status, m = f.redeem(t, code, "", nil)
	wantTokens(t, "the right client and redirect_uri", status, m)

	code = f.code(t, "openid", "", "") // expires a minute from now
	f.clk.Advance(time.Minute)
	status, m = f.redeem(t, code, "", nil)
	wantInvalidGrant(t, "at its expiry", status, m)
	f.now = f.clk.Now()
	code = f.code(t, "openid", "", "")
	f.clk.Advance(time.Minute - time.Second)
	status, m = f.redeem(t, code, "", nil)
	wantTokens(t, "a second before its expiry", status, m)
}
