package management

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/monban/monban/internal/store"
)

type userOutT struct {
	ID           string            `json:"id"`
	Username     *string           `json:"username"`
	PrimaryEmail *string           `json:"primaryEmail"`
	PrimaryPhone *string           `json:"primaryPhone"`
	Name         *string           `json:"name"`
	Avatar       *string           `json:"avatar"`
	CustomData   map[string]any    `json:"customData"`
	Profile      store.UserProfile `json:"profile"`
	IsSuspended  bool              `json:"isSuspended"`
	HasPassword  bool              `json:"hasPassword"`
	LastSignInAt *int64            `json:"lastSignInAt"`
	CreatedAt    int64             `json:"createdAt"`
	UpdatedAt    int64             `json:"updatedAt"`
}

func (e *env) createUser(body map[string]any) userOutT {
	e.t.Helper()
	var u userOutT
	e.do("POST", "/api/users", body).want(e.t, 200, &u)
	return u
}

func (e *env) userRole(name string) string {
	e.t.Helper()
	var r roleJSON
	e.do("POST", "/api/roles", map[string]any{"name": name, "description": name, "type": "User"}).want(e.t, 200, &r)
	return r.ID
}

// The user lifecycle in Logto's shapes: the password is hashed and never
// returned, PATCH null clears, custom data merges, suspension and deletion
// revoke.
func TestUsers(t *testing.T) {
	e := newEnv(t)
	u := e.createUser(map[string]any{
		"username": "jane_doe", "primaryEmail": "Jane@Example.com", "primaryPhone": "+15550100",
		"name": "Jane Doe", "avatar": "https://example.com/jane.png", "password": "correct horse battery",
		"customData": map[string]any{"plan": "pro"}, "profile": map[string]any{"givenName": "Jane", "locale": "en"},
	})
	if !u.HasPassword || u.Username == nil || *u.Username != "jane_doe" || u.CustomData["plan"] != "pro" ||
		u.Profile.GivenName != "Jane" || u.LastSignInAt != nil || u.IsSuspended {
		t.Fatalf("created user %+v", u)
	}
	r := e.do("GET", "/api/users/"+u.ID, nil).want(t, 200, nil)
	if strings.Contains(string(r.body), "argon2") || strings.Contains(string(r.body), "correct horse") {
		t.Fatalf("the password or its hash is in the response: %s", r.body)
	}
	st, err := e.st.GetUser(context.Background(), u.ID)
	must(t, err)
	if !strings.HasPrefix(st.PasswordHash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("stored hash %q is not argon2id with the default costs", st.PasswordHash)
	}

	// Lists and search.
	e.createUser(map[string]any{"username": "bob", "name": "Bob Builder"})
	e.createUser(map[string]any{"primaryEmail": "carol@example.org"})
	for _, tc := range []struct {
		query string
		want  int
		total string
	}{
		{"", 3, "3"}, {"?search=%25JANE%25", 1, "1"}, {"?search=%25example%25", 2, "2"}, {"?search=%25builder%25", 1, "1"},
		{"?search=JANE", 0, "0"}, {"?search=JANE_DOE", 1, "1"},
		{"?page_size=2", 2, "3"}, {"?page=2&page_size=2", 1, "3"}, {"?search=nobody", 0, "0"},
	} {
		var list []userOutT
		r := e.do("GET", "/api/users"+tc.query, nil).want(t, 200, &list)
		if len(list) != tc.want || r.header.Get("Total-Number") != tc.total {
			t.Errorf("GET /api/users%s: %d users, total %s", tc.query, len(list), r.header.Get("Total-Number"))
		}
	}

	// PATCH: given fields change, null clears, others stay.
	var got userOutT
	e.do("PATCH", "/api/users/"+u.ID, map[string]any{"name": "Jane Q. Doe", "primaryPhone": nil}).want(t, 200, &got)
	if got.Name == nil || *got.Name != "Jane Q. Doe" || got.PrimaryPhone != nil || got.PrimaryEmail == nil || !got.HasPassword {
		t.Errorf("after PATCH: %+v", got)
	}
	// Identifiers are unique, e-mail addresses in any case.
	for _, tc := range []struct {
		body map[string]any
		code string
	}{
		{map[string]any{"username": "bob"}, "user.username_already_in_use"},
		{map[string]any{"primaryEmail": "CAROL@example.org"}, "user.email_already_in_use"},
	} {
		r := e.do("PATCH", "/api/users/"+u.ID, tc.body)
		if r.status != 422 || r.errBody(t)["code"] != tc.code {
			t.Errorf("PATCH %v: %d %s", tc.body, r.status, r.body)
		}
		r = e.do("POST", "/api/users", tc.body)
		if r.status != 422 || r.errBody(t)["code"] != tc.code {
			t.Errorf("POST %v: %d %s", tc.body, r.status, r.body)
		}
	}

	// Custom data: GET, PATCH merges top-level keys.
	var cd map[string]any
	e.do("PATCH", "/api/users/"+u.ID+"/custom-data", map[string]any{"customData": map[string]any{"seats": 3}}).want(t, 200, &cd)
	if cd["plan"] != "pro" || cd["seats"] != 3.0 {
		t.Errorf("merged custom data %v", cd)
	}
	e.do("GET", "/api/users/"+u.ID+"/custom-data", nil).want(t, 200, &cd)
	if len(cd) != 2 {
		t.Errorf("custom data %v", cd)
	}

	// Passwords: verify, change, verify again.
	e.do("POST", "/api/users/"+u.ID+"/password/verify", map[string]any{"password": "correct horse battery"}).want(t, 204, nil)
	r = e.do("POST", "/api/users/"+u.ID+"/password/verify", map[string]any{"password": "wrong password"})
	if r.status != 422 || r.errBody(t)["code"] != "session.invalid_credentials" {
		t.Errorf("verify wrong password: %d %s", r.status, r.body)
	}
	e.do("PATCH", "/api/users/"+u.ID+"/password", map[string]any{"password": "a new passphrase"}).want(t, 200, nil)
	e.do("POST", "/api/users/"+u.ID+"/password/verify", map[string]any{"password": "a new passphrase"}).want(t, 204, nil)

	// Suspension.
	e.do("PATCH", "/api/users/"+u.ID+"/is-suspended", map[string]any{"isSuspended": true}).want(t, 200, &got)
	if !got.IsSuspended {
		t.Error("not suspended")
	}

	e.do("DELETE", "/api/users/"+u.ID, nil).want(t, 204, nil)
	e.do("GET", "/api/users/"+u.ID, nil).want(t, 404, nil)
	e.do("DELETE", "/api/users/"+u.ID, nil).want(t, 404, nil)
}

func TestUserValidation(t *testing.T) {
	e := newEnv(t)
	u := e.createUser(map[string]any{"username": "valid_user"})
	for _, tc := range []struct {
		name, method, path string
		body               any
		status             int
		msg                string
	}{
		{"bad username", "POST", "/api/users", map[string]any{"username": "9lives"}, 400, "username"},
		{"username with space", "POST", "/api/users", map[string]any{"username": "a b"}, 400, "username"},
		{"bad email", "POST", "/api/users", map[string]any{"primaryEmail": "not-an-email"}, 400, "primaryEmail"},
		{"email with name", "POST", "/api/users", map[string]any{"primaryEmail": "Jane <j@example.com>"}, 400, "primaryEmail"},
		{"bad phone", "POST", "/api/users", map[string]any{"primaryPhone": "call me"}, 400, "primaryPhone"},
		{"bad avatar", "POST", "/api/users", map[string]any{"avatar": "javascript:alert(1)"}, 400, "avatar"},
		{"avatar with user info", "POST", "/api/users", map[string]any{"avatar": "https://cdn.example@evil.example/a.png"}, 400, "avatar"},
		{"javascript website", "POST", "/api/users", map[string]any{"profile": map[string]any{"website": "javascript:alert(1)"}}, 400, "profile.website"},
		{"data website", "PATCH", "/api/users/" + u.ID, map[string]any{"profile": map[string]any{"website": "data:text/html,<script>alert(1)</script>"}}, 400, "profile.website"},
		{"relative website", "POST", "/api/users", map[string]any{"profile": map[string]any{"website": "//evil.example/"}}, 400, "profile.website"},
		{"javascript profile", "POST", "/api/users", map[string]any{"profile": map[string]any{"profile": "JavaScript:alert(1)"}}, 400, "profile.profile"},
		{"profile without host", "PATCH", "/api/users/" + u.ID, map[string]any{"profile": map[string]any{"profile": "https:///x"}}, 400, "profile.profile"},
		{"short password", "POST", "/api/users", map[string]any{"password": "short"}, 422, "at least 8 characters"},
		{"common password", "POST", "/api/users", map[string]any{"password": "iloveyou"}, 422, "most common"},
		{"weak new password", "PATCH", "/api/users/" + u.ID + "/password", map[string]any{"password": "12345678"}, 422, "Password rejected"},
		{"long password", "POST", "/api/users", map[string]any{"password": strings.Repeat("p", 257)}, 400, "password"},
		{"digest without algorithm", "POST", "/api/users", map[string]any{"passwordDigest": "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5"}, 400, "passwordAlgorithm"},
		{"bad digest", "POST", "/api/users", map[string]any{"passwordDigest": "md5:abc", "passwordAlgorithm": "Argon2id"}, 400, "passwordDigest"},
		{"password and digest", "POST", "/api/users", map[string]any{"password": "long enough", "passwordDigest": "x"}, 400, "either"},
		{"custom data not object", "POST", "/api/users", map[string]any{"customData": []int{1}}, 400, "customData"},
		{"unknown field", "POST", "/api/users", map[string]any{"nickname": "x"}, 400, "nickname"},
		{"unknown profile field", "POST", "/api/users", map[string]any{"profile": map[string]any{"shoeSize": 9}}, 400, "shoeSize"},
		{"control char in name", "POST", "/api/users", map[string]any{"name": "a\u0000b"}, 400, "name"},
		{"huge custom data", "POST", "/api/users", map[string]any{"customData": map[string]any{"x": strings.Repeat("y", 17<<10)}}, 400, "customData"},
		{"wrong type", "PATCH", "/api/users/" + u.ID, map[string]any{"username": 5}, 400, "username"},
		{"missing user", "GET", "/api/users/nope", nil, 404, "user"},
		{"missing user patch", "PATCH", "/api/users/nope", map[string]any{"name": "x"}, 404, "user"},
		{"password missing", "PATCH", "/api/users/" + u.ID + "/password", map[string]any{}, 400, "password"},
		{"suspend missing", "PATCH", "/api/users/" + u.ID + "/is-suspended", map[string]any{}, 400, "isSuspended"},
		{"custom data missing", "PATCH", "/api/users/" + u.ID + "/custom-data", map[string]any{}, 400, "customData"},
		{"verify without password set", "POST", "/api/users/" + u.ID + "/password/verify", map[string]any{"password": "anything"}, 422, "password"},
		{"long search", "GET", "/api/users?search=" + strings.Repeat("s", 200), nil, 400, "search"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(tc.method, tc.path, tc.body)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if m := r.errBody(t); !strings.Contains(m["message"], tc.msg) {
				t.Errorf("message %q does not mention %q", m["message"], tc.msg)
			}
		})
	}
	// An imported argon2id digest is kept as is.
	var imported userOutT
	e.do("POST", "/api/users", map[string]any{"username": "imported", "passwordAlgorithm": "Argon2id",
		"passwordDigest": "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5"}).want(t, 200, &imported)
	if !imported.HasPassword {
		t.Error("imported digest not stored")
	}
	// http(s) links are kept, and an empty one clears the claim.
	var linked userOutT
	e.do("PATCH", "/api/users/"+u.ID, map[string]any{"profile": map[string]any{"website": "https://jane.example/", "profile": "http://social.example/jane", "nickname": "jj"}}).want(t, 200, &linked)
	if linked.Profile.Website != "https://jane.example/" || linked.Profile.Profile != "http://social.example/jane" {
		t.Errorf("profile links: %+v", linked.Profile)
	}
	e.do("PATCH", "/api/users/"+u.ID, map[string]any{"profile": map[string]any{"website": ""}}).want(t, 200, nil)
	// An empty PATCH changes nothing and succeeds.
	e.do("PATCH", "/api/users/"+u.ID, map[string]any{}).want(t, 200, nil)
}

func TestUserRoles(t *testing.T) {
	e := newEnv(t)
	u := e.createUser(map[string]any{"username": "alice"})
	v := e.createUser(map[string]any{"username": "victor"})
	editor, viewer := e.userRole("Editor"), e.userRole("Viewer")
	var m2m roleJSON
	e.do("POST", "/api/roles", map[string]any{"name": "Robot", "description": "r", "type": "MachineToMachine"}).want(t, 200, &m2m)

	// As Logto: the ids asked for, without repeats, and those added.
	var given struct{ RoleIDs, AddedRoleIDs []string }
	e.do("POST", "/api/users/"+u.ID+"/roles", map[string]any{"roleIds": []string{editor, viewer, editor}}).want(t, 201, &given)
	if !slices.Equal(given.RoleIDs, []string{editor, viewer}) || !slices.Equal(given.AddedRoleIDs, []string{editor, viewer}) {
		t.Fatalf("POST answered %+v", given)
	}
	e.do("POST", "/api/users/"+u.ID+"/roles", map[string]any{"roleIds": []string{editor}}).want(t, 201, &given) // held already: fine
	if !slices.Equal(given.RoleIDs, []string{editor}) || given.AddedRoleIDs == nil || len(given.AddedRoleIDs) != 0 {
		t.Fatalf("POST of a held role answered %+v", given)
	}
	var roles []roleJSON
	r := e.do("GET", "/api/users/"+u.ID+"/roles", nil).want(t, 200, &roles)
	if len(roles) != 2 || r.header.Get("Total-Number") != "2" {
		t.Fatalf("user roles %+v", roles)
	}
	for _, tc := range []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"m2m role to user", "POST", "/api/users/" + u.ID + "/roles", map[string]any{"roleIds": []string{m2m.ID}}, 422, "user.invalid_role_type"},
		{"unknown role", "POST", "/api/users/" + u.ID + "/roles", map[string]any{"roleIds": []string{"nope"}}, 404, "entity.not_exists"},
		{"unknown user", "POST", "/api/users/nope/roles", map[string]any{"roleIds": []string{editor}}, 404, "entity.not_exists"},
		{"empty roleIds", "POST", "/api/users/" + u.ID + "/roles", map[string]any{"roleIds": []string{}}, 400, "request.invalid_input"},
		{"m2m role users", "POST", "/api/roles/" + m2m.ID + "/users", map[string]any{"userIds": []string{u.ID}}, 422, "role.invalid_type"},
		{"unknown user to role", "POST", "/api/roles/" + viewer + "/users", map[string]any{"userIds": []string{"nope"}}, 404, "entity.not_exists"},
		{"remove unheld", "DELETE", "/api/users/" + v.ID + "/roles/" + editor, nil, 404, "entity.not_exists"},
		{"list roles of missing user", "GET", "/api/users/nope/roles", nil, 404, "entity.not_exists"},
		{"list users of missing role", "GET", "/api/roles/nope/users", nil, 404, "entity.not_exists_with_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(tc.method, tc.path, tc.body)
			if r.status != tc.status || r.errBody(t)["code"] != tc.code {
				t.Fatalf("%d %s, want %d %s", r.status, r.body, tc.status, tc.code)
			}
		})
	}

	e.do("POST", "/api/roles/"+viewer+"/users", map[string]any{"userIds": []string{v.ID, u.ID}}).want(t, 201, nil)
	var users []userOutT
	e.do("GET", "/api/roles/"+viewer+"/users", nil).want(t, 200, &users)
	if len(users) != 2 {
		t.Errorf("role users %+v", users)
	}
	e.do("DELETE", "/api/roles/"+viewer+"/users/"+v.ID, nil).want(t, 204, nil)
	e.do("DELETE", "/api/users/"+u.ID+"/roles/"+editor, nil).want(t, 204, nil)
	e.do("GET", "/api/users/"+u.ID+"/roles", nil).want(t, 200, &roles)
	if len(roles) != 1 || roles[0].ID != viewer {
		t.Errorf("after removal: %+v", roles)
	}
	// PUT replaces the set and, as Logto, answers {roleIds}.
	var put map[string][]string
	e.do("PUT", "/api/users/"+u.ID+"/roles", map[string]any{"roleIds": []string{editor, editor}}).want(t, 200, &put)
	e.do("GET", "/api/users/"+u.ID+"/roles", nil).want(t, 200, &roles)
	if len(put) != 1 || !slices.Equal(put["roleIds"], []string{editor}) || len(roles) != 1 || roles[0].ID != editor {
		t.Errorf("after PUT: %v, %+v", put, roles)
	}
	r = e.do("PUT", "/api/users/"+u.ID+"/roles", map[string]any{"roleIds": []string{}}).want(t, 200, nil)
	e.do("GET", "/api/users/"+u.ID+"/roles", nil).want(t, 200, &roles)
	if string(r.body) != `{"roleIds":[]}` && string(r.body) != "{\"roleIds\":[]}\n" || len(roles) != 0 {
		t.Errorf("after PUT []: %s, %+v", r.body, roles)
	}
}

// Applications that sign users in carry OIDC client metadata; the API
// validates it strictly.
func TestApplicationOIDCMetadata(t *testing.T) {
	e := newEnv(t)
	var app applicationJSON
	e.do("POST", "/api/applications", map[string]any{"name": "Web", "type": "SPA",
		"oidcClientMetadata":   map[string]any{"redirectUris": []string{"https://app.example.com/cb"}, "postLogoutRedirectUris": []string{"https://app.example.com/"}},
		"customClientMetadata": map[string]any{"corsAllowedOrigins": []string{"https://App.Example.com/"}},
	}).want(t, 200, &app)
	if app.Secret != "" || len(app.OIDCClientMetadata.RedirectURIs) != 1 || !app.CustomClientMetadata.RotateRefreshToken ||
		app.CustomClientMetadata.RefreshTokenTTLInDays != 14 || app.CustomClientMetadata.AllowPasswordGrant ||
		app.CustomClientMetadata.CORSAllowedOrigins[0] != "https://app.example.com" {
		t.Fatalf("created %+v", app)
	}
	e.do("PATCH", "/api/applications/"+app.ID, map[string]any{
		"customClientMetadata": map[string]any{"rotateRefreshToken": false, "refreshTokenTtlInDays": 30, "allowPasswordGrant": true},
	}).want(t, 200, &app)
	if app.CustomClientMetadata.RotateRefreshToken || app.CustomClientMetadata.RefreshTokenTTLInDays != 30 ||
		!app.CustomClientMetadata.AllowPasswordGrant || len(app.OIDCClientMetadata.RedirectURIs) != 1 {
		t.Fatalf("patched %+v", app)
	}
	var native applicationJSON
	e.do("POST", "/api/applications", map[string]any{"name": "App", "type": "Native",
		"oidcClientMetadata": map[string]any{"redirectUris": []string{"com.example.app:/callback", "http://127.0.0.1:8765/cb"}}}).want(t, 200, &native)

	for _, tc := range []struct {
		name string
		body map[string]any
		msg  string
	}{
		{"relative", map[string]any{"oidcClientMetadata": map[string]any{"redirectUris": []string{"/cb"}}}, "absolute"},
		{"fragment", map[string]any{"oidcClientMetadata": map[string]any{"redirectUris": []string{"https://a.example/cb#x"}}}, "fragment"},
		{"user and password", map[string]any{"oidcClientMetadata": map[string]any{"redirectUris": []string{"https://user:pw@evil.example/cb"}}}, "oidcClientMetadata.redirectUris must not hold URIs with a user-info part"},
		{"host lookalike", map[string]any{"oidcClientMetadata": map[string]any{"redirectUris": []string{"https://a.example/cb", "https://app.example@evil.example/cb"}}}, "user-info"},
		{"empty user info", map[string]any{"oidcClientMetadata": map[string]any{"redirectUris": []string{"https://@evil.example/cb"}}}, "user-info"},
		{"post-logout user info", map[string]any{"oidcClientMetadata": map[string]any{"postLogoutRedirectUris": []string{"https://app.example@evil.example/"}}}, "oidcClientMetadata.postLogoutRedirectUris must not hold URIs with a user-info part"},
		{"javascript", map[string]any{"oidcClientMetadata": map[string]any{"redirectUris": []string{"javascript:alert(1)"}}}, "javascript"},
		{"custom scheme on SPA", map[string]any{"oidcClientMetadata": map[string]any{"redirectUris": []string{"com.example:/cb"}}}, "http"},
		{"no host", map[string]any{"oidcClientMetadata": map[string]any{"redirectUris": []string{"https:///cb"}}}, "host"},
		{"space", map[string]any{"oidcClientMetadata": map[string]any{"postLogoutRedirectUris": []string{"https://a.example/ b"}}}, "spaces"},
		{"origin with path", map[string]any{"customClientMetadata": map[string]any{"corsAllowedOrigins": []string{"https://a.example/path"}}}, "origins"},
		{"ttl", map[string]any{"customClientMetadata": map[string]any{"refreshTokenTtlInDays": 0}}, "refreshTokenTtlInDays"},
		{"unknown metadata", map[string]any{"customClientMetadata": map[string]any{"notAField": 5}}, "notAField"},
		{"id token ttl", map[string]any{"customClientMetadata": map[string]any{"idTokenTtl": 0}}, "idTokenTtl"},
		{"id token ttl type", map[string]any{"customClientMetadata": map[string]any{"idTokenTtl": "1h"}}, "idTokenTtl"},
		{"refresh token ttl", map[string]any{"customClientMetadata": map[string]any{"refreshTokenTtl": 7776001}}, "refreshTokenTtl"},
		{"backchannel uri", map[string]any{"oidcClientMetadata": map[string]any{"backchannelLogoutUri": "javascript:x"}}, "backchannelLogoutUri"},
		{"logo uri", map[string]any{"oidcClientMetadata": map[string]any{"logoUri": "data:image/png,x"}}, "logoUri"},
		{"token exchange type", map[string]any{"customClientMetadata": map[string]any{"allowTokenExchange": "yes"}}, "allowTokenExchange"},
		{"custom data type", map[string]any{"customData": []int{1}}, "customData"},
		{"id type ignored but json", map[string]any{"name": 5, "id": "x"}, "name"},
		{"third party", map[string]any{"isThirdParty": true}, "isThirdParty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("PATCH", "/api/applications/"+app.ID, tc.body)
			if r.status != 400 || !strings.Contains(r.errBody(t)["message"], tc.msg) {
				t.Fatalf("%d %s", r.status, r.body)
			}
		})
	}
	// Registration refuses them too, and the app keeps what it had.
	r := e.do("POST", "/api/applications", map[string]any{"name": "Lookalike", "type": "Traditional",
		"oidcClientMetadata": map[string]any{"redirectUris": []string{"https://app.example@evil.example/cb"}}})
	if r.status != 400 || !strings.Contains(r.errBody(t)["message"], "oidcClientMetadata.redirectUris") {
		t.Errorf("registering a user-info redirect URI: %d %s", r.status, r.body)
	}
	var kept applicationJSON
	e.do("GET", "/api/applications/"+app.ID, nil).want(t, 200, &kept)
	for _, u := range kept.OIDCClientMetadata.RedirectURIs {
		if strings.Contains(u, "@") {
			t.Errorf("a refused URI was stored: %v", kept.OIDCClientMetadata.RedirectURIs)
		}
	}
	var m2m applicationJSON
	e.do("POST", "/api/applications", map[string]any{"name": "Robot", "type": "MachineToMachine"}).want(t, 200, &m2m)
	r = e.do("PATCH", "/api/applications/"+m2m.ID, map[string]any{"oidcClientMetadata": map[string]any{"redirectUris": []string{"https://a.example/cb"}}})
	if r.status != 400 {
		t.Errorf("redirect URIs on an M2M app: %d %s", r.status, r.body)
	}
	r = e.do("PATCH", "/api/applications/"+m2m.ID, map[string]any{"customClientMetadata": map[string]any{"allowPasswordGrant": true}})
	if r.status != 400 {
		t.Errorf("password grant on an M2M app: %d %s", r.status, r.body)
	}
	// The listing shows the metadata too. (Apps made in the same
	// millisecond are listed in id order, so look the app up.)
	var list []json.RawMessage
	e.do("GET", "/api/applications", nil).want(t, 200, &list)
	var listed json.RawMessage
	for _, raw := range list {
		var a applicationJSON
		if json.Unmarshal(raw, &a) == nil && a.ID == app.ID {
			listed = raw
		}
	}
	if !strings.Contains(string(listed), "app.example.com/cb") {
		t.Errorf("listing lacks metadata: %s", listed)
	}
}

// GET /api/users/:id reads Logto's two flags and refuses any other query
// parameter; includeSsoIdentities adds an empty list (no enterprise SSO).
func TestGetUserQuery(t *testing.T) {
	e := newEnv(t)
	u := e.createUser(map[string]any{"username": "ada", "password": "Analytical-Engine-1843"})
	get := func(query string) map[string]json.RawMessage {
		t.Helper()
		var raw map[string]json.RawMessage
		e.do("GET", "/api/users/"+u.ID+query, nil).want(t, 200, &raw)
		return raw
	}
	if raw := get(""); raw["ssoIdentities"] != nil || raw["passwordDigest"] != nil {
		t.Errorf("plain user has %s %s", raw["ssoIdentities"], raw["passwordDigest"])
	}
	if raw := get("?includeSsoIdentities=true"); string(raw["ssoIdentities"]) != "[]" || raw["passwordDigest"] != nil || string(raw["username"]) != `"ada"` {
		t.Errorf("includeSsoIdentities: %v", raw)
	}
	if raw := get("?includeSsoIdentities=false"); raw["ssoIdentities"] != nil {
		t.Errorf("includeSsoIdentities=false: %s", raw["ssoIdentities"])
	}
	if raw := get("?includeSsoIdentities=1&includePasswordHash=yes"); string(raw["ssoIdentities"]) != "[]" ||
		!strings.HasPrefix(string(raw["passwordDigest"]), `"$argon2id$`) || string(raw["passwordAlgorithm"]) != `"Argon2id"` {
		t.Errorf("both flags: %v", raw)
	}
	for _, q := range []string{"?colour=red", "?page=1", "?includeSsoIdentities=true&search=ada"} {
		r := e.do("GET", "/api/users/"+u.ID+q, nil)
		if r.status != 400 || r.errBody(t)["code"] != "request.invalid_input" {
			t.Errorf("%s: %d %s, want 400 request.invalid_input", q, r.status, r.body)
		}
	}
}
