package sso

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/monban/monban/internal/federation"
	"github.com/monban/monban/internal/federation/saml"
	"github.com/monban/monban/internal/store"
)

// Target is what an enterprise identity is kept under in a user's
// identities: the connector's id, prefixed (a valid identity target).
func Target(connectorID string) string { return "sso-" + connectorID }

// Provider is the upstream provider of connector c for a sign-in:
// internal/federation's OIDC client for an OIDC provider (calling back to
// callbackURL), the SAML service provider for a SAML one (whose answer
// comes to the ACS and is checked by Assert, not Exchange).
func (s *Service) Provider(ctx context.Context, c store.SSOConnector, callbackURL string) (federation.Provider, error) {
	if !Configured(c) {
		return nil, fmt.Errorf("%w: the SSO connector is not configured", federation.ErrConfig)
	}
	p, _ := ProviderByName(c.ProviderName)
	if p.Type == TypeSAML {
		sp, _, err := s.SAML(ctx, c)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", federation.ErrConfig, err)
		}
		return samlTrip{sp: sp}, nil
	}
	var cfg OIDCConfig
	if err := json.Unmarshal(c.Config, &cfg); err != nil {
		return nil, fmt.Errorf("%w: %v", federation.ErrConfig, err)
	}
	issuer := cfg.Issuer
	if p.Issuer != "" {
		issuer = p.Issuer
	}
	client := s.opts.Fetch
	if client == nil {
		client = http.DefaultClient
	}
	return federation.NewOIDC(federation.OIDCConfig{Kind: federation.EnterpriseSso, ConnectorID: c.ID, Target: Target(c.ID),
		Issuer: issuer, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Scope: strings.Fields(oidcScope(cfg.Scope)),
		RedirectURL: callbackURL, HTTP: client, Now: s.opts.Now})
}

// samlTrip starts a SAML sign-in: the RelayState is the trip's state, and
// the request's id is made from the trip's nonce, so the answer must be
// to this trip's request (InResponseTo).
type samlTrip struct{ sp *saml.SP }

// RequestID is the AuthnRequest id of trip p (an xs:ID).
func RequestID(p federation.Pending) string {
	h := sha256.Sum256([]byte("saml-request:" + p.Nonce))
	return "id-" + hex.EncodeToString(h[:20])
}

func (t samlTrip) AuthURL(_ context.Context, p federation.Pending) (string, error) {
	u, err := t.sp.SignInURLWithID(p.State, RequestID(p))
	if err != nil {
		return "", fmt.Errorf("%w: %v", federation.ErrConfig, err)
	}
	return u, nil
}

// Exchange is not how a SAML answer is read (it is posted to the ACS).
func (samlTrip) Exchange(context.Context, federation.Pending, federation.Callback) (federation.Identity, error) {
	return federation.Identity{}, fmt.Errorf("%w: a SAML answer goes to the ACS", federation.ErrCallback)
}

// ErrAssertion: a SAML answer was refused (federation.ErrToken wraps it
// too).
var ErrAssertion = errors.New("sso: the SAML answer was refused")

// Assert checks the SAML answer samlResponse to trip p of connector c and
// returns the identity it proves. The e-mail address counts as verified
// only when its domain is one of the connector's: the IdP speaks for its
// own domains, not for others'.
func (s *Service) Assert(ctx context.Context, c store.SSOConnector, p federation.Pending, samlResponse string) (federation.Identity, error) {
	sp, mapping, err := s.SAML(ctx, c)
	if err != nil {
		return federation.Identity{}, fmt.Errorf("%w: %v", federation.ErrConfig, err)
	}
	a, err := sp.Consume(samlResponse, RequestID(p))
	if err != nil {
		return federation.Identity{}, fmt.Errorf("%w: %w: %v", federation.ErrToken, ErrAssertion, err)
	}
	id := federation.Identity{Kind: federation.EnterpriseSso, ConnectorID: c.ID, Target: Target(c.ID),
		ExternalID: a.First(mapping["id"]), Email: strings.TrimSpace(a.First(mapping["email"])), Name: a.First(mapping["name"]),
		Issuer: a.Issuer, Details: map[string]any{"nameID": a.NameID, "attributes": a.Attributes}}
	if id.ExternalID == "" {
		return federation.Identity{}, fmt.Errorf("%w: %w: no %s in the assertion", federation.ErrToken, ErrAssertion, mapping["id"])
	}
	id.EmailVerified = OwnsDomain(c, id.Email)
	return id, nil
}

// OwnsDomain reports whether the domain of email is one of c's.
func OwnsDomain(c store.SSOConnector, email string) bool {
	at := strings.LastIndexByte(email, '@')
	if at <= 0 {
		return false
	}
	d := strings.ToLower(email[at+1:])
	for _, x := range c.Domains {
		if x == d {
			return true
		}
	}
	return false
}
