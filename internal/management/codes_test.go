package management

import (
	"testing"

	"github.com/monban/monban/internal/directory"
)

// Status and error codes as Logto sends them, route by route.
func TestLogtoCodes(t *testing.T) {
	e := newEnv(t)
	res := e.createResource("Shop", "https://shop.example")
	e.createScope(res.ID, "read")
	role := e.createRole("editors", "User")
	app := e.createApp("m2m", "MachineToMachine")
	for _, tc := range []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"role name in use", "POST", "/api/roles", map[string]any{"name": "editors", "description": "d"}, 422, "role.name_in_use"},
		{"role rename in use", "PATCH", "/api/roles/" + e.createRole("viewers", "User").ID, map[string]any{"name": "editors"}, 422, "role.name_in_use"},
		{"indicator in use", "POST", "/api/resources", map[string]any{"name": "Again", "indicator": "https://shop.example"}, 422, "resource.resource_identifier_in_use"},
		{"Management API indicator", "POST", "/api/resources", map[string]any{"name": "Again", "indicator": testIndicator}, 422, "resource.resource_identifier_in_use"},
		{"scope name in use", "POST", "/api/resources/" + res.ID + "/scopes", map[string]any{"name": "read"}, 422, "scope.name_exists"},
		{"delete the Management API", "DELETE", "/api/resources/" + e.builtinID, nil, 400, "resource.cannot_delete_management_api"},
		{"delete the console's app", "DELETE", "/api/applications/" + directory.ConsoleAppID, nil, 400, "application.cannot_delete_admin_console"},
		{"modify the Management API", "PATCH", "/api/resources/" + e.builtinID, map[string]any{"name": "mine"}, 400, "resource.cannot_modify_management_api"},
		{"missing application", "GET", "/api/applications/nope", nil, 404, "entity.not_exists_with_id"},
		{"missing application patch", "PATCH", "/api/applications/nope", map[string]any{"name": "x"}, 404, "entity.not_exists_with_id"},
		{"missing application roles", "GET", "/api/applications/nope/roles", nil, 404, "entity.not_exists_with_id"},
		{"missing resource", "GET", "/api/resources/nope", nil, 404, "entity.not_exists_with_id"},
		{"missing resource scopes", "GET", "/api/resources/nope/scopes", nil, 404, "entity.not_exists_with_id"},
		{"missing role", "GET", "/api/roles/nope", nil, 404, "entity.not_exists_with_id"},
		{"missing role scopes", "GET", "/api/roles/nope/scopes", nil, 404, "entity.not_exists_with_id"},
		{"missing role users", "POST", "/api/roles/nope/users", map[string]any{"userIds": []string{"u"}}, 404, "entity.not_exists_with_id"},
		{"missing user", "GET", "/api/users/nope", nil, 404, "entity.not_exists"},
		{"unassigned role", "DELETE", "/api/applications/" + app.ID + "/roles/" + role.ID, nil, 404, "entity.not_exists"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(tc.method, tc.path, tc.body)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if m := r.errBody(t); m["code"] != tc.code || m["message"] == "" {
				t.Errorf("body %v, want code %s", m, tc.code)
			}
		})
	}

	// Creates answer 200 where Logto does, 201 where it does.
	var created map[string]any
	e.do("POST", "/api/applications", map[string]any{"name": "a", "type": "SPA"}).want(t, 200, &created)
	e.do("POST", "/api/roles", map[string]any{"name": "r", "description": "d"}).want(t, 200, &created)
	e.do("POST", "/api/users", map[string]any{"username": "new_user"}).want(t, 200, &created)
	e.do("POST", "/api/resources", map[string]any{"name": "b", "indicator": "https://b.example"}).want(t, 201, &created)
	e.do("POST", "/api/resources/"+res.ID+"/scopes", map[string]any{"name": "write"}).want(t, 201, &created)
	e.do("POST", "/api/applications/"+app.ID+"/secrets", map[string]any{"name": "more"}).want(t, 201, &created)
}

// GET /api/status is Logto's health check: 204, no body, no token needed
// (one given is not looked at).
func TestStatus(t *testing.T) {
	e := newEnv(t)
	for _, rq := range []req{
		{method: "GET", path: "/api/status"},
		{method: "GET", path: "/api/status", authHeader: "Bearer not-a-token"},
		{method: "HEAD", path: "/api/status"},
	} {
		if r := e.send(rq); r.status != 204 || len(r.body) != 0 {
			t.Errorf("%s %s (%q): %d %q", rq.method, rq.path, rq.authHeader, r.status, r.body)
		}
	}
	if r := e.send(req{method: "POST", path: "/api/status"}); r.status != 405 {
		t.Errorf("POST /api/status: %d %s", r.status, r.body)
	}
}
