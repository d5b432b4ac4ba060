package management

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestSignInExperienceRoutes(t *testing.T) {
	e := newEnv(t)
	var got map[string]json.RawMessage
	e.do("GET", "/api/sign-in-exp", nil).want(t, http.StatusOK, &got)
	if string(got["signInMode"]) != `"SignInAndRegister"` || string(got["id"]) != `"default"` || string(got["passwordPolicy"]) != "{}" {
		t.Errorf("defaults: mode %s, id %s, policy %s", got["signInMode"], got["id"], got["passwordPolicy"])
	}
	before := e.changes.Load()
	e.do("PATCH", "/api/sign-in-exp", map[string]any{
		"signInMode":     "SignIn",
		"branding":       map[string]any{"logoUrl": "https://example.com/logo.png"},
		"passwordPolicy": map[string]any{"length": map[string]any{"min": 10}, "characterTypes": map[string]any{"min": 2}},
		"termsOfUseUrl":  "https://example.com/terms",
	}).want(t, http.StatusOK, &got)
	if string(got["signInMode"]) != `"SignIn"` || !strings.Contains(string(got["branding"]), "logo.png") || e.changes.Load() != before+1 {
		t.Errorf("after PATCH: %s, %s, changes %d", got["signInMode"], got["branding"], e.changes.Load()-before)
	}
	e.do("GET", "/api/sign-in-exp", nil).want(t, http.StatusOK, &got)
	if string(got["termsOfUseUrl"]) != `"https://example.com/terms"` {
		t.Errorf("GET after PATCH: terms %s", got["termsOfUseUrl"])
	}
	e.do("PATCH", "/api/sign-in-exp?removeUnusedDemoSocialConnector=1", map[string]any{}).want(t, http.StatusOK, nil)

	// The new policy is the one every password writer obeys.
	r := e.do("POST", "/api/users", map[string]any{"username": "mika", "password": "longpassword"})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), `"password_rejected.character_types","interpolation":{"min":2}`) {
		t.Errorf("a password with one character type under min 2: %d %s", r.status, r.body)
	}
	e.do("POST", "/api/users", map[string]any{"username": "mika", "password": "Long-password-2"}).want(t, http.StatusOK, nil)

	// check-password: 200 {"result":true}, or 400 with the issues.
	var res struct {
		Result bool `json:"result"`
		Issues []struct {
			Code          string         `json:"code"`
			Interpolation map[string]any `json:"interpolation"`
		} `json:"issues"`
	}
	e.do("POST", "/api/sign-in-exp/default/check-password", map[string]any{"password": "Xk9#mP2$vLq"}).want(t, http.StatusOK, &res)
	if !res.Result || res.Issues != nil {
		t.Errorf("an acceptable password: %+v", res)
	}
	e.do("POST", "/api/sign-in-exp/default/check-password", map[string]any{"password": "short"}).want(t, http.StatusBadRequest, &res)
	if res.Result || len(res.Issues) != 2 || res.Issues[0].Code != "password_rejected.too_short" || res.Issues[0].Interpolation["min"] != float64(10) {
		t.Errorf("a short password: %+v", res)
	}
	var users []struct{ ID string }
	e.do("GET", "/api/users?search=mika", nil).want(t, http.StatusOK, &users)
	if len(users) != 1 {
		t.Fatalf("users: %+v", users)
	}
	e.do("POST", "/api/sign-in-exp/default/check-password", map[string]any{"password": "mikaMIKAmika1", "userId": users[0].ID}).want(t, http.StatusBadRequest, &res)
	if len(res.Issues) != 1 || res.Issues[0].Code != "password_rejected.restricted.user_info" {
		t.Errorf("a password of the user's name: %+v", res)
	}
}

func TestSignInExperienceRefusals(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"unknown field", "PATCH", "/api/sign-in-exp", map[string]any{"theme": "dark"}, 400, "guard.invalid_input"},
		{"bad mode", "PATCH", "/api/sign-in-exp", map[string]any{"signInMode": "Always"}, 400, "guard.invalid_input"},
		{"not an object", "PATCH", "/api/sign-in-exp", "[1]", 400, "request.invalid_input"},
		{"too large", "PATCH", "/api/sign-in-exp", `{"customCss":"` + strings.Repeat("a", 300<<10) + `"}`, 413, "request.entity_too_large"},
		{"no connector", "PATCH", "/api/sign-in-exp", map[string]any{"signIn": map[string]any{"methods": []any{
			map[string]any{"identifier": "username", "password": true, "verificationCode": false, "isPasswordPrimary": true},
			map[string]any{"identifier": "email", "password": false, "verificationCode": true, "isPasswordPrimary": false}}}}, 400, "sign_in_experiences.enabled_connector_not_found"},
		{"sign-up identifier not a sign-in method", "PATCH", "/api/sign-in-exp", map[string]any{"signIn": map[string]any{"methods": []any{
			map[string]any{"identifier": "email", "password": true, "verificationCode": false, "isPasswordPrimary": true}}}}, 400, "sign_in_experiences.miss_sign_up_identifier_in_sign_in"},
		{"unsupported language", "PATCH", "/api/sign-in-exp", map[string]any{"languageInfo": map[string]any{"autoDetect": true, "fallbackLanguage": "de"}}, 400, "sign_in_experiences.unsupported_default_language"},
		{"mfa", "PATCH", "/api/sign-in-exp", map[string]any{"mfa": map[string]any{"factors": []string{"EmailVerificationCode"}, "policy": "Mandatory"}}, 400, "request.invalid_input"},
		{"adaptive mfa", "PATCH", "/api/sign-in-exp", map[string]any{"adaptiveMfa": map[string]any{"enabled": true}}, 422, "sign_in_experiences.adaptive_mfa_requires_mfa"},
		{"unknown query", "PATCH", "/api/sign-in-exp?force=1", map[string]any{}, 400, "request.invalid_input"},
		{"query on GET", "GET", "/api/sign-in-exp?x=1", nil, 400, "request.invalid_input"},
		{"password missing", "POST", "/api/sign-in-exp/default/check-password", map[string]any{}, 400, "guard.invalid_input"},
		{"password not a string", "POST", "/api/sign-in-exp/default/check-password", map[string]any{"password": 5}, 400, "request.invalid_input"},
		{"unknown user", "POST", "/api/sign-in-exp/default/check-password", map[string]any{"password": "x", "userId": "nobody"}, 404, "entity.not_exists"},
		{"wrong method", "DELETE", "/api/sign-in-exp", nil, 405, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(tc.method, tc.path, tc.body)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %.300s", r.status, tc.status, r.body)
			}
			if tc.code != "" {
				if m := r.errBody(t); m["code"] != tc.code {
					t.Errorf("code %q, want %q (%s)", m["code"], tc.code, m["message"])
				}
			}
		})
	}
	// Without a token, nothing.
	if r := e.send(req{method: "GET", path: "/api/sign-in-exp"}); r.status != http.StatusUnauthorized {
		t.Errorf("GET without a token: %d", r.status)
	}
	var got map[string]json.RawMessage
	e.do("GET", "/api/sign-in-exp", nil).want(t, http.StatusOK, &got)
	if string(got["signInMode"]) != `"SignInAndRegister"` {
		t.Errorf("refused changes changed the settings: %s", got["signInMode"])
	}
}
