package oidc

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/monban/monban/internal/store"
)

// orgFixture is a provider with an organization "o1": user jane is a
// member holding the role "editor" (granting the organization scope
// read:docs and the API scope read on https://api.test), user joe is
// not; the M2M app "bot" is a member holding "sync".
type orgFixture struct {
	t   *testing.T
	st  store.Store
	url string
}

func newOrgFixture(t *testing.T) *orgFixture {
	t.Helper()
	ctx := context.Background()
	now := time.Now().Truncate(time.Millisecond)
	st := openStore(t, now)
	addUser(t, st, testPasswords(), store.User{ID: "jane", Username: "jane", CreatedAt: now, UpdatedAt: now}, "secret password")
	addUser(t, st, testPasswords(), store.User{ID: "joe", Username: "joe", CreatedAt: now, UpdatedAt: now}, "secret password")
	addApp(t, st, testHasher, store.Application{ID: "web", Name: "Web", Type: store.AppTraditional,
		RedirectURIs: []string{"https://web.test/cb"}, AllowPasswordGrant: true, CreatedAt: now}, "websecret")
	addApp(t, st, testHasher, store.Application{ID: "bot", Name: "Bot", Type: store.AppMachineToMachine, CreatedAt: now}, "botsecret")
	must(t, st.CreateResource(ctx, store.Resource{ID: "api", Name: "API", Indicator: "https://api.test", AccessTokenTTL: 600, CreatedAt: now}))
	must(t, st.CreateScope(ctx, store.Scope{ID: "read", ResourceID: "api", Name: "read", CreatedAt: now}))
	must(t, st.CreateScope(ctx, store.Scope{ID: "write", ResourceID: "api", Name: "write", CreatedAt: now}))
	must(t, st.CreateOrganization(ctx, store.Organization{ID: "o1", Name: "Acme", Description: "B2B", CreatedAt: now}))
	must(t, st.CreateOrganization(ctx, store.Organization{ID: "mfa", Name: "Strict", IsMFARequired: true, CreatedAt: now}))
	for _, sc := range []string{"read:docs", "write:docs", "sync"} {
		must(t, st.CreateOrganizationScope(ctx, store.OrganizationScope{ID: sc, Name: sc, CreatedAt: now}))
	}
	must(t, st.CreateOrganizationRole(ctx, store.OrganizationRole{ID: "editor", Name: "editor", Type: store.RoleUser, CreatedAt: now},
		[]string{"read:docs"}, []string{"read"}))
	must(t, st.CreateOrganizationRole(ctx, store.OrganizationRole{ID: "sync", Name: "sync", Type: store.RoleMachineToMachine, CreatedAt: now},
		[]string{"sync"}, []string{"write"}))
	must(t, st.AddOrganizationMembers(ctx, "o1", store.HolderUser, []string{"jane"}))
	must(t, st.AddOrganizationMembers(ctx, "mfa", store.HolderUser, []string{"jane"}))
	must(t, st.AddOrganizationMemberRoles(ctx, "o1", store.HolderUser, []string{"jane"}, []string{"editor"}))
	must(t, st.AddOrganizationMembers(ctx, "o1", store.HolderApplication, []string{"bot"}))
	must(t, st.AddOrganizationMemberRoles(ctx, "o1", store.HolderApplication, []string{"bot"}, []string{"sync"}))
	_, mux := newTestProvider(t, st, providerSetup{})
	return &orgFixture{t: t, st: st, url: serve(t, mux)}
}

func (f *orgFixture) token(form url.Values) (*http.Response, map[string]any) {
	f.t.Helper()
	if form.Get("client_id") == "" {
		form.Set("client_id", "web")
		form.Set("client_secret", "websecret")
	}
	return postForm(f.t, f.url+"/oidc/token", form)
}

// signIn is jane's (or joe's) password grant with scope.
func (f *orgFixture) signIn(user, scope string) map[string]any {
	f.t.Helper()
	res, m := f.token(url.Values{"grant_type": {"password"}, "username": {user}, "password": {"secret password"}, "scope": {scope},
		"resource": {"https://api.test"}})
	if res.StatusCode != 200 {
		f.t.Fatalf("password grant: %d %v", res.StatusCode, m)
	}
	return m
}

func (f *orgFixture) refresh(rt string, extra url.Values) (*http.Response, map[string]any) {
	f.t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
	for k, v := range extra {
		form[k] = v
	}
	return f.token(form)
}

const orgScopes = "openid offline_access " + ScopeOrganizations + " " + ScopeOrganizationRoles + " read:docs write:docs read"

func TestOrganizationClaimsInIDTokenAndUserinfo(t *testing.T) {
	f := newOrgFixture(t)
	m := f.signIn("jane", orgScopes)
	id := jwtClaims(t, m, "id_token")
	if got := id["organizations"]; !sameStrings(got, "o1", "mfa") {
		t.Errorf("organizations = %v", got)
	}
	if got := id["organization_roles"]; !sameStrings(got, "o1:editor") {
		t.Errorf("organization_roles = %v", got)
	}
	data, _ := id["organization_data"].([]any)
	acme := map[string]any{}
	for _, d := range data {
		if d.(map[string]any)["id"] == "o1" {
			acme = d.(map[string]any)
		}
	}
	if len(data) != 2 || acme["name"] != "Acme" || acme["description"] != "B2B" {
		t.Errorf("organization_data = %v", id["organization_data"])
	}
	// Without the scopes, no claims.
	plain := jwtClaims(t, f.signIn("jane", "openid"), "id_token")
	if _, ok := plain["organizations"]; ok {
		t.Errorf("organizations without the scope: %v", plain)
	}

	// userinfo, with a token for it (no resource).
	res, r := f.refresh(m["refresh_token"].(string), url.Values{})
	if res.StatusCode != 200 {
		t.Fatalf("refresh: %d %v", res.StatusCode, r)
	}
	req, _ := http.NewRequest("GET", f.url+"/oidc/me", nil)
	req.Header.Set("Authorization", "Bearer "+r["access_token"].(string))
	ures, err := http.DefaultClient.Do(req)
	must(t, err)
	defer ures.Body.Close()
	var info map[string]any
	must(t, decodeJSON(ures, &info))
	if !sameStrings(info["organizations"], "o1", "mfa") || !sameStrings(info["organization_roles"], "o1:editor") {
		t.Errorf("userinfo = %v", info)
	}
}

func TestOrganizationTokenByRefresh(t *testing.T) {
	f := newOrgFixture(t)
	m := f.signIn("jane", orgScopes)
	rt := m["refresh_token"].(string)

	res, r := f.refresh(rt, url.Values{"organization_id": {"o1"}})
	if res.StatusCode != 200 {
		t.Fatalf("organization token: %d %v", res.StatusCode, r)
	}
	at := jwtClaims(t, r, "access_token")
	if at["aud"] != "urn:logto:organization:o1" || at["scope"] != "read:docs" || r["scope"] != "read:docs" {
		t.Errorf("organization token: aud %v scope %v (response scope %v)", at["aud"], at["scope"], r["scope"])
	}

	// With a resource: an API token scoped by the organization roles'
	// resource scopes, naming the organization.
	res, r = f.refresh(rt, url.Values{"organization_id": {"o1"}, "resource": {"https://api.test"}})
	if res.StatusCode != 200 {
		t.Fatalf("organization API token: %d %v", res.StatusCode, r)
	}
	at = jwtClaims(t, r, "access_token")
	if at["aud"] != "https://api.test" || at["scope"] != "read" || at["organization_id"] != "o1" {
		t.Errorf("organization API token: %v", at)
	}

	// The role taken away, the next refresh has no scope from it.
	must(t, f.st.RemoveOrganizationMemberRole(context.Background(), "o1", store.HolderUser, "jane", "editor"))
	_, r = f.refresh(rt, url.Values{"organization_id": {"o1"}})
	if at := jwtClaims(t, r, "access_token"); at["scope"] != nil || at["aud"] != "urn:logto:organization:o1" {
		t.Errorf("scope after the role was removed: %v", at["scope"])
	}

	// Not a member, or a member of an organization requiring MFA: 403
	// access_denied, never an ordinary token.
	for _, org := range []string{"nope", "mfa"} {
		res, r = f.refresh(rt, url.Values{"organization_id": {org}})
		if res.StatusCode != 403 || r["error"] != "access_denied" || r["access_token"] != nil {
			t.Errorf("organization %s: %d %v", org, res.StatusCode, r)
		}
	}
	must(t, f.st.RemoveOrganizationMember(context.Background(), "o1", store.HolderUser, "jane"))
	res, r = f.refresh(rt, url.Values{"organization_id": {"o1"}})
	if res.StatusCode != 403 || r["error_description"] != "user is not a member of the organization" {
		t.Errorf("after leaving: %d %v", res.StatusCode, r)
	}
}

func TestOrganizationTokenNeedsTheScope(t *testing.T) {
	f := newOrgFixture(t)
	m := f.signIn("jane", "openid offline_access read:docs")
	res, r := f.refresh(m["refresh_token"].(string), url.Values{"organization_id": {"o1"}})
	if res.StatusCode != 403 || r["error"] != "insufficient_scope" {
		t.Errorf("without %s: %d %v", ScopeOrganizations, res.StatusCode, r)
	}
	// Grants that issue no organization tokens refuse the parameter.
	res, r = f.token(url.Values{"grant_type": {"password"}, "username": {"jane"}, "password": {"secret password"}, "organization_id": {"o1"}})
	if res.StatusCode != 400 || r["error"] != "invalid_request" {
		t.Errorf("password grant with organization_id: %d %v", res.StatusCode, r)
	}
	res, r = f.refresh(m["refresh_token"].(string), url.Values{"organization_id": {"bad\x01id"}})
	if res.StatusCode != 400 || r["error"] != "invalid_request" {
		t.Errorf("malformed organization_id: %d %v", res.StatusCode, r)
	}
}

func TestOrganizationTokenForMachines(t *testing.T) {
	f := newOrgFixture(t)
	bot := url.Values{"grant_type": {"client_credentials"}, "client_id": {"bot"}, "client_secret": {"botsecret"}}
	with := func(kv ...string) url.Values {
		form := url.Values{}
		for k, v := range bot {
			form[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			form.Set(kv[i], kv[i+1])
		}
		return form
	}
	res, r := f.token(with("organization_id", "o1", "scope", "sync read:docs"))
	if res.StatusCode != 200 {
		t.Fatalf("organization token: %d %v", res.StatusCode, r)
	}
	at := jwtClaims(t, r, "access_token")
	if at["aud"] != "urn:logto:organization:o1" || at["scope"] != "sync" || at["sub"] != "bot" {
		t.Errorf("organization token: %v", at)
	}
	res, r = f.token(with("organization_id", "o1", "resource", "https://api.test", "scope", "read write"))
	if res.StatusCode != 200 {
		t.Fatalf("organization API token: %d %v", res.StatusCode, r)
	}
	if at := jwtClaims(t, r, "access_token"); at["scope"] != "write" || at["organization_id"] != "o1" {
		t.Errorf("organization API token: %v", at)
	}
	res, r = f.token(with("organization_id", "mfa", "scope", "sync"))
	if res.StatusCode != 403 || r["error_description"] != "app has not associated with the organization" {
		t.Errorf("not a member: %d %v", res.StatusCode, r)
	}
}

func sameStrings(v any, want ...string) bool {
	list, _ := v.([]any)
	got := make([]string, 0, len(list))
	for _, x := range list {
		s, _ := x.(string)
		got = append(got, s)
	}
	slices.Sort(got)
	slices.Sort(want)
	return slices.Equal(got, want)
}

func decodeJSON(res *http.Response, v any) error { return json.NewDecoder(res.Body).Decode(v) }
