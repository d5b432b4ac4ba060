package oidc

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/monban/monban/internal/browser"
	"github.com/monban/monban/internal/webpage"

	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/token"
)

// serveEndSession is RP-initiated logout (OpenID Connect RP-Initiated
// Logout 1.0). With a valid id_token_hint for the signed-in user the
// session ends at once; otherwise the user confirms on a page first, so
// that a link elsewhere cannot sign them out. post_logout_redirect_uri must
// exactly match one the client registered; it is never followed otherwise.
func (p *Provider) serveEndSession(w http.ResponseWriter, r *http.Request) {
	params, err := authParams(w, r)
	if err != nil {
		p.errorPage(w, http.StatusBadRequest, "The request is malformed.")
		return
	}
	p.endSession(w, r, params, false)
}

// serveEndSessionConfirm is the confirmation form's target.
func (p *Provider) serveEndSessionConfirm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	if err := r.ParseForm(); err != nil || len(r.PostForm["request"]) > 1 || len(r.PostForm["csrf"]) > 1 {
		p.errorPage(w, http.StatusBadRequest, "The form is malformed.")
		return
	}
	if !p.u.cookies.CheckCSRF(r, r.PostForm.Get("csrf")) {
		p.errorPage(w, http.StatusForbidden, "The sign-out form has expired. Please try again.")
		return
	}
	params, err := url.ParseQuery(r.PostForm.Get("request"))
	if err != nil {
		p.errorPage(w, http.StatusBadRequest, "The form is malformed.")
		return
	}
	p.endSession(w, r, params, true)
}

func (p *Provider) endSession(w http.ResponseWriter, r *http.Request, params url.Values, confirmed bool) {
	for name, vals := range params {
		if len(vals) > 1 {
			p.errorPage(w, http.StatusBadRequest, "A parameter is repeated: "+safeName(name)+".")
			return
		}
		if len(vals[0]) > 2*maxParamLen {
			p.errorPage(w, http.StatusBadRequest, "A parameter is too long.")
			return
		}
	}
	snap := p.cfg.Catalog.Load()
	clientID, redirect := params.Get("client_id"), params.Get("post_logout_redirect_uri")
	var hint *token.IDTokenHint
	if raw := params.Get("id_token_hint"); raw != "" {
		var err error
		if hint, err = token.ParseIDTokenHint(snap.Keys, p.issuer(r.Context()), raw); err != nil {
			p.errorPage(w, http.StatusBadRequest, "The id_token_hint is not an ID token issued here.")
			return
		}
		switch {
		case clientID == "" && len(hint.Audience) > 0:
			clientID = hint.Audience[0]
		case clientID != "" && !slices.Contains(hint.Audience, clientID):
			p.errorPage(w, http.StatusBadRequest, "The id_token_hint was not issued to this client.")
			return
		}
	}
	var app *catalog.App
	if clientID != "" {
		if app = snap.Apps[clientID]; app == nil {
			p.errorPage(w, http.StatusBadRequest, "The application is unknown.")
			return
		}
	}
	if redirect != "" && (app == nil || !slices.Contains(app.PostLogoutRedirectURIs, redirect) || hasUserInfo(redirect)) {
		p.errorPage(w, http.StatusBadRequest, "The post_logout_redirect_uri is not registered for this application.")
		return
	}
	sess, _ := p.currentSession(r)
	if !confirmed && sess != nil && (hint == nil || hint.Subject != sess.UserID) {
		name := ""
		if app != nil {
			name = app.Name
		}
		p.u.pages.render(w, http.StatusOK, "logout", pageData{Frame: webpage.Frame{Title: "Sign out"}, AppName: name,
			Action: p.u.Endpoint + p.profile(r.Context()).EndSessionConfirm.path(), CSRF: p.u.cookies.CSRF(w, r), Request: params.Encode()})
		return
	}
	if sess != nil {
		if err := p.u.Store.DeleteSession(context.WithoutCancel(r.Context()), sess.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			p.cfg.Logger.Error("ending a session failed", "err", err)
			p.errorPage(w, http.StatusInternalServerError, "Could not sign you out. Please try again.")
			return
		}
	}
	p.setCookie(w, browser.SessionCookie, "", -1)
	if redirect == "" {
		p.u.pages.render(w, http.StatusOK, "signedout", pageData{Frame: webpage.Frame{Title: "Signed out"}})
		return
	}
	u, err := url.Parse(redirect)
	if err != nil {
		p.errorPage(w, http.StatusBadRequest, "The post_logout_redirect_uri is malformed.")
		return
	}
	if state := params.Get("state"); state != "" {
		q := u.Query()
		q.Set("state", state)
		u.RawQuery = q.Encode()
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

// serveLogout is Auth0's logout (GET /v2/logout?client_id&returnTo): it
// ends the browser's session at once, without confirmation, as Auth0's
// does, and sends the browser to returnTo only when that is exactly one
// of the application's allowed logout URLs (its post-logout redirect
// URIs). Any other returnTo, or one without a known client_id, gets a
// page and ends nothing: it is never followed, so the endpoint cannot be
// used as an open redirect. Without returnTo the user sees the signed-out
// page.
func (p *Provider) serveLogout(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		// HEAD (which GET's route also takes) ends nothing: link checkers
		// and prefetchers send it.
		w.Header().Set("Allow", "GET")
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	params, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		p.errorPage(w, http.StatusBadRequest, "The request is malformed.")
		return
	}
	for name, vals := range params {
		if len(vals) > 1 {
			p.errorPage(w, http.StatusBadRequest, "A parameter is repeated: "+safeName(name)+".")
			return
		}
		if len(vals[0]) > 2*maxParamLen {
			p.errorPage(w, http.StatusBadRequest, "A parameter is too long.")
			return
		}
	}
	clientID, returnTo := params.Get("client_id"), params.Get("returnTo")
	var app *catalog.App
	if clientID != "" {
		if app = p.cfg.Catalog.Load().Apps[clientID]; app == nil {
			p.errorPage(w, http.StatusBadRequest, "The application is unknown.")
			return
		}
	}
	if returnTo != "" && (app == nil || !slices.Contains(app.PostLogoutRedirectURIs, returnTo) || hasUserInfo(returnTo)) {
		p.errorPage(w, http.StatusBadRequest, "The returnTo URL is not one of the application's allowed logout URLs.")
		return
	}
	if sess, _ := p.currentSession(r); sess != nil {
		if err := p.u.Store.DeleteSession(context.WithoutCancel(r.Context()), sess.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			p.cfg.Logger.Error("ending a session failed", "err", err)
			p.errorPage(w, http.StatusInternalServerError, "Could not sign you out. Please try again.")
			return
		}
	}
	p.setCookie(w, browser.SessionCookie, "", -1)
	w.Header().Set("Cache-Control", "no-store")
	if returnTo == "" {
		p.u.pages.render(w, http.StatusOK, "signedout", pageData{Frame: webpage.Frame{Title: "Signed out"}})
		return
	}
	http.Redirect(w, r, returnTo, http.StatusFound)
}
