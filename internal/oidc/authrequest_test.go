package oidc

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/store"
)

// The checks of an authorization request, one at a time, at their edges:
// which fail on a page (client or redirect URI not trusted) and which go
// back to the client with an OAuth error.
func TestParseAuthRequest(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	challenge := strings.Repeat("c", 43)
	var base func() url.Values
	st := openStore(t, now)
	must(t, st.CreateResource(ctx, store.Resource{ID: "r1", Name: "Shop", Indicator: "https://shop.test", AccessTokenTTL: 600, CreatedAt: now}))
	var indicators []string
	for i := range maxResources + 1 {
		ind := fmt.Sprintf("https://api%d.test", i)
		must(t, st.CreateResource(ctx, store.Resource{ID: fmt.Sprintf("r%d", i+2), Name: ind, Indicator: ind, AccessTokenTTL: 600, CreatedAt: now}))
		indicators = append(indicators, ind)
	}
	scopes := func(n int) string {
		var s []string
		for i := range n {
			s = append(s, fmt.Sprintf("s%d", i))
		}
		return strings.Join(s, " ")
	}
	resources := func(n int) url.Values {
		v := url.Values{}
		for k, vals := range base() {
			v[k] = vals
		}
		v["resource"] = indicators[:n]
		return v
	}
	must(t, st.CreateApplication(ctx, store.Application{ID: "spa", Name: "SPA", Type: store.AppSPA,
		RedirectURIs: []string{"https://spa.test/cb"}, CreatedAt: now}))
	must(t, st.CreateApplication(ctx, store.Application{ID: "web", Name: "Web", Type: store.AppTraditional,
		RedirectURIs: []string{"https://web.test/cb"}, CreatedAt: now}))
	must(t, st.CreateApplication(ctx, store.Application{ID: "m2m", Name: "M2M", Type: store.AppMachineToMachine,
		RedirectURIs: []string{"https://m2m.test/cb"}, CreatedAt: now}))
	p, _ := newTestProvider(t, st, providerSetup{NoUsers: true})

	base = func() url.Values {
		return url.Values{"client_id": {"spa"}, "redirect_uri": {"https://spa.test/cb"}, "response_type": {"code"},
			"scope": {"openid"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}, "state": {"s"}}
	}
	with := func(kv ...string) url.Values {
		v := base()
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "<del>" {
				v.Del(kv[i])
			} else {
				v.Set(kv[i], kv[i+1])
			}
		}
		return v
	}
	const page = "page"
	for _, tc := range []struct {
		name   string
		params url.Values
		want   string // "" ok, page, or the OAuth error code
	}{
		{"valid", base(), ""},
		{"web app without PKCE", with("client_id", "web", "redirect_uri", "https://web.test/cb", "code_challenge", "<del>", "code_challenge_method", "<del>"), ""},
		// Client and redirect URI: a page, never a redirect.
		{"no client", with("client_id", "<del>"), page},
		{"unknown client", with("client_id", "nope"), page},
		{"M2M client", with("client_id", "m2m", "redirect_uri", "https://m2m.test/cb"), page},
		{"no redirect URI", with("redirect_uri", "<del>"), page},
		{"redirect URI prefix", with("redirect_uri", "https://spa.test/cb/evil"), page},
		{"redirect URI truncated", with("redirect_uri", "https://spa.test/c"), page},
		{"redirect URI case", with("redirect_uri", "https://SPA.test/cb"), page},
		{"redirect URI query added", with("redirect_uri", "https://spa.test/cb?x=1"), page},
		{"redirect URI trailing slash", with("redirect_uri", "https://spa.test/cb/"), page},
		{"another app's redirect URI", with("redirect_uri", "https://web.test/cb"), page},
		{"client_id twice", func() url.Values { v := base(); v.Add("client_id", "spa"); return v }(), page},
		{"redirect_uri twice", func() url.Values { v := base(); v.Add("redirect_uri", "https://spa.test/cb"); return v }(), page},
		{"parameter at the length bound", with("state", strings.Repeat("s", maxParamLen)), ""},
		{"parameter over the length bound", with("state", strings.Repeat("s", maxParamLen+1)), page},
		{"NUL first", with("state", "\x00s"), page},
		{"NUL inside", with("state", "s\x00s"), page},
		{"invalid UTF-8", with("state", "s\xff"), page},
		// Everything else goes back to the client.
		{"state twice", func() url.Values { v := base(); v.Add("state", "t"); return v }(), "invalid_request"},
		{"resource twice", func() url.Values {
			v := base()
			v.Add("resource", "https://shop.test")
			v.Add("resource", "https://shop.test")
			return v
		}(), ""},
		{"unknown resource", with("resource", "https://nowhere.test"), "invalid_target"},
		{"resource with a fragment", with("resource", "https://shop.test#x"), "invalid_target"},
		{"request object", with("request", "x"), "request_not_supported"},
		{"request_uri", with("request_uri", "https://x.test"), "request_uri_not_supported"},
		{"no response_type", with("response_type", "<del>"), "invalid_request"},
		{"implicit", with("response_type", "token"), "unsupported_response_type"},
		{"response_mode query", with("response_mode", "query"), ""},
		{"response_mode fragment", with("response_mode", "fragment"), "invalid_request"},
		{"bad scope token", with("scope", "openid re\"ad"), "invalid_scope"},
		{"scopes at the bound", with("scope", scopes(maxScopes)), ""},
		{"scopes over the bound", with("scope", scopes(maxScopes+1)), "invalid_scope"},
		{"resources at the bound", resources(maxResources), ""},
		{"resources over the bound", resources(maxResources + 1), "invalid_target"},
		{"PKCE plain", with("code_challenge_method", "plain"), "invalid_request"},
		{"PKCE without method", with("code_challenge_method", "<del>"), "invalid_request"},
		{"PKCE method without challenge", with("code_challenge", "<del>"), "invalid_request"},
		{"PKCE challenge too short", with("code_challenge", challenge[:42]), "invalid_request"},
		{"public client without PKCE", with("code_challenge", "<del>", "code_challenge_method", "<del>"), "invalid_request"},
		{"prompt login consent", with("prompt", "login consent"), ""},
		{"prompt none alone", with("prompt", "none"), ""},
		{"prompt none with login", with("prompt", "none login"), "invalid_request"},
		{"unknown prompt", with("prompt", "create"), "invalid_request"},
		{"max_age 0", with("max_age", "0"), ""},
		{"negative max_age", with("max_age", "-1"), "invalid_request"},
		{"max_age not a number", with("max_age", "1h"), "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, aerr := p.parseAuthRequest(&p.face, tc.params)
			switch {
			case tc.want == "" && aerr != nil:
				t.Fatalf("refused: %+v", aerr)
			case tc.want == page && (aerr == nil || aerr.redirect):
				t.Fatalf("got %+v, want an error page", aerr)
			case tc.want != "" && tc.want != page && (aerr == nil || !aerr.redirect || aerr.code != tc.want):
				t.Fatalf("got %+v, want a redirect with %s", aerr, tc.want)
			}
			if aerr != nil && aerr.redirect && (req == nil || req.redirectURI != tc.params.Get("redirect_uri")) {
				t.Fatal("a redirect error without the registered redirect URI")
			}
		})
	}

	req, aerr := p.parseAuthRequest(&p.face, with("nonce", "n", "login_hint", "jane", "scope", "openid openid email", "resource", "https://shop.test"))
	if aerr != nil {
		t.Fatal(aerr)
	}
	if req.maxAge != -1 || req.nonce != "n" || req.loginHint != "jane" || req.state != "s" ||
		strings.Join(req.scopes, " ") != "openid email" || len(req.resources) != 1 || req.codeChallenge != challenge {
		t.Fatalf("parsed request %+v", req)
	}
	if req, _ := p.parseAuthRequest(&p.face, with("max_age", "0")); req.maxAge != 0 {
		t.Fatalf("max_age=0 parsed as %d", req.maxAge)
	}
}
