package oidc

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/interaction"
	"github.com/monban/monban/internal/password"
)

// passwordGrant is the password grant.
var passwordGrant = userGrant{typ: "password", mint: (*Provider).resourceOwnerPassword}

// passwordRealmGrant is Auth0's password grant with a realm: the password
// grant, where realm must name a database connection of the face.
var passwordRealmGrant = userGrant{typ: "http://auth0.com/oauth/grant-type/password-realm", realm: true, mint: (*Provider).passwordRealm}

// passwordRealm checks the realm and goes on as the password grant.
func (p *Provider) passwordRealm(r *http.Request, app *catalog.App, params url.Values, ev *TokenEvent) (*mintedTokens, *Error) {
	realm := params.Get("realm")
	if realm == "" {
		return nil, errInvalidRequest("realm is required")
	}
	if f := p.profile(r.Context()); !slices.Contains(f.Connections, realm) {
		return nil, errInvalidRequest("unknown realm; the database connection is " + strings.Join(f.Connections, ", "))
	}
	return p.resourceOwnerPassword(r, app, params, ev)
}

// resourceOwnerPassword is the resource owner password credentials grant (RFC 6749
// §4.3, Auth0's "password"). It is off unless the app enables it: the app
// sees the user's password, which the code flow never shows it. It shares
// the sign-in page's back-off and hashing bound.
func (p *Provider) resourceOwnerPassword(r *http.Request, app *catalog.App, params url.Values, ev *TokenEvent) (*mintedTokens, *Error) {
	if !app.AllowPasswordGrant {
		return nil, &Error{Status: http.StatusBadRequest, Code: "unauthorized_client", Description: "the password grant is not enabled for this application"}
	}
	username, pw := strings.TrimSpace(params.Get("username")), params.Get("password")
	if username == "" || pw == "" {
		return nil, errInvalidRequest("username and password are required")
	}
	scopes, serr := requestedScopes(params.Get("scope"))
	if serr != nil {
		return nil, serr
	}
	res, terr := tokenResource(p.cfg.Catalog.Load().ByIndicator, params, nil)
	if terr != nil {
		return nil, terr
	}
	if len(username) > maxIdentifierLen || len(pw) > password.MaxLen {
		return nil, invalidGrant("invalid username or password")
	}
	user, rec, status := p.u.accounts.CheckPassword(r.Context(), username, pw, p.clientIP(r))
	switch status {
	case interaction.CheckLocked:
		return nil, invalidGrant("too many failed attempts; try again later")
	case interaction.CheckBusy:
		return nil, &Error{Status: http.StatusServiceUnavailable, Code: "temporarily_unavailable", Description: "the service is busy; try again"}
	case interaction.CheckFailed:
		return nil, invalidGrant("invalid username or password")
	case interaction.CheckSuspended:
		return nil, invalidGrant("the user is suspended")
	}
	ev.UserID = user.ID
	return p.issueDirect(r, app, params, user, rec, scopes, res, ev, "password")
}
