package management

import (
	"encoding/json"

	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/store"
)

// oidcMetadataIn is oidcClientMetadata in a request: a list that is present
// replaces the stored one.
type oidcMetadataIn struct {
	RedirectURIs                     *[]string `json:"redirectUris"`
	PostLogoutRedirectURIs           *[]string `json:"postLogoutRedirectUris"`
	BackchannelLogoutURI             *string   `json:"backchannelLogoutUri"`
	BackchannelLogoutSessionRequired *bool     `json:"backchannelLogoutSessionRequired"`
	LogoURI                          *string   `json:"logoUri"`
}

// customMetadataIn is customClientMetadata in a request: each field present
// replaces the stored value.
type customMetadataIn struct {
	CORSAllowedOrigins    *[]string `json:"corsAllowedOrigins"`
	RotateRefreshToken    *bool     `json:"rotateRefreshToken"`
	RefreshTokenTTLInDays *int      `json:"refreshTokenTtlInDays"`
	AllowPasswordGrant    *bool     `json:"allowPasswordGrant"`
	RequirePAR            *bool     `json:"requirePushedAuthorizationRequests"`

	IDTokenTTL              *int  `json:"idTokenTtl"`
	RefreshTokenTTL         *int  `json:"refreshTokenTtl"`
	AlwaysIssueRefreshToken *bool `json:"alwaysIssueRefreshToken"`
	AllowTokenExchange      *bool `json:"allowTokenExchange"`
	IsDeviceFlow            *bool `json:"isDeviceFlow"`

	// Monban's: private_key_jwt and DPoP.
	TokenEndpointAuthMethod *string          `json:"tokenEndpointAuthMethod"`
	JWKS                    *json.RawMessage `json:"jwks"`
	JWKSURI                 *string          `json:"jwksUri"`
	RequireDPoP             *bool            `json:"requireDpop"`
}

// customClientMetadata is the per-app token settings, in Logto's names
// (allowPasswordGrant and requirePushedAuthorizationRequests are
// Monban's).
type customClientMetadata struct {
	CORSAllowedOrigins    []string `json:"corsAllowedOrigins"`
	RotateRefreshToken    bool     `json:"rotateRefreshToken"`
	RefreshTokenTTLInDays int      `json:"refreshTokenTtlInDays"`
	AllowPasswordGrant    bool     `json:"allowPasswordGrant"`
	// Monban's, RFC 9126's "require_pushed_authorization_requests";
	// absent when false.
	RequirePAR bool `json:"requirePushedAuthorizationRequests,omitempty"`

	// Kept and returned, not acted upon yet; absent when unset.
	IDTokenTTL              int  `json:"idTokenTtl,omitempty"`
	RefreshTokenTTL         int  `json:"refreshTokenTtl,omitempty"`
	AlwaysIssueRefreshToken bool `json:"alwaysIssueRefreshToken,omitempty"`
	AllowTokenExchange      bool `json:"allowTokenExchange,omitempty"`
	// IsDeviceFlow: a native app of the device authorization grant.
	IsDeviceFlow bool `json:"isDeviceFlow,omitempty"`

	// Monban's client authentication and DPoP settings; absent when unset.
	TokenEndpointAuthMethod string   `json:"tokenEndpointAuthMethod,omitempty"`
	JWKS                    *jwksOut `json:"jwks,omitempty"`
	JWKSURI                 string   `json:"jwksUri,omitempty"`
	RequireDPoP             bool     `json:"requireDpop,omitempty"`
}

// jwksOut is an application's registered public keys, as a JWK Set.
type jwksOut struct {
	Keys []json.RawMessage `json:"keys"`
}

func registeredJWKS(keys []store.ClientKey) *jwksOut {
	if len(keys) == 0 {
		return nil
	}
	out := &jwksOut{Keys: make([]json.RawMessage, len(keys))}
	for i, k := range keys {
		out.Keys[i] = k.JWK
	}
	return out
}

func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

func metadataOut(a store.Application) (oidcClientMetadata, customClientMetadata) {
	ttl := a.RefreshTokenTTLDays
	if ttl == 0 {
		ttl = directory.DefaultRefreshTokenTTLDays
	}
	return oidcClientMetadata{RedirectURIs: nonNil(a.RedirectURIs), PostLogoutRedirectURIs: nonNil(a.PostLogoutRedirectURIs),
			BackchannelLogoutURI: a.BackchannelLogoutURI, BackchannelLogoutSessionRequired: a.BackchannelLogoutSessionRequired,
			LogoURI: a.LogoURI},
		customClientMetadata{CORSAllowedOrigins: nonNil(a.CORSAllowedOrigins), RotateRefreshToken: a.RotateRefreshToken,
			RefreshTokenTTLInDays: ttl, AllowPasswordGrant: a.AllowPasswordGrant, RequirePAR: a.RequirePAR,
			IDTokenTTL: a.IDTokenTTL, RefreshTokenTTL: a.RefreshTokenTTL,
			AlwaysIssueRefreshToken: a.AlwaysIssueRefreshToken, AllowTokenExchange: a.AllowTokenExchange, IsDeviceFlow: a.IsDeviceFlow,
			TokenEndpointAuthMethod: a.TokenEndpointAuthMethod, JWKS: registeredJWKS(a.ClientKeys), JWKSURI: a.JWKSURI,
			RequireDPoP: a.RequireDPoP}
}

// metadataIn is the metadata a request gives, for the directory.
func metadataIn(oidc *oidcMetadataIn, custom *customMetadataIn) directory.Metadata {
	var m directory.Metadata
	if oidc != nil {
		m.RedirectURIs, m.PostLogoutRedirectURIs = oidc.RedirectURIs, oidc.PostLogoutRedirectURIs
		m.BackchannelLogoutURI, m.BackchannelLogoutSessionRequired = oidc.BackchannelLogoutURI, oidc.BackchannelLogoutSessionRequired
		m.LogoURI = oidc.LogoURI
	}
	if custom != nil {
		m.CORSAllowedOrigins, m.RotateRefreshToken = custom.CORSAllowedOrigins, custom.RotateRefreshToken
		m.RefreshTokenTTLDays, m.AllowPasswordGrant = custom.RefreshTokenTTLInDays, custom.AllowPasswordGrant
		m.RequirePAR, m.IsDeviceFlow = custom.RequirePAR, custom.IsDeviceFlow
		m.IDTokenTTL, m.RefreshTokenTTL = custom.IDTokenTTL, custom.RefreshTokenTTL
		m.AlwaysIssueRefreshToken, m.AllowTokenExchange = custom.AlwaysIssueRefreshToken, custom.AllowTokenExchange
		m.TokenEndpointAuthMethod, m.JWKS, m.JWKSURI, m.RequireDPoP = custom.TokenEndpointAuthMethod, custom.JWKS, custom.JWKSURI, custom.RequireDPoP
	}
	return m
}

// stripped is a field Logto's guards strip from a request body: Monban keeps
// it but a client does not set it, so any value is accepted and dropped.
// A read-modify-write sends such fields back unchanged.
type stripped = json.RawMessage

// appStripped are the fields of an application as answered that a create
// or change ignores.
type appStripped struct {
	ID        stripped `json:"id"`
	TenantID  stripped `json:"tenantId"`
	Secret    stripped `json:"secret"`
	CreatedAt stripped `json:"createdAt"`
}

// roleStripped are the fields of a role as answered or listed that a change
// ignores (Logto's PATCH picks only name, description and isDefault; the
// type is accepted only unchanged).
type roleStripped struct {
	ID                   stripped `json:"id"`
	TenantID             stripped `json:"tenantId"`
	CreatedAt            stripped `json:"createdAt"`
	UsersCount           stripped `json:"usersCount"`
	FeaturedUsers        stripped `json:"featuredUsers"`
	ApplicationsCount    stripped `json:"applicationsCount"`
	FeaturedApplications stripped `json:"featuredApplications"`
}
