package management

import (
	_ "embed"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/monban/monban/internal/connector"
	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/verifycode"
)

// Logto's /api/connectors, /api/connector-factories, /api/email-templates
// and /api/verification-codes: the rules are the connector and verifycode
// packages'; this file reads Logto's bodies and answers Logto's shapes and
// codes.

// openAPIConnectors documents these routes; it is merged into openAPI when
// the document is first asked for.
//
//go:embed openapi_connectors.json
var openAPIConnectors []byte

func init() { addOpenAPI(openAPIConnectors) }

// factoryJSON is Logto's connector factory response.
type factoryJSON struct {
	Type        connector.Type       `json:"type"`
	ID          string               `json:"id"`
	Target      string               `json:"target"`
	Platform    *string              `json:"platform"`
	Name        map[string]string    `json:"name"`
	Logo        string               `json:"logo"`
	LogoDark    *string              `json:"logoDark"`
	Description map[string]string    `json:"description"`
	Readme      string               `json:"readme"`
	FormItems   []connector.FormItem `json:"formItems"`
	IsStandard  bool                 `json:"isStandard"`
	IsDemo      bool                 `json:"isDemo"`
}

func factoryOut(f connector.Factory) factoryJSON {
	return factoryJSON{Type: f.Type, ID: f.ID, Target: f.Target, Name: f.Name, Description: f.Description,
		FormItems: f.FormItems, IsStandard: f.IsStandard}
}

// connectorJSON is Logto's connector response: the factory's metadata
// with the connector's row over it. config is shown without its secrets.
type connectorJSON struct {
	factoryJSON
	ConnectorID        string          `json:"connectorId"`
	SyncProfile        bool            `json:"syncProfile"`
	EnableTokenStorage bool            `json:"enableTokenStorage"`
	Config             json.RawMessage `json:"config"`
	Metadata           json.RawMessage `json:"metadata"`
	ExtraInfo          map[string]any  `json:"extraInfo"`
}

func connectorOut(v connector.View) connectorJSON {
	out := connectorJSON{factoryJSON: factoryOut(v.Factory), ConnectorID: v.ConnectorID, SyncProfile: v.SyncProfile,
		EnableTokenStorage: v.EnableTokenStorage, Config: v.PublicConfig(), Metadata: v.Metadata, ExtraInfo: map[string]any{}}
	out.ID = v.ID
	if len(out.Metadata) == 0 {
		out.Metadata = json.RawMessage("{}")
	}
	return out
}

// connectorBody is a create or PATCH body: Logto's fields.
type connectorBody struct {
	ID                 *string         `json:"id"`
	ConnectorID        *string         `json:"connectorId"`
	Config             json.RawMessage `json:"config"`
	Metadata           json.RawMessage `json:"metadata"`
	SyncProfile        *bool           `json:"syncProfile"`
	EnableTokenStorage *bool           `json:"enableTokenStorage"`
}

func (b connectorBody) input() (connector.Input, error) {
	in := connector.Input{Config: b.Config, Metadata: b.Metadata, SyncProfile: b.SyncProfile, EnableTokenStorage: b.EnableTokenStorage}
	if b.ID != nil {
		in.ID = *b.ID
	}
	if b.ConnectorID != nil {
		in.ConnectorID = *b.ConnectorID
	}
	if c := string(b.Config); c != "" && c != "null" && (c[0] != '{') {
		return in, invalid("config must be a JSON object")
	}
	return in, nil
}

// connectorError answers the connector package's refusals with Logto's
// status and code; when decides between what POST and the others say.
func connectorError(err error, create bool) error {
	var ce *connector.Error
	if !errors.As(err, &ce) {
		return err
	}
	switch ce.Kind {
	case connector.InvalidConfig:
		return &apiError{http.StatusBadRequest, "connector.invalid_config", ce.Message}
	case connector.FactoryNotFound:
		if create {
			return &apiError{http.StatusUnprocessableEntity, "connector.not_found_with_connector_id", ce.Message}
		}
		return &apiError{http.StatusBadRequest, "connector.not_found", ce.Message}
	case connector.NotFound, connector.TemplateMissing:
		return &apiError{http.StatusNotFound, "entity.not_exists_with_id", ce.Message}
	case connector.NoConnector:
		return &apiError{http.StatusNotImplemented, "connector.not_found", ce.Message}
	case connector.UnexpectedType:
		return &apiError{http.StatusBadRequest, "connector.unexpected_type", ce.Message}
	case connector.SyncProfileUnsupported:
		return &apiError{http.StatusUnprocessableEntity, "connector.invalid_type_for_syncing_profile", ce.Message}
	case connector.TokenStorageUnsupported:
		return &apiError{http.StatusUnprocessableEntity, "connector.token_storage_not_supported", ce.Message}
	case connector.MetadataLocked:
		return &apiError{http.StatusBadRequest, "connector.cannot_overwrite_metadata_for_non_standard_connector", ce.Message}
	case connector.SendFailed:
		return &apiError{http.StatusBadRequest, "connector.general", ce.Message}
	case connector.NoFilter:
		return &apiError{http.StatusUnprocessableEntity, "connector.email_connector.bulk_deletion_no_filter", ce.Message}
	}
	return invalid(ce.Message)
}

func (s *server) listConnectors(w http.ResponseWriter, r *http.Request) error {
	target := r.URL.Query().Get("target")
	list, err := s.Connectors.Connectors(r.Context())
	if err != nil {
		return err
	}
	out := make([]connectorJSON, 0, len(list))
	for _, v := range list {
		if target == "" || v.Factory.Target == target {
			out = append(out, connectorOut(v))
		}
	}
	httpjson.Write(w, http.StatusOK, out)
	return nil
}

func (s *server) createConnector(w http.ResponseWriter, r *http.Request) error {
	var b connectorBody
	if err := decode(w, r, &b); err != nil {
		return err
	}
	if b.ConnectorID == nil || *b.ConnectorID == "" {
		return invalid("connectorId is required")
	}
	in, err := b.input()
	if err != nil {
		return err
	}
	v, err := s.Connectors.Create(r.Context(), in)
	if err != nil {
		return connectorError(err, true)
	}
	s.record(r, v.ID)
	httpjson.Write(w, http.StatusOK, connectorOut(v))
	return nil
}

func (s *server) getConnector(w http.ResponseWriter, r *http.Request) error {
	v, err := s.Connectors.Connector(r.Context(), r.PathValue("id"))
	if err != nil {
		return connectorError(err, false)
	}
	httpjson.Write(w, http.StatusOK, connectorOut(v))
	return nil
}

func (s *server) updateConnector(w http.ResponseWriter, r *http.Request) error {
	var b connectorBody
	if err := decode(w, r, &b); err != nil {
		return err
	}
	if b.ID != nil || b.ConnectorID != nil {
		return invalid("id and connectorId cannot be changed")
	}
	in, err := b.input()
	if err != nil {
		return err
	}
	v, err := s.Connectors.Update(r.Context(), r.PathValue("id"), in)
	if err != nil {
		return connectorError(err, false)
	}
	s.record(r, "")
	httpjson.Write(w, http.StatusOK, connectorOut(v))
	return nil
}

func (s *server) deleteConnector(w http.ResponseWriter, r *http.Request) error {
	if err := s.Connectors.Delete(r.Context(), r.PathValue("id")); err != nil {
		return connectorError(err, false)
	}
	return noContent(w, r, nil, func(r *http.Request) { s.record(r, "") })
}

// testBody is Logto's connector test body: one of phone and email, the
// config to test, and the message's language.
type testBody struct {
	Phone  *string         `json:"phone"`
	Email  *string         `json:"email"`
	Config json.RawMessage `json:"config"`
	Locale string          `json:"locale"`
}

func (s *server) testConnector(w http.ResponseWriter, r *http.Request) error {
	var b testBody
	if err := decode(w, r, &b); err != nil {
		return err
	}
	ch, to, err := oneAddress(b.Email, b.Phone)
	if err != nil {
		return err
	}
	if len(b.Config) == 0 || b.Config[0] != '{' {
		return invalid("config is required and must be a JSON object")
	}
	if len(b.Locale) > 16 {
		return invalid("locale must be a language tag")
	}
	f, ok := connector.FactoryByID(r.PathValue("factoryId"))
	if ok && f.Channel() != ch {
		return &apiError{http.StatusBadRequest, "connector.unexpected_type", "the " + f.ID + " connector does not send to " + string(ch)}
	}
	if err := s.Connectors.Test(r.Context(), r.PathValue("factoryId"), b.Config, ch, to, b.Locale); err != nil {
		return connectorError(err, false)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// oneAddress reads Logto's { email } or { phone }: exactly one, well
// formed.
func oneAddress(email, phone *string) (verifycode.Channel, string, error) {
	switch {
	case email != nil && phone != nil, email == nil && phone == nil:
		return "", "", invalid("exactly one of email and phone is required")
	case email != nil:
		if _, err := verifycode.Normalize(verifycode.ChannelEmail, *email); err != nil {
			return "", "", invalid("email is not a valid e-mail address")
		}
		return verifycode.ChannelEmail, *email, nil
	}
	if _, err := verifycode.Normalize(verifycode.ChannelSMS, *phone); err != nil {
		return "", "", invalid("phone must be a phone number: digits, optionally after a plus sign")
	}
	return verifycode.ChannelSMS, *phone, nil
}

func (s *server) listFactories(w http.ResponseWriter, _ *http.Request) error {
	httpjson.Write(w, http.StatusOK, each(connector.Factories(), factoryOut))
	return nil
}

func (s *server) getFactory(w http.ResponseWriter, r *http.Request) error {
	f, ok := connector.FactoryByID(r.PathValue("id"))
	if !ok {
		return &apiError{http.StatusNotFound, "entity.not_found", "connector factory not found"}
	}
	httpjson.Write(w, http.StatusOK, factoryOut(f))
	return nil
}

// emailTemplateJSON is Logto's EmailTemplate (tenantId is always
// "default", as Logto's OSS tenant is).
type emailTemplateJSON struct {
	TenantID     string          `json:"tenantId"`
	ID           string          `json:"id"`
	LanguageTag  string          `json:"languageTag"`
	TemplateType string          `json:"templateType"`
	Details      json.RawMessage `json:"details"`
	CreatedAt    int64           `json:"createdAt"`
}

func emailTemplateOut(t store.EmailTemplate) emailTemplateJSON {
	return emailTemplateJSON{TenantID: "default", ID: t.ID, LanguageTag: t.LanguageTag, TemplateType: t.TemplateType,
		Details: t.Details, CreatedAt: ms(t.CreatedAt)}
}

func templateFilter(r *http.Request) store.TemplateFilter {
	q := r.URL.Query()
	return store.TemplateFilter{LanguageTag: q.Get("languageTag"), TemplateType: q.Get("templateType")}
}

func (s *server) listEmailTemplates(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Connectors.Templates(r.Context(), templateFilter(r))
	if err != nil {
		return connectorError(err, false)
	}
	httpjson.Write(w, http.StatusOK, each(list, emailTemplateOut))
	return nil
}

type templatesBody struct {
	Templates []struct {
		LanguageTag  string            `json:"languageTag"`
		TemplateType string            `json:"templateType"`
		Details      connector.Details `json:"details"`
	} `json:"templates"`
}

func (s *server) putEmailTemplates(w http.ResponseWriter, r *http.Request) error {
	var b templatesBody
	if err := decode(w, r, &b); err != nil {
		return err
	}
	in := make([]connector.TemplateInput, len(b.Templates))
	for i, t := range b.Templates {
		in[i] = connector.TemplateInput{LanguageTag: t.LanguageTag, TemplateType: t.TemplateType, Details: t.Details}
	}
	list, err := s.Connectors.PutTemplates(r.Context(), in)
	if err != nil {
		return connectorError(err, false)
	}
	s.record(r, "")
	httpjson.Write(w, http.StatusOK, each(list, emailTemplateOut))
	return nil
}

func (s *server) getEmailTemplate(w http.ResponseWriter, r *http.Request) error {
	t, err := s.Connectors.Template(r.Context(), r.PathValue("id"))
	if err != nil {
		return connectorError(err, false)
	}
	httpjson.Write(w, http.StatusOK, emailTemplateOut(t))
	return nil
}

type detailsPatchBody struct {
	Subject     *string `json:"subject"`
	Content     *string `json:"content"`
	ContentType *string `json:"contentType"`
	ReplyTo     *string `json:"replyTo"`
	SendFrom    *string `json:"sendFrom"`
}

func (s *server) patchEmailTemplate(w http.ResponseWriter, r *http.Request) error {
	var b detailsPatchBody
	if err := decode(w, r, &b); err != nil {
		return err
	}
	t, err := s.Connectors.PatchTemplate(r.Context(), r.PathValue("id"), connector.DetailsPatch{Subject: b.Subject, Content: b.Content,
		ContentType: b.ContentType, ReplyTo: b.ReplyTo, SendFrom: b.SendFrom})
	if err != nil {
		return connectorError(err, false)
	}
	s.record(r, "")
	httpjson.Write(w, http.StatusOK, emailTemplateOut(t))
	return nil
}

func (s *server) deleteEmailTemplate(w http.ResponseWriter, r *http.Request) error {
	if err := s.Connectors.DeleteTemplate(r.Context(), r.PathValue("id")); err != nil {
		return connectorError(err, false)
	}
	return noContent(w, r, nil, func(r *http.Request) { s.record(r, "") })
}

func (s *server) deleteEmailTemplates(w http.ResponseWriter, r *http.Request) error {
	n, err := s.Connectors.DeleteTemplates(r.Context(), templateFilter(r))
	if err != nil {
		return connectorError(err, false)
	}
	s.record(r, "")
	httpjson.Write(w, http.StatusOK, map[string]int{"rowCount": n})
	return nil
}

// codeBody is Logto's verification code request: { email } or { phone },
// with verificationCode when verifying.
type codeBody struct {
	Email            *string `json:"email"`
	Phone            *string `json:"phone"`
	VerificationCode *string `json:"verificationCode"`
}

// apiCodeBind binds the Management API's codes: they are verified only
// through this API.
const apiCodeBind = "api"

func (s *server) codeRequest(r *http.Request, b codeBody) (verifycode.Request, error) {
	ch, to, err := oneAddress(b.Email, b.Phone)
	if err != nil {
		return verifycode.Request{}, err
	}
	req := verifycode.Request{Purpose: verifycode.PurposeGeneric, Channel: ch, To: to, Bind: apiCodeBind, Locale: "en"}
	if s.ClientIP != nil {
		req.ClientIP = s.ClientIP(r)
	}
	return req, nil
}

func (s *server) sendVerificationCode(w http.ResponseWriter, r *http.Request) error {
	var b codeBody
	if err := decode(w, r, &b); err != nil {
		return err
	}
	if b.VerificationCode != nil {
		return invalid("verificationCode is not taken here; send it to /api/verification-codes/verify")
	}
	req, err := s.codeRequest(r, b)
	if err != nil {
		return err
	}
	if err := s.Codes.Send(r.Context(), req); err != nil {
		return codeError(w, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) verifyVerificationCode(w http.ResponseWriter, r *http.Request) error {
	var b codeBody
	if err := decode(w, r, &b); err != nil {
		return err
	}
	if b.VerificationCode == nil || *b.VerificationCode == "" {
		return invalid("verificationCode is required")
	}
	req, err := s.codeRequest(r, b)
	if err != nil {
		return err
	}
	if err := s.Codes.Verify(r.Context(), req, *b.VerificationCode); err != nil {
		return codeError(w, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// codeError answers verifycode's errors with Logto's statuses and codes.
func codeError(w http.ResponseWriter, err error) error {
	var te *verifycode.ThrottledError
	switch {
	case errors.As(err, &te):
		w.Header().Set("Retry-After", strconv.Itoa(int(te.RetryAfter.Seconds()+0.999)))
		return &apiError{http.StatusTooManyRequests, "request.message_rate_limited", "Too many messages sent to this recipient. Please try again later."}
	case errors.Is(err, verifycode.ErrNoConnector):
		return &apiError{http.StatusNotImplemented, "connector.not_found", "no connector is configured to send this message"}
	case errors.Is(err, verifycode.ErrInvalidTarget), errors.Is(err, verifycode.ErrInvalidRequest):
		return invalid("the e-mail address or phone number is not valid")
	case errors.Is(err, verifycode.ErrNotFound):
		return &apiError{http.StatusBadRequest, "verification_code.not_found", "Verification code not found. Please send verification code first."}
	case errors.Is(err, verifycode.ErrMismatch):
		return &apiError{http.StatusBadRequest, "verification_code.code_mismatch", "Invalid verification code."}
	case errors.Is(err, verifycode.ErrExhausted):
		return &apiError{http.StatusBadRequest, "verification_code.exceed_max_try", "Verification code retries limitation exceeded. Please request a new verification code."}
	case errors.Is(err, verifycode.ErrExpired):
		return &apiError{http.StatusBadRequest, "verification_code.expired", "Verification code has expired. Please request a new verification code."}
	}
	return err
}
