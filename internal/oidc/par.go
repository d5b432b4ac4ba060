package oidc

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
)

// Pushed authorization requests (RFC 9126).
const (
	// requestURIPrefix begins every request_uri (RFC 9126 §2.2).
	requestURIPrefix = "urn:ietf:params:oauth:request_uri:"
	// PushedRequestTTL is how long a request_uri may be used.
	PushedRequestTTL = 60 * time.Second
	// maxRequestURILen bounds a request_uri at the authorization endpoint.
	maxRequestURILen = len(requestURIPrefix) + 64
)

// clientAuthParams are the parameters of client authentication: a pushed
// request is authenticated by them and does not keep them.
var clientAuthParams = []string{"client_secret", "client_assertion", "client_assertion_type"}

// pushedResponse is the PAR endpoint's answer (RFC 9126 §2.2).
type pushedResponse struct {
	RequestURI string `json:"request_uri"`
	ExpiresIn  int    `json:"expires_in"`
}

// servePushedRequest is the pushed authorization request endpoint (RFC
// 9126 §2): the client authenticates as at the token endpoint (a public
// one by its client_id), its request is checked exactly as the
// authorization endpoint checks one, and is stored for PushedRequestTTL
// under a request_uri that the authorization endpoint takes once.
func (p *Provider) servePushedRequest(w http.ResponseWriter, r *http.Request) {
	p.cors(w, r)
	params, perr := tokenParams(w, r)
	if perr != nil {
		p.writeError(w, r, perr)
		return
	}
	app, err := p.authenticateClient(r, params, &TokenEvent{}, true)
	if err == nil {
		params, err = pushedParams(params, app.ID, app.Type)
	}
	if err == nil {
		err = p.pushedBinding(r, params)
	}
	if err != nil {
		p.writeError(w, r, err)
		return
	}
	req, aerr := p.parseCheckedRequest(p.profile(r.Context()), params)
	if aerr != nil {
		p.writeError(w, r, pushedError(aerr))
		return
	}
	uri, err := p.storePushedRequest(r.Context(), req)
	if err != nil {
		p.writeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusCreated)
	_ = httpjson.Encode(w, pushedResponse{RequestURI: uri, ExpiresIn: int(PushedRequestTTL / time.Second)})
}

// pushedParams are the authorization parameters of a pushed request from
// the authenticated client clientID: without its credentials, with its
// client_id. A request_uri cannot be pushed (RFC 9126 §2.1), nor a
// client_id of another client.
func pushedParams(params url.Values, clientID string, typ store.AppType) (url.Values, *Error) {
	if typ == store.AppMachineToMachine {
		return nil, &Error{Status: http.StatusBadRequest, Code: "unauthorized_client", Description: "machine-to-machine applications do not sign users in"}
	}
	if params.Has("request_uri") {
		return nil, errInvalidRequest("request_uri must not be pushed")
	}
	if id := params.Get("client_id"); id != "" && id != clientID {
		return nil, errInvalidRequest("client_id does not name the authenticated client")
	}
	out := make(url.Values, len(params))
	for k, v := range params {
		out[k] = v
	}
	for _, k := range clientAuthParams {
		delete(out, k)
	}
	out.Set("client_id", clientID)
	return out, nil
}

// pushedError is the PAR endpoint's answer to a request the authorization
// endpoint would refuse: the same code, or invalid_request where it would
// show a page (the client or redirect URI cannot be trusted).
func pushedError(e *authError) *Error {
	code := e.code
	if !e.redirect {
		code = "invalid_request"
	}
	return &Error{Status: http.StatusBadRequest, Code: code, Description: e.desc}
}

// storePushedRequest stores the checked request and returns its
// request_uri.
func (p *Provider) storePushedRequest(ctx context.Context, req *authRequest) (string, *Error) {
	secret := randid.Secret(32)
	now := p.cfg.Now()
	pr := store.PushedRequest{
		ID: hashToken(secret), ClientID: req.app.ID, Issuer: p.issuer(ctx), Request: req.params.Encode(),
		CreatedAt: now, ExpiresAt: now.Add(PushedRequestTTL),
	}
	if err := p.u.Store.CreatePushedRequest(context.WithoutCancel(ctx), pr); err != nil {
		if !errors.Is(err, store.ErrUnavailable) {
			p.cfg.Logger.Error("storing a pushed authorization request failed", "client_id", req.app.ID, "err", err)
		}
		return "", &Error{Status: http.StatusServiceUnavailable, Code: "temporarily_unavailable", Description: "could not store the request; try again"}
	}
	return requestURIPrefix + secret, nil
}

// Messages of the authorization endpoint's refusals of a request_uri.
const (
	msgPushedOnly   = "With request_uri, the authorization request may hold client_id and nothing else (RFC 9126 §4): every other parameter belongs in the pushed request."
	msgRequestURI   = "invalid_request_uri: the request_uri is unknown, expired, already used, or was pushed by another client."
	msgPushedFailed = "The pushed request could not be read; try again."
)

// takePushedRequest answers an authorization request that names a
// request_uri with the parameters pushed under it, once: the request may
// hold its client_id besides and nothing else, and the request_uri must
// be unused, unexpired, pushed by that client to this face. On failure it
// has answered with a page (no redirect URI is trusted yet) and returns
// nil.
func (p *Provider) takePushedRequest(w http.ResponseWriter, r *http.Request, params url.Values) url.Values {
	for k, v := range params {
		if (k != "client_id" && k != "request_uri") || len(v) != 1 {
			p.errorPage(w, http.StatusBadRequest, msgPushedOnly)
			return nil
		}
	}
	uri, clientID := params.Get("request_uri"), params.Get("client_id")
	secret, ok := strings.CutPrefix(uri, requestURIPrefix)
	if !ok || secret == "" || len(uri) > maxRequestURILen || clientID == "" {
		p.errorPage(w, http.StatusBadRequest, msgRequestURI)
		return nil
	}
	pr, err := p.u.Store.TakePushedRequest(context.WithoutCancel(r.Context()), hashToken(secret))
	switch {
	case errors.Is(err, store.ErrNotFound):
		p.errorPage(w, http.StatusBadRequest, msgRequestURI)
		return nil
	case err != nil:
		if !errors.Is(err, store.ErrUnavailable) {
			p.cfg.Logger.Error("reading a pushed authorization request failed", "err", err)
		}
		w.Header().Set("Retry-After", "5")
		p.errorPage(w, http.StatusServiceUnavailable, msgPushedFailed)
		return nil
	}
	if subtle.ConstantTimeCompare([]byte(pr.ClientID), []byte(clientID)) != 1 || !p.cfg.Now().Before(pr.ExpiresAt) ||
		p.faceOf(pr.Issuer) != p.profile(r.Context()) {
		p.errorPage(w, http.StatusBadRequest, msgRequestURI)
		return nil
	}
	pushed, err := url.ParseQuery(pr.Request)
	if err != nil { // written by storePushedRequest: cannot happen
		p.cfg.Logger.Error("a stored pushed authorization request is malformed", "client_id", pr.ClientID)
		p.errorPage(w, http.StatusInternalServerError, msgPushedFailed)
		return nil
	}
	return pushed
}
