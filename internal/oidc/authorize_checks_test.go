package oidc

import (
	"net/url"
	"strings"
	"testing"

	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/store"
)

// checkSnapshot is a catalog with a SPA, a web app, an M2M app and one
// resource, for the checks run one at a time.
func checkSnapshot() *catalog.Snapshot {
	app := func(id string, typ store.AppType, uris ...string) *catalog.App {
		return &catalog.App{Application: store.Application{ID: id, Type: typ, RedirectURIs: uris}}
	}
	return &catalog.Snapshot{
		Apps: map[string]*catalog.App{
			"spa": app("spa", store.AppSPA, "https://spa.test/cb", "https://user@spa.test/cb"),
			"web": app("web", store.AppTraditional, "https://web.test/cb"),
			"par": {Application: store.Application{ID: "par", Type: store.AppTraditional, RedirectURIs: []string{"https://par.test/cb"}, RequirePAR: true}},
			"m2m": app("m2m", store.AppMachineToMachine, "https://m2m.test/cb"),
		},
		ByIndicator: map[string]*store.Resource{"https://shop.test": {ID: "r1", Indicator: "https://shop.test"}},
	}
}

// checkContext is a context past the redirect URI check for client, with
// the parameters of query.
func checkContext(t *testing.T, client, query string) *authContext {
	t.Helper()
	params, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	c := &authContext{params: params, snap: checkSnapshot()}
	app := c.snap.Apps[client]
	c.req = &authRequest{params: params, app: app, redirectURI: app.RedirectURIs[0], maxAge: -1, prompt: map[string]bool{}}
	return c
}

// The checks run in the order that decides which error wins.
func TestAuthCheckOrder(t *testing.T) {
	var names []string
	for _, c := range authChecks {
		names = append(names, c.name)
	}
	want := "parameters client redirect_uri pushed repeated request_object response_type response_mode scope resource connection pkce dpop_jkt prompt max_age screen hints"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("checks %s, want %s", got, want)
	}
}

// Each check at its edges: the error it answers (a page: "page"; a
// redirect: the OAuth code; none: "") and what it leaves in the request.
func TestAuthChecks(t *testing.T) {
	long := strings.Repeat("x", maxParamLen)
	challenge := strings.Repeat("c", 43)
	for _, tc := range []struct {
		name   string
		check  func(*authContext) *authError
		client string
		query  string
		want   string
		after  func(*authRequest) bool
	}{
		{"parameters at the bound", checkParameters, "spa", "state=" + long, "", nil},
		{"parameter over the bound", checkParameters, "spa", "state=x" + long, "page", nil},
		{"parameter with NUL", checkParameters, "spa", "nonce=%00", "page", nil},
		{"parameter not UTF-8", checkParameters, "spa", "x=%ff", "page", nil},
		{"client known", checkClient, "spa", "client_id=spa", "", nil},
		{"client missing", checkClient, "spa", "", "page", nil},
		{"client unknown", checkClient, "spa", "client_id=nope", "page", nil},
		{"client M2M", checkClient, "spa", "client_id=m2m", "page", nil},
		{"client twice", checkClient, "spa", "client_id=spa&client_id=spa", "page", nil},
		{"redirect_uri twice", checkClient, "spa", "client_id=spa&redirect_uri=a&redirect_uri=a", "page", nil},
		{"redirect_uri registered", checkRedirectURI, "spa", "client_id=spa&redirect_uri=https://spa.test/cb&state=s", "",
			func(r *authRequest) bool {
				return r.state == "s" && r.redirectURI == "https://spa.test/cb" && r.maxAge == -1
			}},
		{"redirect_uri missing", checkRedirectURI, "spa", "client_id=spa", "page", nil},
		{"redirect_uri unregistered", checkRedirectURI, "spa", "client_id=spa&redirect_uri=https://spa.test/cb/", "page", nil},
		{"redirect_uri with user info", checkRedirectURI, "spa", "client_id=spa&redirect_uri=https://user@spa.test/cb", "page", nil},
		{"PAR not required", checkPushed, "web", "", "", nil},
		{"PAR required, not pushed", checkPushed, "par", "", "invalid_request", nil},
		{"resource repeated", checkRepeated, "spa", "resource=a&resource=a", "", nil},
		{"other parameter repeated", checkRepeated, "spa", "nonce=a&nonce=b", "invalid_request", nil},
		{"no request object", checkRequestObject, "spa", "", "", nil},
		{"request object", checkRequestObject, "spa", "request=", "request_not_supported", nil},
		{"request_uri", checkRequestObject, "spa", "request_uri=x", "request_uri_not_supported", nil},
		{"response_type code", checkResponseType, "spa", "response_type=code", "", nil},
		{"response_type missing", checkResponseType, "spa", "", "invalid_request", nil},
		{"response_type token", checkResponseType, "spa", "response_type=token", "unsupported_response_type", nil},
		{"response_mode missing", checkResponseMode, "spa", "", "", nil},
		{"response_mode query", checkResponseMode, "spa", "response_mode=query", "", nil},
		{"response_mode form_post", checkResponseMode, "spa", "response_mode=form_post", "invalid_request", nil},
		{"scope repeats dropped", checkScope, "spa", "scope=openid+email+openid", "",
			func(r *authRequest) bool { return strings.Join(r.scopes, " ") == "openid email" }},
		{"scope none", checkScope, "spa", "", "", func(r *authRequest) bool { return r.scopes == nil }},
		{"scope invalid", checkScope, "spa", "scope=a%5Cb", "invalid_scope", nil},
		{"resource known", checkResource, "spa", "resource=https://shop.test&resource=https://shop.test", "",
			func(r *authRequest) bool { return len(r.resources) == 1 }},
		{"resource unknown", checkResource, "spa", "resource=https://x.test", "invalid_target", nil},
		{"resource relative", checkResource, "spa", "resource=/api", "invalid_target", nil},
		{"PKCE S256", checkPKCE, "spa", "code_challenge=" + challenge + "&code_challenge_method=S256", "",
			func(r *authRequest) bool { return r.codeChallenge == challenge }},
		{"PKCE none for a web app", checkPKCE, "web", "", "", nil},
		{"PKCE none for a SPA", checkPKCE, "spa", "", "invalid_request", nil},
		{"PKCE plain", checkPKCE, "spa", "code_challenge=" + challenge + "&code_challenge_method=plain", "invalid_request", nil},
		{"PKCE method alone", checkPKCE, "web", "code_challenge_method=S256", "invalid_request", nil},
		{"PKCE challenge malformed", checkPKCE, "spa", "code_challenge=" + challenge[:42] + "&code_challenge_method=S256", "invalid_request", nil},
		{"prompt values", checkPrompt, "spa", "prompt=login+consent+select_account", "",
			func(r *authRequest) bool {
				return r.prompt["login"] && r.prompt["consent"] && r.prompt["select_account"]
			}},
		{"prompt none", checkPrompt, "spa", "prompt=none", "", func(r *authRequest) bool { return r.prompt["none"] }},
		{"prompt none with another", checkPrompt, "spa", "prompt=login+none", "invalid_request", nil},
		{"prompt unknown", checkPrompt, "spa", "prompt=create", "invalid_request", nil},
		{"max_age missing", checkMaxAge, "spa", "", "", func(r *authRequest) bool { return r.maxAge == -1 }},
		{"max_age 0", checkMaxAge, "spa", "max_age=0", "", func(r *authRequest) bool { return r.maxAge == 0 }},
		{"max_age negative", checkMaxAge, "spa", "max_age=-1", "invalid_request", nil},
		{"max_age fraction", checkMaxAge, "spa", "max_age=1.5", "invalid_request", nil},
		{"screen none", checkScreen, "spa", "", "", nil},
		{"interaction_mode signUp", checkScreen, "spa", "interaction_mode=signUp", "", nil},
		{"interaction_mode unknown", checkScreen, "spa", "interaction_mode=signup", "invalid_request", nil},
		{"first_screen register", checkScreen, "spa", "first_screen=register", "", nil},
		{"first_screen identifier:sign_in", checkScreen, "spa", "first_screen=identifier%3Asign_in", "", nil},
		{"first_screen resetPassword", checkScreen, "spa", "first_screen=resetPassword", "", nil},
		{"first_screen single_sign_on", checkScreen, "spa", "first_screen=single_sign_on", "invalid_request", nil},
		{"first_screen unknown", checkScreen, "spa", "first_screen=welcome", "invalid_request", nil},
		{"screen_hint signup", checkScreen, "spa", "screen_hint=signup", "", nil},
		{"screen_hint unknown", checkScreen, "spa", "screen_hint=signUp", "invalid_request", nil},
		{"hints", checkHints, "spa", "nonce=n&login_hint=jane", "",
			func(r *authRequest) bool { return r.nonce == "n" && r.loginHint == "jane" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := checkContext(t, tc.client, tc.query)
			err := tc.check(c)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %+v", err)
			case tc.want == "page" && (err == nil || err.redirect):
				t.Fatalf("got %+v, want a page", err)
			case tc.want != "" && tc.want != "page" && (err == nil || !err.redirect || err.code != tc.want):
				t.Fatalf("got %+v, want a redirect with %s", err, tc.want)
			}
			if tc.after != nil && !tc.after(c.req) {
				t.Fatalf("request after the check: %+v", c.req)
			}
		})
	}
}
