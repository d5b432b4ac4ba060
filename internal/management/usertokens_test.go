package management

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/directory"
)

// Personal access tokens: Logto's routes and shapes, the value answered
// once and kept only as a digest, and every refusal with Logto's status.
func TestPersonalAccessTokens(t *testing.T) {
	e := newEnv(t)
	u := e.createUser(map[string]any{"username": "pat_owner"})
	base := "/api/users/" + u.ID + "/personal-access-tokens"

	var made map[string]any
	e.do("POST", base, map[string]any{"name": "ci", "expiresAt": time.Now().Add(time.Hour).UnixMilli()}).want(t, 201, &made)
	value, _ := made["value"].(string)
	if !strings.HasPrefix(value, directory.PersonalAccessTokenPrefix) || made["userId"] != u.ID || made["name"] != "ci" || made["expiresAt"] == nil {
		t.Fatalf("created %v", made)
	}
	pat, err := e.st.GetPersonalAccessToken(t.Context(), directory.TokenDigest(value))
	if err != nil || pat.Name != "ci" {
		t.Fatalf("stored by digest: %+v %v", pat, err)
	}
	list := e.do("GET", base, nil).want(t, 200, nil)
	if strings.Contains(string(list.body), value) || strings.Contains(string(list.body), `"value"`) {
		t.Errorf("a listing shows the value: %s", list.body)
	}

	for _, tc := range []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"name taken", "POST", base, map[string]any{"name": "ci"}, 422, "entity.unique_integrity_violation"},
		{"no name", "POST", base, map[string]any{}, 400, "guard.invalid_input"},
		{"empty name", "POST", base, map[string]any{"name": ""}, 400, "request.invalid_input"},
		{"name with a newline", "POST", base, map[string]any{"name": "a\nb"}, 400, "request.invalid_input"},
		{"name too long", "POST", base, map[string]any{"name": strings.Repeat("n", 257)}, 400, "request.invalid_input"},
		{"expiry in the past", "POST", base, map[string]any{"name": "old", "expiresAt": time.Now().Add(-time.Minute).UnixMilli()}, 400, "request.invalid_input"},
		{"unknown field", "POST", base, map[string]any{"name": "x", "value": "pat_mine"}, 400, ""},
		{"unknown user", "GET", "/api/users/nobody/personal-access-tokens", nil, 404, "entity.not_exists_with_id"},
		{"unknown user's new token", "POST", "/api/users/nobody/personal-access-tokens", map[string]any{"name": "x"}, 404, "entity.not_exists_with_id"},
		{"rename unknown", "PATCH", base + "/nope", map[string]any{"name": "x"}, 404, "entity.not_exists"},
		{"currentName with a path name", "PATCH", base + "/ci", map[string]any{"name": "x", "currentName": "ci"}, 400, "guard.invalid_input"},
		{"delete unknown", "DELETE", base + "/nope", nil, 404, "entity.not_exists"},
		{"delete by body without name", "POST", base + "/delete", map[string]any{}, 400, "guard.invalid_input"},
	} {
		r := e.do(tc.method, tc.path, tc.body)
		var body struct{ Code string }
		_ = json.Unmarshal(r.body, &body)
		if r.status != tc.status || (tc.code != "" && body.Code != tc.code) {
			t.Errorf("%s: %d %s, want %d %s", tc.name, r.status, r.body, tc.status, tc.code)
		}
	}

	var renamed map[string]any
	e.do("PATCH", base+"/ci", map[string]any{"name": "build"}).want(t, 200, &renamed)
	e.do("PATCH", base, map[string]any{"currentName": "build", "name": "deploy"}).want(t, 200, &renamed)
	if renamed["name"] != "deploy" || renamed["value"] != nil {
		t.Errorf("renamed %v", renamed)
	}
	e.do("POST", base, map[string]any{"name": "other"}).want(t, 201, nil)
	e.do("PATCH", base, map[string]any{"currentName": "other", "name": "deploy"}).want(t, 422, nil)
	e.do("POST", base+"/delete", map[string]any{"name": "deploy"}).want(t, 204, nil)
	e.do("DELETE", base+"/other", nil).want(t, 204, nil)
	var none []any
	e.do("GET", base, nil).want(t, 200, &none)
	if len(none) != 0 {
		t.Errorf("after deleting both: %v", none)
	}
}

// Subject tokens: 201 with Logto's shape, kept as a digest with the
// context and the caller; an unknown user is 404, a context that is not an
// object or too large 400.
func TestSubjectTokens(t *testing.T) {
	e := newEnv(t)
	u := e.createUser(map[string]any{"username": "impersonated"})
	var out map[string]any
	e.do("POST", "/api/subject-tokens", map[string]any{"userId": u.ID, "context": map[string]any{"ticket": "T-1"}}).want(t, 201, &out)
	value, _ := out["subjectToken"].(string)
	if !strings.HasPrefix(value, directory.SubjectTokenPrefix) || out["expiresIn"] != float64(600) || len(out) != 2 {
		t.Fatalf("answer %v", out)
	}
	st, err := e.st.GetSubjectToken(t.Context(), directory.TokenDigest(value))
	if err != nil || st.UserID != u.ID || st.Context["ticket"] != "T-1" || st.CreatorID == "" || st.ExpiresAt.Sub(st.CreatedAt) != directory.SubjectTokenTTL {
		t.Fatalf("stored %+v %v", st, err)
	}
	for _, tc := range []struct {
		name   string
		body   any
		status int
	}{
		{"unknown user", map[string]any{"userId": "nobody"}, 404},
		{"no userId", map[string]any{}, 400},
		{"context not an object", map[string]any{"userId": u.ID, "context": "x"}, 400},
		{"context too large", map[string]any{"userId": u.ID, "context": map[string]any{"x": strings.Repeat("a", 9000)}}, 400},
		{"unknown field", map[string]any{"userId": u.ID, "expiresIn": 60}, 400},
	} {
		if r := e.do("POST", "/api/subject-tokens", tc.body); r.status != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, r.status, r.body, tc.status)
		}
	}
}
