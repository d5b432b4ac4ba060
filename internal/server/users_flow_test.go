package server_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// The whole user journey with clients no one here wrote: go-oidc discovers
// the server and verifies ID tokens, x/oauth2 runs the code flow with PKCE
// and refreshes, and a cookie-jar browser fills in the hosted sign-in form.
func TestUserCodeFlowWithStandardClients(t *testing.T) {
	f := newUserFixture(t, nil)
	ctx := context.Background()

	provider, err := oidc.NewProvider(ctx, f.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Auth       string   `json:"authorization_endpoint"`
		Userinfo   string   `json:"userinfo_endpoint"`
		Revocation string   `json:"revocation_endpoint"`
		Introspect string   `json:"introspection_endpoint"`
		EndSession string   `json:"end_session_endpoint"`
		PKCE       []string `json:"code_challenge_methods_supported"`
		Grants     []string `json:"grant_types_supported"`
		Scopes     []string `json:"scopes_supported"`
		Claims     []string `json:"claims_supported"`
	}
	if err := provider.Claims(&meta); err != nil {
		t.Fatal(err)
	}
	if meta.Auth != f.Issuer+"/auth" || meta.Userinfo != f.Issuer+"/me" || meta.Revocation != f.Issuer+"/token/revocation" ||
		meta.Introspect != f.Issuer+"/token/introspection" || meta.EndSession != f.Issuer+"/session/end" ||
		!slices.Equal(meta.PKCE, []string{"S256"}) || !slices.Contains(meta.Grants, "authorization_code") ||
		!slices.Contains(meta.Grants, "refresh_token") || !slices.Contains(meta.Scopes, "offline_access") || !slices.Contains(meta.Claims, "at_hash") {
		t.Fatalf("discovery: %+v", meta)
	}

	conf := oauth2.Config{ClientID: f.spa.ID, Endpoint: provider.Endpoint(), RedirectURL: spaRedirect,
		Scopes: []string{oidc.ScopeOpenID, "profile", "email", "phone", oidc.ScopeOfflineAccess, "read:products", "write:products"}}
	verifier := oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL("state-123", oauth2.S256ChallengeOption(verifier), oidc.Nonce("nonce-456"),
		oauth2.SetAuthURLParam("resource", shopAPI))

	b := newBrowser(t, f.testServer)
	p := b.get(authURL)
	if p.URL.Path != "/sign-in" || p.Status != 200 {
		t.Fatalf("authorization did not lead to the sign-in page: %d %s", p.Status, p.URL)
	}
	for h, want := range map[string]string{"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"} {
		if p.Header.Get(h) != want {
			t.Errorf("sign-in page %s = %q", h, p.Header.Get(h))
		}
	}
	if csp := p.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(p.Body, "<script") {
		t.Errorf("sign-in page CSP %q, or it has a script", csp)
	}
	if c := p.Header.Get("Set-Cookie"); !strings.Contains(c, "monban_csrf=") || !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Lax") {
		t.Errorf("CSRF cookie %q", c)
	}

	done := b.signIn(p, "jane", userPass)
	q := done.redirected(t, spaRedirect+"?")
	if q.Get("state") != "state-123" || q.Get("iss") != f.Issuer || q.Get("code") == "" {
		t.Fatalf("redirect query %v", q)
	}
	sc := done.Header.Get("Set-Cookie")
	if !strings.Contains(sc, "monban_session=") || !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "SameSite=Lax") || strings.Contains(sc, "Secure") {
		t.Errorf("session cookie %q (Secure only over https)", sc)
	}

	// The code for an access token to the API.
	tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier), oauth2.SetAuthURLParam("resource", shopAPI))
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken == "" || tok.Extra("id_token") == nil || tok.TokenType != "Bearer" {
		t.Fatalf("token response: %+v", tok)
	}
	claims, h := verifyWithJWKS(t, f.testServer, tok.AccessToken)
	if h.ExtraHeaders["typ"] != "at+jwt" || claims["aud"] != shopAPI || claims["sub"] != f.userID ||
		claims["client_id"] != f.spa.ID || claims["scope"] != "read:products" || claims["iss"] != f.Issuer {
		t.Fatalf("API access token claims %v (the user's role grants read:products only)", claims)
	}

	// The ID token, with go-oidc: signature, iss, aud, exp, nonce, at_hash.
	idv := provider.Verifier(&oidc.Config{ClientID: f.spa.ID})
	idt, err := idv.Verify(ctx, tok.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	if idt.Nonce != "nonce-456" || idt.Subject != f.userID {
		t.Errorf("ID token nonce %q sub %q", idt.Nonce, idt.Subject)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Errorf("at_hash: %v", err)
	}
	var idc map[string]any
	if err := idt.Claims(&idc); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"email": "jane@example.com", "email_verified": true, "name": "Jane Doe",
		"username": "jane", "given_name": "Jane", "phone_number": "15550100"} {
		if idc[k] != want {
			t.Errorf("ID token %s = %v, want %v", k, idc[k], want)
		}
	}
	if idc["auth_time"] == nil || idc["custom_data"] != nil {
		t.Errorf("ID token claims %v", idc)
	}

	// x/oauth2 refreshes: no resource, so a token for userinfo; the refresh
	// token of a public client rotates.
	refreshed, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil {
		t.Fatal(err)
	}
	if refreshed.RefreshToken == "" || refreshed.RefreshToken == tok.RefreshToken {
		t.Error("the SPA's refresh token did not rotate")
	}
	rc, _ := verifyWithJWKS(t, f.testServer, refreshed.AccessToken)
	if rc["aud"] != f.Issuer+"/me" || !strings.Contains(rc["scope"].(string), "openid") {
		t.Errorf("userinfo token claims %v", rc)
	}
	if _, err := idv.Verify(ctx, refreshed.Extra("id_token").(string)); err != nil {
		t.Errorf("refreshed ID token: %v", err)
	}

	// Userinfo, through go-oidc.
	ui, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(refreshed))
	if err != nil {
		t.Fatal(err)
	}
	if ui.Subject != f.userID || ui.Email != "jane@example.com" || !ui.EmailVerified {
		t.Errorf("userinfo %+v", ui)
	}
	// The API token is not for userinfo.
	if r := f.userinfo(tok.AccessToken); r.Status != 401 || !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), `Bearer realm="monban", error="invalid_token"`) {
		t.Errorf("userinfo with an API token: %d %v", r.Status, r.Header)
	}
	// /userinfo is Auth0's face: it takes that face's tokens, not this
	// one's. POST with the token in the body works.
	if r := f.do("GET", "/userinfo", http.Header{"Authorization": {"Bearer " + refreshed.AccessToken}}, nil); r.Status != 401 {
		t.Errorf("/userinfo with a token of Logto's face: %d %s", r.Status, r.Body)
	}
	if r := f.do("POST", "/oidc/me", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
		strings.NewReader(url.Values{"access_token": {refreshed.AccessToken}}.Encode())); r.Status != 200 {
		t.Errorf("POST /oidc/me: %d %s", r.Status, r.Body)
	}

	// Single sign-on: the session answers the next request at once.
	v2 := oauth2.GenerateVerifier()
	q2 := b.get(conf.AuthCodeURL("s2", oauth2.S256ChallengeOption(v2))).redirected(t, spaRedirect+"?")
	if _, err := conf.Exchange(ctx, q2.Get("code"), oauth2.VerifierOption(v2)); err != nil {
		t.Fatal(err)
	}
	// prompt=login shows the form again.
	if p := b.get(conf.AuthCodeURL("s3", oauth2.S256ChallengeOption(v2), oauth2.SetAuthURLParam("prompt", "login"))); p.URL.Path != "/sign-in" {
		t.Errorf("prompt=login went to %s", p.URL)
	}

	// Introspection (RFC 7662) by a confidential client.
	if m := f.introspect(t, tok.AccessToken); m["active"] != true || m["sub"] != f.userID || m["scope"] != "read:products" || m["aud"] != shopAPI {
		t.Errorf("introspection of the API token: %v", m)
	}
	if m := f.introspect(t, refreshed.RefreshToken); m["active"] != false {
		t.Errorf("the web app sees the SPA's refresh token: %v", m)
	}
	if m := f.introspect(t, "not-a-token"); m["active"] != false || len(m) != 1 {
		t.Errorf("introspection of garbage: %v", m)
	}

	// Revocation (RFC 7009) of an access token: userinfo and introspection
	// refuse it at once.
	rv := f.do("POST", "/oidc/token/revocation", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
		strings.NewReader(url.Values{"client_id": {f.spa.ID}, "token": {refreshed.AccessToken}}.Encode()))
	if rv.Status != 200 {
		t.Fatalf("revocation: %d %s", rv.Status, rv.Body)
	}
	if r := f.userinfo(refreshed.AccessToken); r.Status != 401 {
		t.Errorf("userinfo after revocation: %d", r.Status)
	}
	if m := f.introspect(t, refreshed.AccessToken); m["active"] != false {
		t.Errorf("introspection after revocation: %v", m)
	}
	// Revoking the refresh token revokes its grant: the API token too.
	rv = f.do("POST", "/oidc/token/revocation", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
		strings.NewReader(url.Values{"client_id": {f.spa.ID}, "token": {refreshed.RefreshToken}, "token_type_hint": {"refresh_token"}}.Encode()))
	if rv.Status != 200 {
		t.Fatalf("revocation: %d %s", rv.Status, rv.Body)
	}
	_, err = conf.TokenSource(ctx, &oauth2.Token{RefreshToken: refreshed.RefreshToken}).Token()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Errorf("refresh after revocation: %v", err)
	}
	if m := f.introspect(t, tok.AccessToken); m["active"] != false {
		t.Errorf("the grant's API token after revoking its refresh token: %v", m)
	}

	// RP-initiated logout with the ID token as hint: back to the app with
	// the state; the session is gone.
	lq := url.Values{"id_token_hint": {tok.Extra("id_token").(string)}, "post_logout_redirect_uri": {spaLogout}, "state": {"bye"}}
	out := b.get(f.Issuer + "/session/end?" + lq.Encode())
	if q := out.redirected(t, spaLogout); q.Get("state") != "bye" {
		t.Errorf("logout redirect %v", q)
	}
	if c := out.Header.Get("Set-Cookie"); !strings.Contains(c, "monban_session=;") || !strings.Contains(c, "Max-Age=0") {
		t.Errorf("logout cookie %q", c)
	}
	none := b.get(conf.AuthCodeURL("s4", oauth2.S256ChallengeOption(v2), oauth2.SetAuthURLParam("prompt", "none")))
	if q := none.redirected(t, spaRedirect); q.Get("error") != "login_required" || q.Get("state") != "s4" {
		t.Errorf("prompt=none after logout: %v", q)
	}
}
