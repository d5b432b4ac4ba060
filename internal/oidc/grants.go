package oidc

import (
	"net/http"
	"net/url"
)

// Grant is one grant type of the token endpoint (RFC 6749 §4): each lives
// in its own file and is listed once, in grants; the token endpoint,
// discovery, metrics and the audit log all derive their lists from there.
type Grant interface {
	// Type is the grant_type value that selects the grant.
	Type() string
	// EndUser reports whether the grant issues tokens for end users: it is
	// offered only when the end-user endpoints are (Config.Users).
	EndUser() bool
	// exchange authenticates the client and answers the token request.
	exchange(p *Provider, r *http.Request, params url.Values, ev *TokenEvent) (*tokenResponse, *Error)
}

// grants are the grant types the token endpoint knows, in the order
// discovery lists them.
var grants = []Grant{authorizationCodeGrant, refreshTokenGrant, clientCredentialsGrant{}, passwordGrant, passwordRealmGrant, passwordlessGrant, tokenExchangeGrant, deviceCodeGrant}

// GrantTypes returns the grant_type values the token endpoint may accept,
// for labels and log keys that must stay bounded. A provider offers the
// end-user ones only with Config.Users.
func GrantTypes() []string {
	out := make([]string, len(grants))
	for i, g := range grants {
		out[i] = g.Type()
	}
	return out
}

// grant returns the grant that answers grant_type gt on face f of this
// provider, or nil if it offers none.
func (p *Provider) grant(f *Profile, gt string) Grant {
	for _, g := range grants {
		if g.Type() == gt && offered(g, f, p.u != nil) {
			return g
		}
	}
	return nil
}

// offered reports whether face f offers grant g, with or without the
// end-user endpoints: a grant of a database connection (password-realm)
// needs a face that names connections.
func offered(g Grant, f *Profile, users bool) bool {
	if g.EndUser() && !users {
		return false
	}
	if ug, ok := g.(userGrant); ok && ug.realm && len(f.Connections) == 0 {
		return false
	}
	if ug, ok := g.(userGrant); ok && ug.passwordless && !f.Passwordless {
		return false
	}
	return true
}

// offeredGrantTypes lists the grant types face f offers, with or without
// the end-user endpoints, for discovery.
func offeredGrantTypes(f *Profile, users bool) []string {
	var out []string
	for _, g := range grants {
		if offered(g, f, users) {
			out = append(out, g.Type())
		}
	}
	return out
}
