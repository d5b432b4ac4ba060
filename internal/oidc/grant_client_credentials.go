package oidc

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/monban/monban/internal/authz"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/token"
)

// clientCredentialsGrant is the client_credentials grant.
type clientCredentialsGrant struct{}

// Type implements Grant.
func (clientCredentialsGrant) Type() string { return "client_credentials" }

// EndUser implements Grant: M2M tokens need no end-user endpoints.
func (clientCredentialsGrant) EndUser() bool { return false }

func (clientCredentialsGrant) exchange(p *Provider, r *http.Request, params url.Values, ev *TokenEvent) (*tokenResponse, *Error) {
	return p.clientCredentials(r, params, ev)
}

// clientCredentials issues an M2M access token (RFC 6749 §4.4) for one
// resource (RFC 8707 "resource", or Auth0's "audience"). Granted scopes are
// the requested ones that the app's M2M roles give on that resource; others
// are dropped silently, and no scope parameter means no scopes.
func (p *Provider) clientCredentials(r *http.Request, params url.Values, ev *TokenEvent) (*tokenResponse, *Error) {
	app, err := p.authenticateClient(r, params, ev, false)
	if err != nil {
		return nil, err
	}
	if app.Type != store.AppMachineToMachine {
		return nil, &Error{Status: http.StatusBadRequest, Code: "unauthorized_client", Description: "only machine-to-machine applications may use the client_credentials grant"}
	}
	snap := p.cfg.Catalog.Load()
	res, err := tokenResource(snap.ByIndicator, params, nil)
	if err != nil {
		return nil, err
	}
	if res == nil {
		if snap.Default == nil {
			return nil, errInvalidTarget("no resource requested and no default resource is set")
		}
		res = snap.Default
	}
	if snap.Signer == nil {
		return nil, &Error{Status: http.StatusServiceUnavailable, Code: "temporarily_unavailable", Description: "no signing key is available"}
	}
	ev.Resource = res.Indicator
	scope := strings.Join(authz.Grant(strings.Fields(params.Get("scope")), snap.Authz.Scopes(authz.App(app.ID), "", res.ID)), " ")
	jti := token.NewJTI()
	var extra map[string]any
	if p.cfg.Customizer != nil {
		var cerr *Error
		extra, cerr = p.cfg.Customizer.ClientCredentials(r.Context(), ClientCredentialsInput{
			JTI: jti, Audience: res.Indicator, Scope: scope, App: app.Application,
		})
		if cerr != nil {
			return nil, cerr
		}
	}
	ttl := time.Duration(res.AccessTokenTTL) * time.Second
	at, _, serr := token.MintAccess(snap.Signer, token.Access{
		Issuer: p.issuer(r.Context()), Subject: app.ID, Audience: res.Indicator, ClientID: app.ID,
		Scope: scope, IssuedAt: p.cfg.Now(), TTL: ttl, Extra: extra,
	}, jti)
	if serr != nil {
		p.cfg.Logger.Error("signing an access token failed", "client_id", app.ID, "err", serr)
		return nil, &Error{Status: http.StatusInternalServerError, Code: "server_error", Description: "could not issue the token"}
	}
	ev.Scope = scope
	return &tokenResponse{AccessToken: at, ExpiresIn: int64(res.AccessTokenTTL), TokenType: "Bearer", Scope: scope}, nil
}
