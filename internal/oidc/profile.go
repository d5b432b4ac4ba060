package oidc

import (
	"context"
	"net/http"
	"slices"
)

// Profile is the face an issuer shows its clients: its issuer identifier,
// where each endpoint is mounted and advertised, and the shape of its error
// bodies. The protocol core (grants, tokens, sessions) is the same for
// every profile, so a second issuer mounts the same core with another
// Profile (see Provider.Mount). LogtoProfile is the default.
type Profile struct {
	// Issuer is the iss of the tokens issued through this face, and the
	// discovery document's issuer.
	Issuer string

	// The endpoints. An Endpoint without paths is not mounted; one without
	// a URL is not advertised.
	Discovery     Endpoint // the OIDC Discovery / RFC 8414 document
	JWKS          Endpoint
	Token         Endpoint
	Authorization Endpoint // with Config.Users only, as are the rest
	Userinfo      Endpoint
	Revocation    Endpoint
	Introspection Endpoint
	EndSession    Endpoint
	// EndSessionConfirm is where the sign-out page posts the user's
	// confirmation, relative to the public endpoint (UsersConfig.Endpoint).
	EndSessionConfirm Endpoint
	// Logout is a logout without confirmation (Auth0's /v2/logout): it
	// ends the browser's session and sends it only to a URL the
	// application allows, otherwise it shows a page.
	Logout Endpoint
	// PushedAuthorization is the pushed authorization request endpoint
	// (RFC 9126).
	PushedAuthorization Endpoint
	// DeviceAuthorization is the device authorization endpoint (RFC
	// 8628 §3.1).
	DeviceAuthorization Endpoint

	// Tokens are this face's token rules where they differ from the
	// core's (Logto's).
	Tokens TokenRules
	// Connections are the database connection names this face knows
	// (Auth0's "Username-Password-Authentication"), all naming Monban's
	// one user directory: an authorization request's connection and the
	// password-realm grant's realm must be one of them. None: the
	// parameter is refused and the grant is not offered.
	Connections []string
	// Passwordless offers Auth0's passwordless OTP grant (the codes of
	// POST /passwordless/start) at the token endpoint.
	Passwordless bool

	// ErrorBody returns the JSON body of an error response. Nil: the RFC
	// 6749 §5.2 fields only.
	ErrorBody func(e *Error) any
}

// TokenRules are how a face's tokens differ from the core's. The zero
// value is Logto's behaviour.
type TokenRules struct {
	// ClientGrants makes client_credentials follow client grants
	// (authz.Index.ClientGrant): an app with no grant for the API is
	// refused (403 access_denied), no scope asks for every scope of the
	// grant, a scope outside it is refused rather than dropped, an unknown
	// or missing audience is access_denied; the token's sub is
	// "{client_id}@clients", with gty "client-credentials" and azp.
	ClientGrants bool
	// UserinfoAudience adds this face's userinfo endpoint to the aud of a
	// user access token issued for an API with openid, and the userinfo
	// endpoint accepts such a token.
	UserinfoAudience bool
	// GrantedAudience makes a user token request that names no resource,
	// from a grant holding exactly one, a request for that resource: the
	// authorization request's audience carries over to the code exchange
	// and to refreshes.
	GrantedAudience bool
}

// Endpoint is where one protocol endpoint lives.
type Endpoint struct {
	// URL is the endpoint's address in the discovery document.
	URL string
	// Paths are where it is mounted on the mux: the first is its own, the
	// rest aliases (Auth0's /oauth/token for Logto's /oidc/token, say).
	Paths []string
}

// path is where e is mounted first, "" if nowhere.
func (e Endpoint) path() string {
	if len(e.Paths) == 0 {
		return ""
	}
	return e.Paths[0]
}

// LogtoProfile is Logto's face for issuer ({endpoint}/oidc): every endpoint
// under /oidc, and error bodies that carry Logto's "code" and "message"
// besides the RFC fields. The root paths Auth0 clients use are Auth0's
// face (Auth0Profile).
func LogtoProfile(issuer string) Profile {
	return Profile{
		Issuer:            issuer,
		Discovery:         Endpoint{URL: issuer + "/.well-known/openid-configuration", Paths: []string{"/oidc/.well-known/openid-configuration", "/.well-known/oauth-authorization-server/oidc"}},
		JWKS:              Endpoint{URL: issuer + "/jwks", Paths: []string{"/oidc/jwks"}},
		Token:             Endpoint{URL: issuer + "/token", Paths: []string{"/oidc/token"}},
		Authorization:     Endpoint{URL: issuer + "/auth", Paths: []string{"/oidc/auth"}},
		Userinfo:          Endpoint{URL: issuer + "/me", Paths: []string{"/oidc/me"}},
		Revocation:        Endpoint{URL: issuer + "/token/revocation", Paths: []string{"/oidc/token/revocation"}},
		Introspection:     Endpoint{URL: issuer + "/token/introspection", Paths: []string{"/oidc/token/introspection"}},
		EndSession:        Endpoint{URL: issuer + "/session/end", Paths: []string{"/oidc/session/end"}},
		EndSessionConfirm: Endpoint{Paths: []string{"/oidc/session/end/confirm"}},
		ErrorBody:         logtoErrorBody,

		PushedAuthorization: Endpoint{URL: issuer + "/request", Paths: []string{"/oidc/request"}},
		DeviceAuthorization: Endpoint{URL: issuer + "/device/auth", Paths: []string{"/oidc/device/auth"}},
	}
}

// logtoErrorBody is an OAuth error with Logto's "code" and "message", so
// clients written for either read what they expect.
func logtoErrorBody(e *Error) any {
	return struct {
		Error       string `json:"error"`
		Description string `json:"error_description,omitempty"`
		Code        string `json:"code"`
		Message     string `json:"message"`
	}{e.Code, e.Description, "oidc." + e.Code, e.Description}
}

// rfcErrorBody is an OAuth error with the RFC 6749 §5.2 fields only.
func rfcErrorBody(e *Error) any {
	return struct {
		Error       string `json:"error"`
		Description string `json:"error_description,omitempty"`
	}{e.Code, e.Description}
}

type profileKey struct{}

// profile returns the face a request came through: the one its handler
// was mounted for, or the provider's own.
func (p *Provider) profile(ctx context.Context) *Profile {
	if f, ok := ctx.Value(profileKey{}).(*Profile); ok {
		return f
	}
	return &p.face
}

// issuer is the iss of tokens issued (and accepted) on a request.
func (p *Provider) issuer(ctx context.Context) string { return p.profile(ctx).Issuer }

// faceOf returns the mounted face whose issuer is issuer; "" (a record
// from before there were two) and an issuer no longer mounted are the
// provider's own.
func (p *Provider) faceOf(issuer string) *Profile {
	if f := p.faces[issuer]; f != nil {
		return f
	}
	return &p.face
}

// otherIssuers are the issuers of the mounted faces other than ctx's.
func (p *Provider) otherIssuers(ctx context.Context) []string {
	own := p.issuer(ctx)
	var out []string
	for iss := range p.faces {
		if iss != own {
			out = append(out, iss)
		}
	}
	slices.Sort(out)
	return out
}

// onFace returns r as if it had come through face f.
func (p *Provider) onFace(r *http.Request, f *Profile) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), profileKey{}, f))
}

// mounted serves a handler on behalf of face f: requests reach it with f
// in their context. The provider's own face needs no marking.
func (p *Provider) mounted(f *Profile, h http.HandlerFunc) http.HandlerFunc {
	if f == &p.face {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) {
		h(w, r.WithContext(context.WithValue(r.Context(), profileKey{}, f)))
	}
}
