package server_test

import (
	"net/url"
	"strings"
	"testing"
)

// The sign-in experience set through Logto's API decides Auth0's sign-up,
// and its password policy is the one every password writer answers to, in
// each face's own words.
func TestSignInExperienceAcrossFaces(t *testing.T) {
	f := newUserFixture(t, nil)
	signUp := func(email, pw string) (int, map[string]any) {
		r := f.postJSON("/dbconnections/signup", map[string]any{"client_id": f.spa.ID, "email": email, "password": pw,
			"connection": "Username-Password-Authentication"})
		return r.Status, r.json(t)
	}

	// Sign-up closed by the sign-in experience.
	f.mustAPI(f.mt, "PATCH", "/api/sign-in-exp", map[string]any{"signInMode": "SignIn"}, 200)
	if s, m := signUp("closed@example.com", "Xk9#mP2$vLq"); s != 400 || m["code"] != "operation_not_allowed" {
		t.Errorf("sign-up with signInMode SignIn: %d %v", s, m)
	}
	f.mustAPI(f.mt, "PATCH", "/api/sign-in-exp", map[string]any{"signInMode": "SignInAndRegister",
		"passwordPolicy": map[string]any{"length": map[string]any{"min": 10}, "characterTypes": map[string]any{"min": 3}}}, 200)

	// Auth0's three refusals of a password.
	s, m := signUp("weak@example.com", "short")
	desc, _ := m["description"].(map[string]any)
	rules, _ := desc["rules"].([]any)
	if s != 400 || m["name"] != "PasswordStrengthError" || m["code"] != "invalid_password" || m["message"] != "Password is too weak" || len(rules) != 2 || m["statusCode"] != float64(400) {
		t.Errorf("a weak password: %d %v", s, m)
	} else if r0 := rules[0].(map[string]any); r0["code"] != "lengthAtLeast" || r0["format"].([]any)[0] != float64(10) || r0["verified"] != false {
		t.Errorf("the first rule: %v", r0)
	}
	if s, m := signUp("common@example.com", "Q1w2e3r4t5"); s != 400 || m["name"] != "PasswordDictionaryError" || m["code"] != "invalid_password" {
		t.Errorf("a common password: %d %v", s, m)
	}
	if s, m := signUp("tomoko.kato@example.com", "Tomoko.Kato1"); s != 400 || m["name"] != "PasswordNoUserInfoError" {
		t.Errorf("a password of the e-mail's name: %d %v", s, m)
	}
	if s, m := signUp("fine@example.com", "Maple-Syrup-42"); s != 200 {
		t.Errorf("a good password: %d %v", s, m)
	}

	// Logto's API: 422 password.rejected with the issues.
	r := f.api(f.mt, "PATCH", "/api/users/"+f.userID+"/password", map[string]any{"password": "abcdefghij"})
	if r.Status != 422 || !strings.Contains(string(r.Body), `"code":"password.rejected"`) || !strings.Contains(string(r.Body), "password_rejected.character_types") {
		t.Errorf("Logto's password route: %d %s", r.Status, r.Body)
	}

	// Auth0's Management API v2: 400 naming the error, and nothing changed.
	v2 := f.tokenForm(bootID, bootSecret, url.Values{"grant_type": {"client_credentials"}, "resource": {f.URL + "/api/v2/"},
		"scope": {"create:users update:users read:users"}}).json(t)["access_token"].(string)
	r = f.api(v2, "POST", "/api/v2/users", map[string]any{"connection": "Username-Password-Authentication", "email": "v2@example.com", "password": "aaaaaaaaaaaa"})
	if r.Status != 400 || !strings.Contains(string(r.Body), "PasswordStrengthError: Password is too weak") {
		t.Errorf("v2 create: %d %s", r.Status, r.Body)
	}
	r = f.api(v2, "PATCH", "/api/v2/users/auth0|"+f.userID, map[string]any{"name": "Renamed", "password": "jane@example"})
	if r.Status != 400 || !strings.Contains(string(r.Body), "Password") {
		t.Errorf("v2 update: %d %s", r.Status, r.Body)
	}
	if u := f.mustAPI(f.mt, "GET", "/api/users/"+f.userID, nil, 200); u["name"] != "Jane Doe" {
		t.Errorf("a refused password changed the user: %v", u["name"])
	}
	f.mustAPI(f.mt, "POST", "/api/sign-in-exp/default/check-password", map[string]any{"password": "Maple-Syrup-42"}, 200)
}
