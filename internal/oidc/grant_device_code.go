package oidc

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"

	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/store"
)

// deviceCodeGrant is the device authorization grant (RFC 8628 §3.4).
var deviceCodeGrant = userGrant{typ: DeviceCodeGrantType, mint: (*Provider).deviceCode}

// deviceError is one of RFC 8628 §3.5's answers to a poll.
func deviceError(code, desc string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: code, Description: desc}
}

// deviceCode answers a device's poll (RFC 8628 §3.4, §3.5): every poll is
// recorded, and one that comes before the interval has passed is
// slow_down, which raises the interval; while the person has not decided
// the answer is authorization_pending, then access_denied or the tokens,
// once. A device code presented after it was redeemed revokes everything
// issued from it, as a replayed authorization code does.
func (p *Provider) deviceCode(r *http.Request, app *catalog.App, params url.Values, ev *TokenEvent) (*mintedTokens, *Error) {
	ctx := r.Context()
	if err := deviceApp(app); err != nil {
		return nil, err
	}
	code := params.Get("device_code")
	if code == "" {
		return nil, errInvalidRequest("device_code is required")
	}
	now := p.cfg.Now()
	d, tooSoon, err := p.u.Store.PollDeviceAuthorization(context.WithoutCancel(ctx), hashToken(code), now, deviceSlowDown)
	if e := p.readErr(err, "a device authorization", "the device code is invalid or has expired"); e != nil {
		return nil, e
	}
	if subtle.ConstantTimeCompare([]byte(d.ClientID), []byte(app.ID)) != 1 {
		return nil, invalidGrant("the device code was issued to another client")
	}
	if p.faceOf(d.Issuer) != p.profile(ctx) {
		return nil, invalidGrant("the device code was issued by another issuer; poll that issuer's token endpoint")
	}
	ev.UserID = d.UserID
	switch {
	case !d.UsedAt.IsZero():
		p.revokeGrant(ctx, d.GrantID)
		return nil, invalidGrant("the device code was already used; everything issued from it is revoked")
	case !now.Before(d.ExpiresAt):
		return nil, deviceError("expired_token", "the device code has expired; start again")
	case tooSoon:
		return nil, deviceError("slow_down", "polled too soon; wait the interval, which is now longer")
	case d.Status == store.DeviceDenied:
		return nil, deviceError("access_denied", "the user denied the request")
	case d.Status != store.DeviceApproved:
		return nil, deviceError("authorization_pending", "the user has not yet completed the request")
	}
	minted, merr := p.mintFromGrant(r, params, app, ev, grantedTokens{userID: d.UserID, grantID: d.GrantID, gty: DeviceCodeGrantType})
	if merr != nil {
		return nil, merr
	}
	if err := p.u.Store.RedeemDeviceAuthorization(context.WithoutCancel(ctx), d.ID, now, minted.issue); err != nil {
		if errors.Is(err, store.ErrConflict) { // decided and redeemed between the poll and now: cannot be approved
			return nil, invalidGrant("the device code is invalid or has expired")
		}
		return nil, p.storeErr(ctx, err, d.GrantID)
	}
	return minted, nil
}
