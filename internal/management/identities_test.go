package management

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

type identityT struct {
	UserID  string         `json:"userId"`
	Details map[string]any `json:"details"`
}

// userIdentities reads the identities object of a user's JSON.
func userIdentities(t *testing.T, body []byte) map[string]identityT {
	t.Helper()
	var u struct {
		Identities map[string]identityT `json:"identities"`
	}
	if err := json.Unmarshal(body, &u); err != nil || u.Identities == nil {
		t.Fatalf("user %s has no identities object: %v", body, err)
	}
	return u.Identities
}

// A user's profile object merges key by key, as Logto's PATCH
// /users/:userId/profile does: a key given replaces its value (the address
// whole), the others are kept.
func TestUserProfileMerge(t *testing.T) {
	e := newEnv(t)
	u := e.createUser(map[string]any{"username": "ada", "profile": map[string]any{
		"givenName": "Ada", "familyName": "Byron", "address": map[string]any{"country": "UK", "locality": "London"}}})
	var p map[string]any
	e.do("PATCH", "/api/users/"+u.ID+"/profile", map[string]any{"profile": map[string]any{
		"familyName": "Lovelace", "website": "https://example.com", "address": map[string]any{"country": "GB"}}}).want(t, 200, &p)
	want := map[string]any{"givenName": "Ada", "familyName": "Lovelace", "website": "https://example.com",
		"address": map[string]any{"country": "GB"}}
	if !reflect.DeepEqual(p, want) {
		t.Fatalf("merged profile %v, want %v", p, want)
	}
	var got userOutT
	e.do("GET", "/api/users/"+u.ID, nil).want(t, 200, &got)
	if got.Profile.FamilyName != "Lovelace" || got.Profile.GivenName != "Ada" || got.Profile.Address.Locality != "" {
		t.Errorf("stored profile %+v", got.Profile)
	}
	if got.UpdatedAt < u.UpdatedAt {
		t.Errorf("updatedAt went back: %d < %d", got.UpdatedAt, u.UpdatedAt)
	}
	// An empty profile object changes nothing.
	e.do("PATCH", "/api/users/"+u.ID+"/profile", map[string]any{"profile": map[string]any{}}).want(t, 200, &p)
	if !reflect.DeepEqual(p, want) {
		t.Errorf("profile after an empty patch %v", p)
	}

	for _, tc := range []struct {
		body    any
		status  int
		code    string
		mention string
	}{
		{map[string]any{}, 400, "request.invalid_input", "profile"},
		{map[string]any{"profile": nil}, 400, "request.invalid_input", "profile"},
		{map[string]any{"profile": "x"}, 400, "request.invalid_input", "profile"},
		{map[string]any{"profile": map[string]any{"givenName": 3}}, 400, "request.invalid_input", "givenName"},
		{map[string]any{"profile": map[string]any{"givenName": nil}}, 400, "request.invalid_input", "givenName"},
		{map[string]any{"profile": map[string]any{"address": "x"}}, 400, "request.invalid_input", "address"},
		{map[string]any{"profile": map[string]any{"shoeSize": "42"}}, 400, "request.invalid_input", "shoeSize"},
		{map[string]any{"profile": map[string]any{"website": "javascript:alert(1)"}}, 400, "request.invalid_input", "website"},
		{map[string]any{"profile": map[string]any{"nickname": strings.Repeat("n", 300)}}, 400, "request.invalid_input", "too long"},
		{map[string]any{"profile": map[string]any{}, "extra": 1}, 400, "request.invalid_input", "extra"},
	} {
		r := e.do("PATCH", "/api/users/"+u.ID+"/profile", tc.body)
		if r.status != tc.status || r.errBody(t)["code"] != tc.code || !strings.Contains(r.errBody(t)["message"], tc.mention) {
			t.Errorf("PATCH profile %v: %d %s", tc.body, r.status, r.body)
		}
	}
	e.do("GET", "/api/users/"+u.ID, nil).want(t, 200, &got)
	if got.Profile.FamilyName != "Lovelace" || got.Profile.Nickname != "" || got.Profile.Website != "https://example.com" {
		t.Errorf("a refused patch changed the profile: %+v", got.Profile)
	}
	for _, id := range []string{"nobody", "bad%20id"} {
		r := e.do("PATCH", "/api/users/"+id+"/profile", map[string]any{"profile": map[string]any{}})
		if r.status != 404 {
			t.Errorf("PATCH profile of %s: %d %s", id, r.status, r.body)
		}
	}
}

func TestUserHasPassword(t *testing.T) {
	e := newEnv(t)
	with := e.createUser(map[string]any{"username": "with", "password": "correct horse battery"})
	without := e.createUser(map[string]any{"username": "without"})
	for id, want := range map[string]bool{with.ID: true, without.ID: false} {
		var got map[string]any
		e.do("GET", "/api/users/"+id+"/has-password", nil).want(t, 200, &got)
		if !reflect.DeepEqual(got, map[string]any{"hasPassword": want}) {
			t.Errorf("has-password of %s = %v, want %v", id, got, want)
		}
	}
	e.do("PATCH", "/api/users/"+without.ID+"/password", map[string]any{"password": "another good one"}).want(t, 200, nil)
	var got map[string]bool
	e.do("GET", "/api/users/"+without.ID+"/has-password", nil).want(t, 200, &got)
	if !got["hasPassword"] {
		t.Error("has-password after a password was set is false")
	}
	if r := e.do("GET", "/api/users/nobody/has-password", nil); r.status != 404 || r.errBody(t)["code"] == "" {
		t.Errorf("has-password of a missing user: %d %s", r.status, r.body)
	}
}

// Social identities are stored with Logto's routes and shapes, shown in the
// user's JSON, unique per account at a target, and go with their user.
func TestUserIdentities(t *testing.T) {
	e := newEnv(t)
	ada := e.createUser(map[string]any{"username": "ada"})
	bob := e.createUser(map[string]any{"username": "bob"})
	if ids := userIdentities(t, e.do("GET", "/api/users/"+ada.ID, nil).want(t, 200, nil).body); len(ids) != 0 {
		t.Fatalf("a new user has identities %v", ids)
	}

	// PUT creates (201) and answers every identity of the user.
	var ids map[string]identityT
	details := map[string]any{"login": "ada", "emails": []any{"ada@example.com"}}
	e.do("PUT", "/api/users/"+ada.ID+"/identities/github", map[string]any{"userId": "gh-1", "details": details}).want(t, 201, &ids)
	if !reflect.DeepEqual(ids, map[string]identityT{"github": {UserID: "gh-1", Details: details}}) {
		t.Fatalf("identities after PUT %v", ids)
	}
	e.do("PUT", "/api/users/"+ada.ID+"/identities/google", map[string]any{"userId": "g-1"}).want(t, 201, &ids)
	if len(ids) != 2 || ids["google"].UserID != "g-1" || ids["google"].Details != nil {
		t.Fatalf("identities after the second PUT %v", ids)
	}
	r := e.do("GET", "/api/users/"+ada.ID+"/identities/google", nil).want(t, 200, nil)
	if strings.TrimSpace(string(r.body)) != `{"identity":{"userId":"g-1"}}` {
		t.Errorf("GET identity = %s", r.body)
	}
	// Replacing answers 200.
	e.do("PUT", "/api/users/"+ada.ID+"/identities/github", map[string]any{"userId": "gh-2"}).want(t, 200, &ids)
	if ids["github"].UserID != "gh-2" || ids["github"].Details != nil || ids["google"].UserID != "g-1" {
		t.Errorf("identities after replacing %v", ids)
	}
	var one struct {
		Identity identityT `json:"identity"`
	}
	e.do("GET", "/api/users/"+ada.ID+"/identities/github?includeTokenSecret=true", nil).want(t, 200, &one)
	if one.Identity.UserID != "gh-2" {
		t.Errorf("GET identity after replacing %+v", one)
	}

	// The user's JSON shows them, in the list, the one and role listings.
	got := userIdentities(t, e.do("GET", "/api/users/"+ada.ID, nil).want(t, 200, nil).body)
	if len(got) != 2 || got["github"].UserID != "gh-2" {
		t.Errorf("user's identities %v", got)
	}
	var list []map[string]json.RawMessage
	e.do("GET", "/api/users?search=ada", nil).want(t, 200, &list)
	if len(list) != 1 || len(userIdentities(t, mustJSON(t, list[0]))) != 2 {
		t.Errorf("listed user %v", list)
	}

	// An account at a target belongs to one user.
	r = e.do("PUT", "/api/users/"+bob.ID+"/identities/github", map[string]any{"userId": "gh-2"})
	if r.status != 422 || r.errBody(t)["code"] != "user.identity_already_in_use" {
		t.Errorf("PUT another user's account: %d %s", r.status, r.body)
	}
	e.do("PUT", "/api/users/"+bob.ID+"/identities/gitlab", map[string]any{"userId": "gh-2"}).want(t, 201, nil)

	for _, tc := range []struct {
		method, path string
		body         any
		status       int
		code         string
	}{
		{"PUT", "/api/users/" + ada.ID + "/identities/github", map[string]any{}, 400, "request.invalid_input"},
		{"PUT", "/api/users/" + ada.ID + "/identities/github", map[string]any{"userId": ""}, 400, "request.invalid_input"},
		{"PUT", "/api/users/" + ada.ID + "/identities/github", map[string]any{"userId": 7}, 400, "request.invalid_input"},
		{"PUT", "/api/users/" + ada.ID + "/identities/github", map[string]any{"userId": "x", "details": "y"}, 400, "request.invalid_input"},
		{"PUT", "/api/users/" + ada.ID + "/identities/github", map[string]any{"userId": "x", "details": nil}, 400, "request.invalid_input"},
		{"PUT", "/api/users/" + ada.ID + "/identities/github", map[string]any{"userId": "x", "extra": 1}, 400, "request.invalid_input"},
		{"PUT", "/api/users/" + ada.ID + "/identities/github", map[string]any{"userId": "a\x00b"}, 400, "request.invalid_input"},
		{"PUT", "/api/users/" + ada.ID + "/identities/github", map[string]any{"userId": strings.Repeat("x", 257)}, 400, "request.invalid_input"},
		{"PUT", "/api/users/" + ada.ID + "/identities/github", map[string]any{"userId": "x",
			"details": map[string]any{"big": strings.Repeat("x", 17<<10)}}, 400, "request.invalid_input"},
		{"PUT", "/api/users/" + ada.ID + "/identities/-github", map[string]any{"userId": "x"}, 400, "request.invalid_input"},
		{"PUT", "/api/users/" + ada.ID + "/identities/git%20hub", map[string]any{"userId": "x"}, 400, "request.invalid_input"},
		{"PUT", "/api/users/" + ada.ID + "/identities/" + strings.Repeat("g", 65), map[string]any{"userId": "x"}, 400, "request.invalid_input"},
		{"PUT", "/api/users/nobody/identities/github", map[string]any{"userId": "x"}, 404, "entity.not_exists"},
		{"GET", "/api/users/" + ada.ID + "/identities/apple", nil, 404, "user.identity_not_exist"},
		{"GET", "/api/users/" + ada.ID + "/identities/-bad", nil, 404, "user.identity_not_exist"},
		{"GET", "/api/users/nobody/identities/github", nil, 404, "entity.not_exists"},
		{"DELETE", "/api/users/" + ada.ID + "/identities/apple", nil, 404, "user.identity_not_exist"},
		{"DELETE", "/api/users/nobody/identities/github", nil, 404, "entity.not_exists"},
		{"POST", "/api/users/" + ada.ID + "/identities", map[string]any{"connectorId": "github", "connectorData": map[string]any{"code": "c"}}, 404, "entity.not_found"},
		{"POST", "/api/users/" + ada.ID + "/identities", map[string]any{"connectorId": "github"}, 400, "request.invalid_input"},
		{"POST", "/api/users/" + ada.ID + "/identities", map[string]any{"connectorData": map[string]any{}}, 400, "request.invalid_input"},
		{"POST", "/api/users/nobody/identities", map[string]any{"connectorId": "github", "connectorData": map[string]any{}}, 404, "entity.not_exists"},
	} {
		r := e.do(tc.method, tc.path, tc.body)
		if r.status != tc.status || !strings.HasPrefix(r.errBody(t)["code"], tc.code) {
			t.Errorf("%s %s %v: %d %s", tc.method, tc.path, tc.body, r.status, r.body)
		}
	}
	e.do("GET", "/api/users/"+ada.ID+"/identities/github", nil).want(t, 200, &one)
	if one.Identity.UserID != "gh-2" {
		t.Errorf("a refused PUT changed the identity: %+v", one)
	}

	// DELETE answers the user without the identity.
	var after map[string]json.RawMessage
	e.do("DELETE", "/api/users/"+ada.ID+"/identities/github", nil).want(t, 200, &after)
	if got := userIdentities(t, mustJSON(t, after)); len(got) != 1 || got["google"].UserID != "g-1" {
		t.Errorf("identities after DELETE %v", got)
	}
	if _, ok := after["passwordHash"]; ok || string(after["id"]) != `"`+ada.ID+`"` {
		t.Errorf("DELETE answered %v", after)
	}
	// The account is free for another user now.
	e.do("PUT", "/api/users/"+bob.ID+"/identities/github", map[string]any{"userId": "gh-2"}).want(t, 201, nil)

	// Deleting the user deletes its identities.
	e.do("DELETE", "/api/users/"+bob.ID, nil).want(t, 204, nil)
	left, err := e.st.ListIdentities(context.Background(), []string{bob.ID})
	must(t, err)
	if len(left) != 0 {
		t.Errorf("identities of a deleted user: %v", left)
	}
	e.do("PUT", "/api/users/"+ada.ID+"/identities/github", map[string]any{"userId": "gh-2"}).want(t, 201, nil)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	must(t, err)
	return b
}
