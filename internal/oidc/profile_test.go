package oidc

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/monban/monban/internal/clientauth"
	"github.com/monban/monban/internal/store"
)

// secondFace is an issuer with its own paths, mounted beside Logto's.
var secondFace = Profile{
	Issuer:            "https://tenant.test/",
	Discovery:         Endpoint{Paths: []string{"/t2/.well-known/openid-configuration"}},
	JWKS:              Endpoint{URL: "https://tenant.test/.well-known/jwks.json", Paths: []string{"/t2/jwks"}},
	Token:             Endpoint{URL: "https://tenant.test/oauth/token", Paths: []string{"/t2/oauth/token"}},
	Authorization:     Endpoint{URL: "https://tenant.test/authorize", Paths: []string{"/t2/authorize"}},
	Userinfo:          Endpoint{URL: "https://tenant.test/userinfo", Paths: []string{"/t2/userinfo"}},
	Revocation:        Endpoint{URL: "https://tenant.test/oauth/revoke", Paths: []string{"/t2/oauth/revoke"}},
	EndSession:        Endpoint{URL: "https://tenant.test/v2/logout", Paths: []string{"/t2/v2/logout"}},
	EndSessionConfirm: Endpoint{Paths: []string{"/t2/v2/logout/confirm"}},
	// No ErrorBody: the RFC 6749 fields only. No introspection.
}

// m2mProvider is a provider with one resource, an M2M role giving its
// read scope and an M2M app holding the role, with Logto's face
// registered and secondFace mounted on the same mux.
func m2mProvider(t *testing.T) (*Provider, string) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	st := openStore(t, now)
	must(t, st.CreateResource(ctx, store.Resource{ID: "r1", Name: "Shop", Indicator: "https://shop.test", AccessTokenTTL: 600, CreatedAt: now}))
	must(t, st.CreateScope(ctx, store.Scope{ID: "s1", ResourceID: "r1", Name: "read", CreatedAt: now}))
	must(t, st.CreateRole(ctx, store.Role{ID: "m2m", Name: "Robot", Type: store.RoleMachineToMachine, CreatedAt: now}))
	must(t, st.AddRoleScopes(ctx, "m2m", []string{"s1"}))
	hasher := clientauth.NewHasher([]byte("k"))
	addApp(t, st, hasher, store.Application{ID: "robot", Name: "Robot", Type: store.AppMachineToMachine, CreatedAt: now}, "robotsecret")
	must(t, st.AddRoleApplications(ctx, "m2m", []string{"robot"}))
	p, mux := newTestProvider(t, st, providerSetup{Hasher: hasher})
	p.Mount(mux, secondFace)
	return p, serve(t, mux)
}

// A second issuer mounts the same core with its own paths: its discovery
// document names its issuer and endpoints, its tokens carry its iss, its
// errors have its shape, and Logto's face is unchanged beside it.
func TestSecondProfileMountsTheSameCore(t *testing.T) {
	p, base := m2mProvider(t)
	res, doc := getJSON(t, base+"/t2/.well-known/openid-configuration")
	if res.StatusCode != 200 || doc["issuer"] != "https://tenant.test/" || doc["token_endpoint"] != "https://tenant.test/oauth/token" ||
		doc["jwks_uri"] != "https://tenant.test/.well-known/jwks.json" || doc["authorization_endpoint"] != "https://tenant.test/authorize" ||
		doc["userinfo_endpoint"] != "https://tenant.test/userinfo" || doc["end_session_endpoint"] != "https://tenant.test/v2/logout" {
		t.Fatalf("second discovery: %d %v", res.StatusCode, doc)
	}
	if _, ok := doc["introspection_endpoint"]; ok {
		t.Errorf("an endpoint without a URL is advertised: %v", doc["introspection_endpoint"])
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"robot"}, "client_secret": {"robotsecret"},
		"resource": {"https://shop.test"}, "scope": {"read"}}
	res, m := postForm(t, base+"/t2/oauth/token", form)
	if res.StatusCode != 200 {
		t.Fatalf("second token: %d %v", res.StatusCode, m)
	}
	if c := jwtClaims(t, m, "access_token"); c["iss"] != "https://tenant.test/" || c["aud"] != "https://shop.test" || c["scope"] != "read" {
		t.Errorf("second token's claims: %v", c)
	}
	res, m = postForm(t, base+"/oidc/token", form)
	if c := jwtClaims(t, m, "access_token"); res.StatusCode != 200 || c["iss"] != "https://id.test/oidc" {
		t.Errorf("Logto's token beside it: %d %v", res.StatusCode, c)
	}

	form.Set("client_secret", "wrong")
	res, m = postForm(t, base+"/t2/oauth/token", form)
	if _, logto := m["code"]; res.StatusCode != 401 || m["error"] != "invalid_client" || logto {
		t.Errorf("second face's error: %d %v", res.StatusCode, m)
	}
	res, m = postForm(t, base+"/oidc/token", form)
	if res.StatusCode != 401 || m["error"] != "invalid_client" || m["code"] != "oidc.invalid_client" || m["message"] != m["error_description"] {
		t.Errorf("Logto's error: %d %v", res.StatusCode, m)
	}
	res, m = getJSON(t, base+"/t2/oauth/token")
	if _, logto := m["code"]; res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "POST" || logto {
		t.Errorf("GET on the second token endpoint: %d %v %v", res.StatusCode, res.Header, m)
	}
	for path, want := range map[string]bool{"/oidc/token": true, "/oauth/token": false, "/t2/oauth/token": true, "/t2/jwks": false, "/token": false} {
		if p.IsTokenPath(path) != want {
			t.Errorf("IsTokenPath(%q) = %v", path, !want)
		}
	}
}

// Logto's face is the endpoints under /oidc, in the discovery document
// too; the root paths Auth0's clients use are not Logto's face.
func TestLogtoProfile(t *testing.T) {
	_, base := m2mProvider(t)
	for _, path := range []string{"/oidc/.well-known/openid-configuration", "/.well-known/oauth-authorization-server/oidc"} {
		res, doc := getJSON(t, base+path)
		want := map[string]string{
			"issuer": "https://id.test/oidc", "token_endpoint": "https://id.test/oidc/token", "jwks_uri": "https://id.test/oidc/jwks",
			"authorization_endpoint": "https://id.test/oidc/auth", "userinfo_endpoint": "https://id.test/oidc/me",
			"revocation_endpoint": "https://id.test/oidc/token/revocation", "introspection_endpoint": "https://id.test/oidc/token/introspection",
			"end_session_endpoint": "https://id.test/oidc/session/end",
		}
		for k, v := range want {
			if doc[k] != v {
				t.Errorf("%s: %s = %v, want %s", path, k, doc[k], v)
			}
		}
		if res.StatusCode != 200 || res.Header.Get("Cache-Control") != "public, max-age=300" {
			t.Errorf("%s: %d %v", path, res.StatusCode, res.Header)
		}
	}
	if res, m := getJSON(t, base+"/oidc/jwks"); res.StatusCode != 200 || m["keys"] == nil {
		t.Errorf("/oidc/jwks: %d %v", res.StatusCode, m)
	}
	if res, m := getJSON(t, base+"/oidc/me"); res.StatusCode != 401 || m["code"] != "oidc.invalid_request" {
		t.Errorf("/oidc/me without a token: %d %v", res.StatusCode, m)
	}
	for _, path := range []string{"/oidc/me", "/oidc/token", "/oidc/token/revocation"} {
		req, err := http.NewRequest("OPTIONS", base+path, nil)
		must(t, err)
		res, err := http.DefaultClient.Do(req)
		must(t, err)
		res.Body.Close()
		if res.StatusCode != http.StatusNoContent {
			t.Errorf("preflight of %s: %d", path, res.StatusCode)
		}
	}
	if f := LogtoProfile("https://x.test/oidc"); !slices.Equal(f.Token.Paths, []string{"/oidc/token"}) || f.ErrorBody == nil {
		t.Errorf("LogtoProfile: %+v", f)
	}
}
