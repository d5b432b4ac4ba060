package sso

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/monban/monban/internal/store"
)

func kindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

func TestDomains(t *testing.T) {
	got, err := normalizeDomains([]string{" Acme.COM ", "acme.co.jp"})
	if err != nil || got[0] != "acme.com" || got[1] != "acme.co.jp" {
		t.Fatalf("normalizeDomains = %v, %v", got, err)
	}
	for in, want := range map[string]ErrorKind{"gmail.com": ForbiddenDomains, "a@b.com": InvalidConfig, "localhost": InvalidConfig, "": InvalidConfig} {
		if _, err := normalizeDomains([]string{in}); kindOf(err) != want {
			t.Errorf("%q: %v, want kind %d", in, err, want)
		}
	}
	if _, err := normalizeDomains([]string{"a.com", "A.com"}); kindOf(err) != DuplicatedDomains {
		t.Errorf("repeat: %v", err)
	}
	c := store.SSOConnector{Domains: []string{"acme.com"}}
	for email, want := range map[string]bool{"a@acme.com": true, "a@ACME.com": true, "a@evil.com": false, "a@sub.acme.com": false, "acme.com": false, "@acme.com": false} {
		if OwnsDomain(c, email) != want {
			t.Errorf("OwnsDomain(%q) = %v", email, !want)
		}
	}
}

func TestConfigs(t *testing.T) {
	saml, _ := ProviderByName("SAML")
	google, _ := ProviderByName("GoogleWorkspace")
	okta, _ := ProviderByName("Okta")
	for _, tc := range []struct {
		p    Provider
		cfg  string
		want ErrorKind
	}{
		{saml, `{"metadata":"<x/>"}`, 0},
		{saml, `{"metadataUrl":"ftp://x/m"}`, InvalidConfig},
		{saml, `{"entityId":"e","signInEndpoint":"https://i/sso"}`, InvalidConfig},
		{saml, `{}`, InvalidConfig},
		{saml, `{"metadata":"x","attributeMapping":{"role":"r"}}`, InvalidConfig},
		{saml, `{"metadata":"x","requestSignatureAlgorithm":"http://www.w3.org/2000/09/xmldsig#rsa-sha1"}`, InvalidConfig},
		{saml, `{"metadata":"x","signAuthnRequest":true}`, SigningKeyRequired},
		{google, `{"clientId":"a","clientSecret":"b"}`, 0},
		{google, `{"clientId":"a","clientSecret":"b","issuer":"https://evil.example"}`, InvalidConfig},
		{okta, `{"clientId":"a","clientSecret":"b"}`, InvalidConfig},
		{okta, `{"clientId":"a","clientSecret":"b","issuer":"https://o.example","scope":"groups"}`, 0},
	} {
		if _, err := parseConfig(tc.p, json.RawMessage(tc.cfg)); kindOf(err) != tc.want {
			t.Errorf("%s %s: %v, want kind %d", tc.p.Name, tc.cfg, err, tc.want)
		}
	}
	if got := oidcScope("groups+email openid"); got != "openid profile email groups" {
		t.Errorf("oidcScope = %q", got)
	}
	kept := keepSecret(json.RawMessage(`{"clientId":"n"}`), []byte(`{"clientId":"o","clientSecret":"s"}`))
	var m map[string]string
	if json.Unmarshal(kept, &m) != nil || m["clientSecret"] != "s" || m["clientId"] != "n" {
		t.Errorf("keepSecret = %s", kept)
	}
	if string(publicConfig([]byte(`{"clientId":"a","clientSecret":"s"}`))) != `{"clientId":"a"}` {
		t.Errorf("publicConfig keeps the secret")
	}
}
