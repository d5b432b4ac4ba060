package oidc

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/interaction"
	"github.com/monban/monban/internal/passwordless"
	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/verifycode"
)

// PasswordlessOTP is the grant_type of Auth0's passwordless OTP grant.
const PasswordlessOTP = "http://auth0.com/oauth/grant-type/passwordless/otp"

// PasswordlessSignIn exchanges a one-time code sent by Auth0's POST
// /passwordless/start for its user (a *passwordless.Service).
type PasswordlessSignIn interface {
	SignIn(ctx context.Context, p passwordless.Proof) (u store.User, created bool, err error)
}

// passwordlessGrant is Auth0's passwordless OTP grant: username (the
// e-mail address or phone number), otp (the code) and realm ("email" or
// "sms", the connection the code was sent through). Only a face with
// Profile.Passwordless offers it, and an application uses it only when
// allowed (AllowPasswordlessGrant, Auth0's grant_types).
var passwordlessGrant = userGrant{typ: PasswordlessOTP, passwordless: true, mint: (*Provider).passwordlessOTP}

// maxOTPLen bounds the code: anything longer cannot be one.
const maxOTPLen = 64

// realms are the grant's realms and their channels.
var realms = map[string]verifycode.Channel{"email": verifycode.ChannelEmail, "sms": verifycode.ChannelSMS}

// passwordlessOTP checks the request before the code (a refused request
// leaves the code usable), then exchanges the code for its user and
// issues tokens as the password grant does.
func (p *Provider) passwordlessOTP(r *http.Request, app *catalog.App, params url.Values, ev *TokenEvent) (*mintedTokens, *Error) {
	if p.cfg.Passwordless == nil {
		return nil, &Error{Status: http.StatusBadRequest, Code: "unsupported_grant_type", Description: "grant_type " + PasswordlessOTP + " is not supported"}
	}
	if !app.AllowPasswordlessGrant {
		return nil, &Error{Status: http.StatusForbidden, Code: "unauthorized_client",
			Description: "Grant type '" + PasswordlessOTP + "' not allowed for the client."}
	}
	realm, username, otp := params.Get("realm"), strings.TrimSpace(params.Get("username")), strings.TrimSpace(params.Get("otp"))
	for _, v := range [][2]string{{"username", username}, {"otp", otp}, {"realm", realm}} {
		if v[1] == "" {
			return nil, errInvalidRequest("Missing required parameter: " + v[0])
		}
	}
	ch, ok := realms[realm]
	if !ok {
		return nil, errInvalidRequest("realm must be email or sms, the connection the code was sent through")
	}
	scopes, serr := requestedScopes(params.Get("scope"))
	if serr != nil {
		return nil, serr
	}
	res, terr := tokenResource(p.cfg.Catalog.Load().ByIndicator, params, nil)
	if terr != nil {
		return nil, terr
	}
	if len(username) > maxIdentifierLen || len(otp) > maxOTPLen {
		return nil, wrongOTP(ch)
	}
	user, created, err := p.cfg.Passwordless.SignIn(r.Context(), passwordless.Proof{ClientID: app.ID, Channel: ch, To: username, Code: otp, ClientIP: p.clientIP(r)})
	if e := p.passwordlessErr(err, ch, app.ID); e != nil {
		return nil, e
	}
	ev.UserID = user.ID
	idType, recType := "email", interaction.RecordEmailVerificationCode
	if ch == verifycode.ChannelSMS {
		idType, recType = "phone", interaction.RecordPhoneVerificationCode
	}
	// The claims script sees the code's verification record, as after a
	// sign-in by a code at the hosted pages.
	id := randid.ID()
	rec := store.SignInRecord{VerificationID: id, IdentifierType: idType, IdentifierValue: username,
		Verifications: []store.Verification{{ID: id, Type: recType, TemplateType: "SignIn", IdentifierType: idType,
			IdentifierValue: username, Verified: true}}}
	if created {
		// The code made the account: a registration (PostRegister), as a
		// sign-up by a code at the hosted pages.
		rec.Event = "Register"
	}
	return p.issueDirect(r, app, params, &user, rec, scopes, res, ev, "passwordless")
}

// passwordlessErr is Auth0's answer to a refused code; nil when err is.
func (p *Provider) passwordlessErr(err error, ch verifycode.Channel, clientID string) *Error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, passwordless.ErrWrongCode), errors.Is(err, passwordless.ErrSignUpClosed):
		return wrongOTP(ch)
	case errors.Is(err, passwordless.ErrExpired):
		return &Error{Status: http.StatusForbidden, Code: "invalid_grant", Description: "The verification code has expired. Please try to login again."}
	case errors.Is(err, passwordless.ErrExhausted):
		return &Error{Status: http.StatusTooManyRequests, Code: "too_many_attempts",
			Description: "You've reached the maximum number of attempts. Please try to login again."}
	case errors.Is(err, passwordless.ErrSuspended):
		return &Error{Status: http.StatusUnauthorized, Code: "unauthorized", Description: "user is blocked"}
	case errors.Is(err, store.ErrUnavailable):
		return &Error{Status: http.StatusServiceUnavailable, Code: "temporarily_unavailable", Description: "the service is busy; try again"}
	}
	p.cfg.Logger.Error("a passwordless sign-in failed", "client_id", clientID, "err", err)
	return serverError()
}

// wrongOTP is Auth0's answer to a wrong, used, foreign or unsent code.
func wrongOTP(ch verifycode.Channel) *Error {
	what := "email"
	if ch == verifycode.ChannelSMS {
		what = "phone number"
	}
	return &Error{Status: http.StatusForbidden, Code: "invalid_grant", Description: "Wrong " + what + " or verification code."}
}
