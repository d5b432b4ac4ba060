package management

import (
	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/store"
)

// oidcMetadataIn is oidcClientMetadata in a request: a list that is present
// replaces the stored one.
type oidcMetadataIn struct {
	RedirectURIs           *[]string `json:"redirectUris"`
	PostLogoutRedirectURIs *[]string `json:"postLogoutRedirectUris"`
}

// customMetadataIn is customClientMetadata in a request: each field present
// replaces the stored value.
type customMetadataIn struct {
	CORSAllowedOrigins    *[]string `json:"corsAllowedOrigins"`
	RotateRefreshToken    *bool     `json:"rotateRefreshToken"`
	RefreshTokenTTLInDays *int      `json:"refreshTokenTtlInDays"`
	AllowPasswordGrant    *bool     `json:"allowPasswordGrant"`
}

// customClientMetadata is the per-app token settings, in Logto's names
// (allowPasswordGrant is Monban's).
type customClientMetadata struct {
	CORSAllowedOrigins    []string `json:"corsAllowedOrigins"`
	RotateRefreshToken    bool     `json:"rotateRefreshToken"`
	RefreshTokenTTLInDays int      `json:"refreshTokenTtlInDays"`
	AllowPasswordGrant    bool     `json:"allowPasswordGrant"`
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
	return oidcClientMetadata{RedirectURIs: nonNil(a.RedirectURIs), PostLogoutRedirectURIs: nonNil(a.PostLogoutRedirectURIs)},
		customClientMetadata{CORSAllowedOrigins: nonNil(a.CORSAllowedOrigins), RotateRefreshToken: a.RotateRefreshToken,
			RefreshTokenTTLInDays: ttl, AllowPasswordGrant: a.AllowPasswordGrant}
}

// metadataIn is the metadata a request gives, for the directory.
func metadataIn(oidc *oidcMetadataIn, custom *customMetadataIn) directory.Metadata {
	var m directory.Metadata
	if oidc != nil {
		m.RedirectURIs, m.PostLogoutRedirectURIs = oidc.RedirectURIs, oidc.PostLogoutRedirectURIs
	}
	if custom != nil {
		m.CORSAllowedOrigins, m.RotateRefreshToken = custom.CORSAllowedOrigins, custom.RotateRefreshToken
		m.RefreshTokenTTLDays, m.AllowPasswordGrant = custom.RefreshTokenTTLInDays, custom.AllowPasswordGrant
	}
	return m
}
