// Package oidc implements the OAuth 2.0 / OpenID Connect endpoints: discovery,
// JWKS and the token endpoint (one file per grant, listed in a registry),
// and with Config.Users the end-user ones. The core is mounted for an issuer
// Profile (paths, discovery document, error bodies): Logto's by default,
// and a second issuer can mount the same core with its own.
package oidc

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/monban/monban/internal/audit"
	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/clientauth"
	"github.com/monban/monban/internal/replay"
	"github.com/monban/monban/internal/store"
)

// Customizer adds custom claims to an access token being issued (the custom
// JWT claims scripts). A nil Customizer adds none.
type Customizer interface {
	// ClientCredentials returns extra claims for an M2M access token, or an
	// *Error to refuse issuance.
	ClientCredentials(ctx context.Context, in ClientCredentialsInput) (map[string]any, *Error)
	// AccessToken returns extra claims for a user access token (Logto's
	// "access-token" script) and for the ID token issued with it (an Auth0
	// Action's), or an *Error to refuse issuance.
	AccessToken(ctx context.Context, in AccessTokenInput) (CustomClaims, *Error)
}

// CustomClaims are the claims a Customizer adds to a user's tokens.
type CustomClaims struct {
	Access map[string]any // the access token's
	ID     map[string]any // the ID token's, when one is issued
}

// ClientCredentialsInput is what a customizer sees of a client_credentials
// token request.
type ClientCredentialsInput struct {
	JTI      string
	Audience string
	Scope    string
	App      store.Application
	Request  RequestInfo
}

// RequestInfo describes the token request behind a token, for a
// Customizer. Query and Body are the parameters as sent, secrets included:
// a customizer that shows them to a script leaves the secrets out.
type RequestInfo struct {
	IP        string // as the server's trusted proxies say, else the peer's
	Hostname  string // the Host the request was sent to
	UserAgent string
	Language  string // Accept-Language
	Method    string
	Query     url.Values
	Body      url.Values // the token request's parameters (form or JSON)
}

// requestInfo describes r, whose parameters are params.
func (p *Provider) requestInfo(r *http.Request, params url.Values) RequestInfo {
	ip := ""
	if p.u != nil && p.u.ClientIP != nil {
		ip = p.u.ClientIP(r)
	}
	if ip == "" {
		if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
			ip = host
		} else {
			ip = r.RemoteAddr
		}
	}
	return RequestInfo{
		IP: ip, Hostname: r.Host, UserAgent: r.UserAgent(), Language: r.Header.Get("Accept-Language"),
		Method: r.Method, Query: r.URL.Query(), Body: params,
	}
}

// Config configures a Provider.
type Config struct {
	Issuer string // {endpoint}/oidc
	// Profile is the provider's own face; nil: LogtoProfile(Issuer). Its
	// Issuer then replaces Issuer.
	Profile *Profile
	Catalog *catalog.Cache
	Hasher  *clientauth.Hasher
	// ClientKeys finds the keys of apps that authenticate with
	// private_key_jwt, and Replay records the ids of their assertions and
	// of DPoP proofs; without both, client assertions are refused and
	// DPoP is not offered.
	ClientKeys *clientauth.Keys
	Replay     replay.Cache
	// DPoPNonce makes DPoP proofs carry a nonce the server gave
	// (use_dpop_nonce, RFC 9449 §8).
	DPoPNonce  bool
	Customizer Customizer
	Observer   Observer // nil: none
	// InteractionAudit is told of every sign-in interaction started
	// (Logto's Interaction.Create); nil: none. It must not block.
	InteractionAudit func(context.Context, audit.Interaction)
	Logger           *slog.Logger
	Now              func() time.Time

	// Users, when set, enables the end-user endpoints (see UsersConfig).
	Users *UsersConfig
	// Passwordless exchanges Auth0's passwordless codes for users, for
	// the passwordless OTP grant; nil: that grant is refused.
	Passwordless PasswordlessSignIn
	// Federated reports whether name is the connection of an upstream
	// provider (an enterprise SSO connector) that the hosted pages sign
	// in through, which an authorization request's connection parameter
	// (Auth0's) may name on a face with connections; nil: none.
	Federated func(ctx context.Context, name string) bool
}

// Provider serves the protocol endpoints.
type Provider struct {
	cfg  Config
	face Profile // the provider's own
	// faces are the mounted faces by issuer, the provider's own among
	// them, for resuming what one of them started.
	faces map[string]*Profile
	u     *users // nil without Config.Users
	// tokenPaths are the paths of every mounted token endpoint.
	tokenPaths map[string]bool
	// signInPaths are the paths that may start or advance a stored sign-in
	// interaction: every mounted authorization endpoint and the sign-in
	// page.
	signInPaths map[string]bool
}

// New returns a Provider.
func New(cfg Config) *Provider {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	p := &Provider{cfg: cfg, faces: map[string]*Profile{}, tokenPaths: map[string]bool{}, signInPaths: map[string]bool{}}
	if cfg.Profile != nil {
		p.face = *cfg.Profile
		p.cfg.Issuer = p.face.Issuer
	} else {
		p.face = LogtoProfile(cfg.Issuer)
	}
	p.u = newUsers(cfg.Users, cfg.Now)
	return p
}

// Register mounts the endpoints of the provider's own face on mux (for
// Logto's: under /oidc). The hosted sign-in pages (internal/signin) are
// mounted beside it, at SignInPath; they resume each sign-in on the face
// whose authorization endpoint started it (Begin, Check, Complete).
func (p *Provider) Register(mux *http.ServeMux) {
	p.mount(mux, &p.face)
}

// Mount mounts the endpoints of another face f on mux, beside those of
// Register: the same clients, keys, grants and sessions, with f's paths,
// discovery document, issuer and error bodies. f's paths must not be ones
// already mounted. Call it before serving.
func (p *Provider) Mount(mux *http.ServeMux, f Profile) {
	p.mount(mux, &f)
}

// IsTokenPath reports whether a token endpoint is mounted at path (for the
// rate limits in front of it).
func (p *Provider) IsTokenPath(path string) bool { return p.tokenPaths[path] }

// IsSignInPath reports whether a request to path may store a sign-in
// interaction (an authorization endpoint), for the per-address limit in
// front of them. The hosted pages' paths are the pages' own to name.
func (p *Provider) IsSignInPath(path string) bool { return p.signInPaths[path] }

// mount mounts the endpoints of face f.
func (p *Provider) mount(mux *http.ServeMux, f *Profile) {
	p.faces[f.Issuer] = f
	handle := func(methods string, e Endpoint, h http.HandlerFunc) {
		for _, path := range e.Paths {
			for _, m := range strings.Split(methods, ", ") {
				mux.HandleFunc(m+" "+path, p.mounted(f, h))
			}
		}
	}
	// Other methods are refused with an OAuth error.
	refuse := func(allow string, e Endpoint) {
		for _, path := range e.Paths {
			mux.HandleFunc(path, p.mounted(f, p.methodNotAllowed(allow)))
		}
	}
	doc := buildDiscovery(f, p.u != nil, p.senderBound())
	handle("GET", f.Discovery, func(w http.ResponseWriter, r *http.Request) { serveDiscovery(w, doc) })
	handle("GET", f.JWKS, p.serveJWKS)
	handle("POST", f.Token, p.serveToken)
	refuse("POST", f.Token)
	for _, path := range f.Token.Paths {
		p.tokenPaths[path] = true
	}
	if p.u == nil {
		return
	}
	handle("GET, POST", f.Authorization, p.serveAuthorize)
	refuse("GET, POST", f.Authorization)
	for _, path := range f.Authorization.Paths {
		p.signInPaths[path] = true
	}
	handle("GET, POST", f.Userinfo, p.serveUserinfo)
	handle("OPTIONS", f.Userinfo, p.servePreflight)
	refuse("GET, POST", f.Userinfo)
	handle("POST", f.Revocation, p.serveRevocation)
	handle("OPTIONS", f.Revocation, p.servePreflight)
	refuse("POST", f.Revocation)
	handle("POST", f.Introspection, p.serveIntrospection)
	refuse("POST", f.Introspection)
	handle("OPTIONS", f.Token, p.servePreflight)
	handle("GET, POST", f.EndSession, p.serveEndSession)
	refuse("GET, POST", f.EndSession)
	handle("POST", f.EndSessionConfirm, p.serveEndSessionConfirm)
	refuse("POST", f.EndSessionConfirm)
	handle("GET", f.Logout, p.serveLogout)
	refuse("GET", f.Logout)
	handle("POST", f.PushedAuthorization, p.servePushedRequest)
	handle("OPTIONS", f.PushedAuthorization, p.servePreflight)
	refuse("POST", f.PushedAuthorization)
	for _, path := range f.PushedAuthorization.Paths {
		// Client-authenticated like the token endpoint, and limited as
		// one.
		p.tokenPaths[path] = true
	}
	handle("POST", f.DeviceAuthorization, p.serveDeviceAuthorization)
	refuse("POST", f.DeviceAuthorization)
	for _, path := range f.DeviceAuthorization.Paths {
		// Client-authenticated like the token endpoint, and limited as
		// one.
		p.tokenPaths[path] = true
	}
}

// senderBound reports whether private_key_jwt and DPoP are offered.
func (p *Provider) senderBound() bool { return p.cfg.ClientKeys != nil && p.cfg.Replay != nil }

// methodNotAllowed refuses a method the endpoint does not serve.
func (p *Provider) methodNotAllowed(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		p.writeError(w, r, &Error{Status: http.StatusMethodNotAllowed, Code: "invalid_request", Description: "method not allowed; use " + allow})
	}
}
