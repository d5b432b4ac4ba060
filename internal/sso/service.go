package sso

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/monban/monban/internal/federation/saml"
	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/replay"
	"github.com/monban/monban/internal/store"
)

// ErrorKind is why the service refused a change.
type ErrorKind int

const (
	InvalidConfig ErrorKind = iota + 1
	InvalidMetadata
	ProviderNotFound
	ForbiddenDomains
	DuplicatedDomains
	DuplicateName
	NotFound
	SigningKeyRequired
)

// Error is a refusal; the faces word it (Logto's codes in
// internal/management).
type Error struct {
	Kind    ErrorKind
	Message string
	Data    []string
}

func (e *Error) Error() string { return e.Message }

// Options configure a Service.
type Options struct {
	// Endpoint is the server's public base URL (no trailing slash); the
	// SP's entity id and ACS URL are made from it.
	Endpoint string
	// Fetch reads IdP metadata and OIDC discovery; build it under the
	// egress policy. Nil: metadata URLs are refused.
	Fetch *http.Client
	// Replay records SAML assertion ids; nil: an in-memory cache.
	Replay replay.Cache
	Now    func() time.Time
}

// Service keeps SSO connectors.
type Service struct {
	st   store.SSOConnectorStore
	opts Options
}

// New returns a Service over st.
func New(st store.SSOConnectorStore, o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Replay == nil {
		o.Replay = replay.NewMemory(10000, o.Now)
	}
	o.Endpoint = strings.TrimRight(o.Endpoint, "/")
	return &Service{st: st, opts: o}
}

// Input is a create or change: nil fields are left as they are (a create
// needs ProviderName and ConnectorName).
type Input struct {
	ProviderName  string
	ConnectorName *string
	Config        json.RawMessage
	Domains       *[]string
	Branding      json.RawMessage
	SyncProfile   *bool
}

// View is a connector as the API shows it: the stored row with the
// config's secrets left out, and its provider.
type View struct {
	store.SSOConnector
	Provider     Provider
	PublicConfig json.RawMessage
}

func (s *Service) view(c store.SSOConnector) View {
	p, _ := ProviderByName(c.ProviderName)
	return View{SSOConnector: c, Provider: p, PublicConfig: publicConfig(c.Config)}
}

// brandingKeys are Logto's branding fields.
var brandingKeys = map[string]bool{"displayName": true, "logo": true, "darkLogo": true}

func checkBranding(raw json.RawMessage) (json.RawMessage, error) {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, &Error{Kind: InvalidConfig, Message: "branding must be an object"}
	}
	for k, v := range m {
		if !brandingKeys[k] {
			return nil, &Error{Kind: InvalidConfig, Message: fmt.Sprintf("branding.%s is not displayName, logo or darkLogo", k)}
		}
		if _, ok := v.(string); !ok {
			return nil, &Error{Kind: InvalidConfig, Message: fmt.Sprintf("branding.%s must be a string", k)}
		}
	}
	return json.Marshal(m)
}

// apply checks in and writes it over c.
func (s *Service) apply(ctx context.Context, c *store.SSOConnector, in Input) error {
	p, _ := ProviderByName(c.ProviderName)
	if in.ConnectorName != nil {
		n := strings.TrimSpace(*in.ConnectorName)
		if n == "" || len(n) > 128 {
			return &Error{Kind: InvalidConfig, Message: "connectorName must be 1 to 128 characters"}
		}
		c.ConnectorName = n
	}
	if in.Domains != nil {
		ds, err := normalizeDomains(*in.Domains)
		if err != nil {
			return err
		}
		c.Domains = ds
	}
	if len(in.Branding) > 0 {
		b, err := checkBranding(in.Branding)
		if err != nil {
			return err
		}
		c.Branding = b
	}
	if in.SyncProfile != nil {
		c.SyncProfile = *in.SyncProfile
	}
	if len(in.Config) > 0 {
		raw := in.Config
		if p.Type == TypeOIDC {
			raw = keepSecret(raw, c.Config)
		}
		cfg, err := parseConfig(p, raw)
		if err != nil {
			return err
		}
		c.Config = cfg
		// Logto checks that a configuration can reach its provider.
		if p.Type == TypeSAML {
			if _, err := s.idp(ctx, *c); err != nil {
				return err
			}
		}
	}
	return nil
}

// Create makes a connector.
func (s *Service) Create(ctx context.Context, in Input) (View, error) {
	if _, ok := ProviderByName(in.ProviderName); !ok {
		return View{}, &Error{Kind: ProviderNotFound, Message: fmt.Sprintf("no SSO provider %q", in.ProviderName)}
	}
	if in.ConnectorName == nil {
		return View{}, &Error{Kind: InvalidConfig, Message: "connectorName is required"}
	}
	c := store.SSOConnector{ID: randid.ID(), ProviderName: in.ProviderName, Config: []byte("{}"), Domains: []string{},
		Branding: []byte("{}"), CreatedAt: s.opts.Now().UTC().Truncate(time.Millisecond)}
	if err := s.apply(ctx, &c, in); err != nil {
		return View{}, err
	}
	if err := s.st.CreateSSOConnector(ctx, c); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return View{}, &Error{Kind: DuplicateName, Message: "an SSO connector with this name exists"}
		}
		return View{}, err
	}
	return s.view(c), nil
}

// Update changes a connector.
func (s *Service) Update(ctx context.Context, id string, in Input) (View, error) {
	c, err := s.get(ctx, id)
	if err != nil {
		return View{}, err
	}
	if err := s.apply(ctx, &c, in); err != nil {
		return View{}, err
	}
	if err := s.st.UpdateSSOConnector(ctx, c); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return View{}, &Error{Kind: DuplicateName, Message: "an SSO connector with this name exists"}
		}
		return View{}, err
	}
	return s.view(c), nil
}

func (s *Service) get(ctx context.Context, id string) (store.SSOConnector, error) {
	c, err := s.st.GetSSOConnector(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return c, &Error{Kind: NotFound, Message: fmt.Sprintf("no SSO connector with id %s", id)}
	}
	return c, err
}

// Get returns a connector.
func (s *Service) Get(ctx context.Context, id string) (View, error) {
	c, err := s.get(ctx, id)
	if err != nil {
		return View{}, err
	}
	return s.view(c), nil
}

// Connector returns a connector's stored row (secrets included), for a
// sign-in.
func (s *Service) Connector(ctx context.Context, id string) (store.SSOConnector, error) {
	return s.get(ctx, id)
}

// List returns a page of connectors and the total.
func (s *Service) List(ctx context.Context, page store.Page) ([]View, int, error) {
	list, total, err := s.st.ListSSOConnectors(ctx, page)
	if err != nil {
		return nil, 0, err
	}
	out := make([]View, len(list))
	for i, c := range list {
		out[i] = s.view(c)
	}
	return out, total, nil
}

// Delete removes a connector.
func (s *Service) Delete(ctx context.Context, id string) error {
	err := s.st.DeleteSSOConnector(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return &Error{Kind: NotFound, Message: fmt.Sprintf("no SSO connector with id %s", id)}
	}
	return err
}

// ByName returns the configured connector named name (Auth0's connection
// name); false when there is none.
func (s *Service) ByName(ctx context.Context, name string) (store.SSOConnector, bool, error) {
	list, _, err := s.st.ListSSOConnectors(ctx, store.Page{})
	if err != nil {
		return store.SSOConnector{}, false, err
	}
	for _, c := range list {
		if c.ConnectorName == name && Configured(c) {
			return c, true, nil
		}
	}
	return store.SSOConnector{}, false, nil
}

// Configured reports whether c can sign people in.
func Configured(c store.SSOConnector) bool {
	return len(c.Config) > 2 // not "{}"
}

// ForEmail returns the configured connectors that claim the domain of
// email (Logto's domain routing), oldest first.
func (s *Service) ForEmail(ctx context.Context, email string) ([]store.SSOConnector, error) {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return nil, nil
	}
	domain := strings.ToLower(email[at+1:])
	list, _, err := s.st.ListSSOConnectors(ctx, store.Page{})
	if err != nil {
		return nil, err
	}
	var out []store.SSOConnector
	for _, c := range list {
		if !Configured(c) {
			continue
		}
		for _, d := range c.Domains {
			if d == domain {
				out = append(out, c)
				break
			}
		}
	}
	return out, nil
}

// EntityID is the SP entity id of connector id (Logto's).
func (s *Service) EntityID(id string) string { return s.opts.Endpoint + "/enterprise-sso/" + id }

// ACS is the assertion consumer service URL of connector id (Logto's).
func (s *Service) ACS(id string) string { return s.opts.Endpoint + ACSPath(id) }

// ACSPath is the path of the ACS of connector id.
func ACSPath(id string) string { return "/api/authn/single-sign-on/saml/" + id }

// idp reads the IdP of a SAML connector's config.
func (s *Service) idp(ctx context.Context, c store.SSOConnector) (saml.IdP, error) {
	var cfg SAMLConfig
	if err := json.Unmarshal(c.Config, &cfg); err != nil {
		return saml.IdP{}, &Error{Kind: InvalidConfig, Message: "the connector is not configured"}
	}
	var (
		idp saml.IdP
		err error
	)
	switch {
	case cfg.Metadata != "":
		idp, err = saml.ParseMetadata([]byte(cfg.Metadata))
	case cfg.MetadataURL != "":
		if s.opts.Fetch == nil {
			return saml.IdP{}, &Error{Kind: InvalidMetadata, Message: "metadata URLs cannot be fetched by this server"}
		}
		var doc []byte
		doc, err = saml.FetchMetadata(ctx, s.opts.Fetch, cfg.MetadataURL)
		if err == nil {
			idp, err = saml.ParseMetadata(doc)
		}
	case cfg.EntityID != "":
		idp, err = saml.ManualIdP(cfg.EntityID, cfg.SignInEndpoint, cfg.X509Certificate)
	default:
		return saml.IdP{}, &Error{Kind: InvalidConfig, Message: "the connector is not configured"}
	}
	if err != nil {
		return saml.IdP{}, &Error{Kind: InvalidMetadata, Message: err.Error()}
	}
	return idp, nil
}

// SAML returns the service provider of a SAML connector and its
// attribute mapping.
func (s *Service) SAML(ctx context.Context, c store.SSOConnector) (*saml.SP, map[string]string, error) {
	p, _ := ProviderByName(c.ProviderName)
	if p.Type != TypeSAML {
		return nil, nil, &Error{Kind: InvalidConfig, Message: "not a SAML connector"}
	}
	idp, err := s.idp(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	sp, err := saml.New(saml.Config{EntityID: s.EntityID(c.ID), ACS: s.ACS(c.ID), IdP: idp, Replay: s.opts.Replay})
	if err != nil {
		return nil, nil, err
	}
	var cfg SAMLConfig
	_ = json.Unmarshal(c.Config, &cfg)
	return sp, cfg.Mapping(), nil
}

// SPMetadata is the SAML SP metadata document of connector id. It needs
// no IdP, so it can be handed to the IdP before the connector is
// configured.
func (s *Service) SPMetadata(ctx context.Context, id string) ([]byte, error) {
	c, err := s.get(ctx, id)
	if err != nil {
		return nil, err
	}
	if p, _ := ProviderByName(c.ProviderName); p.Type != TypeSAML {
		return nil, &Error{Kind: NotFound, Message: "not a SAML connector"}
	}
	return saml.SPMetadata(s.EntityID(id), s.ACS(id))
}

// ProviderConfig is Logto's providerConfig of a connector: for SAML, the
// SP's entity id and ACS URL and what the IdP's metadata says; for OIDC,
// the configuration without its secret. ok is false when it cannot be
// read (Logto then leaves the field out).
func (s *Service) ProviderConfig(ctx context.Context, c store.SSOConnector) (map[string]any, bool) {
	p, _ := ProviderByName(c.ProviderName)
	if p.Type == TypeOIDC {
		if !Configured(c) {
			return nil, false
		}
		var m map[string]any
		if json.Unmarshal(publicConfig(c.Config), &m) != nil {
			return nil, false
		}
		if p.Issuer != "" {
			m["issuer"] = p.Issuer
		}
		m["scope"] = oidcScope(m["scope"])
		return m, true
	}
	var cfg SAMLConfig
	_ = json.Unmarshal(c.Config, &cfg)
	out := map[string]any{
		"defaultAttributeMapping": map[string]string{"id": "nameID", "email": "email", "name": "name"},
		"serviceProvider":         map[string]string{"entityId": s.EntityID(c.ID), "assertionConsumerServiceUrl": s.ACS(c.ID)},
	}
	if Configured(c) {
		if idp, err := s.idp(ctx, c); err == nil {
			cert, exp := idp.Certificate()
			out["identityProvider"] = map[string]any{"entityId": idp.EntityID(), "signInEndpoint": idp.SignInEndpoint(),
				"x509Certificate": cert, "certificateExpiresAt": exp.UnixMilli(), "isCertificateValid": s.opts.Now().Before(exp)}
		}
	}
	return out, true
}

// oidcScope is the configured scope with openid, profile and email added
// (Logto's scopePostProcessor).
func oidcScope(v any) string {
	s, _ := v.(string)
	seen := map[string]bool{}
	out := []string{}
	for _, sc := range append([]string{"openid", "profile", "email"}, strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '+' })...) {
		if !seen[sc] {
			seen[sc] = true
			out = append(out, sc)
		}
	}
	return strings.Join(out, " ")
}

// keepSecret gives a new OIDC config that leaves clientSecret out the
// stored one, so that a config read back (without its secret) can be sent
// again.
func keepSecret(raw json.RawMessage, stored []byte) json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil || m == nil {
		return raw
	}
	if _, ok := m["clientSecret"]; ok {
		return raw
	}
	var old map[string]json.RawMessage
	if json.Unmarshal(stored, &old) != nil || old["clientSecret"] == nil {
		return raw
	}
	m["clientSecret"] = old["clientSecret"]
	out, err := json.Marshal(m)
	if err != nil {
		return raw
	}
	return out
}
