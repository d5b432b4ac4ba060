package oidc

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"

	"github.com/monban/monban/internal/catalog"
)

// authorizationCodeGrant is the authorization_code grant.
var authorizationCodeGrant = userGrant{typ: "authorization_code", mint: (*Provider).authorizationCode}

// authorizationCode redeems a code (RFC 6749 §4.1.3, PKCE RFC 7636 §4.6).
// The code is checked before it is spent, so a wrong client or verifier
// cannot burn it for the right one; a code presented after it was spent
// revokes everything issued from it (RFC 6749 §4.1.2).
func (p *Provider) authorizationCode(r *http.Request, app *catalog.App, params url.Values, ev *TokenEvent) (*mintedTokens, *Error) {
	ctx := r.Context()
	code := params.Get("code")
	if code == "" {
		return nil, errInvalidRequest("code is required")
	}
	c, err := p.u.Store.GetAuthCode(ctx, hashToken(code))
	if e := p.readErr(err, "an authorization code", "the authorization code is invalid, expired or revoked"); e != nil {
		return nil, e
	}
	ev.UserID = c.UserID
	now := p.cfg.Now()
	if !c.UsedAt.IsZero() {
		p.revokeGrant(ctx, c.GrantID)
		return nil, invalidGrant("the authorization code was already used; everything issued from it is revoked")
	}
	if subtle.ConstantTimeCompare([]byte(c.ClientID), []byte(app.ID)) != 1 {
		return nil, invalidGrant("the authorization code was issued to another client")
	}
	if !now.Before(c.ExpiresAt) {
		return nil, invalidGrant("the authorization code has expired")
	}
	// Only the issuer whose authorization endpoint issued the code redeems
	// it: its tokens carry that iss (and a code cannot be replayed across
	// issuers, RFC 9207's mix-up).
	if p.faceOf(c.Issuer) != p.profile(ctx) {
		return nil, invalidGrant("the authorization code was issued by another issuer; redeem it at that issuer's token endpoint")
	}
	if params.Get("redirect_uri") != c.RedirectURI {
		return nil, invalidGrant("redirect_uri does not match the authorization request")
	}
	verifier := params.Get("code_verifier")
	switch {
	case c.CodeChallenge != "" && verifier == "":
		return nil, invalidGrant("code_verifier is required")
	case c.CodeChallenge != "" && !validPKCE(verifier):
		return nil, invalidGrant("code_verifier is malformed")
	case c.CodeChallenge != "":
		sum := sha256.Sum256([]byte(verifier))
		if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(c.CodeChallenge)) != 1 {
			return nil, invalidGrant("code_verifier does not match the code_challenge")
		}
	case verifier != "":
		// A verifier for a code issued without a challenge would let an
		// attacker who stripped the challenge pass as a PKCE client.
		return nil, invalidGrant("the authorization request had no code_challenge")
	}
	if e := checkCodeBinding(ctx, c.DPoPJKT); e != nil {
		return nil, e
	}
	minted, merr := p.mintFromGrant(r, params, app, ev, grantedTokens{userID: c.UserID, grantID: c.GrantID, nonce: c.Nonce,
		gty: "authorization_code"})
	if merr != nil {
		return nil, merr
	}
	if err := p.u.Store.RedeemAuthCode(context.WithoutCancel(ctx), c.ID, now, minted.issue); err != nil {
		return nil, p.storeErr(ctx, err, c.GrantID)
	}
	return minted, nil
}
