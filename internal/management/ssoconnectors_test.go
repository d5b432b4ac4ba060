package management

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/monban/monban/internal/federation/saml/samltest"
)

func TestSSOConnectorProviders(t *testing.T) {
	e := newEnv(t)
	var list []ssoProviderJSON
	e.do("GET", "/api/sso-connector-providers", nil).want(t, 200, &list)
	var names []string
	for _, p := range list {
		names = append(names, p.ProviderName+"/"+p.ProviderType)
	}
	if got := strings.Join(names, " "); got != "OIDC/oidc SAML/saml AzureAD/saml GoogleWorkspace/oidc Okta/oidc" {
		t.Fatalf("providers = %s", got)
	}
	wantCode(t, e.do("GET", "/api/sso-connector-providers?page=1", nil), 400, "request.invalid_input")
	r := e.send(req{method: "GET", path: "/api/sso-connector-providers"})
	if r.status != 401 {
		t.Fatalf("without a token: %d", r.status)
	}
}

func TestSSOConnectorsCRUD(t *testing.T) {
	e := newEnv(t)
	idp := samltest.New(t, samltest.Options{})
	var c ssoConnectorJSON
	e.do("POST", "/api/sso-connectors", map[string]any{"providerName": "SAML", "connectorName": "Acme",
		"config":  map[string]any{"metadata": idp.MetadataXML(t), "attributeMapping": map[string]string{"email": "mail"}},
		"domains": []string{"Acme.COM", "acme.co.jp"}, "branding": map[string]string{"displayName": "Acme"}}).want(t, 200, &c)
	if c.ProviderName != "SAML" || c.ProviderType != "saml" || c.ConnectorName != "Acme" || strings.Join(c.Domains, ",") != "acme.com,acme.co.jp" {
		t.Fatalf("created %+v", c)
	}
	sp, _ := c.ProviderConfig["serviceProvider"].(map[string]any)
	if sp["assertionConsumerServiceUrl"] == nil || !strings.HasSuffix(sp["assertionConsumerServiceUrl"].(string), "/api/authn/single-sign-on/saml/"+c.ID) {
		t.Fatalf("providerConfig %v", c.ProviderConfig)
	}
	ip, _ := c.ProviderConfig["identityProvider"].(map[string]any)
	if ip["entityId"] != idp.MetadataURL() || ip["isCertificateValid"] != true {
		t.Fatalf("identityProvider %v", ip)
	}

	// OIDC: the secret is kept sealed and never shown; a PATCH whose
	// config leaves it out keeps it.
	var o ssoConnectorJSON
	e.do("POST", "/api/sso-connectors", map[string]any{"providerName": "Okta", "connectorName": "Okta",
		"config": map[string]any{"clientId": "cid", "clientSecret": "top-secret", "issuer": "https://acme.okta.com"}}).want(t, 200, &o)
	r := e.do("GET", "/api/sso-connectors/"+o.ID, nil).want(t, 200, &o)
	if strings.Contains(string(r.body), "top-secret") || o.ProviderConfig["scope"] != "openid profile email" {
		t.Fatalf("answer %s", r.body)
	}
	e.do("PATCH", "/api/sso-connectors/"+o.ID, map[string]any{"config": map[string]any{"clientId": "cid2", "issuer": "https://acme.okta.com"}}).want(t, 200, &o)
	stored, err := e.st.GetSSOConnector(context.Background(), o.ID)
	must(t, err)
	var cfg map[string]any
	must(t, json.Unmarshal(stored.Config, &cfg))
	if cfg["clientSecret"] != "top-secret" || cfg["clientId"] != "cid2" {
		t.Fatalf("stored config %v", cfg)
	}

	var list []ssoConnectorJSON
	r = e.do("GET", "/api/sso-connectors?page=1&page_size=1", nil).want(t, 200, &list)
	if len(list) != 1 || list[0].ID != c.ID || r.header.Get("Total-Number") != "2" {
		t.Fatalf("page: %d items, total %q", len(list), r.header.Get("Total-Number"))
	}
	e.do("GET", "/api/sso-connectors", nil).want(t, 200, &list)
	if len(list) != 2 {
		t.Fatalf("all: %d", len(list))
	}

	for _, tc := range []struct {
		method, path string
		body         any
		status       int
		code         string
	}{
		{"POST", "/api/sso-connectors", map[string]any{"providerName": "Nope", "connectorName": "x"}, 422, "connector.not_found"},
		{"POST", "/api/sso-connectors", map[string]any{"providerName": "SAML"}, 400, "request.invalid_input"},
		{"POST", "/api/sso-connectors", map[string]any{"providerName": "SAML", "connectorName": "Acme"}, 409, "single_sign_on.duplicate_connector_name"},
		{"POST", "/api/sso-connectors", map[string]any{"providerName": "SAML", "connectorName": "y", "domains": []string{"gmail.com"}}, 422, "single_sign_on.forbidden_domains"},
		{"POST", "/api/sso-connectors", map[string]any{"providerName": "SAML", "connectorName": "y", "domains": []string{"a.com", "A.com"}}, 422, "single_sign_on.duplicated_domains"},
		{"POST", "/api/sso-connectors", map[string]any{"providerName": "SAML", "connectorName": "y", "config": map[string]any{"metadata": "<nope/>"}}, 400, "connector.invalid_metadata"},
		{"POST", "/api/sso-connectors", map[string]any{"providerName": "SAML", "connectorName": "y", "config": map[string]any{"metadata": "x", "extra": 1}}, 400, "connector.invalid_config"},
		{"POST", "/api/sso-connectors", map[string]any{"providerName": "SAML", "connectorName": "y", "config": map[string]any{"metadataUrl": "https://idp.example/m", "metadata": "x"}}, 400, "connector.invalid_config"},
		{"POST", "/api/sso-connectors", map[string]any{"providerName": "SAML", "connectorName": "y", "config": map[string]any{"metadata": "x", "signAuthnRequest": true}}, 400, "single_sign_on.active_signing_key_required"},
		{"POST", "/api/sso-connectors", map[string]any{"providerName": "OIDC", "connectorName": "y", "config": map[string]any{"clientId": "a"}}, 400, "connector.invalid_config"},
		{"POST", "/api/sso-connectors", map[string]any{"providerName": "OIDC", "connectorName": "y", "enableTokenStorage": true}, 422, "request.feature_not_supported"},
		{"POST", "/api/sso-connectors", map[string]any{"providerName": "OIDC", "connectorName": "y", "branding": map[string]any{"color": "red"}}, 400, "connector.invalid_config"},
		{"POST", "/api/sso-connectors", map[string]any{"providerName": "OIDC", "connectorName": "y", "tenantId": "x"}, 400, "request.invalid_input"},
		{"PATCH", "/api/sso-connectors/" + c.ID, map[string]any{"providerName": "OIDC"}, 400, "request.invalid_input"},
		{"PATCH", "/api/sso-connectors/" + c.ID, map[string]any{"connectorName": "Okta"}, 409, "single_sign_on.duplicate_connector_name"},
		{"PATCH", "/api/sso-connectors/nope", map[string]any{"syncProfile": true}, 404, "entity.not_exists_with_id"},
		{"GET", "/api/sso-connectors/nope", nil, 404, "entity.not_exists_with_id"},
		{"GET", "/api/sso-connectors?limit=3", nil, 400, "request.invalid_input"},
	} {
		wantCode(t, e.do(tc.method, tc.path, tc.body), tc.status, tc.code)
	}

	e.do("PATCH", "/api/sso-connectors/"+c.ID, map[string]any{"syncProfile": true, "domains": []string{"acme.org"}}).want(t, 200, &c)
	if !c.SyncProfile || strings.Join(c.Domains, ",") != "acme.org" || c.ConnectorName != "Acme" {
		t.Fatalf("patched %+v", c)
	}
	e.do("DELETE", "/api/sso-connectors/"+c.ID, nil).want(t, 204, nil)
	wantCode(t, e.do("DELETE", "/api/sso-connectors/"+c.ID, nil), 404, "entity.not_exists_with_id")
}
