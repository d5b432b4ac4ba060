package oidc

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/clock"
	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/store"
)

// teFixture is a provider over a real SQLite store, served over HTTP: a
// resource with read and write, a user whose role grants read, a
// suspended user, an app that may exchange tokens (web), one that may not
// (noex), a SPA that may, and a recording customizer.
type teFixture struct {
	url  string
	clk  *clock.Fake
	st   store.Store
	cust *recordingCustomizer
	n    int
}

func newTEFixture(t *testing.T) *teFixture {
	t.Helper()
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC))
	now := clk.Now()
	st := openStore(t, now)
	seedExchangeResources(t, st, now)
	must(t, st.CreateRole(ctx, store.Role{ID: "ro1", Name: "Shopper", Type: store.RoleUser, CreatedAt: now}))
	must(t, st.AddRoleScopes(ctx, "ro1", []string{"read", "write"}))
	must(t, st.CreateRole(ctx, store.Role{ID: "ro2", Name: "Reader", Type: store.RoleUser, CreatedAt: now}))
	must(t, st.AddRoleScopes(ctx, "ro2", []string{"read"}))
	addUser(t, st, nil, store.User{ID: "u1", Username: "jane", CreatedAt: now, UpdatedAt: now}, "", "ro2")
	addUser(t, st, nil, store.User{ID: "u2", Username: "max", CreatedAt: now, UpdatedAt: now}, "", "ro1")
	addUser(t, st, nil, store.User{ID: "u3", Username: "sus", IsSuspended: true, CreatedAt: now, UpdatedAt: now}, "", "ro1")
	for _, a := range []store.Application{
		{ID: "web", Type: store.AppTraditional, AllowTokenExchange: true},
		{ID: "noex", Type: store.AppTraditional},
		{ID: "spa", Type: store.AppSPA, AllowTokenExchange: true},
		{ID: "m2m", Type: store.AppMachineToMachine, AllowTokenExchange: true},
	} {
		a.Name, a.CreatedAt, a.RedirectURIs = a.ID, now, []string{"https://" + a.ID + ".test/cb"}
		if a.Type == store.AppMachineToMachine {
			a.RedirectURIs = nil
		}
		secret := a.ID + "secret"
		if a.Type == store.AppSPA {
			secret = ""
		}
		addApp(t, st, testHasher, a, secret)
	}
	cust := &recordingCustomizer{}
	_, mux := newTestProvider(t, st, providerSetup{Clock: clk, Customizer: cust})
	return &teFixture{url: serve(t, mux), clk: clk, st: st, cust: cust}
}

// post sends form to the token endpoint as client id (Basic with its
// secret, or client_id alone for the SPA).
func (f *teFixture) post(t *testing.T, id string, form url.Values) (int, map[string]any) {
	t.Helper()
	if id == "spa" {
		form.Set("client_id", id)
	}
	req, err := http.NewRequest("POST", f.url+"/oidc/token", strings.NewReader(form.Encode()))
	must(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "spa" {
		req.SetBasicAuth(id, id+"secret")
	}
	res, err := http.DefaultClient.Do(req)
	must(t, err)
	defer res.Body.Close()
	var m map[string]any
	must(t, json.NewDecoder(res.Body).Decode(&m))
	return res.StatusCode, m
}

// exchange exchanges subject of typ as app id, with extra parameters.
func (f *teFixture) exchange(t *testing.T, id, subject, typ string, extra ...string) (int, map[string]any) {
	t.Helper()
	form := url.Values{"grant_type": {GrantTypeTokenExchange}, "subject_token": {subject}, "subject_token_type": {typ}}
	for i := 0; i+1 < len(extra); i += 2 {
		form.Set(extra[i], extra[i+1])
	}
	return f.post(t, id, form)
}

// subjectToken stores a subject token of user with ctx and returns it.
func (f *teFixture) subjectToken(t *testing.T, user string, ctx map[string]any) string {
	t.Helper()
	f.n++
	value := directory.SubjectTokenPrefix + strings.Repeat("s", 40) + string(rune('a'+f.n))
	now := f.clk.Now()
	must(t, f.st.CreateSubjectToken(context.Background(), store.SubjectToken{ID: directory.TokenDigest(value), UserID: user,
		Context: ctx, CreatedAt: now, ExpiresAt: now.Add(directory.SubjectTokenTTL)}))
	return value
}

// pat stores a personal access token of user expiring at exp and returns
// it.
func (f *teFixture) pat(t *testing.T, user string, exp time.Time) string {
	t.Helper()
	f.n++
	value := directory.PersonalAccessTokenPrefix + strings.Repeat("p", 40) + string(rune('a'+f.n))
	must(t, f.st.CreatePersonalAccessToken(context.Background(), store.PersonalAccessToken{UserID: user,
		Name: "t" + string(rune('a'+f.n)), Digest: directory.TokenDigest(value), CreatedAt: f.clk.Now(), ExpiresAt: exp}))
	return value
}

// accessToken gets an access token of user for web by a personal access
// token, with extra parameters.
func (f *teFixture) accessToken(t *testing.T, user string, extra ...string) string {
	t.Helper()
	status, m := f.exchange(t, "web", f.pat(t, user, time.Time{}), TokenTypePersonalAccessToken, extra...)
	if status != 200 {
		t.Fatalf("access token: %d %v", status, m)
	}
	return m["access_token"].(string)
}

func wantExchangeError(t *testing.T, what string, status int, m map[string]any, wantStatus int, code string) {
	t.Helper()
	if status != wantStatus || m["error"] != code {
		t.Fatalf("%s: %d %v, want %d %s", what, status, m, wantStatus, code)
	}
}

// A subject token is exchanged once, before it expires, for an access
// token alone (RFC 8693 §2.2.1), whose permissions the user's roles decide;
// the customizer sees its context as Logto's context.grant.
func TestTokenExchangeImpersonation(t *testing.T) {
	f := newTEFixture(t)
	st := f.subjectToken(t, "u1", map[string]any{"ticket": "T-1"})
	status, m := f.exchange(t, "web", st, TokenTypeImpersonation, "resource", "https://shop.test", "scope", "openid offline_access read write")
	if status != 200 || m["issued_token_type"] != TokenTypeAccessToken || m["token_type"] != "Bearer" || m["expires_in"] != float64(600) ||
		m["scope"] != "read" || m["id_token"] != nil || m["refresh_token"] != nil {
		t.Fatalf("impersonation: %d %v", status, m)
	}
	c := jwtClaims(t, m, "access_token")
	if c["sub"] != "u1" || c["client_id"] != "web" || c["aud"] != "https://shop.test" || c["act"] != nil {
		t.Errorf("claims %v", c)
	}
	in := f.cust.got[len(f.cust.got)-1]
	if in.GrantType != GrantTypeTokenExchange || in.Exchange == nil || in.Exchange.SubjectTokenContext["ticket"] != "T-1" || in.IDToken {
		t.Errorf("customizer input %+v", in)
	}

	status, m = f.exchange(t, "web", st, TokenTypeImpersonation)
	wantExchangeError(t, "subject token reused", status, m, 400, "invalid_grant")
	if !strings.Contains(m["error_description"].(string), "consumed") {
		t.Errorf("reuse: %v", m)
	}

	// Logto's older spelling: the access token type, told by the prefix.
	status, m = f.exchange(t, "spa", f.subjectToken(t, "u1", nil), TokenTypeAccessToken)
	if status != 200 || m["scope"] != "" {
		t.Fatalf("subject token as access_token type: %d %v", status, m)
	}

	expired := f.subjectToken(t, "u1", nil)
	f.clk.Advance(directory.SubjectTokenTTL)
	status, m = f.exchange(t, "web", expired, TokenTypeImpersonation)
	wantExchangeError(t, "expired subject token", status, m, 400, "invalid_grant")

	status, m = f.exchange(t, "web", f.subjectToken(t, "u3", nil), TokenTypeImpersonation)
	wantExchangeError(t, "subject token of a suspended user", status, m, 400, "invalid_grant")
	status, m = f.exchange(t, "web", directory.SubjectTokenPrefix+"nope", TokenTypeImpersonation)
	wantExchangeError(t, "unknown subject token", status, m, 400, "invalid_grant")
}

// A personal access token is exchanged as often as its owner likes until
// it expires; a suspended owner's is refused.
func TestTokenExchangePersonalAccessToken(t *testing.T) {
	f := newTEFixture(t)
	pat := f.pat(t, "u2", f.clk.Now().Add(time.Hour))
	for range 2 {
		status, m := f.exchange(t, "web", pat, TokenTypePersonalAccessToken, "resource", "https://shop.test", "scope", "read write")
		if status != 200 || m["scope"] != "read write" {
			t.Fatalf("PAT: %d %v", status, m)
		}
	}
	if in := f.cust.got[len(f.cust.got)-1]; in.Exchange != nil {
		t.Errorf("a PAT's exchange has a grant context: %+v", in.Exchange)
	}
	status, m := f.exchange(t, "web", f.pat(t, "u3", time.Time{}), TokenTypePersonalAccessToken)
	wantExchangeError(t, "PAT of a suspended user", status, m, 400, "invalid_grant")
	status, m = f.exchange(t, "web", "pat_unknown", TokenTypePersonalAccessToken)
	wantExchangeError(t, "unknown PAT", status, m, 400, "invalid_grant")
	status, m = f.exchange(t, "web", pat, TokenTypeImpersonation)
	wantExchangeError(t, "PAT as a subject token", status, m, 400, "invalid_grant")
	f.clk.Advance(time.Hour)
	status, m = f.exchange(t, "web", pat, TokenTypePersonalAccessToken)
	wantExchangeError(t, "expired PAT", status, m, 400, "invalid_grant")
}

// An access token is exchanged for one of narrower audience and scopes,
// never wider; an actor token names the actor in act, nesting an earlier
// one (RFC 8693 §4.1).
func TestTokenExchangeAccessToken(t *testing.T) {
	f := newTEFixture(t)
	at := f.accessToken(t, "u2", "resource", "https://shop.test", "scope", "read")

	status, m := f.exchange(t, "spa", at, TokenTypeAccessToken)
	if status != 200 || m["scope"] != "read" {
		t.Fatalf("same audience and scopes: %d %v", status, m)
	}
	if c := jwtClaims(t, m, "access_token"); c["aud"] != "https://shop.test" || c["client_id"] != "spa" || c["sub"] != "u2" {
		t.Errorf("claims %v", c)
	}
	status, m = f.exchange(t, "web", at, TokenTypeAccessToken, "scope", "read write")
	wantExchangeError(t, "widened scope", status, m, 400, "invalid_scope")
	status, m = f.exchange(t, "web", at, TokenTypeAccessToken, "resource", "https://other.test")
	wantExchangeError(t, "another audience", status, m, 400, "invalid_target")

	// A userinfo token with openid acts; act nests.
	actor := f.accessToken(t, "u1", "scope", "openid")
	status, m = f.exchange(t, "web", at, TokenTypeAccessToken, "actor_token", actor, "actor_token_type", TokenTypeAccessToken)
	if status != 200 {
		t.Fatalf("with an actor: %d %v", status, m)
	}
	act, _ := jwtClaims(t, m, "access_token")["act"].(map[string]any)
	if act["sub"] != "u1" || act["act"] != nil {
		t.Fatalf("act %v", act)
	}
	delegated := m["access_token"].(string)
	status, m = f.exchange(t, "web", delegated, TokenTypeAccessToken, "actor_token", f.accessToken(t, "u2", "scope", "openid"), "actor_token_type", TokenTypeAccessToken)
	act, _ = jwtClaims(t, m, "access_token")["act"].(map[string]any)
	if inner, _ := act["act"].(map[string]any); status != 200 || act["sub"] != "u2" || inner["sub"] != "u1" {
		t.Fatalf("nested act: %d %v", status, act)
	}
	status, m = f.exchange(t, "web", delegated, TokenTypeAccessToken)
	if act, _ = jwtClaims(t, m, "access_token")["act"].(map[string]any); status != 200 || act["sub"] != "u1" {
		t.Fatalf("act carried without an actor token: %d %v", status, m)
	}

	noOpenID := f.accessToken(t, "u1", "resource", "https://shop.test", "scope", "read")
	status, m = f.exchange(t, "web", at, TokenTypeAccessToken, "actor_token", noOpenID, "actor_token_type", TokenTypeAccessToken)
	wantExchangeError(t, "actor without openid", status, m, 400, "invalid_grant")
	status, m = f.exchange(t, "web", at, TokenTypeAccessToken, "actor_token", actor)
	wantExchangeError(t, "actor token without its type", status, m, 400, "invalid_request")
	status, m = f.exchange(t, "web", at, TokenTypeAccessToken, "actor_token", actor, "actor_token_type", TokenTypePersonalAccessToken)
	wantExchangeError(t, "actor of another type", status, m, 400, "unsupported_token_type")

	for name, bad := range map[string]string{"garbage": "a.b.c", "tampered": at[:len(at)-4] + "AAAA"} {
		status, m = f.exchange(t, "web", bad, TokenTypeAccessToken)
		wantExchangeError(t, name+" access token", status, m, 400, "invalid_grant")
	}
	// An exchange answers an access token alone, with openid too.
	status, m = f.post(t, "web", url.Values{"grant_type": {GrantTypeTokenExchange}, "subject_token": {f.pat(t, "u1", time.Time{})},
		"subject_token_type": {TokenTypePersonalAccessToken}, "scope": {"openid"}})
	if status != 200 || m["id_token"] != nil {
		t.Fatalf("openid by PAT: %d %v", status, m)
	}
}

// What the grant does not do is refused with a clear error, and only apps
// that opted in may exchange.
func TestTokenExchangeRefusals(t *testing.T) {
	f := newTEFixture(t)
	pat := f.pat(t, "u1", time.Time{})
	for _, tc := range []struct {
		name, app string
		extra     []string
		status    int
		code      string
	}{
		{"app without the opt-in", "noex", nil, 400, "unauthorized_client"},
		{"M2M app", "m2m", nil, 400, "unauthorized_client"},
		{"unknown subject token type", "web", []string{"subject_token_type", "urn:ietf:params:oauth:token-type:id_token"}, 400, "unsupported_token_type"},
		{"no subject token", "web", []string{"subject_token", ""}, 400, "invalid_request"},
		{"no subject token type", "web", []string{"subject_token_type", ""}, 400, "invalid_request"},
		{"requested an ID token", "web", []string{"requested_token_type", "urn:ietf:params:oauth:token-type:id_token"}, 400, "invalid_request"},
		{"organization", "web", []string{"organization_id", "o1"}, 400, "invalid_request"},
		{"unknown resource", "web", []string{"resource", "https://nope.test"}, 400, "invalid_target"},
		{"two resources differ", "web", []string{"resource", "https://shop.test", "audience", "https://other.test"}, 400, "invalid_request"},
	} {
		form := []string{"subject_token", pat, "subject_token_type", TokenTypePersonalAccessToken}
		form = append(form, tc.extra...)
		status, m := f.exchange(t, tc.app, form[1], form[3], form[4:]...)
		if len(tc.extra) >= 2 && (tc.extra[0] == "subject_token" || tc.extra[0] == "subject_token_type") {
			v := url.Values{"grant_type": {GrantTypeTokenExchange}, "subject_token": {pat}, "subject_token_type": {TokenTypePersonalAccessToken}}
			v.Set(tc.extra[0], tc.extra[1])
			status, m = f.post(t, tc.app, v)
		}
		if status != tc.status || m["error"] != tc.code {
			t.Errorf("%s: %d %v, want %d %s", tc.name, status, m, tc.status, tc.code)
		}
	}
}
