package management

import (
	"encoding/json"
	"maps"
	"reflect"
	"strings"
	"testing"
)

// roundTrip GETs path, PATCHes the whole object back unchanged and checks
// the answer is 200 and the object as it was.
func roundTrip(t *testing.T, e *env, path string) map[string]any {
	t.Helper()
	var before, after, again map[string]any
	e.do("GET", path, nil).want(t, 200, &before)
	e.do("PATCH", path, before).want(t, 200, &after)
	if !reflect.DeepEqual(before, after) {
		t.Fatalf("PATCH of %s unchanged answered\n%v\nwant\n%v", path, after, before)
	}
	e.do("GET", path, nil).want(t, 200, &again)
	if !reflect.DeepEqual(before, again) {
		t.Fatalf("%s after PATCH unchanged is\n%v\nwant\n%v", path, again, before)
	}
	return before
}

func TestReadModifyWritePatch(t *testing.T) {
	e := newEnv(t)
	var app map[string]any
	e.do("POST", "/api/applications", map[string]any{"name": "Web", "type": "Traditional", "description": "d",
		"oidcClientMetadata": map[string]any{"redirectUris": []string{"https://app.example.com/cb"},
			"backchannelLogoutUri": "https://app.example.com/bc", "logoUri": "https://app.example.com/logo.png"},
		"customClientMetadata": map[string]any{"idTokenTtl": 600, "allowTokenExchange": true},
		"customData":           map[string]any{"tier": "gold"}}).want(t, 200, &app)
	id := app["id"].(string)
	got := roundTrip(t, e, "/api/applications/"+id)
	if got["customData"].(map[string]any)["tier"] != "gold" {
		t.Fatalf("customData %v", got["customData"])
	}
	// The create answer, secret included, goes back too.
	e.do("PATCH", "/api/applications/"+id, app).want(t, 200, nil)
	for _, typ := range []string{"SPA", "Native", "MachineToMachine"} {
		a := e.createApp(typ+" app", typ)
		roundTrip(t, e, "/api/applications/"+a.ID)
	}

	role := e.createRole("Editors", "User")
	e.do("PATCH", "/api/roles/"+role.ID, map[string]any{"isDefault": true}).want(t, 200, nil)
	r := roundTrip(t, e, "/api/roles/"+role.ID)
	if r["isDefault"] != true {
		t.Fatalf("role %v", r)
	}
	// What a role list adds is ignored too.
	r["usersCount"], r["featuredUsers"], r["applicationsCount"], r["featuredApplications"] = 1, []any{}, 0, []any{}
	e.do("PATCH", "/api/roles/"+role.ID, r).want(t, 200, nil)
	m2m := e.createRole("Robots", "MachineToMachine")
	roundTrip(t, e, "/api/roles/"+m2m.ID)

	for _, tc := range []struct {
		name, path string
		body       map[string]any
		want       string
	}{
		{"app unknown field", "/api/applications/" + id, map[string]any{"name": "x", "bogus": 1}, "bogus"},
		{"app name type", "/api/applications/" + id, map[string]any{"id": id, "name": 1}, "name"},
		{"app type changed", "/api/applications/" + id, map[string]any{"id": id, "type": "SPA"}, "type"},
		{"app third party", "/api/applications/" + id, map[string]any{"isThirdParty": true}, "isThirdParty"},
		{"app custom data type", "/api/applications/" + id, map[string]any{"customData": "x"}, "customData"},
		{"role unknown field", "/api/roles/" + role.ID, map[string]any{"bogus": 1}, "bogus"},
		{"role is default type", "/api/roles/" + role.ID, map[string]any{"isDefault": "yes"}, "isDefault"},
		{"role type changed", "/api/roles/" + role.ID, map[string]any{"type": "MachineToMachine"}, "type"},
		{"role name type", "/api/roles/" + role.ID, map[string]any{"id": role.ID, "name": []int{1}}, "name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("PATCH", tc.path, tc.body)
			if r.status != 400 || !strings.Contains(r.errBody(t)["message"], tc.want) {
				t.Fatalf("%d %s, want 400 naming %s", r.status, r.body, tc.want)
			}
		})
	}
	// Fields Logto strips on create are ignored there too.
	e.do("POST", "/api/applications", map[string]any{"id": "mine", "tenantId": "default", "createdAt": 1, "secret": "s",
		"name": "Stripped", "type": "SPA"}).want(t, 200, &app)
	if app["id"] == "mine" || app["createdAt"] == float64(1) {
		t.Fatalf("create took a stripped field: %v", app)
	}
	var created map[string]any
	e.do("POST", "/api/roles", map[string]any{"id": "mine", "tenantId": "default", "name": "Stripped", "description": "d"}).want(t, 200, &created)
	if created["id"] == "mine" {
		t.Fatalf("role create took the id: %v", created)
	}
}

func TestApplicationKeptMetadata(t *testing.T) {
	e := newEnv(t)
	var app applicationJSON
	e.do("POST", "/api/applications", map[string]any{"name": "Web", "type": "SPA",
		"oidcClientMetadata": map[string]any{"redirectUris": []string{"https://app.example.com/cb"},
			"backchannelLogoutUri": "https://app.example.com/bc", "backchannelLogoutSessionRequired": true,
			"logoUri": "https://app.example.com/logo.png"},
		"customClientMetadata": map[string]any{"idTokenTtl": 600, "refreshTokenTtl": 86400, "refreshTokenTtlInDays": 7,
			"alwaysIssueRefreshToken": true, "rotateRefreshToken": false, "corsAllowedOrigins": []string{"https://app.example.com"},
			"allowTokenExchange": true}}).want(t, 200, &app)
	o, c := app.OIDCClientMetadata, app.CustomClientMetadata
	if o.BackchannelLogoutURI != "https://app.example.com/bc" || !o.BackchannelLogoutSessionRequired || o.LogoURI != "https://app.example.com/logo.png" ||
		c.IDTokenTTL != 600 || c.RefreshTokenTTL != 86400 || c.RefreshTokenTTLInDays != 7 || !c.AlwaysIssueRefreshToken ||
		c.RotateRefreshToken || len(c.CORSAllowedOrigins) != 1 || !c.AllowTokenExchange {
		t.Fatalf("created %+v", app)
	}
	// Fields absent from a PATCH stay; those given change; "" clears a URI.
	var patched applicationJSON
	e.do("PATCH", "/api/applications/"+app.ID, map[string]any{
		"oidcClientMetadata":   map[string]any{"logoUri": ""},
		"customClientMetadata": map[string]any{"idTokenTtl": 60, "allowTokenExchange": false}}).want(t, 200, &patched)
	o, c = patched.OIDCClientMetadata, patched.CustomClientMetadata
	if o.LogoURI != "" || o.BackchannelLogoutURI == "" || c.IDTokenTTL != 60 || c.AllowTokenExchange || c.RefreshTokenTTL != 86400 ||
		len(o.RedirectURIs) != 1 || c.RefreshTokenTTLInDays != 7 {
		t.Fatalf("patched %+v", patched)
	}
	var raw struct {
		OIDC map[string]any `json:"oidcClientMetadata"`
	}
	e.do("GET", "/api/applications/"+app.ID, nil).want(t, 200, &raw)
	if _, ok := raw.OIDC["logoUri"]; ok {
		t.Fatalf("an unset logoUri is answered: %v", raw.OIDC)
	}
}

func TestApplicationCustomData(t *testing.T) {
	e := newEnv(t)
	var app applicationJSON
	e.do("POST", "/api/applications", map[string]any{"name": "Web", "type": "SPA",
		"customData": map[string]any{"a": 1, "keep": map[string]any{"deep": true}}}).want(t, 200, &app)
	if app.CustomData["a"] != float64(1) {
		t.Fatalf("created customData %v", app.CustomData)
	}
	plain := e.createApp("Plain", "SPA")
	var got map[string]any
	e.do("GET", "/api/applications/"+plain.ID, nil).want(t, 200, &got)
	if cd, ok := got["customData"].(map[string]any); !ok || len(cd) != 0 {
		t.Fatalf("customData of a new application %v, want {}", got["customData"])
	}

	// Logto merges the body into the stored object, top-level key by key.
	var data map[string]any
	e.do("PATCH", "/api/applications/"+app.ID+"/custom-data", map[string]any{"a": 2, "b": "x", "keep": map[string]any{"other": 1}}).want(t, 200, &data)
	want := map[string]any{"a": float64(2), "b": "x", "keep": map[string]any{"other": float64(1)}}
	if !reflect.DeepEqual(data, want) {
		t.Fatalf("merged %v, want %v", data, want)
	}
	e.do("PATCH", "/api/applications/"+app.ID+"/custom-data", map[string]any{}).want(t, 200, &data)
	if !reflect.DeepEqual(data, want) {
		t.Fatalf("after an empty merge %v, want %v", data, want)
	}
	// PATCH of the application merges customData the same way.
	e.do("PATCH", "/api/applications/"+app.ID, map[string]any{"customData": map[string]any{"c": nil}}).want(t, 200, &app)
	want["c"] = nil
	if !reflect.DeepEqual(app.CustomData, want) {
		t.Fatalf("after PATCH %v, want %v", app.CustomData, want)
	}

	big := map[string]any{"blob": strings.Repeat("x", 1<<20)}
	for _, tc := range []struct {
		name, path string
		body       any
		status     int
		code       string
	}{
		{"array", "/api/applications/" + app.ID + "/custom-data", []int{1}, 400, "request.invalid_input"},
		{"string", "/api/applications/" + app.ID + "/custom-data", `"x"`, 400, "request.invalid_input"},
		{"missing app", "/api/applications/nope/custom-data", map[string]any{"a": 1}, 404, "entity.not_exists_with_id"},
		{"too large", "/api/applications/" + app.ID + "/custom-data", big, 413, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("PATCH", tc.path, tc.body)
			if r.status != tc.status || (tc.code != "" && r.errBody(t)["code"] != tc.code) {
				t.Fatalf("%d %s, want %d %s", r.status, r.body, tc.status, tc.code)
			}
		})
	}
	// Large but within the body limit: refused by the size of custom data.
	mid := map[string]any{"blob": strings.Repeat("x", 60<<10)}
	b, _ := json.Marshal(mid)
	r := e.do("PATCH", "/api/applications/"+app.ID+"/custom-data", b)
	if r.status != 400 || !strings.Contains(r.errBody(t)["message"], "customData") {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

func TestDefaultRoles(t *testing.T) {
	e := newEnv(t)
	var def, other, robots roleOutT
	e.do("POST", "/api/roles", map[string]any{"name": "Members", "description": "m", "isDefault": true}).want(t, 200, &def)
	e.do("POST", "/api/roles", map[string]any{"name": "Editors", "description": "e", "type": "User"}).want(t, 200, &other)
	e.do("POST", "/api/roles", map[string]any{"name": "Robots", "description": "r", "type": "MachineToMachine", "isDefault": true}).want(t, 200, &robots)
	if !def.IsDefault || other.IsDefault || !robots.IsDefault {
		t.Fatalf("roles %+v %+v %+v", def, other, robots)
	}
	roleIDs := func(userID string) []string {
		var roles []roleOutT
		e.do("GET", "/api/users/"+userID+"/roles", nil).want(t, 200, &roles)
		var ids []string
		for _, r := range roles {
			ids = append(ids, r.ID)
		}
		return ids
	}
	u := e.createUser(map[string]any{"username": "first"})
	if got := roleIDs(u.ID); !reflect.DeepEqual(got, []string{def.ID}) {
		t.Fatalf("new user's roles %v, want only the default User role %s", got, def.ID)
	}
	// A role marked default later is given to users created after, not
	// to those before.
	e.do("PATCH", "/api/roles/"+other.ID, map[string]any{"isDefault": true}).want(t, 200, &other)
	if !other.IsDefault {
		t.Fatalf("patched %+v", other)
	}
	v := e.createUser(map[string]any{"username": "second"})
	// Two roles made in the same millisecond are listed in id order.
	if got, want := roleIDs(v.ID), []string{def.ID, other.ID}; !reflect.DeepEqual(got, want) && !reflect.DeepEqual(got, []string{want[1], want[0]}) {
		t.Fatalf("second user's roles %v", got)
	}
	if got := roleIDs(u.ID); !reflect.DeepEqual(got, []string{def.ID}) {
		t.Fatalf("first user's roles changed: %v", got)
	}
	e.do("PATCH", "/api/roles/"+def.ID, map[string]any{"isDefault": false}).want(t, 200, nil)
	e.do("DELETE", "/api/roles/"+other.ID, nil).want(t, 204, nil)
	w := e.createUser(map[string]any{"username": "third"})
	if got := roleIDs(w.ID); len(got) != 0 {
		t.Fatalf("third user's roles %v, want none", got)
	}
}

// A user read can be sent back, as Logto's guards strip what a client
// does not set: PATCHed whole it changes nothing, and a copy of it
// creates a new user. isSuspended is taken only unchanged, and the
// exported password hash not at all (the password has its own route).
func TestUserReadModifyWrite(t *testing.T) {
	e := newEnv(t)
	u := e.createUser(map[string]any{"username": "ren", "name": "Ren", "password": "long enough password",
		"customData": map[string]any{"plan": "pro"}, "profile": map[string]any{"givenName": "Ren"}})
	e.do("PUT", "/api/users/"+u.ID+"/identities/github", map[string]any{"userId": "gh-1"}).want(t, 201, nil)
	// Sent back whole, it changes nothing but updatedAt (as in Logto,
	// every field given is written).
	var got, after map[string]any
	e.do("GET", "/api/users/"+u.ID, nil).want(t, 200, &got)
	e.do("PATCH", "/api/users/"+u.ID, got).want(t, 200, &after)
	want := maps.Clone(got)
	delete(want, "updatedAt")
	delete(after, "updatedAt")
	if !reflect.DeepEqual(after, want) {
		t.Fatalf("PATCH of the user unchanged answered\n%v\nwant\n%v", after, want)
	}
	if got["hasPassword"] != true || got["identities"].(map[string]any)["github"] == nil {
		t.Fatalf("user %v", got)
	}
	var full map[string]any
	e.do("GET", "/api/users/"+u.ID+"?includeSsoIdentities=true", nil).want(t, 200, &full)
	full["name"] = "Ren Amamiya"
	var changed map[string]any
	e.do("PATCH", "/api/users/"+u.ID, full).want(t, 200, &changed)
	if changed["name"] != "Ren Amamiya" || changed["createdAt"] != got["createdAt"] || changed["id"] != u.ID {
		t.Errorf("changed %v", changed)
	}

	copied := map[string]any{}
	for k, v := range got {
		copied[k] = v
	}
	copied["username"] = "ren_copy"
	var created map[string]any
	e.do("POST", "/api/users", copied).want(t, 200, &created)
	if created["id"] == u.ID || created["hasPassword"] != false || len(created["identities"].(map[string]any)) != 0 {
		t.Errorf("copy %v", created)
	}

	for _, tc := range []struct {
		method, path string
		body         map[string]any
		msg          string
	}{
		{"PATCH", "/api/users/" + u.ID, map[string]any{"isSuspended": true}, "isSuspended"},
		{"POST", "/api/users", map[string]any{"username": "sus", "isSuspended": true}, "isSuspended"},
		{"PATCH", "/api/users/" + u.ID, map[string]any{"passwordDigest": "x"}, `unknown field "passwordDigest"`},
		{"PATCH", "/api/users/" + u.ID, map[string]any{"isSuspended": "no"}, "isSuspended"},
		{"PATCH", "/api/users/" + u.ID, map[string]any{"nickname": "r"}, `unknown field "nickname"`},
	} {
		r := e.do(tc.method, tc.path, tc.body)
		if m := r.errBody(t); r.status != 400 || !strings.Contains(m["message"], tc.msg) {
			t.Errorf("%s %s %v: %d %v, want 400 naming %s", tc.method, tc.path, tc.body, r.status, m, tc.msg)
		}
	}
	e.do("PATCH", "/api/users/"+u.ID, map[string]any{"isSuspended": false}).want(t, 200, nil)
}

// A user read with GET goes back whole in a PATCH, as Logto's guard strips
// what it does not take; isSuspended only unchanged.
func TestUserReadModifyWritePatch(t *testing.T) {
	e := newEnv(t)
	var user map[string]any
	e.do("POST", "/api/users", map[string]any{"username": "ada", "primaryEmail": "ada@example.com", "name": "Ada",
		"password": "Analytical-Engine-1843", "customData": map[string]any{"team": "blue"},
		"profile": map[string]any{"givenName": "Ada"}}).want(t, 200, &user)
	id := user["id"].(string)
	e.do("PUT", "/api/users/"+id+"/identities/github", map[string]any{"userId": "1843"}).want(t, 201, nil)
	// The whole user back unchanged changes nothing but updatedAt (a PATCH
	// stamps it, in Logto too).
	var got, same map[string]any
	e.do("GET", "/api/users/"+id, nil).want(t, 200, &got)
	e.do("PATCH", "/api/users/"+id, got).want(t, 200, &same)
	delete(got, "updatedAt")
	delete(same, "updatedAt")
	if !reflect.DeepEqual(got, same) || got["hasPassword"] != true || got["identities"].(map[string]any)["github"] == nil {
		t.Fatalf("PATCH of the user unchanged answered\n%v\nwant\n%v", same, got)
	}
	got["name"] = "Countess"
	var changed map[string]any
	e.do("PATCH", "/api/users/"+id, got).want(t, 200, &changed)
	if changed["name"] != "Countess" || changed["username"] != "ada" || changed["hasPassword"] != true ||
		changed["identities"].(map[string]any)["github"] == nil {
		t.Fatalf("changed %v", changed)
	}
	for _, tc := range []struct {
		name string
		body map[string]any
		want string
	}{
		{"suspension", map[string]any{"id": id, "isSuspended": true}, "is-suspended"},
		{"unknown field", map[string]any{"id": id, "bogus": 1}, "bogus"},
		{"digest", map[string]any{"passwordDigest": "x"}, "passwordDigest"},
		{"name type", map[string]any{"id": id, "name": 1}, "name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("PATCH", "/api/users/"+id, tc.body)
			if r.status != 400 || !strings.Contains(r.errBody(t)["message"], tc.want) {
				t.Fatalf("%d %s, want 400 naming %s", r.status, r.body, tc.want)
			}
		})
	}
	var after map[string]any
	e.do("GET", "/api/users/"+id, nil).want(t, 200, &after)
	if after["isSuspended"] != false || after["name"] != "Countess" {
		t.Fatalf("after the refusals %v", after)
	}
	e.do("PATCH", "/api/users/nobody", map[string]any{"isSuspended": false}).want(t, 404, nil)
}

// A resource (from a list with includeScopes too) and a scope as read go
// back whole in a PATCH; indicator, isDefault and resourceId only
// unchanged.
func TestResourceReadModifyWritePatch(t *testing.T) {
	e := newEnv(t)
	res := e.createResource("Shopping", "https://shopping.api")
	sc := e.createScope(res.ID, "read:products")
	got := roundTrip(t, e, "/api/resources/"+res.ID)
	got["accessTokenTtl"] = 900
	var changed map[string]any
	e.do("PATCH", "/api/resources/"+res.ID, got).want(t, 200, &changed)
	if changed["accessTokenTtl"] != float64(900) || changed["indicator"] != "https://shopping.api" || changed["isDefault"] != false {
		t.Fatalf("changed %v", changed)
	}
	var list []map[string]any
	e.do("GET", "/api/resources?includeScopes=true", nil).want(t, 200, &list)
	for _, item := range list {
		if item["id"] == res.ID {
			item["name"] = "Shop"
			e.do("PATCH", "/api/resources/"+res.ID, item).want(t, 200, &changed)
		}
	}
	if changed["name"] != "Shop" {
		t.Fatalf("the list's item went back: %v", changed)
	}
	// A scope has no GET of its own: it is read from its resource's list.
	var scopes []map[string]any
	e.do("GET", "/api/resources/"+res.ID+"/scopes", nil).want(t, 200, &scopes)
	scope := scopes[0]
	var unchanged, described map[string]any
	e.do("PATCH", "/api/resources/"+res.ID+"/scopes/"+sc.ID, scope).want(t, 200, &unchanged)
	if !reflect.DeepEqual(unchanged, scope) {
		t.Fatalf("PATCH of the scope unchanged answered %v, want %v", unchanged, scope)
	}
	scope["description"] = "Read products"
	e.do("PATCH", "/api/resources/"+res.ID+"/scopes/"+sc.ID, scope).want(t, 200, &described)
	if described["description"] != "Read products" || described["name"] != "read:products" {
		t.Fatalf("scope %v", described)
	}
	for _, tc := range []struct {
		name, path string
		body       map[string]any
		want       string
	}{
		{"resource default", "/api/resources/" + res.ID, map[string]any{"id": res.ID, "isDefault": true}, "is-default"},
		{"resource indicator", "/api/resources/" + res.ID, map[string]any{"indicator": "https://other.api"}, "indicator"},
		{"resource unknown field", "/api/resources/" + res.ID, map[string]any{"id": res.ID, "bogus": 1}, "bogus"},
		{"resource default type", "/api/resources/" + res.ID, map[string]any{"isDefault": "no"}, "isDefault"},
		{"scope resource", "/api/resources/" + res.ID + "/scopes/" + sc.ID, map[string]any{"resourceId": "other"}, "resourceId"},
		{"scope unknown field", "/api/resources/" + res.ID + "/scopes/" + sc.ID, map[string]any{"id": sc.ID, "bogus": 1}, "bogus"},
		{"scope name type", "/api/resources/" + res.ID + "/scopes/" + sc.ID, map[string]any{"id": sc.ID, "name": 1}, "name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("PATCH", tc.path, tc.body)
			if r.status != 400 || !strings.Contains(r.errBody(t)["message"], tc.want) {
				t.Fatalf("%d %s, want 400 naming %s", r.status, r.body, tc.want)
			}
		})
	}
	var after map[string]any
	e.do("GET", "/api/resources/"+res.ID, nil).want(t, 200, &after)
	if after["isDefault"] != false || after["indicator"] != "https://shopping.api" {
		t.Fatalf("after the refusals %v", after)
	}
}

// A Native app may be a device-flow app (Logto's
// customClientMetadata.isDeviceFlow), answered only when on; another type
// is refused with Logto's code.
func TestApplicationDeviceFlow(t *testing.T) {
	e := newEnv(t)
	var app applicationJSON
	e.do("POST", "/api/applications", map[string]any{"name": "TV", "type": "Native",
		"customClientMetadata": map[string]any{"isDeviceFlow": true}}).want(t, 200, &app)
	if !app.CustomClientMetadata.IsDeviceFlow {
		t.Fatalf("created %+v", app)
	}
	var body map[string]any
	e.do("POST", "/api/applications", map[string]any{"name": "Web", "type": "SPA",
		"customClientMetadata": map[string]any{"isDeviceFlow": true}}).want(t, 422, &body)
	if body["code"] != "application.device_flow_native_only" {
		t.Fatalf("a SPA with the device flow: %v", body)
	}
}
