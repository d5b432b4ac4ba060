package oidc

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/interaction"
	"github.com/monban/monban/internal/store"
)

// authCheck is one named check of an authorization request. The checks
// run in order (see authChecks) over one authContext; the first error
// wins.
type authCheck struct {
	name string
	run  func(c *authContext) *authError
}

// authContext is an authorization request being checked: the parameters
// as received, the catalog snapshot they are checked against, and the
// request built so far. req is nil until the client and its redirect URI
// are trusted; until then every error is a page, never a redirect.
type authContext struct {
	face   *Profile // the face whose authorization endpoint received it
	params url.Values
	snap   *catalog.Snapshot
	req    *authRequest
	// pushed: the parameters were pushed (RFC 9126) or were checked
	// before (an interaction resumes them), not read from a browser's
	// query.
	pushed bool
	// federated is the provider's Config.Federated.
	federated func(ctx context.Context, name string) bool
	// dpop: DPoP is offered, so dpop_jkt is taken.
	dpop bool
}

// authChecks are the checks of an authorization request, in the order
// that decides which error wins. The first three fail on a page (the
// client or its redirect URI cannot be trusted); the others go back to the
// client's redirect URI.
var authChecks = []authCheck{
	{"parameters", checkParameters},
	{"client", checkClient},
	{"redirect_uri", checkRedirectURI},
	{"pushed", checkPushed},
	{"repeated", checkRepeated},
	{"request_object", checkRequestObject},
	{"response_type", checkResponseType},
	{"response_mode", checkResponseMode},
	{"scope", checkScope},
	{"resource", checkResource},
	{"connection", checkConnection},
	{"pkce", checkPKCE},
	{"dpop_jkt", checkDPoPJKT},
	{"prompt", checkPrompt},
	{"max_age", checkMaxAge},
	{"screen", checkScreen},
	{"hints", checkHints},
}

// parseAuthRequest checks the parameters of an authorization request
// read from a browser's query or form (see checkAuthRequest).
func (p *Provider) parseAuthRequest(f *Profile, params url.Values) (*authRequest, *authError) {
	return p.checkAuthRequest(f, params, false)
}

// parseCheckedRequest checks the parameters of a pushed authorization
// request (RFC 9126) as it is pushed and used, or of a request checked
// before, which a sign-in interaction resumes. An app that requires pushed
// requests takes no others (checkPushed).
func (p *Provider) parseCheckedRequest(f *Profile, params url.Values) (*authRequest, *authError) {
	return p.checkAuthRequest(f, params, true)
}

// checkAuthRequest checks the parameters of an authorization request by
// running authChecks in order. With an error, the request is returned as
// far as it was built (nil before the redirect URI is trusted).
func (p *Provider) checkAuthRequest(f *Profile, params url.Values, pushed bool) (*authRequest, *authError) {
	c := &authContext{face: f, params: params, snap: p.cfg.Catalog.Load(), pushed: pushed, federated: p.cfg.Federated,
		dpop: p.senderBound()}
	for _, check := range authChecks {
		if err := check.run(c); err != nil {
			return c.req, err
		}
	}
	return c.req, nil
}

// checkParameters refuses over-long values, NUL bytes and invalid UTF-8
// in any parameter.
func checkParameters(c *authContext) *authError {
	for _, vals := range c.params {
		for _, v := range vals {
			if len(v) > maxParamLen || strings.IndexByte(v, 0) >= 0 || !utf8.ValidString(v) {
				return pageError("The request has a malformed or over-long parameter.")
			}
		}
	}
	return nil
}

// checkClient requires client_id and redirect_uri at most once each, and
// a client_id naming an application that can sign users in.
func checkClient(c *authContext) *authError {
	if len(c.params["client_id"]) > 1 || len(c.params["redirect_uri"]) > 1 {
		return pageError("client_id and redirect_uri must be given once.")
	}
	clientID := c.params.Get("client_id")
	if clientID == "" {
		return pageError("The request names no client (client_id).")
	}
	if app := c.snap.Apps[clientID]; app == nil || app.Type == store.AppMachineToMachine {
		return pageError("The application is unknown or cannot sign users in.")
	}
	return nil
}

// checkRedirectURI requires a redirect_uri registered for the client,
// exactly, and without a user-info part. From here on errors go to it.
func checkRedirectURI(c *authContext) *authError {
	app := c.snap.Apps[c.params.Get("client_id")]
	redirectURI := c.params.Get("redirect_uri")
	if redirectURI == "" || !slices.Contains(app.RedirectURIs, redirectURI) || hasUserInfo(redirectURI) {
		return pageError("The redirect_uri is not registered for this application.")
	}
	c.req = &authRequest{params: c.params, app: app, redirectURI: redirectURI, maxAge: -1, prompt: map[string]bool{},
		state: c.params.Get("state")}
	return nil
}

// checkPushed refuses a request that was not pushed from an app that
// requires pushed authorization requests (RFC 9126 §5).
func checkPushed(c *authContext) *authError {
	if c.req.app.RequirePAR && !c.pushed {
		return redirectError("invalid_request", "this application requires pushed authorization requests (PAR): push the request first and send its request_uri")
	}
	return nil
}

// checkRepeated refuses any parameter but resource given more than once.
func checkRepeated(c *authContext) *authError {
	for name, vals := range c.params {
		if len(vals) > 1 && name != "resource" {
			return redirectError("invalid_request", "parameter "+safeName(name)+" is repeated")
		}
	}
	return nil
}

// checkRequestObject refuses request objects, by value or by reference.
func checkRequestObject(c *authContext) *authError {
	if c.params.Has("request") {
		return redirectError("request_not_supported", "request objects are not supported")
	}
	if c.params.Has("request_uri") {
		return redirectError("request_uri_not_supported", "request_uri is not supported")
	}
	return nil
}

// checkResponseType requires response_type=code.
func checkResponseType(c *authContext) *authError {
	switch c.params.Get("response_type") {
	case "code":
		return nil
	case "":
		return redirectError("invalid_request", "response_type is required")
	}
	return redirectError("unsupported_response_type", "only response_type=code is supported")
}

// checkResponseMode allows no response_mode, or query.
func checkResponseMode(c *authContext) *authError {
	if rm := c.params.Get("response_mode"); rm != "" && rm != "query" {
		return redirectError("invalid_request", "only response_mode=query is supported")
	}
	return nil
}

// checkScope parses the scope parameter (see requestedScopes).
func checkScope(c *authContext) *authError {
	scopes, err := requestedScopes(c.params.Get("scope"))
	if err != nil {
		return redirectError(err.Code, err.Description)
	}
	c.req.scopes = scopes
	return nil
}

// checkResource requires every resource, and Auth0's audience, which
// names one the same way, to be a valid indicator of a known resource, and
// at most maxResources of them (repeats dropped).
func checkResource(c *authContext) *authError {
	indicators := c.params["resource"]
	if aud := c.params.Get("audience"); aud != "" {
		indicators = append(slices.Clip(indicators), aud)
	}
	for _, ind := range indicators {
		if !validIndicator(ind) {
			return redirectError("invalid_target", "resource must be an absolute URI without a fragment")
		}
		if c.snap.ByIndicator[ind] == nil {
			return redirectError("invalid_target", "unknown resource")
		}
		if !slices.Contains(c.req.resources, ind) {
			c.req.resources = append(c.req.resources, ind)
		}
	}
	if len(c.req.resources) > maxResources {
		return redirectError("invalid_target", "too many resources")
	}
	return nil
}

// checkConnection allows Auth0's connection parameter only when it names
// a database connection of the face (all of them are Monban's one user
// directory) or an upstream provider's connection (Config.Federated),
// which the hosted pages then go to directly; a face without connections
// knows no connection parameter.
func checkConnection(c *authContext) *authError {
	if !c.params.Has("connection") {
		return nil
	}
	conn := c.params.Get("connection")
	if len(c.face.Connections) == 0 {
		return redirectError("invalid_request", "the connection parameter is not supported here")
	}
	if slices.Contains(c.face.Connections, conn) || c.federated != nil && conn != "" && c.federated(context.Background(), conn) {
		return nil
	}
	return redirectError("invalid_request", "the connection was not found; the database connection is "+strings.Join(c.face.Connections, ", "))
}

// checkPKCE allows only S256 challenges of the right form, and requires
// one from public clients.
func checkPKCE(c *authContext) *authError {
	challenge, method := c.params.Get("code_challenge"), c.params.Get("code_challenge_method")
	switch {
	case challenge == "" && method != "":
		return redirectError("invalid_request", "code_challenge_method without code_challenge")
	case challenge != "" && method != "S256":
		return redirectError("invalid_request", "code_challenge_method must be S256 (plain is not allowed)")
	case challenge != "" && !validPKCE(challenge):
		return redirectError("invalid_request", "code_challenge is malformed")
	case challenge == "" && publicClient(c.req.app.Type):
		return redirectError("invalid_request", "PKCE (code_challenge with S256) is required for this client")
	}
	c.req.codeChallenge = challenge
	return nil
}

// checkPrompt allows the known prompt values, none only alone.
func checkPrompt(c *authContext) *authError {
	for _, v := range strings.Fields(c.params.Get("prompt")) {
		switch v {
		case "none", "login", "consent", "select_account":
			c.req.prompt[v] = true
		default:
			return redirectError("invalid_request", "unsupported prompt value")
		}
	}
	if c.req.prompt["none"] && len(c.req.prompt) > 1 {
		return redirectError("invalid_request", "prompt=none cannot be combined with other values")
	}
	return nil
}

// checkMaxAge requires max_age, if given, to be a non-negative integer.
func checkMaxAge(c *authContext) *authError {
	v := c.params.Get("max_age")
	if v == "" {
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return redirectError("invalid_request", "max_age must be a non-negative integer")
	}
	c.req.maxAge = n
	return nil
}

// screenValues are the values the hosted pages know of the parameters
// that choose their first screen: Logto's interaction_mode and
// first_screen (snake_case as Logto's SDKs send, camelCase as older ones
// did), Auth0's screen_hint.
var screenValues = map[string][]string{
	"interaction_mode": {"signIn", "signUp"},
	"first_screen": {"sign_in", "signIn", "register", "reset_password", "resetPassword",
		"identifier:sign_in", "identifierSignIn", "identifier:register", "identifierRegister"},
	"screen_hint": {"signup", "login"},
}

// checkScreen refuses a value of the first-screen parameters the hosted
// pages do not know (single sign-on among them, not offered here).
func checkScreen(c *authContext) *authError {
	for _, name := range []string{"interaction_mode", "first_screen", "screen_hint"} {
		if v := c.params.Get(name); v != "" && !slices.Contains(screenValues[name], v) {
			return redirectError("invalid_request", "unsupported "+name+" value; use one of "+strings.Join(screenValues[name], ", "))
		}
	}
	return nil
}

// checkHints keeps the nonce and login_hint, which need no checking, and
// whether acr_values asks for a second factor (its other values are
// voluntary and have no class here, so they ask for nothing more, as
// OpenID Connect Core §3.1.2.1 allows).
func checkHints(c *authContext) *authError {
	c.req.acrMFA = slices.Contains(strings.Fields(c.params.Get("acr_values")), interaction.ACRMultiFactor)
	c.req.nonce = c.params.Get("nonce")
	c.req.loginHint = c.params.Get("login_hint")
	return nil
}
