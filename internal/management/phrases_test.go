package management

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/smtpsink"
)

func TestCustomPhrasesRoutes(t *testing.T) {
	e := newEnv(t)
	var list []map[string]any
	e.do("GET", "/api/custom-phrases", nil).want(t, 200, &list)
	if len(list) != 0 {
		t.Fatalf("custom phrases of a new server: %v", list)
	}
	wantCode(t, e.do("GET", "/api/custom-phrases/ja", nil), 404, "entity.not_found")

	var got struct {
		TenantID, ID, LanguageTag string
		Translation               map[string]map[string]string
	}
	before := e.changes.Load()
	e.do("PUT", "/api/custom-phrases/ja", map[string]any{
		"action":      map[string]any{"sign_in": "ログインする", "continue": ""},
		"input":       map[string]any{"code": "確認コード"},
		"description": map[string]any{},
		"error":       nil,
	}).want(t, 201, &got)
	if got.TenantID != "default" || got.ID == "" || got.LanguageTag != "ja" || got.Translation["action"]["sign_in"] != "ログインする" ||
		got.Translation["input"]["code"] != "確認コード" || len(got.Translation) != 2 || len(got.Translation["action"]) != 1 {
		t.Errorf("PUT answered %+v (empty values must be dropped)", got)
	}
	if e.changes.Load() != before+1 {
		t.Errorf("PUT made %d changes", e.changes.Load()-before)
	}
	id := got.ID
	got.Translation = nil
	e.do("PUT", "/api/custom-phrases/ja", map[string]any{"action": map[string]any{"sign_in": "サインイン!"}}).want(t, 201, &got)
	if got.ID != id || got.Translation["action"]["sign_in"] != "サインイン!" || got.Translation["input"] != nil {
		t.Errorf("second PUT answered %+v: the id is kept and the document replaced", got)
	}
	e.do("GET", "/api/custom-phrases/ja", nil).want(t, 200, &got)
	if got.Translation["action"]["sign_in"] != "サインイン!" {
		t.Errorf("GET after PUT: %+v", got)
	}
	e.do("PUT", "/api/custom-phrases/en", map[string]any{"action": map[string]any{"sign_in": "Log in"}}).want(t, 201, nil)
	e.do("GET", "/api/custom-phrases", nil).want(t, 200, &list)
	if len(list) != 2 || list[0]["languageTag"] != "en" || list[1]["languageTag"] != "ja" {
		t.Errorf("list: %v", list)
	}

	// Refusals: keys the pages do not show, values that are not strings,
	// languages the pages do not speak, bodies that are not objects.
	for _, c := range []struct {
		name, tag string
		body      any
		status    int
		code      string
	}{
		{"unknown key", "ja", map[string]any{"action": map[string]any{"no_such_key": "x"}}, 422, "localization.invalid_translation_structure"},
		{"Logto key without an equivalent", "ja", map[string]any{"mfa": map[string]any{"totp": "x"}}, 422, "localization.invalid_translation_structure"},
		{"number value", "ja", map[string]any{"action": map[string]any{"sign_in": 3}}, 422, "localization.invalid_translation_structure"},
		{"string where an object is", "ja", map[string]any{"action": "x"}, 422, "localization.invalid_translation_structure"},
		{"array", "ja", []string{"x"}, 400, "request.invalid_input"},
		{"other language", "fr", map[string]any{"action": map[string]any{"sign_in": "Connexion"}}, 400, "guard.invalid_input"},
		{"too long", "ja", map[string]any{"action": map[string]any{"sign_in": strings.Repeat("あ", 1025)}}, 400, "guard.invalid_input"},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantCode(t, e.do("PUT", "/api/custom-phrases/"+c.tag, c.body), c.status, c.code)
		})
	}
	if r := e.do("PUT", "/api/custom-phrases/ja", strings.Repeat("x", 70<<10)); r.status != 413 && r.status != 400 {
		t.Errorf("a huge body: %d", r.status)
	}
	e.do("GET", "/api/custom-phrases/ja", nil).want(t, 200, &got)
	if got.Translation["action"]["sign_in"] != "サインイン!" {
		t.Errorf("a refused PUT changed the phrase: %+v", got)
	}

	// The default language's phrases cannot be deleted.
	wantCode(t, e.do("DELETE", "/api/custom-phrases/en", nil), 409, "localization.cannot_delete_default_language")
	e.do("DELETE", "/api/custom-phrases/ja", nil).want(t, 204, nil)
	wantCode(t, e.do("DELETE", "/api/custom-phrases/ja", nil), 404, "entity.not_found")
	wantCode(t, e.do("GET", "/api/custom-phrases/ja", nil), 404, "entity.not_found")
}

func TestAppSignInExperienceRoutes(t *testing.T) {
	e := newEnv(t)
	app := e.createApp("Branded", "Traditional")
	path := "/api/applications/" + app.ID + "/sign-in-experience"
	wantCode(t, e.do("GET", path, nil), 404, "entity.not_exists_with_id")
	wantCode(t, e.do("GET", "/api/applications/nope/sign-in-experience", nil), 404, "entity.not_exists_with_id")
	wantCode(t, e.do("PUT", "/api/applications/nope/sign-in-experience", map[string]any{"displayName": "x"}), 404, "entity.not_exists_with_id")

	var got map[string]json.RawMessage
	e.do("PUT", path, map[string]any{
		"displayName": "Branded App", "color": map[string]any{"primaryColor": "#112233"},
		"branding": map[string]any{"logoUrl": "https://cdn.example.com/logo.png"}, "termsOfUseUrl": "https://example.com/terms",
	}).want(t, 201, &got)
	want := map[string]string{"tenantId": `"default"`, "applicationId": `"` + app.ID + `"`, "displayName": `"Branded App"`,
		"color": `{"primaryColor":"#112233"}`, "branding": `{"logoUrl":"https://cdn.example.com/logo.png"}`,
		"termsOfUseUrl": `"https://example.com/terms"`, "privacyPolicyUrl": "null", "customCss": "null"}
	for k, v := range want {
		if string(got[k]) != v {
			t.Errorf("PUT answered %s = %s, want %s", k, got[k], v)
		}
	}
	// A second PUT changes what it names and keeps the rest.
	e.do("PUT", path, map[string]any{"privacyPolicyUrl": "https://example.com/privacy", "displayName": nil}).want(t, 200, &got)
	if string(got["privacyPolicyUrl"]) != `"https://example.com/privacy"` || string(got["displayName"]) != "null" || string(got["termsOfUseUrl"]) != `"https://example.com/terms"` {
		t.Errorf("second PUT: %v", got)
	}
	e.do("GET", path, nil).want(t, 200, &got)
	if string(got["privacyPolicyUrl"]) != `"https://example.com/privacy"` {
		t.Errorf("GET: %v", got)
	}
	for _, c := range []struct {
		name string
		body any
		code string
	}{
		{"unknown field", map[string]any{"signInMode": "SignIn"}, "guard.invalid_input"},
		{"bad color", map[string]any{"color": map[string]any{"primaryColor": "red"}}, "guard.invalid_input"},
		{"bad url", map[string]any{"termsOfUseUrl": "javascript:alert(1)"}, "guard.invalid_input"},
		{"long name", map[string]any{"displayName": strings.Repeat("n", 257)}, "guard.invalid_input"},
		{"custom css", map[string]any{"customCss": "body{}"}, "request.invalid_input"},
		{"number name", map[string]any{"displayName": 3}, "guard.invalid_input"},
	} {
		t.Run(c.name, func(t *testing.T) { wantCode(t, e.do("PUT", path, c.body), 400, c.code) })
	}
	if r := e.do("PATCH", path, map[string]any{}); r.status != http.StatusMethodNotAllowed {
		t.Errorf("PATCH (Logto has none): %d", r.status)
	}
	// The document goes with its application.
	e.do("DELETE", "/api/applications/"+app.ID, nil).want(t, 204, nil)
	wantCode(t, e.do("GET", path, nil), 404, "entity.not_exists_with_id")
}

func TestCustomUIAssetsRefused(t *testing.T) {
	e := newEnv(t)
	wantCode(t, e.do("POST", "/api/sign-in-exp/default/custom-ui-assets", map[string]any{}), 501, "request.not_implemented")
}

// TestVerificationCodePolicy: the sign-in experience's
// verificationCodePolicy is held to Logto's guard and the codes of
// /api/verification-codes obey it.
func TestVerificationCodePolicy(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, p := range []map[string]any{
		{"expirationDuration": 59}, {"expirationDuration": 3601}, {"maxRetryAttempts": 0}, {"maxRetryAttempts": 101},
		{"maxRetryAttempts": 1.5}, {"maxRetryAttempts": "3"}, {"codeLength": 8},
	} {
		wantCode(t, e.do("PATCH", "/api/sign-in-exp", map[string]any{"verificationCodePolicy": p}), 400, "guard.invalid_input")
	}
	var got map[string]json.RawMessage
	e.do("PATCH", "/api/sign-in-exp", map[string]any{"verificationCodePolicy": map[string]any{"expirationDuration": 60, "maxRetryAttempts": 2}}).want(t, 200, &got)
	if string(got["verificationCodePolicy"]) != `{"expirationDuration":60,"maxRetryAttempts":2}` {
		t.Errorf("PATCH answered %s", got["verificationCodePolicy"])
	}

	sink := smtpsink.Start(t, smtpsink.Options{STARTTLS: true, User: "mailer", Pass: "s3cret-pass"})
	e.do("POST", "/api/connectors", map[string]any{"connectorId": "simple-mail-transfer-protocol", "config": smtpConnectorConfig(sink)}).want(t, 200, nil)
	e.do("POST", "/api/verification-codes", map[string]any{"email": "p@example.com"}).want(t, 204, nil)
	e.connectors.Round(ctx)
	code := sink.Code(t, "p@example.com", 0, 10*time.Second)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	wantCode(t, e.do("POST", "/api/verification-codes/verify", map[string]any{"email": "p@example.com", "verificationCode": wrong}), 400, "verification_code.code_mismatch")
	wantCode(t, e.do("POST", "/api/verification-codes/verify", map[string]any{"email": "p@example.com", "verificationCode": wrong}), 400, "verification_code.exceed_max_try")
	wantCode(t, e.do("POST", "/api/verification-codes/verify", map[string]any{"email": "p@example.com", "verificationCode": code}), 400, "verification_code.exceed_max_try")

	// Back to the server's own: {} clears the policy.
	e.do("PATCH", "/api/sign-in-exp", map[string]any{"verificationCodePolicy": map[string]any{}}).want(t, 200, &got)
	if string(got["verificationCodePolicy"]) != `{}` {
		t.Errorf("PATCH {} answered %s", got["verificationCodePolicy"])
	}
}
