package oidc

import "strings"

// DatabaseConnection is the name of Auth0's database connection, which on
// Auth0's face names Monban's one user directory.
const DatabaseConnection = "Username-Password-Authentication"

// Auth0Profile is Auth0's face for a public endpoint: issuer
// "{endpoint}/", Auth0's Authentication API paths (/authorize,
// /oauth/token, /userinfo, /oauth/revoke, /v2/logout, /oidc/logout,
// /oauth/par, /oauth/device/code, /.well-known/jwks.json), Auth0's token rules (client grants, "@clients"
// subjects, the userinfo audience) and the RFC 6749 error body, which is
// the one Auth0 sends.
func Auth0Profile(endpoint string) Profile {
	e := strings.TrimRight(endpoint, "/")
	return Profile{
		Issuer:            e + "/",
		Discovery:         Endpoint{URL: e + "/.well-known/openid-configuration", Paths: []string{"/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"}},
		JWKS:              Endpoint{URL: e + "/.well-known/jwks.json", Paths: []string{"/.well-known/jwks.json"}},
		Token:             Endpoint{URL: e + "/oauth/token", Paths: []string{"/oauth/token"}},
		Authorization:     Endpoint{URL: e + "/authorize", Paths: []string{"/authorize"}},
		Userinfo:          Endpoint{URL: e + "/userinfo", Paths: []string{"/userinfo"}},
		Revocation:        Endpoint{URL: e + "/oauth/revoke", Paths: []string{"/oauth/revoke"}},
		EndSession:        Endpoint{URL: e + "/oidc/logout", Paths: []string{"/oidc/logout"}},
		EndSessionConfirm: Endpoint{Paths: []string{"/oidc/logout/confirm"}},
		Logout:            Endpoint{Paths: []string{"/v2/logout"}},
		Tokens:            TokenRules{ClientGrants: true, UserinfoAudience: true, GrantedAudience: true},
		Connections:       []string{DatabaseConnection},
		Passwordless:      true,

		PushedAuthorization: Endpoint{URL: e + "/oauth/par", Paths: []string{"/oauth/par"}},
		DeviceAuthorization: Endpoint{URL: e + "/oauth/device/code", Paths: []string{"/oauth/device/code"}},
	}
}
