package oidc

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/token"
)

// Token exchange (RFC 8693) as Logto does it, and its token types.
const (
	GrantTypeTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
	// TokenTypeAccessToken is a Monban access token, or (Logto's older
	// spelling) a subject token made through the Management API.
	TokenTypeAccessToken = "urn:ietf:params:oauth:token-type:access_token"
	// TokenTypeImpersonation is a subject token made through the
	// Management API (POST /api/subject-tokens).
	TokenTypeImpersonation = "urn:logto:token-type:impersonation_token"
	// TokenTypePersonalAccessToken is a user's personal access token.
	TokenTypePersonalAccessToken = "urn:logto:token-type:personal_access_token"
)

// tokenExchangeGrant is the token exchange grant.
var tokenExchangeGrant = userGrant{typ: GrantTypeTokenExchange, mint: (*Provider).tokenExchange}

// exchangeSubject is who a token exchange issues for, and from what.
type exchangeSubject struct {
	userID string
	// subjectTokenID is the digest of a subject token, consumed by the
	// exchange; "" for the other kinds.
	subjectTokenID string
	exchange       *ExchangeInput
	// from is the access token exchanged, whose audience and scopes bound
	// the new one; nil for the other kinds.
	from *token.Claims
}

// tokenExchange answers the token exchange grant for an app that opted in
// (allowTokenExchange). The subject is a subject token (impersonation,
// exchanged once), a personal access token, or a Monban access token,
// whose audience and scopes the new token may narrow, never widen. An
// actor token (an access token of a user, with openid) puts its subject in
// the act claim. The answer is an access token alone.
func (p *Provider) tokenExchange(r *http.Request, app *catalog.App, params url.Values, ev *TokenEvent) (*mintedTokens, *Error) {
	ctx := r.Context()
	if !app.AllowTokenExchange {
		return nil, &Error{Status: http.StatusBadRequest, Code: "unauthorized_client",
			Description: "the application may not exchange tokens (customClientMetadata.allowTokenExchange)"}
	}
	if err := checkExchangeParams(params); err != nil {
		return nil, err
	}
	subj, err := p.exchangeSubject(ctx, params.Get("subject_token"), params.Get("subject_token_type"))
	if err != nil {
		return nil, err
	}
	ev.UserID = subj.userID
	act, err := p.exchangeActor(ctx, params, subj.from)
	if err != nil {
		return nil, err
	}
	user, err := p.grantUser(ctx, subj.userID)
	if err != nil {
		return nil, err
	}
	res, scopes, err := p.exchangeTarget(params, subj.from, ev)
	if err != nil {
		return nil, err
	}
	now := p.cfg.Now()
	grant := store.Grant{ID: randid.ID(), UserID: user.ID, ClientID: app.ID, Scope: strings.Join(scopes, " "),
		AuthTime: now, CreatedAt: now, ExpiresAt: now}
	if res != nil {
		grant.Resources = []string{res.Indicator}
	}
	minted, err := p.mintUserTokens(ctx, userTokenRequest{
		req: p.requestInfo(r, params), app: app, user: user, grant: &grant, scopes: scopes, resource: res,
		gty: GrantTypeTokenExchange, accessOnly: true, act: act, exchange: subj.exchange,
	})
	if err != nil {
		return nil, err
	}
	if err := p.u.Store.RecordExchange(context.WithoutCancel(ctx), grant, subj.subjectTokenID, now, minted.issue); err != nil {
		return nil, p.exchangeStoreErr(err)
	}
	minted.resp.IssuedTokenType = TokenTypeAccessToken
	return minted, nil
}

// checkExchangeParams requires a subject token and its type, allows an
// access token as the requested type only, and an actor token only with
// its type. What Monban does not do is refused, never ignored.
func checkExchangeParams(params url.Values) *Error {
	switch {
	case params.Get("subject_token") == "":
		return errInvalidRequest("subject_token is required")
	case params.Get("subject_token_type") == "":
		return errInvalidRequest("subject_token_type is required")
	case params.Has("requested_token_type") && params.Get("requested_token_type") != TokenTypeAccessToken:
		return errInvalidRequest("only access tokens are issued (requested_token_type " + TokenTypeAccessToken + ")")
	case (params.Get("actor_token") == "") != (params.Get("actor_token_type") == ""):
		return errInvalidRequest("actor_token and actor_token_type go together")
	case params.Has("organization_id"):
		return errInvalidRequest("organization_id is not supported")
	}
	return nil
}

// exchangeSubject judges the subject token by its type.
func (p *Provider) exchangeSubject(ctx context.Context, value, typ string) (*exchangeSubject, *Error) {
	switch {
	case typ == TokenTypeImpersonation,
		typ == TokenTypeAccessToken && strings.HasPrefix(value, directory.SubjectTokenPrefix):
		return p.subjectTokenSubject(ctx, value)
	case typ == TokenTypePersonalAccessToken:
		return p.personalTokenSubject(ctx, value)
	case typ == TokenTypeAccessToken:
		c, err := p.exchangedAccessToken(ctx, value, "subject token")
		if err != nil {
			return nil, err
		}
		return &exchangeSubject{userID: c.Subject, from: c}, nil
	}
	return nil, &Error{Status: http.StatusBadRequest, Code: "unsupported_token_type",
		Description: "subject_token_type must be " + TokenTypeAccessToken + ", " + TokenTypeImpersonation + " or " + TokenTypePersonalAccessToken}
}

// subjectTokenSubject judges a subject token: known, unexpired, not
// consumed yet (the exchange consumes it).
func (p *Provider) subjectTokenSubject(ctx context.Context, value string) (*exchangeSubject, *Error) {
	st, err := p.u.Store.GetSubjectToken(ctx, directory.TokenDigest(value))
	if e := p.readErr(err, "a subject token", "subject token not found"); e != nil {
		return nil, e
	}
	switch {
	case !p.cfg.Now().Before(st.ExpiresAt):
		return nil, invalidGrant("subject token is expired")
	case !st.ConsumedAt.IsZero():
		return nil, invalidGrant("subject token is already consumed")
	}
	return &exchangeSubject{userID: st.UserID, subjectTokenID: st.ID, exchange: &ExchangeInput{SubjectTokenContext: st.Context}}, nil
}

// personalTokenSubject judges a personal access token: known, unexpired.
func (p *Provider) personalTokenSubject(ctx context.Context, value string) (*exchangeSubject, *Error) {
	pat, err := p.u.Store.GetPersonalAccessToken(ctx, directory.TokenDigest(value))
	if e := p.readErr(err, "a personal access token", "subject token not found"); e != nil {
		return nil, e
	}
	if !pat.ExpiresAt.IsZero() && !p.cfg.Now().Before(pat.ExpiresAt) {
		return nil, invalidGrant("subject token is expired")
	}
	return &exchangeSubject{userID: pat.UserID}, nil
}

// exchangedAccessToken verifies an access token this face issued to an
// application for a user (what, subject or actor token, names it in the
// refusal): signature, typ at+jwt, iss, lifetime, revocation, a
// client_id of an application that exists, and a subject that is not the
// application itself.
func (p *Provider) exchangedAccessToken(ctx context.Context, raw, what string) (*token.Claims, *Error) {
	c, err := p.verifier(ctx).Verify(raw)
	if err != nil {
		if errors.Is(err, token.ErrInvalid) {
			return nil, invalidGrant("invalid " + what + ": " + err.Error())
		}
		return nil, invalidGrant("invalid " + what)
	}
	app := p.cfg.Catalog.Load().Apps[c.ClientID]
	switch {
	case c.ClientID == "" || app == nil:
		return nil, invalidGrant(what + " was not issued to a known application")
	case app.Type == store.AppMachineToMachine || c.Subject == c.ClientID || strings.HasSuffix(c.Subject, "@clients"):
		return nil, invalidGrant(what + " is not a user's")
	}
	return c, nil
}

// exchangeActor is the act claim of the new token: the actor token's
// subject, over the subject token's own act (RFC 8693 §4.1), or that act
// alone without an actor token.
func (p *Provider) exchangeActor(ctx context.Context, params url.Values, from *token.Claims) (map[string]any, *Error) {
	var prior any
	if from != nil {
		prior = from.Extra["act"]
	}
	raw := params.Get("actor_token")
	if raw == "" {
		if m, ok := prior.(map[string]any); ok {
			return m, nil
		}
		return nil, nil
	}
	if params.Get("actor_token_type") != TokenTypeAccessToken {
		return nil, &Error{Status: http.StatusBadRequest, Code: "unsupported_token_type", Description: "actor_token_type must be " + TokenTypeAccessToken}
	}
	c, err := p.exchangedAccessToken(ctx, raw, "actor token")
	if err != nil {
		return nil, err
	}
	if !c.HasScope("openid") {
		return nil, invalidGrant("actor token must have openid scope")
	}
	act := map[string]any{"sub": c.Subject}
	if prior != nil {
		act["act"] = prior
	}
	return act, nil
}

// exchangeTarget is the resource and scopes of the new token. From an
// access token they are at most its own: a resource among its audiences
// (by default its API; none for a token for the userinfo endpoint), scopes
// among its scopes (by default all of them). From a subject or personal access token, as the request names
// them; the user's roles decide the permissions either way.
func (p *Provider) exchangeTarget(params url.Values, from *token.Claims, ev *TokenEvent) (*store.Resource, []string, *Error) {
	scopes, err := requestedScopes(params.Get("scope"))
	if err != nil {
		return nil, nil, err
	}
	byIndicator := p.cfg.Catalog.Load().ByIndicator
	if from == nil {
		res, err := tokenResource(byIndicator, params, nil)
		if res != nil {
			ev.Resource = res.Indicator
		}
		return res, scopes, err
	}
	res, err := tokenResource(byIndicator, params, from.Audience)
	if err != nil {
		return nil, nil, err
	}
	if res == nil {
		for _, aud := range from.Audience {
			if res = byIndicator[aud]; res != nil {
				break
			}
		}
	}
	had := from.Scopes()
	if len(scopes) == 0 {
		scopes = had
	}
	for _, s := range scopes {
		if !slices.Contains(had, s) {
			return nil, nil, &Error{Status: http.StatusBadRequest, Code: "invalid_scope", Description: "an exchange may narrow the subject token's scopes, not widen them"}
		}
	}
	if res != nil {
		ev.Resource = res.Indicator
	}
	return res, scopes, nil
}

// exchangeStoreErr maps the store's answer to recording an exchange.
func (p *Provider) exchangeStoreErr(err error) *Error {
	switch {
	case errors.Is(err, store.ErrAlreadyUsed):
		return invalidGrant("subject token is already consumed")
	case errors.Is(err, store.ErrNotFound):
		return invalidGrant("subject token not found, or its user or application is gone")
	}
	p.cfg.Logger.Error("recording a token exchange failed", "err", err)
	return serverError()
}
