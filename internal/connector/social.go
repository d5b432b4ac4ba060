package connector

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/monban/monban/internal/federation"
)

// TypeSocial is a social connector: an upstream identity provider people
// sign in through.
const TypeSocial Type = "Social"

// Social factory ids, as Logto's.
const (
	FactoryOIDC      = "oidc"
	FactoryOAuth2    = "oauth2"
	FactoryGoogle    = "google-universal"
	FactoryGitHub    = "github-universal"
	FactoryMicrosoft = "azuread-universal"
	FactoryApple     = "apple-universal"
)

// socialBuilder builds a checked social connector's provider for a
// callback URL, a connector id and target, fetching through client.
type socialBuilder func(b socialBase) (federation.Provider, error)

// socialBase is what every provider of a connector shares.
type socialBase struct {
	ConnectorID, Target, RedirectURL string
	env                              *env
}

var socialFactories = []Factory{
	{
		ID: FactoryOIDC, Target: "oidc", Type: TypeSocial, IsStandard: true,
		Name:        map[string]string{"en": "OIDC", "ja": "OIDC"},
		Description: map[string]string{"en": "OpenID Connect: sign in through any OpenID Connect provider.", "ja": "OpenID Connect プロバイダーでサインインします。"},
		FormItems: []FormItem{
			{Key: "issuer", Label: "Issuer", Type: "Text", Placeholder: "<https://issuer.example.com>", Description: "Reads the provider's discovery document; the endpoints below are then optional."},
			{Key: "authorizationEndpoint", Label: "Authorization Endpoint", Type: "Text", Placeholder: "<authorization-endpoint>"},
			{Key: "tokenEndpoint", Label: "Token Endpoint", Type: "Text", Placeholder: "<token-endpoint>"},
			{Key: "clientId", Label: "Client ID", Type: "Text", Required: true, Placeholder: "<client-id>"},
			{Key: "clientSecret", Label: "Client Secret", Type: "Text", Placeholder: "<client-secret>"},
			{Key: "tokenEndpointAuthMethod", Label: "Token Endpoint Auth Method", Type: "Text", DefaultValue: "client_secret_post"},
			{Key: "scope", Label: "Scope", Type: "Text", Required: true, DefaultValue: "openid profile email"},
			{Key: "acceptStringTypedBooleanClaims", Label: "Accept String-typed Boolean Claims", Type: "Switch", DefaultValue: false},
			{Key: "trustUnverifiedEmail", Label: "Trust Unverified Email", Type: "Switch", DefaultValue: false},
			{Key: "idTokenVerificationConfig", Label: "ID Token Verification Config", Type: "Json", DefaultValue: map[string]any{"jwksUri": "<jwks-uri>"}},
			{Key: "authRequestOptionalConfig", Label: "Authentication Request Optional Config", Type: "Json", DefaultValue: map[string]any{}},
			{Key: "customConfig", Label: "Custom Config", Type: "Json", DefaultValue: map[string]any{}},
		},
		secrets: []secretPath{{"clientSecret"}},
		social:  parseOIDC,
	},
	{
		ID: FactoryOAuth2, Target: "oauth2", Type: TypeSocial, IsStandard: true,
		Name:        map[string]string{"en": "OAuth2", "ja": "OAuth2"},
		Description: map[string]string{"en": "OAuth 2.0 with a user-info endpoint.", "ja": "ユーザー情報エンドポイントを持つ OAuth 2.0 プロバイダーでサインインします。"},
		FormItems: []FormItem{
			{Key: "authorizationEndpoint", Label: "Authorization Endpoint", Type: "Text", Required: true, Placeholder: "<authorization-endpoint>"},
			{Key: "tokenEndpoint", Label: "Token Endpoint", Type: "Text", Required: true, Placeholder: "<token-endpoint>"},
			{Key: "userInfoEndpoint", Label: "User Info Endpoint", Type: "Text", Required: true, Placeholder: "<user-info-endpoint>"},
			{Key: "clientId", Label: "Client ID", Type: "Text", Required: true, Placeholder: "<client-id>"},
			{Key: "clientSecret", Label: "Client Secret", Type: "Text", Required: true, Placeholder: "<client-secret>"},
			{Key: "tokenEndpointAuthMethod", Label: "Token Endpoint Auth Method", Type: "Text", DefaultValue: "client_secret_post"},
			{Key: "tokenEndpointResponseType", Label: "Token Endpoint Response Type", Type: "Text", DefaultValue: "query-string"},
			{Key: "scope", Label: "Scope", Type: "Text"},
			{Key: "profileMap", Label: "Profile Map", Type: "Json", DefaultValue: map[string]any{"id": "user_id", "email": "email_verified", "phone": "phone_verified", "name": "full_name", "avatar": "avatar_url"}},
			{Key: "customConfig", Label: "Custom Config", Type: "Json", DefaultValue: map[string]any{}},
		},
		secrets: []secretPath{{"clientSecret"}},
		social:  parseOAuth2,
	},
	{
		ID: FactoryGoogle, Target: "google", Type: TypeSocial,
		Name:        map[string]string{"en": "Google", "ja": "Google"},
		Description: map[string]string{"en": "Sign in with a Google account.", "ja": "Google アカウントでサインインします。"},
		FormItems: []FormItem{
			{Key: "clientId", Label: "Client ID", Type: "Text", Required: true, Placeholder: "<client-id>"},
			{Key: "clientSecret", Label: "Client Secret", Type: "Text", Required: true, Placeholder: "<client-secret>"},
			{Key: "scope", Label: "Scope", Type: "Text", DefaultValue: "openid profile email"},
			{Key: "prompts", Label: "Prompts", Type: "Json", DefaultValue: []any{"select_account"}},
			{Key: "offlineAccess", Label: "Offline Access", Type: "Switch", DefaultValue: false},
		},
		secrets: []secretPath{{"clientSecret"}},
		social:  parseGoogle,
	},
	{
		ID: FactoryGitHub, Target: "github", Type: TypeSocial,
		Name:        map[string]string{"en": "GitHub", "ja": "GitHub"},
		Description: map[string]string{"en": "Sign in with a GitHub account.", "ja": "GitHub アカウントでサインインします。"},
		FormItems: []FormItem{
			{Key: "clientId", Label: "Client ID", Type: "Text", Required: true, Placeholder: "<client-id>"},
			{Key: "clientSecret", Label: "Client Secret", Type: "Text", Required: true, Placeholder: "<client-secret>"},
			{Key: "scope", Label: "Scope", Type: "Text", DefaultValue: "read:user user:email"},
			{Key: "enterpriseUrl", Label: "GitHub Enterprise Server URL", Type: "Text", Placeholder: "<https://github.example.com>", Description: "Only for GitHub Enterprise Server."},
		},
		secrets: []secretPath{{"clientSecret"}},
		social:  parseGitHub,
	},
	{
		ID: FactoryMicrosoft, Target: "azuread", Type: TypeSocial,
		Name:        map[string]string{"en": "Microsoft Entra ID", "ja": "Microsoft Entra ID"},
		Description: map[string]string{"en": "Sign in with a Microsoft work, school or personal account.", "ja": "Microsoft アカウントでサインインします。"},
		FormItems: []FormItem{
			{Key: "clientId", Label: "Client ID", Type: "Text", Required: true, Placeholder: "<client-id>"},
			{Key: "clientSecret", Label: "Client Secret", Type: "Text", Required: true, Placeholder: "<client-secret>"},
			{Key: "cloudInstance", Label: "Cloud Instance", Type: "Text", Required: true, DefaultValue: "https://login.microsoftonline.com"},
			{Key: "tenantId", Label: "Tenant ID", Type: "Text", Required: true, Placeholder: "<tenant-id>", Description: "A tenant's id, or common, organizations or consumers."},
			{Key: "prompts", Label: "Prompts", Type: "Json", DefaultValue: []any{}},
			{Key: "scopes", Label: "Scopes", Type: "Text", DefaultValue: "openid profile email"},
		},
		secrets: []secretPath{{"clientSecret"}},
		social:  parseMicrosoft,
	},
	{
		ID: FactoryApple, Target: "apple", Type: TypeSocial,
		Name:        map[string]string{"en": "Apple", "ja": "Apple"},
		Description: map[string]string{"en": "Sign in with Apple.", "ja": "Apple でサインインします。"},
		FormItems: []FormItem{
			{Key: "clientId", Label: "Services ID", Type: "Text", Required: true, Placeholder: "<services-id>"},
			{Key: "teamId", Label: "Team ID", Type: "Text", Required: true, Placeholder: "<team-id>"},
			{Key: "keyId", Label: "Key ID", Type: "Text", Required: true, Placeholder: "<key-id>"},
			{Key: "privateKey", Label: "Private Key", Type: "Text", Required: true, Placeholder: "-----BEGIN PRIVATE KEY-----"},
			{Key: "scope", Label: "Scope", Type: "Text", DefaultValue: "name email"},
		},
		secrets: []secretPath{{"privateKey"}},
		social:  parseApple,
	},
}

func init() { factories = append(factories, socialFactories...) }

// replaced is the factories a new connector of f replaces: the others of
// its type for a message connector (one e-mail and one SMS connector),
// the others of its factory for a social one (one Google connector, …),
// none for a standard one.
func replaced(f Factory) []string {
	switch {
	case f.IsStandard:
		return nil
	case f.Type == TypeSocial:
		return []string{f.ID}
	}
	return factoriesOf(f.Type)
}

// metadata is a standard connector's own metadata (Logto's).
type metadata struct {
	Target   string            `json:"target,omitempty"`
	Name     map[string]string `json:"name,omitempty"`
	Logo     string            `json:"logo,omitempty"`
	LogoDark *string           `json:"logoDark,omitempty"`
}

var targetRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func parseMetadata(raw []byte) (metadata, error) {
	var m metadata
	if err := decodeStrict(raw, &m); err != nil {
		return m, errorf(InvalidInput, "invalid metadata: %s", strings.TrimPrefix(err.Error(), "invalid config: "))
	}
	if m.Target != "" && !targetRe.MatchString(m.Target) {
		return m, errorf(InvalidInput, "metadata.target must be 1 to 64 letters, digits, dots, dashes and underscores")
	}
	return m, nil
}

// Target is the connector's target: a standard connector's metadata
// names its own.
func (v View) Target() string {
	if v.Factory.IsStandard {
		if m, err := parseMetadata(v.Metadata); err == nil && m.Target != "" {
			return m.Target
		}
	}
	return v.Factory.Target
}

// button is v's button on the sign-in page.
func (v View) button() federation.Button {
	b := federation.Button{ConnectorID: v.ID, Target: v.Target(), Name: v.Factory.Name}
	if v.Factory.IsStandard {
		if m, err := parseMetadata(v.Metadata); err == nil && len(m.Name) > 0 {
			b.Name = m.Name
		}
	}
	return b
}

// Buttons are the social connectors of targets, in that order; a target
// without one is left out. It serves the sign-in page.
func (s *Service) Buttons(ctx context.Context, targets []string) ([]federation.Button, error) {
	list, err := s.Connectors(ctx)
	if err != nil {
		return nil, err
	}
	var out []federation.Button
	for _, t := range targets {
		for i := len(list) - 1; i >= 0; i-- {
			if v := list[i]; v.Factory.social != nil && v.Target() == t {
				out = append(out, v.button())
				break
			}
		}
	}
	return out, nil
}

// providers caches the providers built, by connector id: a provider
// keeps its discovery and keys between the start and the callback.
type cachedProvider struct {
	config   []byte
	meta     []byte
	redirect string
	p        federation.Provider
}

var providerCache sync.Map // *Service → *sync.Map of id → cachedProvider

// Provider is the upstream provider of the social connector id, calling
// back to callbackURL, and its button. federation.ErrNoProvider: no
// social connector has the id.
func (s *Service) Provider(ctx context.Context, id, callbackURL string) (federation.Provider, federation.Button, error) {
	v, err := s.Connector(ctx, id)
	if KindOf(err) == NotFound || err == nil && v.Factory.social == nil {
		return nil, federation.Button{}, federation.ErrNoProvider
	}
	if err != nil {
		return nil, federation.Button{}, err
	}
	m, _ := providerCache.LoadOrStore(s, &sync.Map{})
	cache := m.(*sync.Map)
	if c, ok := cache.Load(id); ok {
		c := c.(cachedProvider)
		if bytes.Equal(c.config, v.Config) && bytes.Equal(c.meta, v.Metadata) && c.redirect == callbackURL {
			return c.p, v.button(), nil
		}
	}
	build, err := v.Factory.social(v.Config)
	if err != nil {
		return nil, federation.Button{}, fmt.Errorf("%w: connector %s: %v", federation.ErrConfig, id, err)
	}
	p, err := build(socialBase{ConnectorID: v.ID, Target: v.Target(), RedirectURL: callbackURL, env: s.env})
	if err != nil {
		return nil, federation.Button{}, err
	}
	cache.Store(id, cachedProvider{config: v.Config, meta: v.Metadata, redirect: callbackURL, p: p})
	return p, v.button(), nil
}

// client is the HTTP client of provider fetches: the egress policy's
// transport, bounded answers.
func (b socialBase) client() *http.Client { return federation.Client(b.env.client.Transport) }

// scopes splits a space- or comma-separated scope.
func scopes(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' })
}

// authStyle is the token endpoint authentication method as oauth2's.
func authStyleOf(method string) (oauth2.AuthStyle, error) {
	switch method {
	case "", "client_secret_post":
		return oauth2.AuthStyleInParams, nil
	case "client_secret_basic":
		return oauth2.AuthStyleInHeader, nil
	}
	return 0, errorf(InvalidConfig, "tokenEndpointAuthMethod %q is not supported (client_secret_post or client_secret_basic)", method)
}

// authParams reads an object of extra authorization request parameters.
func authParams(m map[string]any) url.Values {
	q := url.Values{}
	for k, v := range m {
		switch v := v.(type) {
		case string:
			q.Set(k, v)
		case bool, float64, json.Number:
			q.Set(k, fmt.Sprint(v))
		}
	}
	return q
}

type oidcConfig struct {
	Issuer                         string         `json:"issuer"`
	AuthorizationEndpoint          string         `json:"authorizationEndpoint"`
	TokenEndpoint                  string         `json:"tokenEndpoint"`
	ClientID                       string         `json:"clientId"`
	ClientSecret                   string         `json:"clientSecret"`
	TokenEndpointAuthMethod        string         `json:"tokenEndpointAuthMethod"`
	ClientSecretJwtSigningAlg      string         `json:"clientSecretJwtSigningAlgorithm"`
	Scope                          string         `json:"scope"`
	AcceptStringTypedBooleanClaims bool           `json:"acceptStringTypedBooleanClaims"`
	TrustUnverifiedEmail           bool           `json:"trustUnverifiedEmail"`
	IDTokenVerificationConfig      map[string]any `json:"idTokenVerificationConfig"`
	AuthRequestOptionalConfig      map[string]any `json:"authRequestOptionalConfig"`
	CustomConfig                   map[string]any `json:"customConfig"`
}

func parseOIDC(raw []byte) (socialBuilder, error) {
	var c oidcConfig
	if err := decodeStrict(raw, &c); err != nil {
		return nil, err
	}
	jwks, _ := c.IDTokenVerificationConfig["jwksUri"].(string)
	issuer := c.Issuer
	if issuer == "" {
		issuer, _ = c.IDTokenVerificationConfig["issuer"].(string)
	}
	style, err := authStyleOf(c.TokenEndpointAuthMethod)
	switch {
	case err != nil:
		return nil, err
	case c.ClientID == "":
		return nil, errorf(InvalidConfig, "clientId is required")
	case issuer == "":
		return nil, errorf(InvalidConfig, "issuer is required (or idTokenVerificationConfig.issuer): ID tokens of any other issuer are refused")
	case checkHTTPURL("issuer", issuer) != nil:
		return nil, checkHTTPURL("issuer", issuer)
	case c.Issuer == "" && (c.AuthorizationEndpoint == "" || c.TokenEndpoint == "" || jwks == ""):
		return nil, errorf(InvalidConfig, "without issuer discovery, authorizationEndpoint, tokenEndpoint and idTokenVerificationConfig.jwksUri are required")
	}
	for field, u := range map[string]string{"authorizationEndpoint": c.AuthorizationEndpoint, "tokenEndpoint": c.TokenEndpoint, "idTokenVerificationConfig.jwksUri": jwks} {
		if u != "" {
			if err := checkHTTPURL(field, u); err != nil {
				return nil, err
			}
		}
	}
	return func(b socialBase) (federation.Provider, error) {
		cfg := federation.OIDCConfig{Kind: federation.Social, ConnectorID: b.ConnectorID, Target: b.Target, Issuer: strings.TrimRight(issuer, "/"),
			ClientID: c.ClientID, ClientSecret: c.ClientSecret, AuthStyle: style, Scope: scopes(c.Scope), RedirectURL: b.RedirectURL,
			AuthParams: authParams(c.AuthRequestOptionalConfig), HTTP: b.client(), TrustEmail: c.TrustUnverifiedEmail}
		if c.Issuer == "" || c.AuthorizationEndpoint != "" {
			cfg.Issuer = issuer
			cfg.AuthURL, cfg.TokenURL, cfg.JWKSURL = c.AuthorizationEndpoint, c.TokenEndpoint, jwks
		}
		return federation.NewOIDC(cfg)
	}, nil
}

type oauth2Config struct {
	AuthorizationEndpoint     string            `json:"authorizationEndpoint"`
	TokenEndpoint             string            `json:"tokenEndpoint"`
	UserInfoEndpoint          string            `json:"userInfoEndpoint"`
	ClientID                  string            `json:"clientId"`
	ClientSecret              string            `json:"clientSecret"`
	TokenEndpointAuthMethod   string            `json:"tokenEndpointAuthMethod"`
	ClientSecretJwtSigningAlg string            `json:"clientSecretJwtSigningAlgorithm"`
	TokenEndpointResponseType string            `json:"tokenEndpointResponseType"`
	Scope                     string            `json:"scope"`
	ProfileMap                map[string]string `json:"profileMap"`
	TrustUnverifiedEmail      bool              `json:"trustUnverifiedEmail"`
	CustomConfig              map[string]any    `json:"customConfig"`
}

func parseOAuth2(raw []byte) (socialBuilder, error) {
	var c oauth2Config
	if err := decodeStrict(raw, &c); err != nil {
		return nil, err
	}
	style, err := authStyleOf(c.TokenEndpointAuthMethod)
	if err != nil {
		return nil, err
	}
	if c.ClientID == "" {
		return nil, errorf(InvalidConfig, "clientId is required")
	}
	for field, u := range map[string]string{"authorizationEndpoint": c.AuthorizationEndpoint, "tokenEndpoint": c.TokenEndpoint, "userInfoEndpoint": c.UserInfoEndpoint} {
		if err := checkHTTPURL(field, u); err != nil {
			return nil, err
		}
	}
	mapping := federation.ClaimMapping{ID: "id"}
	for k, v := range c.ProfileMap {
		switch k {
		case "id":
			mapping.ID = v
		case "email":
			mapping.Email = v
		case "email_verified", "emailVerified":
			mapping.EmailVerified = v
		case "phone":
			mapping.Phone = v
		case "name":
			mapping.Name = v
		case "avatar":
			mapping.Picture = v
		default:
			return nil, errorf(InvalidConfig, "profileMap.%s is not supported (id, email, emailVerified, phone, name, avatar)", k)
		}
	}
	return func(b socialBase) (federation.Provider, error) {
		return federation.NewOAuth2(federation.OAuth2Config{Kind: federation.Social, ConnectorID: b.ConnectorID, Target: b.Target,
			AuthURL: c.AuthorizationEndpoint, TokenURL: c.TokenEndpoint, UserInfoURL: c.UserInfoEndpoint,
			ClientID: c.ClientID, ClientSecret: c.ClientSecret, AuthStyle: style, Scope: scopes(c.Scope), RedirectURL: b.RedirectURL,
			Mapping: mapping, TrustEmail: c.TrustUnverifiedEmail, HTTP: b.client()})
	}, nil
}

// Google's issuer.
const googleIssuer = "https://accounts.google.com"

func parseGoogle(raw []byte) (socialBuilder, error) {
	var c struct {
		ClientID      string   `json:"clientId"`
		ClientSecret  string   `json:"clientSecret"`
		Scope         string   `json:"scope"`
		Prompts       []string `json:"prompts"`
		OfflineAccess bool     `json:"offlineAccess"`
	}
	if err := decodeStrict(raw, &c); err != nil {
		return nil, err
	}
	if c.ClientID == "" || c.ClientSecret == "" {
		return nil, errorf(InvalidConfig, "clientId and clientSecret are required")
	}
	params := url.Values{}
	if len(c.Prompts) > 0 {
		params.Set("prompt", strings.Join(c.Prompts, " "))
	}
	if c.OfflineAccess {
		params.Set("access_type", "offline")
	}
	return func(b socialBase) (federation.Provider, error) {
		return federation.NewOIDC(federation.OIDCConfig{Kind: federation.Social, ConnectorID: b.ConnectorID, Target: b.Target,
			Issuer: googleIssuer, ClientID: c.ClientID, ClientSecret: c.ClientSecret, Scope: orScopes(c.Scope, "openid profile email"),
			RedirectURL: b.RedirectURL, AuthParams: params, HTTP: b.client()})
	}, nil
}

func orScopes(s, def string) []string {
	if strings.TrimSpace(s) == "" {
		s = def
	}
	return scopes(s)
}

// GitHubEndpoints are GitHub's endpoints at base ("" for github.com):
// authorization, token, user and e-mail addresses.
func GitHubEndpoints(base string) (auth, token, user, emails string) {
	if base == "" {
		return "https://github.com/login/oauth/authorize", "https://github.com/login/oauth/access_token",
			"https://api.github.com/user", "https://api.github.com/user/emails"
	}
	base = strings.TrimRight(base, "/")
	return base + "/login/oauth/authorize", base + "/login/oauth/access_token", base + "/api/v3/user", base + "/api/v3/user/emails"
}

func parseGitHub(raw []byte) (socialBuilder, error) {
	var c struct {
		ClientID      string `json:"clientId"`
		ClientSecret  string `json:"clientSecret"`
		Scope         string `json:"scope"`
		EnterpriseURL string `json:"enterpriseUrl"`
	}
	if err := decodeStrict(raw, &c); err != nil {
		return nil, err
	}
	if c.ClientID == "" || c.ClientSecret == "" {
		return nil, errorf(InvalidConfig, "clientId and clientSecret are required")
	}
	if c.EnterpriseURL != "" {
		if err := checkHTTPURL("enterpriseUrl", c.EnterpriseURL); err != nil {
			return nil, err
		}
	}
	auth, token, user, emails := GitHubEndpoints(c.EnterpriseURL)
	return func(b socialBase) (federation.Provider, error) {
		return federation.NewOAuth2(federation.OAuth2Config{Kind: federation.Social, ConnectorID: b.ConnectorID, Target: b.Target,
			Issuer:  strings.TrimSuffix(strings.TrimSuffix(auth, "/authorize"), "/login/oauth"),
			AuthURL: auth, TokenURL: token, UserInfoURL: user, EmailsURL: emails, ClientID: c.ClientID, ClientSecret: c.ClientSecret,
			AuthStyle: oauth2.AuthStyleInParams, Scope: orScopes(c.Scope, "read:user user:email"), RedirectURL: b.RedirectURL,
			Mapping: federation.ClaimMapping{ID: "id", Name: "name", Picture: "avatar_url"}, HTTP: b.client()})
	}, nil
}

// MicrosoftIssuer is the issuer of Entra ID's tenant at cloud, and, for
// the multi-tenant endpoints (common, organizations, consumers), the
// template of the issuers of its tokens.
func MicrosoftIssuer(cloud, tenant string) (issuer, template string) {
	cloud = strings.TrimRight(cloud, "/")
	issuer = cloud + "/" + tenant + "/v2.0"
	switch tenant {
	case "common", "organizations", "consumers":
		template = cloud + "/{tenantid}/v2.0"
	}
	return issuer, template
}

var tenantRe = regexp.MustCompile(`^[A-Za-z0-9.-]{1,128}$`)

func parseMicrosoft(raw []byte) (socialBuilder, error) {
	var c struct {
		ClientID      string   `json:"clientId"`
		ClientSecret  string   `json:"clientSecret"`
		CloudInstance string   `json:"cloudInstance"`
		TenantID      string   `json:"tenantId"`
		Prompts       []string `json:"prompts"`
		Scopes        string   `json:"scopes"`
	}
	if err := decodeStrict(raw, &c); err != nil {
		return nil, err
	}
	if c.CloudInstance == "" {
		c.CloudInstance = "https://login.microsoftonline.com"
	}
	switch {
	case c.ClientID == "" || c.ClientSecret == "":
		return nil, errorf(InvalidConfig, "clientId and clientSecret are required")
	case !tenantRe.MatchString(c.TenantID):
		return nil, errorf(InvalidConfig, "tenantId must be a tenant's id or domain, or common, organizations or consumers")
	case checkHTTPURL("cloudInstance", c.CloudInstance) != nil:
		return nil, checkHTTPURL("cloudInstance", c.CloudInstance)
	}
	params := url.Values{}
	if len(c.Prompts) > 0 {
		params.Set("prompt", strings.Join(c.Prompts, " "))
	}
	issuer, template := MicrosoftIssuer(c.CloudInstance, c.TenantID)
	return func(b socialBase) (federation.Provider, error) {
		// Entra ID's email claim is not verified by Microsoft: it never
		// links to an account (Mapping reads email_verified, which Entra
		// ID does not send).
		return federation.NewOIDC(federation.OIDCConfig{Kind: federation.Social, ConnectorID: b.ConnectorID, Target: b.Target,
			Issuer: issuer, IssuerTemplate: template, ClientID: c.ClientID, ClientSecret: c.ClientSecret,
			Scope: orScopes(c.Scopes, "openid profile email"), RedirectURL: b.RedirectURL, AuthParams: params, HTTP: b.client(),
			Mapping: federation.ClaimMapping{ID: "oid"}})
	}, nil
}

// Apple's issuer.
const appleIssuer = "https://appleid.apple.com"

func parseApple(raw []byte) (socialBuilder, error) {
	var c struct {
		ClientID   string `json:"clientId"`
		TeamID     string `json:"teamId"`
		KeyID      string `json:"keyId"`
		PrivateKey string `json:"privateKey"`
		Scope      string `json:"scope"`
	}
	if err := decodeStrict(raw, &c); err != nil {
		return nil, err
	}
	if c.ClientID == "" || c.TeamID == "" || c.KeyID == "" {
		return nil, errorf(InvalidConfig, "clientId, teamId and keyId are required")
	}
	key, err := parseECKey(c.PrivateKey)
	if err != nil {
		return nil, err
	}
	secret := func(now time.Time) (string, error) {
		return AppleClientSecret(key, c.KeyID, c.TeamID, c.ClientID, appleIssuer, now)
	}
	return func(b socialBase) (federation.Provider, error) {
		return federation.NewOIDC(federation.OIDCConfig{Kind: federation.Social, ConnectorID: b.ConnectorID, Target: b.Target,
			Issuer: appleIssuer, ClientID: c.ClientID, Secret: secret, Scope: orScopes(c.Scope, "name email"),
			RedirectURL: b.RedirectURL, ResponseMode: "form_post", HTTP: b.client()})
	}, nil
}

// parseECKey reads Apple's private key: a PKCS #8 P-256 key in PEM.
func parseECKey(pemText string) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(pemText)))
	if block == nil {
		return nil, errorf(InvalidConfig, "privateKey must be the PEM of the key Apple issued")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, errorf(InvalidConfig, "privateKey is not a PKCS #8 key")
	}
	ec, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, errorf(InvalidConfig, "privateKey must be an ES256 (P-256) key")
	}
	return ec, nil
}

// AppleClientSecret is Apple's client secret: a JWT signed with the
// developer's key (ES256, kid), of the team, for the services id, to
// Apple, valid five minutes.
func AppleClientSecret(key *ecdsa.PrivateKey, keyID, teamID, clientID, audience string, now time.Time) (string, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", keyID).WithType("JWT"))
	if err != nil {
		return "", err
	}
	claims := jwt.Claims{Issuer: teamID, Subject: clientID, Audience: jwt.Audience{audience},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(5 * time.Minute))}
	out, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		return "", errors.New("signing the client secret failed")
	}
	return out, nil
}
