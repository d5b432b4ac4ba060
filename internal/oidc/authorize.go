package oidc

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/interaction"
	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
)

// OIDC scopes Monban knows. Any other scope is a resource permission.
var oidcScopes = map[string]bool{
	"openid": true, "profile": true, "email": true, "phone": true, "address": true,
	"offline_access": true, "roles": true, "custom_data": true,
	ScopeOrganizations: true, ScopeOrganizationRoles: true,
}

// maxResources bounds the resources of one authorization request.
const maxResources = 10

// authRequest is a validated authorization request (RFC 6749 §4.1.1 with
// PKCE, RFC 7636, and resource indicators, RFC 8707).
type authRequest struct {
	params        url.Values // as received, kept in the sign-in interaction
	app           *catalog.App
	redirectURI   string
	state         string
	nonce         string
	scopes        []string
	resources     []string
	codeChallenge string
	prompt        map[string]bool
	maxAge        int // -1: none
	// acrMFA: acr_values asks for a second factor
	// (interaction.ACRMultiFactor); a session without one signs in again.
	acrMFA    bool
	loginHint string
	dpopJKT   string // the DPoP key the code is bound to (dpop_jkt)
}

// authError is a failed authorization request. With redirect false the
// client or redirect URI could not be trusted, so the user sees a page and
// is not sent anywhere.
type authError struct {
	redirect bool
	code     string
	desc     string
}

func pageError(desc string) *authError { return &authError{desc: desc} }

func redirectError(code, desc string) *authError {
	return &authError{redirect: true, code: code, desc: desc}
}

// publicClient reports whether an app cannot keep a secret.
func publicClient(t store.AppType) bool { return t == store.AppSPA || t == store.AppNative }

// validPKCE reports whether s has the form of a code_verifier or an S256
// code_challenge: 43 to 128 unreserved characters (RFC 7636 §4.1).
func validPKCE(s string) bool {
	if len(s) < 43 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}

// redirectTo sends the browser to the client's redirect URI with params,
// the state and the issuer (RFC 9207).
func (p *Provider) redirectTo(w http.ResponseWriter, r *http.Request, req *authRequest, params url.Values) {
	u, err := url.Parse(req.redirectURI)
	if err != nil { // registered URIs are validated; cannot happen
		p.errorPage(w, http.StatusInternalServerError, "The redirect URI is malformed.")
		return
	}
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	if req.state != "" {
		q.Set("state", req.state)
	}
	q.Set("iss", p.issuer(r.Context()))
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

// fail answers a failed authorization request.
func (p *Provider) failAuth(w http.ResponseWriter, r *http.Request, req *authRequest, e *authError) {
	if !e.redirect || req == nil {
		p.errorPage(w, http.StatusBadRequest, e.desc)
		return
	}
	p.redirectTo(w, r, req, url.Values{"error": {e.code}, "error_description": {e.desc}})
}

// authParams reads the parameters of GET (query) or POST (form) requests.
func authParams(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return url.ParseQuery(r.URL.RawQuery)
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	if err := r.ParseForm(); err != nil {
		return nil, err
	}
	return r.PostForm, nil
}

// serveAuthorize is the authorization endpoint. A request naming a
// request_uri is the request pushed under it (RFC 9126). With a valid
// session it answers at once with a code; otherwise it stores the checked request as
// an interaction and sends the browser to its sign-in page, or answers
// login_required for prompt=none.
func (p *Provider) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	params, err := authParams(w, r)
	if err != nil {
		p.errorPage(w, http.StatusBadRequest, "The request is malformed.")
		return
	}
	var (
		req  *authRequest
		aerr *authError
	)
	if params.Has("request_uri") {
		if params = p.takePushedRequest(w, r, params); params == nil {
			return
		}
		req, aerr = p.parseCheckedRequest(p.profile(r.Context()), params)
	} else {
		req, aerr = p.parseAuthRequest(p.profile(r.Context()), params)
	}
	if aerr != nil {
		p.failAuth(w, r, req, aerr)
		return
	}
	sess, user := p.currentSession(r)
	needLogin := sess == nil || req.prompt["login"] || req.prompt["select_account"] ||
		(req.maxAge >= 0 && p.cfg.Now().Sub(sess.AuthTime) > time.Duration(req.maxAge)*time.Second) ||
		(req.acrMFA && !interaction.HasMFA(sess.SignIn.Verifications))
	if needLogin {
		if req.prompt["none"] {
			p.failAuth(w, r, req, redirectError("login_required", "the user is not signed in"))
			return
		}
		it := p.startInteraction(w, r, req)
		if it == nil {
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Referrer-Policy", "no-referrer")
		http.Redirect(w, r, p.signInURL(it), http.StatusSeeOther)
		return
	}
	// Every app is first-party, so consent is implied, prompt=consent too.
	p.issueCode(w, r, req, sess, user)
}

// currentSession returns the browser's live session and its user, or nils.
func (p *Provider) currentSession(r *http.Request) (*store.Session, *store.User) {
	c, err := r.Cookie(p.sessionCookieName())
	if err != nil || c.Value == "" || len(c.Value) > 128 {
		return nil, nil
	}
	sess, err := p.u.Store.GetSession(r.Context(), hashToken(c.Value))
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			p.cfg.Logger.Error("reading a session failed", "err", err)
		}
		return nil, nil
	}
	if !p.cfg.Now().Before(sess.ExpiresAt) {
		return nil, nil
	}
	user, err := p.u.Store.GetUser(r.Context(), sess.UserID)
	if err != nil || user.IsSuspended {
		return nil, nil
	}
	return &sess, &user
}

// issueCode records the grant with a fresh authorization code and sends the
// browser back to the client with it (true), or with server_error.
func (p *Provider) issueCode(w http.ResponseWriter, r *http.Request, req *authRequest, sess *store.Session, user *store.User) bool {
	now := p.cfg.Now()
	code := randid.Secret(32)
	g := store.Grant{
		ID: randid.ID(), UserID: user.ID, ClientID: req.app.ID, Scope: strings.Join(req.scopes, " "),
		Resources: req.resources, AuthTime: sess.AuthTime, SignIn: sess.SignIn, CreatedAt: now, ExpiresAt: now.Add(p.u.CodeTTL),
	}
	c := store.AuthCode{
		ID: hashToken(code), GrantID: g.ID, ClientID: req.app.ID, UserID: user.ID, RedirectURI: req.redirectURI,
		Scope: g.Scope, Resources: req.resources, Nonce: req.nonce, CodeChallenge: req.codeChallenge, Issuer: p.issuer(r.Context()),
		DPoPJKT: req.dpopJKT, AuthTime: sess.AuthTime, CreatedAt: now, ExpiresAt: g.ExpiresAt,
	}
	// Not cancelled with the request: a half-written grant helps no one.
	if err := p.u.Store.CreateGrant(context.WithoutCancel(r.Context()), g, &c); err != nil {
		p.cfg.Logger.Error("storing an authorization code failed", "client_id", req.app.ID, "err", err)
		p.failAuth(w, r, req, redirectError("server_error", "could not complete the sign-in"))
		return false
	}
	p.redirectTo(w, r, req, url.Values{"code": {code}})
	return true
}

// hasUserInfo reports whether a redirect URI holds a user-info part
// (https://app.example@evil.example/cb reads as app.example but leads to
// evil.example). Registration refuses them; one stored before that is
// never honoured either.
func hasUserInfo(uri string) bool {
	u, err := url.Parse(uri)
	return err != nil || u.User != nil
}
