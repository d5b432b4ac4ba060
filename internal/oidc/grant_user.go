package oidc

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/clientauth"
	"github.com/monban/monban/internal/store"
)

// userGrant authenticates the client of a user grant (authorization_code,
// refresh_token, password) and runs the grant.
func (p *Provider) userGrant(r *http.Request, gt string, params url.Values, ev *TokenEvent) (*tokenResponse, *Error) {
	if p.u == nil {
		return nil, &Error{Status: http.StatusBadRequest, Code: "unsupported_grant_type", Description: "grant_type " + gt + " is not supported"}
	}
	app, err := p.authenticateAnyClient(r, params, ev)
	if err != nil {
		return nil, err
	}
	if app.Type == store.AppMachineToMachine {
		return nil, &Error{Status: http.StatusBadRequest, Code: "unauthorized_client", Description: "machine-to-machine applications may use the client_credentials grant only"}
	}
	var minted *mintedTokens
	switch gt {
	case "authorization_code":
		minted, err = p.authorizationCode(r, app, params, ev)
	case "refresh_token":
		minted, err = p.refreshToken(r, app, params, ev)
	default:
		minted, err = p.passwordGrant(r, app, params, ev)
	}
	if err != nil {
		return nil, err
	}
	ev.Scope = minted.resp.Scope
	return &minted.resp, nil
}

// authenticateAnyClient authenticates a confidential client by its secret,
// or accepts a public client (SPA, Native) by its client_id alone; such a
// client proves itself with PKCE or its refresh token instead.
func (p *Provider) authenticateAnyClient(r *http.Request, params url.Values, ev *TokenEvent) (*catalog.App, *Error) {
	creds, err := clientauth.Parse(r, params)
	ev.ClientID = safeName(creds.ClientID)
	switch {
	case errors.Is(err, clientauth.ErrMalformed), errors.Is(err, clientauth.ErrMultipleMethods):
		return nil, errInvalidRequest(err.Error())
	case err != nil:
		return nil, invalidClient(r)
	}
	snap := p.cfg.Catalog.Load()
	if creds.Method == clientauth.MethodNone {
		app := snap.Apps[creds.ClientID]
		if app == nil || !publicClient(app.Type) {
			return nil, invalidClient(r)
		}
		return app, nil
	}
	app, err := clientauth.Authenticate(snap, p.cfg.Hasher, creds, p.cfg.Now())
	if err != nil {
		return nil, invalidClient(r)
	}
	return app, nil
}

// tokenResource picks the resource of the access token from the request's
// resource (or Auth0's audience), which must be one the grant holds. None
// means a token for the userinfo endpoint.
func (p *Provider) tokenResource(params url.Values, granted []string) (*store.Resource, *Error) {
	resources, audience := params["resource"], params.Get("audience")
	if len(resources) > 1 {
		return nil, errInvalidTarget("only one resource may be requested per token")
	}
	indicator := audience
	if len(resources) == 1 {
		if audience != "" && audience != resources[0] {
			return nil, errInvalidRequest("resource and audience name different resources")
		}
		indicator = resources[0]
	}
	if indicator == "" {
		return nil, nil
	}
	if !validIndicator(indicator) {
		return nil, errInvalidTarget("resource must be an absolute URI without a fragment")
	}
	if granted != nil && !slices.Contains(granted, indicator) {
		return nil, errInvalidTarget("the resource was not granted")
	}
	res := p.cfg.Catalog.Load().ByIndicator[indicator]
	if res == nil {
		return nil, errInvalidTarget("unknown resource")
	}
	return res, nil
}

// grantUser loads the user of a grant; a user that is gone or suspended
// ends the grant's usefulness.
func (p *Provider) grantUser(ctx context.Context, id string) (*store.User, *Error) {
	u, err := p.u.Store.GetUser(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, invalidGrant("the user no longer exists")
	case err != nil:
		p.cfg.Logger.Error("reading a user failed", "user_id", id, "err", err)
		return nil, serverError()
	case u.IsSuspended:
		return nil, invalidGrant("the user is suspended")
	}
	return &u, nil
}

// revokeGrant revokes everything issued from a grant after a replayed code
// or refresh token, and brings the revocation list up to date.
func (p *Provider) revokeGrant(ctx context.Context, grantID string) {
	ctx = context.WithoutCancel(ctx)
	if err := p.u.Store.RevokeGrant(ctx, grantID, p.cfg.Now()); err != nil && !errors.Is(err, store.ErrNotFound) {
		p.cfg.Logger.Error("revoking a grant failed", "err", err)
		return
	}
	if err := p.u.Revocations.Changed(ctx); err != nil {
		p.cfg.Logger.Error("reloading the revocation list failed", "err", err)
	}
	p.cfg.Logger.Warn("a used authorization code or refresh token was presented again; its grant is revoked")
}

// storeErr maps the store's answer to recording issued tokens.
func (p *Provider) storeErr(ctx context.Context, err error, grantID string) *Error {
	switch {
	case errors.Is(err, store.ErrAlreadyUsed):
		p.revokeGrant(ctx, grantID)
		return invalidGrant("the grant was already used; everything issued from it is revoked")
	case errors.Is(err, store.ErrNotFound):
		return invalidGrant("the grant has been revoked")
	}
	p.cfg.Logger.Error("recording issued tokens failed", "err", err)
	return serverError()
}
