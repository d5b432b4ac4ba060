// Package oidc implements the OAuth 2.0 / OpenID Connect endpoints: discovery,
// JWKS and the token endpoint (one file per grant).
package oidc

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/clientauth"
	"github.com/monban/monban/internal/store"
)

// Customizer adds custom claims to an access token being issued (the custom
// JWT claims scripts). A nil Customizer adds none.
type Customizer interface {
	// ClientCredentials returns extra claims for an M2M access token, or an
	// *Error to refuse issuance.
	ClientCredentials(ctx context.Context, in ClientCredentialsInput) (map[string]any, *Error)
	// AccessToken returns extra claims for a user access token (Logto's
	// "access-token" script), or an *Error to refuse issuance.
	AccessToken(ctx context.Context, in AccessTokenInput) (map[string]any, *Error)
}

// ClientCredentialsInput is what a customizer sees of a client_credentials
// token request.
type ClientCredentialsInput struct {
	JTI      string
	Audience string
	Scope    string
	App      store.Application
}

// Config configures a Provider.
type Config struct {
	Issuer     string // {endpoint}/oidc
	Catalog    *catalog.Cache
	Hasher     *clientauth.Hasher
	Customizer Customizer
	Observer   Observer // nil: none
	Logger     *slog.Logger
	Now        func() time.Time

	// Users, when set, enables the end-user endpoints (see UsersConfig).
	Users *UsersConfig
}

// Provider serves the protocol endpoints.
type Provider struct {
	cfg       Config
	discovery []byte
	u         *users // nil without Config.Users
}

// New returns a Provider.
func New(cfg Config) *Provider {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	p := &Provider{cfg: cfg}
	p.discovery = buildDiscovery(cfg.Issuer, cfg.Users != nil)
	return p
}

// Register mounts the endpoints on mux: under /oidc, and the aliases Auth0
// clients use (/oauth/token, /.well-known/jwks.json).
func (p *Provider) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /oidc/.well-known/openid-configuration", p.serveDiscovery)
	mux.HandleFunc("GET /.well-known/oauth-authorization-server/oidc", p.serveDiscovery)
	mux.HandleFunc("GET /oidc/jwks", p.serveJWKS)
	mux.HandleFunc("GET /.well-known/jwks.json", p.serveJWKS)
	mux.HandleFunc("POST /oidc/token", p.serveToken)
	mux.HandleFunc("POST /oauth/token", p.serveToken)
	for _, path := range []string{"/oidc/token", "/oauth/token"} {
		mux.HandleFunc(path, methodNotAllowed("POST"))
	}
	p.registerUsers(mux)
}

func methodNotAllowed(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		writeError(w, &Error{Status: http.StatusMethodNotAllowed, Code: "invalid_request", Description: "method not allowed; use " + allow})
	}
}
