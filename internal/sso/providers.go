// Package sso holds enterprise single sign-on connectors (Logto's SSO
// connectors): which providers exist, what each one's configuration must
// be, which e-mail domains a connector may claim, and, for a sign-in, the
// service provider (SAML) or upstream client (OIDC) of a connector. The
// Management API's /api/sso-connectors and the hosted pages only call it.
package sso

import "strings"

// ProviderType is how a provider speaks: SAML or OIDC.
type ProviderType string

const (
	TypeSAML ProviderType = "saml"
	TypeOIDC ProviderType = "oidc"
)

// Provider is a kind of SSO connector, with Logto's names.
type Provider struct {
	Name        string // "SAML", "OIDC", "AzureAD", "GoogleWorkspace", "Okta"
	Type        ProviderType
	DisplayName map[string]string
	Description map[string]string
	// Issuer is fixed by the provider (Google Workspace); "" when the
	// configuration names it.
	Issuer string
}

// Providers are the supported providers, in Logto's order.
var Providers = []Provider{
	{Name: "OIDC", Type: TypeOIDC, DisplayName: map[string]string{"en": "OIDC", "ja": "OIDC"},
		Description: map[string]string{"en": "Modern protocol built on OAuth 2.0 for user authentication.", "ja": "OAuth 2.0 上に構築された、ユーザー認証のための最新のプロトコル。"}},
	{Name: "SAML", Type: TypeSAML, DisplayName: map[string]string{"en": "SAML", "ja": "SAML"},
		Description: map[string]string{"en": "XML-based open standard for web single sign-on.", "ja": "Web シングルサインオンのための XML ベースのオープン標準。"}},
	{Name: "AzureAD", Type: TypeSAML, DisplayName: map[string]string{"en": "Microsoft Entra ID (SAML)", "ja": "Microsoft Entra ID (SAML)"},
		Description: map[string]string{"en": "Microsoft's cloud identity service, over SAML.", "ja": "Microsoft のクラウド ID サービス (SAML)。"}},
	{Name: "GoogleWorkspace", Type: TypeOIDC, Issuer: "https://accounts.google.com",
		DisplayName: map[string]string{"en": "Google Workspace", "ja": "Google Workspace"},
		Description: map[string]string{"en": "Google's productivity suite, signing in its organization's accounts.", "ja": "Google の生産性スイート。組織のアカウントでサインイン。"}},
	{Name: "Okta", Type: TypeOIDC, DisplayName: map[string]string{"en": "Okta", "ja": "Okta"},
		Description: map[string]string{"en": "Centralizes identity management for customers, employees, and partners.", "ja": "顧客、従業員、パートナーのためのアイデンティティ管理の集中化。"}},
}

// ProviderByName returns the provider named name.
func ProviderByName(name string) (Provider, bool) {
	for _, p := range Providers {
		if p.Name == name {
			return p, true
		}
	}
	return Provider{}, false
}

// Localized picks locale's text of m, else English.
func Localized(m map[string]string, locale string) string {
	if v, ok := m[locale]; ok && v != "" {
		return v
	}
	if i := strings.IndexByte(locale, '-'); i > 0 {
		if v, ok := m[locale[:i]]; ok && v != "" {
			return v
		}
	}
	return m["en"]
}

// blockedDomains are public mail services, which no connector may claim
// (Logto's singleSignOnDomainBlackList).
var blockedDomains = map[string]bool{
	"gmail.com": true, "yahoo.com": true, "hotmail.com": true, "outlook.com": true, "live.com": true,
	"icloud.com": true, "aol.com": true, "yandex.com": true, "mail.com": true, "protonmail.com": true,
	"yanex.com": true, "gmx.com": true, "mail.ru": true, "zoho.com": true, "qq.com": true,
	"163.com": true, "126.com": true, "sina.com": true, "sohu.com": true,
}
