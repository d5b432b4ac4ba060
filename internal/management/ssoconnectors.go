package management

import (
	_ "embed"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/sso"
	"github.com/monban/monban/internal/store"
)

// Logto's /api/sso-connectors and /api/sso-connector-providers: the rules
// are internal/sso's; this file reads Logto's bodies and answers Logto's
// shapes and codes.

// openAPISSOConnectors documents these routes; it is merged into openAPI
// when the document is first asked for.
//
//go:embed openapi_ssoconnectors.json
var openAPISSOConnectors []byte

func init() { addOpenAPI(openAPISSOConnectors) }

// ssoProviderJSON is Logto's SSO connector provider.
type ssoProviderJSON struct {
	ProviderName string `json:"providerName"`
	ProviderType string `json:"providerType"`
	Logo         string `json:"logo"`
	LogoDark     string `json:"logoDark"`
	Description  string `json:"description"`
	Name         string `json:"name"`
}

// locale is the request's first Accept-Language tag ("en" when none).
func locale(r *http.Request) string {
	l := r.Header.Get("Accept-Language")
	if i := strings.IndexAny(l, ",;"); i >= 0 {
		l = l[:i]
	}
	if l = strings.TrimSpace(l); l == "" {
		return "en"
	}
	return l
}

func (s *server) listSSOProviders(w http.ResponseWriter, r *http.Request) error {
	out := make([]ssoProviderJSON, 0, len(sso.Providers))
	for _, p := range sso.Providers {
		out = append(out, ssoProviderJSON{ProviderName: p.Name, ProviderType: string(p.Type),
			Description: sso.Localized(p.Description, locale(r)), Name: sso.Localized(p.DisplayName, locale(r))})
	}
	httpjson.Write(w, http.StatusOK, out)
	return nil
}

// ssoConnectorJSON is Logto's SSO connector with its provider's details.
// config is shown without its secret (an OIDC clientSecret).
type ssoConnectorJSON struct {
	TenantID           string          `json:"tenantId"`
	ID                 string          `json:"id"`
	ProviderName       string          `json:"providerName"`
	ConnectorName      string          `json:"connectorName"`
	Config             json.RawMessage `json:"config"`
	Domains            []string        `json:"domains"`
	Branding           json.RawMessage `json:"branding"`
	SyncProfile        bool            `json:"syncProfile"`
	EnableTokenStorage bool            `json:"enableTokenStorage"`
	CreatedAt          int64           `json:"createdAt"`
	Name               string          `json:"name"`
	ProviderType       string          `json:"providerType"`
	ProviderLogo       string          `json:"providerLogo"`
	ProviderLogoDark   string          `json:"providerLogoDark"`
	ProviderConfig     map[string]any  `json:"providerConfig,omitempty"`
}

func (s *server) ssoConnectorOut(r *http.Request, v sso.View) ssoConnectorJSON {
	out := ssoConnectorJSON{TenantID: "default", ID: v.ID, ProviderName: v.ProviderName, ConnectorName: v.ConnectorName,
		Config: v.PublicConfig, Domains: v.Domains, Branding: v.Branding, SyncProfile: v.SyncProfile,
		CreatedAt: v.CreatedAt.UnixMilli(), Name: sso.Localized(v.Provider.DisplayName, locale(r)), ProviderType: string(v.Provider.Type)}
	if pc, ok := s.SSO.ProviderConfig(r.Context(), v.SSOConnector); ok {
		out.ProviderConfig = pc
	}
	if len(out.Branding) == 0 {
		out.Branding = json.RawMessage("{}")
	}
	return out
}

// ssoConnectorBody is a create or PATCH body: Logto's fields.
type ssoConnectorBody struct {
	ProviderName       *string         `json:"providerName"`
	ConnectorName      *string         `json:"connectorName"`
	Config             json.RawMessage `json:"config"`
	Domains            *[]string       `json:"domains"`
	Branding           json.RawMessage `json:"branding"`
	SyncProfile        *bool           `json:"syncProfile"`
	EnableTokenStorage *bool           `json:"enableTokenStorage"`
}

func (b ssoConnectorBody) input() (sso.Input, error) {
	if b.EnableTokenStorage != nil && *b.EnableTokenStorage {
		return sso.Input{}, &apiError{http.StatusUnprocessableEntity, "request.feature_not_supported", "token storage is not supported"}
	}
	for name, raw := range map[string]json.RawMessage{"config": b.Config, "branding": b.Branding} {
		if c := strings.TrimSpace(string(raw)); c != "" && (c == "null" || c[0] != '{') {
			return sso.Input{}, invalid(name + " must be a JSON object")
		}
	}
	in := sso.Input{ConnectorName: b.ConnectorName, Config: b.Config, Domains: b.Domains, Branding: b.Branding, SyncProfile: b.SyncProfile}
	if b.ProviderName != nil {
		in.ProviderName = *b.ProviderName
	}
	return in, nil
}

// ssoError answers the sso package's refusals with Logto's status and code.
func ssoError(err error) error {
	var se *sso.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Kind {
	case sso.InvalidConfig:
		return &apiError{http.StatusBadRequest, "connector.invalid_config", se.Message}
	case sso.InvalidMetadata:
		return &apiError{http.StatusBadRequest, "connector.invalid_metadata", se.Message}
	case sso.ProviderNotFound:
		return &apiError{http.StatusUnprocessableEntity, "connector.not_found", se.Message}
	case sso.ForbiddenDomains:
		return &apiError{http.StatusUnprocessableEntity, "single_sign_on.forbidden_domains", se.Message}
	case sso.DuplicatedDomains:
		return &apiError{http.StatusUnprocessableEntity, "single_sign_on.duplicated_domains", se.Message}
	case sso.DuplicateName:
		return &apiError{http.StatusConflict, "single_sign_on.duplicate_connector_name", se.Message}
	case sso.NotFound:
		return &apiError{http.StatusNotFound, "entity.not_exists_with_id", se.Message}
	case sso.SigningKeyRequired:
		return &apiError{http.StatusBadRequest, "single_sign_on.active_signing_key_required", se.Message}
	}
	return err
}

func (s *server) createSSOConnector(w http.ResponseWriter, r *http.Request) error {
	var b ssoConnectorBody
	if err := decode(w, r, &b); err != nil {
		return err
	}
	if b.ProviderName == nil || b.ConnectorName == nil {
		return invalid("providerName and connectorName are required")
	}
	in, err := b.input()
	if err != nil {
		return err
	}
	v, err := s.SSO.Create(r.Context(), in)
	if err != nil {
		return ssoError(err)
	}
	s.record(r, v.ID)
	httpjson.Write(w, http.StatusOK, s.ssoConnectorOut(r, v))
	return nil
}

func (s *server) listSSOConnectorsAPI(w http.ResponseWriter, r *http.Request) error {
	return writePage(w, r, func(c ssoConnectorJSON) ssoConnectorJSON { return c }, func(page store.Page) ([]ssoConnectorJSON, int, error) {
		list, total, err := s.SSO.List(r.Context(), page)
		if err != nil {
			return nil, 0, err
		}
		out := make([]ssoConnectorJSON, len(list))
		for i, v := range list {
			out[i] = s.ssoConnectorOut(r, v)
		}
		return out, total, nil
	})
}

func (s *server) getSSOConnector(w http.ResponseWriter, r *http.Request) error {
	v, err := s.SSO.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return ssoError(err)
	}
	httpjson.Write(w, http.StatusOK, s.ssoConnectorOut(r, v))
	return nil
}

func (s *server) updateSSOConnector(w http.ResponseWriter, r *http.Request) error {
	var b ssoConnectorBody
	if err := decode(w, r, &b); err != nil {
		return err
	}
	if b.ProviderName != nil {
		return invalid("providerName cannot be changed")
	}
	in, err := b.input()
	if err != nil {
		return err
	}
	v, err := s.SSO.Update(r.Context(), r.PathValue("id"), in)
	if err != nil {
		return ssoError(err)
	}
	s.record(r, "")
	httpjson.Write(w, http.StatusOK, s.ssoConnectorOut(r, v))
	return nil
}

func (s *server) deleteSSOConnector(w http.ResponseWriter, r *http.Request) error {
	if err := s.SSO.Delete(r.Context(), r.PathValue("id")); err != nil {
		return ssoError(err)
	}
	s.record(r, "")
	w.WriteHeader(http.StatusNoContent)
	return nil
}
