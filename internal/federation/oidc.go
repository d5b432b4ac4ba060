package federation

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// OIDCConfig configures an upstream OpenID Connect provider.
type OIDCConfig struct {
	Kind        Kind
	ConnectorID string
	Target      string
	// Issuer is the provider's issuer; its discovery document is read
	// from {Issuer}/.well-known/openid-configuration and must name it.
	Issuer       string
	ClientID     string
	ClientSecret string
	// AuthStyle is how the client authenticates at the token endpoint
	// (zero: HTTP Basic when there is a secret, else in the body).
	AuthStyle oauth2.AuthStyle
	// AuthURL, TokenURL and JWKSURL, when AuthURL is set, are the
	// provider's endpoints and keys, and no discovery is read.
	AuthURL, TokenURL, JWKSURL string
	// Scope is asked for; "openid" is always added.
	Scope []string
	// RedirectURL is the callback registered at the provider.
	RedirectURL string
	// AuthParams are added to the authorization request (prompt, …).
	AuthParams url.Values
	// ResponseMode is sent as response_mode when set (Apple's
	// form_post).
	ResponseMode string
	// IssuerTemplate, when set, is how the issuer of ID tokens is
	// written with "{tenantid}" for the token's tid claim (Microsoft
	// Entra ID's multi-tenant endpoints, whose discovery names no one
	// issuer). Empty: ID tokens are of Issuer.
	IssuerTemplate string
	// Secret, when set, makes the client secret for each token request
	// (Apple's client secret, a JWT signed by the developer's key);
	// ClientSecret is then unused.
	Secret func(now time.Time) (string, error)
	// Mapping names the claims of the identity; the zero value is the
	// standard claims.
	Mapping ClaimMapping
	// TrustEmail: the provider verifies every address it gives, whatever
	// its email_verified says (the administrator says so).
	TrustEmail bool
	// HTTP fetches from the provider (nil: Client(nil)).
	HTTP *http.Client
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// OIDC is an upstream OpenID Connect provider. Its discovery document is
// read when first needed and kept for an hour; its keys are fetched as
// go-oidc's remote key set does (again when a token names an unknown
// key).
type OIDC struct {
	cfg OIDCConfig

	mu       sync.Mutex
	provider *oidc.Provider
	meta     discoveryExtra
	readAt   time.Time
}

// discoveryExtra is what go-oidc does not read of the discovery document.
type discoveryExtra struct {
	IssParameter bool `json:"authorization_response_iss_parameter_supported"`
}

// discoveryTTL is how long a discovery document is kept.
const discoveryTTL = time.Hour

// NewOIDC returns the provider of cfg; its configuration is checked, the
// provider is not reached until it is needed.
func NewOIDC(cfg OIDCConfig) (*OIDC, error) {
	u, err := url.Parse(cfg.Issuer)
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("%w: issuer must be an absolute http(s) URL without query or fragment", ErrConfig)
	case cfg.ClientID == "":
		return nil, fmt.Errorf("%w: clientId is required", ErrConfig)
	case cfg.RedirectURL == "":
		return nil, fmt.Errorf("%w: no redirect URL", ErrConfig)
	case cfg.AuthURL != "" && (cfg.TokenURL == "" || cfg.JWKSURL == ""):
		return nil, fmt.Errorf("%w: without discovery, the token endpoint and the JWKS URI are required", ErrConfig)
	}
	if cfg.HTTP == nil {
		cfg.HTTP = Client(nil)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Kind == "" {
		cfg.Kind = Social
	}
	return &OIDC{cfg: cfg}, nil
}

// discover returns the provider's discovery, read again once it is old.
func (o *OIDC) discover(ctx context.Context) (*oidc.Provider, discoveryExtra, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider != nil && o.cfg.Now().Sub(o.readAt) < discoveryTTL {
		return o.provider, o.meta, nil
	}
	ctx = oidc.ClientContext(ctx, o.cfg.HTTP)
	if o.cfg.AuthURL != "" {
		p := (&oidc.ProviderConfig{IssuerURL: o.cfg.Issuer, AuthURL: o.cfg.AuthURL, TokenURL: o.cfg.TokenURL, JWKSURL: o.cfg.JWKSURL}).NewProvider(ctx)
		o.provider, o.meta, o.readAt = p, discoveryExtra{}, o.cfg.Now()
		return p, o.meta, nil
	}
	if o.cfg.IssuerTemplate != "" {
		// The discovery document names a templated issuer, not the URL it
		// is read from; tokens are checked against the template instead.
		ctx = oidc.InsecureIssuerURLContext(ctx, o.cfg.Issuer)
	}
	p, err := oidc.NewProvider(ctx, o.cfg.Issuer)
	if err != nil {
		return nil, discoveryExtra{}, fmt.Errorf("%w: discovery of %s: %v", ErrUpstream, o.cfg.Issuer, err)
	}
	var extra discoveryExtra
	_ = p.Claims(&extra)
	o.provider, o.meta, o.readAt = p, extra, o.cfg.Now()
	return p, extra, nil
}

// oauth2Config is the client of the provider p.
func (o *OIDC) oauth2Config(p *oidc.Provider, secret string) *oauth2.Config {
	scope := []string{oidc.ScopeOpenID}
	for _, s := range o.cfg.Scope {
		if s != "" && !slices.Contains(scope, s) {
			scope = append(scope, s)
		}
	}
	ep := p.Endpoint()
	ep.AuthStyle = authStyle(o.cfg.AuthStyle, secret)
	return &oauth2.Config{ClientID: o.cfg.ClientID, ClientSecret: secret, Endpoint: ep, RedirectURL: o.cfg.RedirectURL, Scopes: scope}
}

// AuthURL is the provider's authorization endpoint with the request of
// trip p: code flow, PKCE S256, state and nonce.
func (o *OIDC) AuthURL(ctx context.Context, p Pending) (string, error) {
	prov, _, err := o.discover(ctx)
	if err != nil {
		return "", err
	}
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(p.Verifier), oidc.Nonce(p.Nonce)}
	if o.cfg.ResponseMode != "" {
		opts = append(opts, oauth2.SetAuthURLParam("response_mode", o.cfg.ResponseMode))
	}
	for k, vs := range o.cfg.AuthParams {
		switch k {
		case "state", "nonce", "code_challenge", "code_challenge_method", "client_id", "redirect_uri", "response_type", "scope":
			continue // the flow's own
		}
		for _, v := range vs {
			opts = append(opts, oauth2.SetAuthURLParam(k, v))
		}
	}
	return o.oauth2Config(prov, "").AuthCodeURL(p.State, opts...), nil
}

// Exchange checks the callback of trip p, redeems its code and verifies
// the ID token.
func (o *OIDC) Exchange(ctx context.Context, p Pending, cb Callback) (Identity, error) {
	if !p.Matches(cb.State) {
		return Identity{}, ErrState
	}
	prov, meta, err := o.discover(ctx)
	if err != nil {
		return Identity{}, err
	}
	// RFC 9207: an iss that is not the provider's is a mix-up; a provider
	// that says it sends iss must send it.
	if cb.Iss != "" && cb.Iss != o.cfg.Issuer || cb.Iss == "" && meta.IssParameter {
		return Identity{}, ErrMixUp
	}
	if cb.Error != "" {
		return Identity{}, fmt.Errorf("%w: %s", ErrDenied, cb.Error)
	}
	secret := o.cfg.ClientSecret
	if o.cfg.Secret != nil {
		if secret, err = o.cfg.Secret(o.cfg.Now()); err != nil {
			return Identity{}, fmt.Errorf("%w: client secret: %v", ErrConfig, err)
		}
	}
	tok, err := o.oauth2Config(prov, secret).Exchange(oidc.ClientContext(ctx, o.cfg.HTTP), cb.Code, oauth2.VerifierOption(p.Verifier))
	if err != nil {
		return Identity{}, exchangeError(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return Identity{}, fmt.Errorf("%w: the token response has no id_token", ErrToken)
	}
	claims, err := o.verify(ctx, prov, raw, p.Nonce)
	if err != nil {
		return Identity{}, err
	}
	if cb.User != "" {
		mergeAppleUser(claims, cb.User)
	}
	id, err := o.cfg.Mapping.identity(o.cfg.Kind, o.cfg.ConnectorID, o.cfg.Target, claims)
	if err == nil && o.cfg.TrustEmail && id.Email != "" {
		id.EmailVerified = true
	}
	return id, err
}

// verify checks the ID token raw: signed by the provider's keys, of its
// issuer, for this client, not expired, with nonce. It returns its
// claims.
func (o *OIDC) verify(ctx context.Context, prov *oidc.Provider, raw, nonce string) (map[string]any, error) {
	vc := &oidc.Config{ClientID: o.cfg.ClientID, Now: o.cfg.Now, SkipIssuerCheck: o.cfg.IssuerTemplate != ""}
	idt, err := prov.VerifierContext(oidc.ClientContext(ctx, o.cfg.HTTP), vc).Verify(oidc.ClientContext(ctx, o.cfg.HTTP), raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrToken, err)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return nil, fmt.Errorf("%w: claims: %v", ErrToken, err)
	}
	if o.cfg.IssuerTemplate != "" {
		tid, _ := claims["tid"].(string)
		if tid == "" || strings.ContainsAny(tid, "/?#") || idt.Issuer != strings.ReplaceAll(o.cfg.IssuerTemplate, "{tenantid}", tid) {
			return nil, fmt.Errorf("%w: issuer %q is not of the provider", ErrToken, idt.Issuer)
		}
	}
	if idt.Nonce == "" || !(Pending{State: nonce}).Matches(idt.Nonce) {
		return nil, fmt.Errorf("%w: nonce does not match", ErrToken)
	}
	// A token for several audiences must name this client as its
	// authorized party (OIDC Core 3.1.3.7).
	if azp, ok := claims["azp"].(string); ok && azp != o.cfg.ClientID || len(idt.Audience) > 1 && !ok {
		return nil, fmt.Errorf("%w: authorized party is not this client", ErrToken)
	}
	return claims, nil
}

// authStyle is style, or when it is zero HTTP Basic for a client with a
// secret and the body for one without.
func authStyle(style oauth2.AuthStyle, secret string) oauth2.AuthStyle {
	switch {
	case style != oauth2.AuthStyleAutoDetect:
		return style
	case secret != "":
		return oauth2.AuthStyleInHeader
	}
	return oauth2.AuthStyleInParams
}

// exchangeError sorts an error of the token endpoint: a refusal of the
// code is ErrToken, anything else ErrUpstream. The provider's answer is
// not repeated (it might echo a secret).
func exchangeError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode >= 400 && re.Response.StatusCode < 500 {
		return fmt.Errorf("%w: the provider refused the code (%d %s)", ErrToken, re.Response.StatusCode, re.ErrorCode)
	}
	return fmt.Errorf("%w: redeeming the code failed", ErrUpstream)
}
