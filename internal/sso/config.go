package sso

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// SAMLConfig is a SAML provider's configuration, in Logto's shape: the
// IdP's metadata by URL, as XML, or by its three parts.
type SAMLConfig struct {
	MetadataURL      string            `json:"metadataUrl,omitempty"`
	Metadata         string            `json:"metadata,omitempty"`
	EntityID         string            `json:"entityId,omitempty"`
	SignInEndpoint   string            `json:"signInEndpoint,omitempty"`
	X509Certificate  string            `json:"x509Certificate,omitempty"`
	AttributeMapping map[string]string `json:"attributeMapping,omitempty"`
	// SignAuthnRequest is Logto's option; Monban holds no SP signing keys,
	// so only false is accepted.
	SignAuthnRequest          *bool  `json:"signAuthnRequest,omitempty"`
	RequestSignatureAlgorithm string `json:"requestSignatureAlgorithm,omitempty"`
}

// OIDCConfig is an OIDC provider's configuration, in Logto's shape.
type OIDCConfig struct {
	ClientID             string `json:"clientId"`
	ClientSecret         string `json:"clientSecret"`
	Issuer               string `json:"issuer,omitempty"`
	Scope                string `json:"scope,omitempty"`
	TrustUnverifiedEmail bool   `json:"trustUnverifiedEmail,omitempty"`
}

// attribute mapping keys a SAML connector may set (Logto's).
var mappingKeys = map[string]bool{"id": true, "email": true, "name": true}

// Mapping is the full attribute mapping: Logto's defaults under the
// configured names.
func (c SAMLConfig) Mapping() map[string]string {
	m := map[string]string{"id": "nameID", "email": "email", "name": "name"}
	for k, v := range c.AttributeMapping {
		if v != "" {
			m[k] = v
		}
	}
	return m
}

// parseConfig reads and checks a provider's configuration; unknown fields
// are refused, never ignored. No config at all is allowed: Logto creates
// connectors before they are configured.
func parseConfig(p Provider, raw json.RawMessage) (json.RawMessage, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return json.RawMessage("{}"), nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	switch p.Type {
	case TypeSAML:
		var c SAMLConfig
		if err := dec.Decode(&c); err != nil {
			return nil, invalidConfig("config: %v", err)
		}
		for k := range c.AttributeMapping {
			if !mappingKeys[k] {
				return nil, invalidConfig("config.attributeMapping: %q is not id, email or name", k)
			}
		}
		if c.SignAuthnRequest != nil && *c.SignAuthnRequest {
			return nil, &Error{Kind: SigningKeyRequired, Message: "signed authentication requests need an active signing key, which Monban does not hold"}
		}
		switch c.RequestSignatureAlgorithm {
		case "", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512":
		default:
			return nil, invalidConfig("config.requestSignatureAlgorithm is not a supported algorithm")
		}
		sources := 0
		if c.MetadataURL != "" {
			sources++
			if u, err := url.Parse(c.MetadataURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				return nil, invalidConfig("config.metadataUrl is not an http(s) URL")
			}
		}
		if c.Metadata != "" {
			sources++
		}
		if c.EntityID != "" || c.SignInEndpoint != "" || c.X509Certificate != "" {
			sources++
			if c.EntityID == "" || c.SignInEndpoint == "" || c.X509Certificate == "" {
				return nil, invalidConfig("config: entityId, signInEndpoint and x509Certificate go together")
			}
		}
		if sources != 1 {
			return nil, invalidConfig("config: give exactly one of metadataUrl, metadata, or entityId with signInEndpoint and x509Certificate")
		}
		return json.Marshal(c)
	default:
		var c OIDCConfig
		if err := dec.Decode(&c); err != nil {
			return nil, invalidConfig("config: %v", err)
		}
		if c.ClientID == "" || c.ClientSecret == "" {
			return nil, invalidConfig("config: clientId and clientSecret are required")
		}
		if p.Issuer != "" {
			if c.Issuer != "" && c.Issuer != p.Issuer {
				return nil, invalidConfig("config.issuer of %s is %s", p.Name, p.Issuer)
			}
			c.Issuer = ""
		} else {
			u, err := url.Parse(c.Issuer)
			if c.Issuer == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				return nil, invalidConfig("config.issuer is required, an http(s) URL")
			}
		}
		return json.Marshal(c)
	}
}

// publicConfig is a stored config without its secrets.
func publicConfig(raw []byte) json.RawMessage {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return json.RawMessage("{}")
	}
	delete(m, "clientSecret")
	out, _ := json.Marshal(m)
	return out
}

func invalidConfig(format string, a ...any) error {
	return &Error{Kind: InvalidConfig, Message: fmt.Sprintf(format, a...)}
}

// normalizeDomains lower-cases domains and checks them: no public mail
// service, no repeats, each a host name.
func normalizeDomains(in []string) ([]string, error) {
	out := make([]string, 0, len(in))
	seen := map[string]bool{}
	var forbidden, dup []string
	for _, d := range in {
		d = strings.ToLower(strings.TrimSpace(d))
		if d == "" || len(d) > 253 || strings.ContainsAny(d, "@/ :") || !strings.Contains(d, ".") {
			return nil, &Error{Kind: InvalidConfig, Message: fmt.Sprintf("domains: %q is not a domain", d)}
		}
		if blockedDomains[d] {
			forbidden = append(forbidden, d)
		}
		if seen[d] {
			dup = append(dup, d)
		}
		seen[d] = true
		out = append(out, d)
	}
	if len(forbidden) > 0 {
		return nil, &Error{Kind: ForbiddenDomains, Message: "these domains are public mail services: " + strings.Join(forbidden, ", "), Data: forbidden}
	}
	if len(dup) > 0 {
		return nil, &Error{Kind: DuplicatedDomains, Message: "these domains are repeated: " + strings.Join(dup, ", "), Data: dup}
	}
	return out, nil
}
