package oidc

import (
	"context"
	"crypto/subtle"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/monban/monban/internal/authz"
	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/store"
)

// refreshTokenGrant is the refresh_token grant.
var refreshTokenGrant = userGrant{typ: "refresh_token", organizations: true, mint: (*Provider).refreshToken}

// refreshToken answers the refresh_token grant (RFC 6749 §6). Public
// clients get a new refresh token on every use, confidential ones when
// their app says so; a rotated token presented again once the grace
// period has passed (at once when it is 0) revokes the whole grant (OAuth 2.0 Security BCP §4.14.2). A
// request may narrow the scopes and pick one of the granted resources,
// never widen them.
func (p *Provider) refreshToken(r *http.Request, app *catalog.App, params url.Values, ev *TokenEvent) (*mintedTokens, *Error) {
	ctx := r.Context()
	value := params.Get("refresh_token")
	if value == "" {
		return nil, errInvalidRequest("refresh_token is required")
	}
	rt, err := p.u.Store.GetRefreshToken(ctx, hashToken(value))
	if e := p.readErr(err, "a refresh token", "the refresh token is invalid, expired or revoked"); e != nil {
		return nil, e
	}
	ev.UserID = rt.UserID
	if subtle.ConstantTimeCompare([]byte(rt.ClientID), []byte(app.ID)) != 1 {
		return nil, invalidGrant("the refresh token was issued to another client")
	}
	now := p.cfg.Now()
	if !now.Before(rt.ExpiresAt) {
		return nil, invalidGrant("the refresh token has expired")
	}
	if rt.DPoPJKT != "" && subtle.ConstantTimeCompare([]byte(rt.DPoPJKT), []byte(dpopJKT(ctx))) != 1 {
		return nil, dpopError("the refresh token is bound to a DPoP key: send a proof signed with that key")
	}
	// A rotated token is honoured again only while less than the grace has
	// passed since its first use: with no grace, never.
	reuseAfter := now.Add(-p.u.RefreshGrace)
	if !rt.UsedAt.IsZero() && (p.u.RefreshGrace <= 0 || !rt.UsedAt.After(reuseAfter)) {
		p.revokeGrant(ctx, rt.GrantID)
		return nil, invalidGrant("the refresh token was already used; everything issued from its grant is revoked")
	}
	grant, gerr := p.readGrant(ctx, rt.GrantID)
	if gerr != nil {
		return nil, gerr
	}
	user, gerr := p.grantUser(ctx, rt.UserID)
	if gerr != nil {
		return nil, gerr
	}
	granted := strings.Fields(grant.Scope)
	scopes, serr := requestedScopes(params.Get("scope"))
	if serr != nil {
		return nil, serr
	}
	if len(scopes) == 0 {
		scopes = granted
	}
	for _, s := range scopes {
		if !slices.Contains(granted, s) {
			return nil, &Error{Status: http.StatusBadRequest, Code: "invalid_scope", Description: "a refresh may narrow the granted scopes, not widen them"}
		}
	}
	org, res, terr := p.refreshTarget(ctx, params, grant, user.ID, ev)
	if terr != nil {
		return nil, terr
	}
	// A token used before (within the grace) is rotated whatever the app
	// says: its successor exists already.
	rotate := publicClient(app.Type) || app.RotateRefreshToken || !rt.UsedAt.IsZero()
	minted, merr := p.mintUserTokens(ctx, userTokenRequest{
		req: p.requestInfo(r, params),
		app: app, user: user, grant: grant, scopes: scopes, resource: res, refresh: rotate, gty: "refresh_token", org: org,
	})
	if merr != nil {
		return nil, merr
	}
	wctx := context.WithoutCancel(ctx)
	if rotate {
		err = p.u.Store.RotateRefreshToken(wctx, rt.ID, now, reuseAfter, minted.issue)
	} else {
		err = p.u.Store.IssueFromGrant(wctx, grant.ID, minted.issue)
	}
	if err != nil {
		return nil, p.storeErr(ctx, err, grant.ID)
	}
	return minted, nil
}

// refreshTarget is what a refresh asks a token for: with organization_id
// (Logto's organization tokens), the user's membership there, checked,
// and a resource only when one is named; without, a resource of the grant
// or none (tokenResource).
func (p *Provider) refreshTarget(ctx context.Context, params url.Values, grant *store.Grant, userID string, ev *TokenEvent) (*authz.Membership, *store.Resource, *Error) {
	orgID, err := requestedOrganization(params)
	if err != nil {
		return nil, nil, err
	}
	if orgID == "" {
		res, err := p.grantResource(ctx, params, grant.Resources, ev)
		return nil, res, err
	}
	org, err := p.membership(ctx, orgID, store.HolderUser, userID)
	if err != nil {
		return nil, nil, err
	}
	if !slices.Contains(strings.Fields(grant.Scope), ScopeOrganizations) {
		return nil, nil, &Error{Status: http.StatusForbidden, Code: "insufficient_scope", Description: "refresh token missing required scope"}
	}
	if params.Get("resource") == "" {
		ev.Resource = authz.OrganizationAudience(orgID)
		return org, nil, nil
	}
	res, err := p.grantResource(ctx, params, grant.Resources, ev)
	return org, res, err
}
