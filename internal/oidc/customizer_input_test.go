package oidc

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
)

// checkCustomizerInput compares the token part of the customizer's input
// with the access token that was issued.
func checkCustomizerInput(t *testing.T, what string, in AccessTokenInput, m map[string]any, grantID, grantType string) {
	t.Helper()
	c := jwtClaims(t, m, "access_token")
	if in.JTI == "" || in.JTI != c["jti"] {
		t.Errorf("%s: input jti %q, token jti %v", what, in.JTI, c["jti"])
	}
	if in.Audience != c["aud"] {
		t.Errorf("%s: input audience %q, token aud %v", what, in.Audience, c["aud"])
	}
	if in.Scope != c["scope"] || in.Scope != m["scope"] {
		t.Errorf("%s: input scope %q, token scope %v, response scope %v", what, in.Scope, c["scope"], m["scope"])
	}
	if in.ClientID != "web" || in.ClientID != c["client_id"] || in.App.ID != "web" {
		t.Errorf("%s: input client %q (app %q), token client_id %v", what, in.ClientID, in.App.ID, c["client_id"])
	}
	if in.AccountID != "u1" || in.AccountID != c["sub"] || in.User.ID != "u1" {
		t.Errorf("%s: input account %q (user %q), token sub %v", what, in.AccountID, in.User.ID, c["sub"])
	}
	if in.GrantID != grantID {
		t.Errorf("%s: input grant %q, want %q", what, in.GrantID, grantID)
	}
	if in.GrantType != grantType {
		t.Errorf("%s: input grant type %q, want %q", what, in.GrantType, grantType)
	}
}

// The claims script is given what the issued access token says: its jti,
// audience, scope, client and subject, plus the grant it comes from and
// the grant type, for a code and for the refresh token it gives, with a
// resource and for userinfo.
func TestCustomizerInputMatchesToken(t *testing.T) {
	f := newExchangeFixture(t)
	cust := &recordingCustomizer{}
	f.p.cfg.Customizer = cust

	code := f.code(t, "openid offline_access read", "", "")
	status, m := f.redeem(t, code, "", url.Values{"resource": {"https://shop.test"}})
	wantTokens(t, "code for the resource", status, m)
	if len(cust.got) != 1 {
		t.Fatalf("customizer called %d times", len(cust.got))
	}
	checkCustomizerInput(t, "code for the resource", cust.got[0], m, "g1", "authorization_code")
	if cust.got[0].Audience != "https://shop.test" || cust.got[0].Scope != "read" {
		t.Errorf("code for the resource: audience %q, scope %q", cust.got[0].Audience, cust.got[0].Scope)
	}

	rt, _ := m["refresh_token"].(string)
	res, m := f.post(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, nil)
	wantTokens(t, "refresh", res.StatusCode, m)
	if len(cust.got) != 2 {
		t.Fatalf("customizer called %d times", len(cust.got))
	}
	checkCustomizerInput(t, "refresh", cust.got[1], m, "g1", "refresh_token")
	if cust.got[1].JTI == cust.got[0].JTI {
		t.Error("refresh: the input repeats the first token's jti")
	}

	status, m = f.redeem(t, f.code(t, "openid profile", "", ""), "", nil)
	wantTokens(t, "code for userinfo", status, m)
	checkCustomizerInput(t, "code for userinfo", cust.got[2], m, "g2", "authorization_code")
	if cust.got[2].Audience != "https://id.test/oidc/me" || cust.got[2].Scope != "openid profile" {
		t.Errorf("code for userinfo: audience %q, scope %q", cust.got[2].Audience, cust.got[2].Scope)
	}
}

// custom_data is never put in an ID token, even when the scope is granted
// (it goes to userinfo only).
func TestIDTokenWithoutCustomData(t *testing.T) {
	f := newExchangeFixture(t)
	status, m := f.redeem(t, f.code(t, "openid custom_data roles", "", ""), "", nil)
	wantTokens(t, "code", status, m)
	c := idClaims(t, m)
	if _, ok := c["custom_data"]; ok {
		t.Errorf("custom_data in the ID token: %v", c)
	}
	if r, _ := c["roles"].([]any); len(r) != 1 || r[0] != "Shopper" {
		t.Errorf("roles in the ID token: %v", c["roles"])
	}
}

// Userinfo releases custom_data when the token carries its scope, and
// only the claims of the token's scopes.
func TestUserinfoCustomData(t *testing.T) {
	f := newExchangeFixture(t)
	for _, tc := range []struct {
		scope string
		want  bool
	}{{"openid custom_data", true}, {"openid profile", false}} {
		status, m := f.redeem(t, f.code(t, tc.scope, "", ""), "", nil)
		wantTokens(t, tc.scope, status, m)
		req, err := http.NewRequest("GET", f.url+"/oidc/me", nil)
		must(t, err)
		req.Header.Set("Authorization", "Bearer "+m["access_token"].(string))
		res, err := http.DefaultClient.Do(req)
		must(t, err)
		var c map[string]any
		err = json.NewDecoder(res.Body).Decode(&c)
		res.Body.Close()
		must(t, err)
		if res.StatusCode != 200 || c["sub"] != "u1" {
			t.Fatalf("%s: userinfo %d %v", tc.scope, res.StatusCode, c)
		}
		if _, ok := c["custom_data"]; ok != tc.want {
			t.Errorf("%s: userinfo %v; custom_data wanted: %v", tc.scope, c, tc.want)
		}
		if _, ok := c["username"]; ok == tc.want {
			t.Errorf("%s: userinfo %v; username wanted: %v", tc.scope, c, !tc.want)
		}
	}
}

// A user access token lives as long as its resource says, or the default
// for userinfo, and expires_in says the same.
func TestUserAccessTokenLifetime(t *testing.T) {
	f := newExchangeFixture(t)
	for _, tc := range []struct {
		what  string
		extra url.Values
		ttl   float64
	}{{"for the resource", url.Values{"resource": {"https://shop.test"}}, 600}, {"for userinfo", nil, defaultUserTokenTTL}} {
		status, m := f.redeem(t, f.code(t, "openid read", "", ""), "", tc.extra)
		wantTokens(t, tc.what, status, m)
		c := jwtClaims(t, m, "access_token")
		iat, _ := c["iat"].(float64)
		exp, _ := c["exp"].(float64)
		if exp-iat != tc.ttl || m["expires_in"] != tc.ttl {
			t.Errorf("%s: iat %v, exp %v, expires_in %v; want a lifetime of %v", tc.what, iat, exp, m["expires_in"], tc.ttl)
		}
	}
}
