package management

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/smtpsink"
)

// smtpConnectorConfig is a Logto SMTP config for the sink: STARTTLS with
// the sink's own certificate, which Logto's tls.rejectUnauthorized lets
// through.
func smtpConnectorConfig(sink *smtpsink.Sink) map[string]any {
	return map[string]any{
		"host": sink.Host, "port": sink.Port, "auth": map[string]any{"type": "login", "user": "mailer", "pass": "s3cret-pass"},
		"fromEmail": "no-reply@example.com", "requireTLS": true, "tls": map[string]any{"rejectUnauthorized": false},
		"templates": []any{map[string]any{"usageType": "Generic", "contentType": "text/plain", "subject": "Code", "content": "Your code: {{code}}"}},
		// What a Logto export carries besides.
		"connectionTimeout": 120000, "greetingTimeout": 30000, "socketTimeout": 600000, "dnsTimeout": 30000, "secure": false,
		"logger": false, "debug": false, "disableFileAccess": false, "disableUrlAccess": false,
	}
}

type connectorOutT struct {
	ID          string            `json:"id"`
	ConnectorID string            `json:"connectorId"`
	Type        string            `json:"type"`
	Target      string            `json:"target"`
	Name        map[string]string `json:"name"`
	Config      map[string]any    `json:"config"`
	Metadata    map[string]any    `json:"metadata"`
	SyncProfile bool              `json:"syncProfile"`
	IsDemo      bool              `json:"isDemo"`
	FormItems   []map[string]any  `json:"formItems"`
}

func wantCode(t *testing.T, r resp, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d (%s); body %s", r.status, status, code, r.body)
	}
	if got := r.errBody(t)["code"]; got != code {
		t.Errorf("code %q, want %q (%s)", got, code, r.body)
	}
}

func TestConnectorFactories(t *testing.T) {
	e := newEnv(t)
	var list []connectorOutT
	e.do("GET", "/api/connector-factories", nil).want(t, 200, &list)
	if len(list) != 9 || list[0].ID != "simple-mail-transfer-protocol" || list[0].Type != "Email" || list[1].ID != "http-sms" ||
		list[2].ID != "twilio-short-message-service" || list[2].Type != "Sms" || len(list[0].FormItems) == 0 {
		t.Errorf("factories %+v", list)
	}
	for i, id := range []string{"oidc", "oauth2", "google-universal", "github-universal", "azuread-universal", "apple-universal"} {
		if f := list[3+i]; f.ID != id || f.Type != "Social" || len(f.FormItems) == 0 {
			t.Errorf("social factory %d: %+v", i, f)
		}
	}
	var one connectorOutT
	e.do("GET", "/api/connector-factories/http-sms", nil).want(t, 200, &one)
	if one.Target != "http-sms" || one.Name["en"] != "HTTP SMS" {
		t.Errorf("factory %+v", one)
	}
	wantCode(t, e.do("GET", "/api/connector-factories/nope", nil), 404, "entity.not_found")
	wantCode(t, e.do("GET", "/api/connector-factories?page=1", nil), 400, "request.invalid_input")
}

func TestConnectorsCRUD(t *testing.T) {
	e := newEnv(t)
	sink := smtpsink.Start(t, smtpsink.Options{STARTTLS: true, User: "mailer", Pass: "s3cret-pass"})
	var c connectorOutT
	r := e.do("POST", "/api/connectors", map[string]any{"connectorId": "simple-mail-transfer-protocol", "config": smtpConnectorConfig(sink)}).want(t, 200, &c)
	if strings.Contains(string(r.body), "s3cret") {
		t.Errorf("the password is answered: %s", r.body)
	}
	if c.ID == "" || c.ConnectorID != "simple-mail-transfer-protocol" || c.Type != "Email" || c.Target != "smtp" || c.Name["en"] != "SMTP" ||
		c.Config["fromEmail"] != "no-reply@example.com" || c.Config["auth"].(map[string]any)["user"] != "mailer" || c.Metadata == nil || c.IsDemo {
		t.Errorf("created %s", r.body)
	}
	var list []connectorOutT
	e.do("GET", "/api/connectors", nil).want(t, 200, &list)
	if len(list) != 1 || list[0].ID != c.ID {
		t.Errorf("list %+v", list)
	}
	e.do("GET", "/api/connectors?target=twilio-sms", nil).want(t, 200, &list)
	if len(list) != 0 {
		t.Errorf("target filter: %+v", list)
	}
	wantCode(t, e.do("GET", "/api/connectors?type=Email", nil), 400, "request.invalid_input")

	// A config read back (without its password) and sent again keeps it.
	var got connectorOutT
	r = e.do("GET", "/api/connectors/"+c.ID, nil).want(t, 200, &got)
	if strings.Contains(string(r.body), "s3cret") {
		t.Errorf("GET answers the password: %s", r.body)
	}
	got.Config["fromEmail"] = "Team <team@example.com>"
	e.do("PATCH", "/api/connectors/"+c.ID, map[string]any{"config": got.Config}).want(t, 200, &got)
	if got.Config["fromEmail"] != "Team <team@example.com>" {
		t.Errorf("patched config %+v", got.Config)
	}
	e.do("POST", "/api/verification-codes", map[string]any{"email": "pat@example.com"}).want(t, 204, nil)
	e.connectors.Round(context.Background())
	if m := sink.Wait(t, 1, 10*time.Second)[0]; m.Authed != "mailer" || m.From != "team@example.com" || !m.TLS {
		t.Errorf("sent after the PATCH: authed %q from %q tls %v", m.Authed, m.From, m.TLS)
	}

	for _, c2 := range []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"bad config", map[string]any{"config": map[string]any{"host": "x"}}, 400, "connector.invalid_config"},
		{"config not an object", map[string]any{"config": []any{}}, 400, "request.invalid_input"},
		{"syncProfile", map[string]any{"syncProfile": true}, 422, "connector.invalid_type_for_syncing_profile"},
		{"token storage", map[string]any{"enableTokenStorage": true}, 422, "connector.token_storage_not_supported"},
		{"metadata", map[string]any{"metadata": map[string]any{"target": "x"}}, 400, "connector.cannot_overwrite_metadata_for_non_standard_connector"},
		{"connectorId", map[string]any{"connectorId": "http-sms"}, 400, "request.invalid_input"},
		{"unknown field", map[string]any{"confi": map[string]any{}}, 400, "request.invalid_input"},
	} {
		t.Run("PATCH "+c2.name, func(t *testing.T) {
			wantCode(t, e.do("PATCH", "/api/connectors/"+c.ID, c2.body), c2.status, c2.code)
		})
	}
	wantCode(t, e.do("PATCH", "/api/connectors/nope", map[string]any{"syncProfile": false}), 404, "entity.not_exists_with_id")
	e.do("DELETE", "/api/connectors/"+c.ID, nil).want(t, 204, nil)
	wantCode(t, e.do("DELETE", "/api/connectors/"+c.ID, nil), 404, "entity.not_exists_with_id")
	wantCode(t, e.do("GET", "/api/connectors/"+c.ID, nil), 404, "entity.not_exists_with_id")
}

func TestCreateConnectorRefusals(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"unknown factory", map[string]any{"connectorId": "sendgrid-email-service", "config": map[string]any{}}, 422, "connector.not_found_with_connector_id"},
		{"no connectorId", map[string]any{"config": map[string]any{}}, 400, "request.invalid_input"},
		{"no config", map[string]any{"connectorId": "http-sms"}, 400, "connector.invalid_config"},
		{"bad config", map[string]any{"connectorId": "http-sms", "config": map[string]any{"endpoint": "file:///etc/passwd"}}, 400, "connector.invalid_config"},
		{"unknown config field", map[string]any{"connectorId": "http-sms", "config": map[string]any{"endpoint": "https://x.example", "retries": 3}}, 400, "connector.invalid_config"},
		{"bad id", map[string]any{"id": "a/b", "connectorId": "http-sms", "config": map[string]any{"endpoint": "https://x.example"}}, 400, "request.invalid_input"},
		{"syncProfile", map[string]any{"connectorId": "http-sms", "config": map[string]any{"endpoint": "https://x.example"}, "syncProfile": true}, 422, "connector.invalid_type_for_syncing_profile"},
		{"long config", map[string]any{"connectorId": "http-sms", "config": map[string]any{"endpoint": "https://x.example/" + strings.Repeat("a", 70<<10)}}, 413, "request.entity_too_large"},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantCode(t, e.do("POST", "/api/connectors", c.body), c.status, c.code)
		})
	}
	var c connectorOutT
	e.do("POST", "/api/connectors", map[string]any{"id": "my-sms", "connectorId": "http-sms", "config": map[string]any{"endpoint": "https://x.example", "signingKey": "k"}}).want(t, 200, &c)
	if c.ID != "my-sms" || c.Type != "Sms" || c.Config["signingKey"] != nil {
		t.Errorf("created %+v", c)
	}
	// As in Logto, a new SMS connector replaces the SMS connectors there
	// are, the one with its id too.
	e.do("POST", "/api/connectors", map[string]any{"id": "my-sms", "connectorId": "twilio-short-message-service",
		"config": map[string]any{"accountSID": "AC1", "authToken": "t0k", "fromMessagingServiceSID": "MG1", "templates": []any{}}}).want(t, 200, &c)
	var list []connectorOutT
	e.do("GET", "/api/connectors", nil).want(t, 200, &list)
	if len(list) != 1 || list[0].ConnectorID != "twilio-short-message-service" || list[0].Config["authToken"] != nil {
		t.Errorf("after a second SMS connector: %+v", list)
	}
}

func TestConnectorTest(t *testing.T) {
	e := newEnv(t)
	sink := smtpsink.Start(t, smtpsink.Options{STARTTLS: true, User: "mailer", Pass: "s3cret-pass"})
	config := smtpConnectorConfig(sink)
	e.do("POST", "/api/connectors/simple-mail-transfer-protocol/test", map[string]any{"email": "t@example.com", "config": config, "locale": "ja"}).want(t, 204, nil)
	if m := sink.Wait(t, 1, 10*time.Second)[0]; m.To[0] != "t@example.com" || !strings.Contains(m.Body, "000000") {
		t.Errorf("test message to %v: %q", m.To, m.Body)
	}
	sink.Refuse(1)
	r := e.do("POST", "/api/connectors/simple-mail-transfer-protocol/test", map[string]any{"email": "t@example.com", "config": config})
	wantCode(t, r, 400, "connector.general")
	if !strings.Contains(string(r.body), "451") || strings.Contains(string(r.body), "s3cret") {
		t.Errorf("refusal: %s", r.body)
	}
	for _, c := range []struct {
		name, factory string
		body          any
		status        int
		code          string
	}{
		{"phone to e-mail", "simple-mail-transfer-protocol", map[string]any{"phone": "+15550100", "config": config}, 400, "connector.unexpected_type"},
		{"both", "simple-mail-transfer-protocol", map[string]any{"phone": "+15550100", "email": "a@example.com", "config": config}, 400, "request.invalid_input"},
		{"neither", "simple-mail-transfer-protocol", map[string]any{"config": config}, 400, "request.invalid_input"},
		{"bad email", "simple-mail-transfer-protocol", map[string]any{"email": "nobody", "config": config}, 400, "request.invalid_input"},
		{"no config", "simple-mail-transfer-protocol", map[string]any{"email": "a@example.com"}, 400, "request.invalid_input"},
		{"bad config", "simple-mail-transfer-protocol", map[string]any{"email": "a@example.com", "config": map[string]any{"host": "x"}}, 400, "connector.invalid_config"},
		{"unknown factory", "nope", map[string]any{"email": "a@example.com", "config": config}, 400, "connector.not_found"},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantCode(t, e.do("POST", "/api/connectors/"+c.factory+"/test", c.body), c.status, c.code)
		})
	}
}

type templateOut struct {
	ID           string         `json:"id"`
	TenantID     string         `json:"tenantId"`
	LanguageTag  string         `json:"languageTag"`
	TemplateType string         `json:"templateType"`
	Details      map[string]any `json:"details"`
	CreatedAt    int64          `json:"createdAt"`
}

func TestEmailTemplatesAPI(t *testing.T) {
	e := newEnv(t)
	details := map[string]any{"subject": "Sign in", "content": "<p>{{code}}</p>", "contentType": "text/html"}
	var put []templateOut
	e.do("PUT", "/api/email-templates", map[string]any{"templates": []any{
		map[string]any{"languageTag": "en", "templateType": "SignIn", "details": details},
		map[string]any{"languageTag": "ja", "templateType": "SignIn", "details": map[string]any{"subject": "サインイン", "content": "{{code}}"}},
		map[string]any{"languageTag": "en", "templateType": "Register", "details": details},
	}}).want(t, 200, &put)
	if len(put) != 3 || put[0].ID == "" || put[0].TenantID != "default" || put[0].Details["contentType"] != "text/html" || put[0].CreatedAt == 0 {
		t.Fatalf("PUT answered %+v", put)
	}
	var list []templateOut
	e.do("GET", "/api/email-templates?languageTag=en", nil).want(t, 200, &list)
	if len(list) != 2 {
		t.Errorf("languageTag=en: %+v", list)
	}
	e.do("GET", "/api/email-templates?templateType=SignIn&languageTag=ja", nil).want(t, 200, &list)
	if len(list) != 1 || list[0].Details["subject"] != "サインイン" {
		t.Errorf("ja SignIn: %+v", list)
	}
	var one templateOut
	e.do("GET", "/api/email-templates/"+put[1].ID, nil).want(t, 200, &one)
	if one.LanguageTag != "ja" {
		t.Errorf("GET one: %+v", one)
	}
	e.do("PATCH", "/api/email-templates/"+put[1].ID+"/details", map[string]any{"replyTo": "help@example.com"}).want(t, 200, &one)
	if one.Details["replyTo"] != "help@example.com" || one.Details["subject"] != "サインイン" {
		t.Errorf("PATCH: %+v", one.Details)
	}
	// A second PUT of the same pair keeps its id.
	e.do("PUT", "/api/email-templates", map[string]any{"templates": []any{map[string]any{"languageTag": "ja", "templateType": "SignIn", "details": details}}}).want(t, 200, &put)
	if put[0].ID != one.ID {
		t.Errorf("the replaced template got a new id: %s, was %s", put[0].ID, one.ID)
	}
	for _, c := range []struct {
		method, path string
		body         any
		status       int
		code         string
	}{
		{"GET", "/api/email-templates?languageTag=en_US!", nil, 400, "request.invalid_input"},
		{"GET", "/api/email-templates?templateType=Login", nil, 400, "request.invalid_input"},
		{"GET", "/api/email-templates?page=1", nil, 400, "request.invalid_input"},
		{"GET", "/api/email-templates/nope", nil, 404, "entity.not_exists_with_id"},
		{"PUT", "/api/email-templates", map[string]any{"templates": []any{}}, 400, "request.invalid_input"},
		{"PUT", "/api/email-templates", map[string]any{}, 400, "request.invalid_input"},
		{"PUT", "/api/email-templates", map[string]any{"templates": []any{map[string]any{"languageTag": "en", "templateType": "SignIn", "details": map[string]any{"subject": "x"}}}}, 400, "request.invalid_input"},
		{"PUT", "/api/email-templates", map[string]any{"templates": []any{map[string]any{"languageTag": "en", "templateType": "SignIn", "details": map[string]any{"subject": "x", "content": "y", "foo": 1}}}}, 400, "request.invalid_input"},
		{"PATCH", "/api/email-templates/nope/details", map[string]any{"subject": "x"}, 404, "entity.not_exists_with_id"},
		{"PATCH", "/api/email-templates/" + one.ID + "/details", map[string]any{"contentType": "text/rtf"}, 400, "request.invalid_input"},
		{"DELETE", "/api/email-templates", nil, 422, "connector.email_connector.bulk_deletion_no_filter"},
		{"DELETE", "/api/email-templates?id=x", nil, 400, "request.invalid_input"},
		{"DELETE", "/api/email-templates/nope", nil, 404, "entity.not_exists_with_id"},
	} {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			wantCode(t, e.do(c.method, c.path, c.body), c.status, c.code)
		})
	}
	var n struct {
		RowCount int `json:"rowCount"`
	}
	e.do("DELETE", "/api/email-templates?templateType=Register", nil).want(t, 200, &n)
	if n.RowCount != 1 {
		t.Errorf("rowCount %d", n.RowCount)
	}
	e.do("DELETE", "/api/email-templates/"+one.ID, nil).want(t, 204, nil)
	e.do("GET", "/api/email-templates", nil).want(t, 200, &list)
	if len(list) != 1 || list[0].LanguageTag != "en" {
		t.Errorf("left: %+v", list)
	}
}

func TestVerificationCodesAPI(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	wantCode(t, e.do("POST", "/api/verification-codes", map[string]any{"email": "v@example.com"}), 501, "connector.not_found")
	sink := smtpsink.Start(t, smtpsink.Options{STARTTLS: true, User: "mailer", Pass: "s3cret-pass"})
	e.do("POST", "/api/connectors", map[string]any{"connectorId": "simple-mail-transfer-protocol", "config": smtpConnectorConfig(sink)}).want(t, 200, nil)

	e.do("POST", "/api/verification-codes", map[string]any{"email": "V@Example.com"}).want(t, 204, nil)
	e.connectors.Round(ctx)
	code := sink.Code(t, "V@example.com", 0, 10*time.Second)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	wantCode(t, e.do("POST", "/api/verification-codes/verify", map[string]any{"email": "V@example.com", "verificationCode": wrong}), 400, "verification_code.code_mismatch")
	wantCode(t, e.do("POST", "/api/verification-codes/verify", map[string]any{"phone": "15550100199", "verificationCode": code}), 400, "verification_code.not_found")
	e.do("POST", "/api/verification-codes/verify", map[string]any{"email": "V@EXAMPLE.COM", "verificationCode": code}).want(t, 204, nil)
	wantCode(t, e.do("POST", "/api/verification-codes/verify", map[string]any{"email": "V@example.com", "verificationCode": code}), 400, "verification_code.not_found")

	// At most one code a minute to an address.
	r := e.do("POST", "/api/verification-codes", map[string]any{"email": "v@example.com"})
	wantCode(t, r, 429, "request.message_rate_limited")
	if ra := r.header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("Retry-After %q", ra)
	}

	// Five wrong tries exhaust a code.
	e.do("POST", "/api/verification-codes", map[string]any{"email": "w@example.com"}).want(t, 204, nil)
	e.connectors.Round(ctx)
	code = sink.Code(t, "w@example.com", 0, 10*time.Second)
	wrong = "000000"
	if code == wrong {
		wrong = "111111"
	}
	for i := range 4 {
		wantCode(t, e.do("POST", "/api/verification-codes/verify", map[string]any{"email": "w@example.com", "verificationCode": wrong}), 400, "verification_code.code_mismatch")
		_ = i
	}
	wantCode(t, e.do("POST", "/api/verification-codes/verify", map[string]any{"email": "w@example.com", "verificationCode": wrong}), 400, "verification_code.exceed_max_try")
	wantCode(t, e.do("POST", "/api/verification-codes/verify", map[string]any{"email": "w@example.com", "verificationCode": code}), 400, "verification_code.exceed_max_try")

	for _, c := range []struct {
		path string
		body any
	}{
		{"/api/verification-codes", map[string]any{}},
		{"/api/verification-codes", map[string]any{"email": "a@example.com", "phone": "15550100199"}},
		{"/api/verification-codes", map[string]any{"email": "not-an-address"}},
		{"/api/verification-codes", map[string]any{"phone": "call me"}},
		{"/api/verification-codes", map[string]any{"email": "a@example.com", "verificationCode": "123456"}},
		{"/api/verification-codes", map[string]any{"email": strings.Repeat("a", 300) + "@example.com"}},
		{"/api/verification-codes", map[string]any{"email": "a@example.com", "type": "SignIn"}},
		{"/api/verification-codes/verify", map[string]any{"email": "a@example.com"}},
		{"/api/verification-codes/verify", map[string]any{"email": "a@example.com", "verificationCode": ""}},
		{"/api/verification-codes/verify", map[string]any{"verificationCode": "123456"}},
	} {
		b, _ := json.Marshal(c.body)
		t.Run(c.path+" "+string(b), func(t *testing.T) {
			wantCode(t, e.do("POST", c.path, c.body), 400, "request.invalid_input")
		})
	}
	wantCode(t, e.do("POST", "/api/verification-codes/verify", map[string]any{"email": "a@example.com", "verificationCode": strings.Repeat("9", 5000)}), 400, "verification_code.not_found")
}
