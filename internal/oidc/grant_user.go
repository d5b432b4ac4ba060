package oidc

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
)

// userGrant is a grant that issues tokens for an end user
// (authorization_code, refresh_token, password): it authenticates the
// client, which may be public, and refuses machine-to-machine apps before
// its mint step runs.
type userGrant struct {
	typ string
	// realm: the grant names a database connection (realm), and only a
	// face with connections offers it.
	realm bool
	// passwordless: Auth0's passwordless OTP grant, offered only by a
	// face with Profile.Passwordless.
	passwordless bool
	// organizations: the grant issues organization tokens
	// (organization_id); the others refuse the parameter.
	organizations bool
	mint          func(p *Provider, r *http.Request, app *catalog.App, params url.Values, ev *TokenEvent) (*mintedTokens, *Error)
}

// Type implements Grant.
func (g userGrant) Type() string { return g.typ }

// EndUser implements Grant: a user grant needs the end-user endpoints.
func (userGrant) EndUser() bool { return true }

func (g userGrant) exchange(p *Provider, r *http.Request, params url.Values, ev *TokenEvent) (*tokenResponse, *Error) {
	app, err := p.authenticateClient(r, params, ev, true)
	if err != nil {
		return nil, err
	}
	if app.Type == store.AppMachineToMachine {
		return nil, &Error{Status: http.StatusBadRequest, Code: "unauthorized_client", Description: "machine-to-machine applications may use the client_credentials grant only"}
	}
	if !g.organizations {
		if err := refuseOrganization(params); err != nil {
			return nil, err
		}
	}
	minted, err := g.mint(p, r, app, params, ev)
	if err != nil {
		return nil, err
	}
	ev.Scope = minted.resp.Scope
	return &minted.resp, nil
}

// grantedTokens names what a redeemed authorization (an authorization
// code, an approved device code) was issued for: the user, the stored
// grant, the ID token's nonce and the grant type the tokens record.
type grantedTokens struct {
	userID, grantID, nonce, gty string
}

// mintFromGrant mints the tokens of a redeemed authorization for app: the
// user (who must still be allowed to sign in), the grant's scopes, and
// the resource asked for among the grant's; a refresh token when the
// grant holds offline_access.
func (p *Provider) mintFromGrant(r *http.Request, params url.Values, app *catalog.App, ev *TokenEvent, g grantedTokens) (*mintedTokens, *Error) {
	ctx := r.Context()
	user, gerr := p.grantUser(ctx, g.userID)
	if gerr != nil {
		return nil, gerr
	}
	grant, gerr := p.readGrant(ctx, g.grantID)
	if gerr != nil {
		return nil, gerr
	}
	res, terr := p.grantResource(ctx, params, grant.Resources, ev)
	if terr != nil {
		return nil, terr
	}
	scopes := strings.Fields(grant.Scope)
	return p.mintUserTokens(ctx, userTokenRequest{
		req: p.requestInfo(r, params),
		app: app, user: user, grant: grant, scopes: scopes, resource: res, nonce: g.nonce,
		refresh: slices.Contains(scopes, "offline_access"), gty: g.gty,
	})
}

// readGrant loads the grant a code or refresh token was issued from; one
// that is gone has been revoked.
func (p *Provider) readGrant(ctx context.Context, id string) (*store.Grant, *Error) {
	grant, err := p.u.Store.GetGrant(ctx, id)
	if e := p.readErr(err, "a grant", "the grant has been revoked"); e != nil {
		return nil, e
	}
	return &grant, nil
}

// readErr is the answer to a failed read of what a grant request names:
// invalid_grant saying gone when it is not found; otherwise the failure to
// read what is logged (with attrs) and the answer is server_error. Nil when
// err is.
func (p *Provider) readErr(err error, what, gone string, attrs ...any) *Error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return invalidGrant(gone)
	}
	p.cfg.Logger.Error("reading "+what+" failed", append(attrs, "err", err)...)
	return serverError()
}

// grantResource picks the resource of a token issued from a grant holding
// granted (tokenResource) and notes it in ev. On a face with
// TokenRules.GrantedAudience, a request naming none from a grant holding
// one is for that one.
func (p *Provider) grantResource(ctx context.Context, params url.Values, granted []string, ev *TokenEvent) (*store.Resource, *Error) {
	byIndicator := p.cfg.Catalog.Load().ByIndicator
	res, err := tokenResource(byIndicator, params, granted)
	if err == nil && res == nil && len(granted) == 1 && p.profile(ctx).Tokens.GrantedAudience {
		res = byIndicator[granted[0]] // nil if it is gone: a userinfo token
	}
	if res != nil {
		ev.Resource = res.Indicator
	}
	return res, err
}

// grantUser loads the user of a grant; a user that is gone or suspended
// ends the grant's usefulness.
func (p *Provider) grantUser(ctx context.Context, id string) (*store.User, *Error) {
	u, err := p.u.Store.GetUser(ctx, id)
	if e := p.readErr(err, "a user", "the user no longer exists", "user_id", id); e != nil {
		return nil, e
	}
	if u.IsSuspended {
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

// issueDirect answers a grant that proved the user in the token request
// itself (password, passwordless OTP): it stores a grant of the scopes
// and resource for the client, mints the tokens (a refresh token with
// offline_access) as gty and records the sign-in.
func (p *Provider) issueDirect(r *http.Request, app *catalog.App, params url.Values, user *store.User, rec store.SignInRecord,
	scopes []string, res *store.Resource, ev *TokenEvent, gty string) (*mintedTokens, *Error) {
	now := p.cfg.Now()
	g := store.Grant{ID: randid.ID(), UserID: user.ID, ClientID: app.ID, Scope: strings.Join(scopes, " "),
		AuthTime: now, SignIn: rec, CreatedAt: now, ExpiresAt: now}
	if res != nil {
		g.Resources = []string{res.Indicator}
		ev.Resource = res.Indicator
	}
	ctx := context.WithoutCancel(r.Context())
	if err := p.u.Store.CreateGrant(ctx, g, nil); err != nil {
		p.cfg.Logger.Error("storing a grant failed", "client_id", app.ID, "err", err)
		return nil, serverError()
	}
	minted, merr := p.mintUserTokens(ctx, userTokenRequest{
		req: p.requestInfo(r, params),
		app: app, user: user, grant: &g, scopes: scopes, resource: res,
		refresh: slices.Contains(scopes, "offline_access"), gty: gty,
	})
	if merr != nil {
		return nil, merr
	}
	if err := p.u.Store.IssueFromGrant(ctx, g.ID, minted.issue); err != nil {
		return nil, p.storeErr(ctx, err, g.ID)
	}
	recordCtx := ctx
	if gty == "passwordless" {
		// A sign-in by a one-time code, as at the hosted pages: webhooks
		// report it as PostSignIn, or PostRegister when it made the user.
		origin := store.EventOrigin{Method: r.Method, Path: r.URL.Path, Route: r.URL.Path, UserAgent: r.UserAgent(),
			ApplicationID: app.ID, InteractionEvent: rec.Event}
		if p.u.ClientIP != nil {
			origin.IP = p.u.ClientIP(r)
		}
		recordCtx = store.WithOrigin(ctx, origin)
	}
	if err := p.u.Store.RecordSignIn(recordCtx, user.ID, now); err != nil {
		p.cfg.Logger.Warn("recording the sign-in time failed", "user_id", user.ID, "err", err)
	}
	return minted, nil
}
