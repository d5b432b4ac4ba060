package oidc

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/monban/monban/internal/rbac"
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
	app, err := p.authenticateClient(r, params, ev)
	if err != nil {
		return nil, err
	}
	if app.Type != store.AppMachineToMachine {
		return nil, &Error{Status: http.StatusBadRequest, Code: "unauthorized_client", Description: "only machine-to-machine applications may use the client_credentials grant"}
	}
	snap := p.cfg.Catalog.Load()
	res, err := p.targetResource(snap.ByIndicator, snap.Default, params)
	if err != nil {
		return nil, err
	}
	if snap.Signer == nil {
		return nil, &Error{Status: http.StatusServiceUnavailable, Code: "temporarily_unavailable", Description: "no signing key is available"}
	}
	ev.Resource = res.Indicator
	scope := strings.Join(rbac.Grant(strings.Fields(params.Get("scope")), snap.Grants.AppScopes(app.ID, res.ID)), " ")
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
		Issuer: p.cfg.Issuer, Subject: app.ID, Audience: res.Indicator, ClientID: app.ID,
		Scope: scope, IssuedAt: p.cfg.Now(), TTL: ttl, Extra: extra,
	}, jti)
	if serr != nil {
		p.cfg.Logger.Error("signing an access token failed", "client_id", app.ID, "err", serr)
		return nil, &Error{Status: http.StatusInternalServerError, Code: "server_error", Description: "could not issue the token"}
	}
	ev.Scope = scope
	return &tokenResponse{AccessToken: at, ExpiresIn: int64(res.AccessTokenTTL), TokenType: "Bearer", Scope: scope}, nil
}

// targetResource picks the resource a client_credentials token is for.
func (p *Provider) targetResource(byIndicator map[string]*store.Resource, def *store.Resource, params url.Values) (*store.Resource, *Error) {
	resources := params["resource"]
	audience := params.Get("audience")
	if len(resources) > 1 {
		return nil, errInvalidTarget("only one resource may be requested with the client_credentials grant")
	}
	indicator := audience
	if len(resources) == 1 {
		if audience != "" && audience != resources[0] {
			return nil, errInvalidRequest("resource and audience name different resources")
		}
		indicator = resources[0]
	}
	if indicator == "" {
		if def == nil {
			return nil, errInvalidTarget("no resource requested and no default resource is set")
		}
		return def, nil
	}
	if !validIndicator(indicator) {
		return nil, errInvalidTarget("resource must be an absolute URI without a fragment")
	}
	res := byIndicator[indicator]
	if res == nil {
		return nil, errInvalidTarget("unknown resource")
	}
	return res, nil
}

// validIndicator reports whether s is an absolute URI without a fragment
// (RFC 8707 §2).
func validIndicator(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.IsAbs() && u.Fragment == "" && !strings.Contains(s, "#")
}
