package management

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/store"
)

func TestAuth(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name       string
		authHeader string
		status     int
		wantWWW    string // exact, or prefix when it ends in '*'
		wantError  string // RFC 6750 error in the body
	}{
		{"missing header", "", 401, "Bearer", ""},
		{"basic scheme", "Basic YWRtaW46c2VjcmV0", 401, `Bearer error="invalid_token", error_description=*`, "invalid_token"},
		{"empty bearer", "Bearer ", 401, `Bearer error="invalid_token", error_description=*`, "invalid_token"},
		{"bad token", "Bearer not-a-known-token", 401, `Bearer error="invalid_token", error_description=*`, "invalid_token"},
		{"token for another audience", "Bearer " + tokWrongAud, 401, `Bearer error="invalid_token", error_description=*`, "invalid_token"},
		{"token without scope all", "Bearer " + tokNoScope, 403, `Bearer error="insufficient_scope", scope="all"`, "insufficient_scope"},
		{"scheme is case-insensitive", "bearer " + tokAdmin, 200, "", ""},
		{"good token", "Bearer " + tokAdmin, 200, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.changes.Load()
			for _, rq := range []req{
				{method: "GET", path: "/api/applications"},
				{method: "POST", path: "/api/resources", body: map[string]any{"name": "x", "indicator": "https://x.example/" + strings.ReplaceAll(tc.name, " ", "-")}},
				{method: "GET", path: "/api/configs/oidc/private-keys"},
				{method: "DELETE", path: "/api/applications/nope"},
			} {
				rq.authHeader = tc.authHeader
				r := e.send(rq)
				if tc.status == 200 {
					if r.status >= 400 && r.status != 404 {
						t.Fatalf("%s %s: status %d: %s", rq.method, rq.path, r.status, r.body)
					}
					continue
				}
				if r.status != tc.status {
					t.Fatalf("%s %s: status %d, want %d", rq.method, rq.path, r.status, tc.status)
				}
				www := r.header.Get("WWW-Authenticate")
				if p, ok := strings.CutSuffix(tc.wantWWW, "*"); ok {
					if !strings.HasPrefix(www, p) {
						t.Errorf("WWW-Authenticate %q, want prefix %q", www, p)
					}
				} else if www != tc.wantWWW {
					t.Errorf("WWW-Authenticate %q, want %q", www, tc.wantWWW)
				}
				m := r.errBody(t)
				if m["error"] != tc.wantError {
					t.Errorf("error = %q, want %q", m["error"], tc.wantError)
				}
				if tc.wantError != "" && m["error_description"] == "" {
					t.Errorf("no error_description in %s", r.body)
				}
				if tc.status == 401 && m["code"] != "auth.unauthorized" || tc.status == 403 && m["code"] != "auth.forbidden" {
					t.Errorf("code = %q", m["code"])
				}
				if strings.Contains(string(r.body), tokWrongAud) || strings.Contains(string(r.body), "not-a-known-token") || strings.Contains(www, "not-a-known-token") {
					t.Errorf("response echoes the token: %s", r.body)
				}
			}
			if tc.status != 200 && e.changes.Load() != before {
				t.Errorf("a rejected request changed something")
			}
		})
	}
	if strings.Contains(e.logs.String(), "not-a-known-token") || strings.Contains(e.logs.String(), tokAdmin) {
		t.Errorf("logs contain a token")
	}
	// The OpenAPI document is public.
	r := e.send(req{method: "GET", path: "/api/swagger.json"}).want(t, 200, nil)
	if !json.Valid(r.body) {
		t.Fatal("swagger.json is not JSON")
	}
}

func TestNotFoundAndMethodNotAllowed(t *testing.T) {
	e := newEnv(t)
	app := e.createApp("m", "MachineToMachine")
	for _, tc := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/api/nothing", 404, ""},
		{"GET", "/api/applications/x/unknown", 404, ""},
		{"GET", "/api/", 404, ""},
		{"GET", "/api", 404, ""},
		{"GET", "/api/applications/", 404, ""},
		{"DELETE", "/api/applications", 405, "GET, HEAD, POST"},
		{"PUT", "/api/applications/" + app.ID, 405, "GET, HEAD, PATCH, DELETE"},
		{"GET", "/api/configs/oidc/private-keys/rotate", 405, "POST"},
		{"POST", "/api/swagger.json", 405, "GET, HEAD"},
		{"OPTIONS", "/api/roles", 405, "GET, HEAD, POST"},
		// Unknown ids.
		{"GET", "/api/applications/missing", 404, ""},
		{"GET", "/api/applications/missing/secrets", 404, ""},
		{"GET", "/api/applications/missing/roles", 404, ""},
		{"GET", "/api/resources/missing", 404, ""},
		{"GET", "/api/resources/missing/scopes", 404, ""},
		{"DELETE", "/api/resources/missing", 404, ""},
		{"GET", "/api/roles/missing", 404, ""},
		{"GET", "/api/roles/missing/scopes", 404, ""},
		{"GET", "/api/roles/missing/applications", 404, ""},
		{"DELETE", "/api/roles/missing", 404, ""},
		{"DELETE", "/api/roles/missing/scopes/x", 404, ""},
		{"DELETE", "/api/roles/missing/applications/x", 404, ""},
		{"DELETE", "/api/applications/" + app.ID + "/secrets/none", 404, ""},
		{"DELETE", "/api/applications/" + app.ID + "/roles/none", 404, ""},
		{"GET", "/api/applications/%00", 404, ""},
		{"GET", "/api/applications/" + strings.Repeat("a", 300), 404, ""},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			r := e.do(tc.method, tc.path, nil).want(t, tc.status, nil)
			r.errBody(t)
			if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
				t.Errorf("Content-Type %q", r.header.Get("Content-Type"))
			}
			if got := r.header.Get("Allow"); got != tc.allow {
				t.Errorf("Allow = %q, want %q", got, tc.allow)
			}
		})
	}
}

// TestBodies checks the handling of bodies that are not what they should be.
func TestBodies(t *testing.T) {
	e := newEnv(t)
	app := e.createApp("m", "MachineToMachine")
	big := `{"name": "` + strings.Repeat("a", 70<<10) + `", "type": "SPA"}`
	for _, tc := range []struct {
		name        string
		body        any
		contentType string
		status      int
		msg         string
	}{
		{"no content type", `{"name":"a","type":"SPA"}`, "-", 415, "application/json"},
		{"form content type", "name=a&type=SPA", "application/x-www-form-urlencoded", 415, "application/json"},
		{"text content type", `{"name":"a","type":"SPA"}`, "text/plain", 415, "application/json"},
		{"json with charset", `{"name":"a","type":"SPA"}`, "application/json; charset=utf-8", 200, ""},
		{"too large", big, "", 413, "larger"},
		{"empty", "", "", 400, "empty"},
		{"malformed", `{"name": "a",`, "", 400, "malformed"},
		{"not an object", `["a"]`, "", 400, "object"},
		{"null", `null`, "", 400, "object"},
		{"trailing data", `{"name":"a","type":"SPA"} {}`, "", 400, "single"},
		{"trailing garbage", `{"name":"a","type":"SPA"}x`, "", 400, "single"},
		{"unknown field", `{"name":"a","type":"SPA","redirectUris":[]}`, "", 400, "redirectUris"},
		{"wrong type", `{"name":5,"type":"SPA"}`, "", 400, `"name"`},
		{"NUL in name", `{"name":"a\u0000b","type":"SPA"}`, "", 400, "name"},
		{"NUL in description", `{"name":"a","type":"SPA","description":"x\u0000"}`, "", 400, "description"},
		{"long name", map[string]any{"name": strings.Repeat("é", 257), "type": "SPA"}, "", 400, "name"},
		{"max name", map[string]any{"name": strings.Repeat("é", 256), "type": "SPA"}, "", 200, ""},
		{"long description", map[string]any{"name": "a", "type": "SPA", "description": strings.Repeat("d", 1025)}, "", 400, "description"},
		{"blank name", map[string]any{"name": "  ", "type": "SPA"}, "", 400, "name"},
		{"missing name", map[string]any{"type": "SPA"}, "", 400, "name"},
		{"missing type", map[string]any{"name": "a"}, "", 400, "type"},
		{"bad type", map[string]any{"name": "a", "type": "Robot"}, "", 400, "type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.changes.Load()
			r := e.send(req{method: "POST", path: "/api/applications", body: tc.body, contentType: tc.contentType, token: tokAdmin})
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.status >= 400 {
				m := r.errBody(t)
				if !strings.Contains(m["message"], tc.msg) {
					t.Errorf("message %q does not mention %q", m["message"], tc.msg)
				}
				if len(r.body) > 1024 {
					t.Errorf("error body of %d bytes echoes the input", len(r.body))
				}
				if e.changes.Load() != before {
					t.Error("Changed called after a failed write")
				}
			}
		})
	}
	// A PATCH with nothing in it changes nothing.
	before := e.changes.Load()
	e.do("PATCH", "/api/applications/"+app.ID, map[string]any{}).want(t, 200, nil)
	if e.changes.Load() != before {
		t.Error("Changed called after an empty PATCH")
	}
}

// TestValidation covers each field's rules, route by route.
func TestValidation(t *testing.T) {
	e := newEnv(t)
	m2m := e.createApp("m2m", "MachineToMachine")
	spa := e.createApp("spa", "SPA")
	res := e.createResource("Shop", "https://shop.example")
	sc := e.createScope(res.ID, "read:products")
	e.createScope(res.ID, "write:products")
	other := e.createResource("Other", "https://other.example")
	otherScope := e.createScope(other.ID, "x")
	m2mRole := e.createRole("m2m role", "MachineToMachine")
	userRole := e.createRole("user role", "User")
	future := time.Now().Add(time.Hour).UnixMilli()
	past := time.Now().Add(-time.Minute).UnixMilli()

	long := func(n int) string { return strings.Repeat("x", n) }
	for _, tc := range []struct {
		name         string
		method, path string
		body         any
		status       int
		msg          string // in the message
	}{
		// Applications.
		{"app patch type", "PATCH", "/api/applications/" + m2m.ID, map[string]any{"type": "SPA"}, 400, "type"},
		{"app patch unknown", "PATCH", "/api/applications/" + m2m.ID, map[string]any{"isThirdParty": true}, 400, "isThirdParty"},
		{"app patch long name", "PATCH", "/api/applications/" + m2m.ID, map[string]any{"name": long(257)}, 400, "name"},
		{"app patch missing", "PATCH", "/api/applications/missing", map[string]any{"name": "x"}, 404, "application"},

		// Secrets.
		{"secret no name", "POST", "/api/applications/" + m2m.ID + "/secrets", map[string]any{}, 400, "name"},
		{"secret past", "POST", "/api/applications/" + m2m.ID + "/secrets", map[string]any{"name": "s", "expiresAt": past}, 400, "expiresAt"},
		{"secret fractional expiry", "POST", "/api/applications/" + m2m.ID + "/secrets", `{"name":"s","expiresAt":1.5e12}`, 400, "expiresAt"},
		{"secret string expiry", "POST", "/api/applications/" + m2m.ID + "/secrets", map[string]any{"name": "s", "expiresAt": "tomorrow"}, 400, "expiresAt"},
		{"secret far expiry", "POST", "/api/applications/" + m2m.ID + "/secrets", map[string]any{"name": "s", "expiresAt": int64(1) << 60}, 400, "expiresAt"},
		{"secret missing app", "POST", "/api/applications/missing/secrets", map[string]any{"name": "s", "expiresAt": future}, 404, "application"},
		{"secret dup", "POST", "/api/applications/" + m2m.ID + "/secrets", map[string]any{"name": "Default secret"}, 422, "name"},
		{"secret spa", "POST", "/api/applications/" + spa.ID + "/secrets", map[string]any{"name": "s"}, 422, "SPA"},
		{"secret rename no name", "PATCH", "/api/applications/" + m2m.ID + "/secrets/Default%20secret", map[string]any{}, 400, "name"},
		{"secret rename extra", "PATCH", "/api/applications/" + m2m.ID + "/secrets/Default%20secret", map[string]any{"name": "a", "expiresAt": future}, 400, "expiresAt"},

		// Application roles.
		{"app roles empty", "POST", "/api/applications/" + m2m.ID + "/roles", map[string]any{"roleIds": []string{}}, 400, "roleIds"},
		{"app roles missing field", "POST", "/api/applications/" + m2m.ID + "/roles", map[string]any{}, 400, "roleIds"},
		{"app roles bad id", "POST", "/api/applications/" + m2m.ID + "/roles", map[string]any{"roleIds": []string{""}}, 400, "roleIds"},
		{"app roles unknown role", "POST", "/api/applications/" + m2m.ID + "/roles", map[string]any{"roleIds": []string{"missing"}}, 404, "missing"},
		{"app roles user role", "POST", "/api/applications/" + m2m.ID + "/roles", map[string]any{"roleIds": []string{userRole.ID}}, 422, "MachineToMachine"},
		{"app roles spa", "POST", "/api/applications/" + spa.ID + "/roles", map[string]any{"roleIds": []string{m2mRole.ID}}, 422, "MachineToMachine"},
		{"app roles put user role", "PUT", "/api/applications/" + m2m.ID + "/roles", map[string]any{"roleIds": []string{userRole.ID}}, 422, "MachineToMachine"},
		{"app roles put missing", "PUT", "/api/applications/" + m2m.ID + "/roles", map[string]any{}, 400, "roleIds"},
		{"app roles delete spa", "DELETE", "/api/applications/" + spa.ID + "/roles/" + m2mRole.ID, nil, 422, "MachineToMachine"},

		// Resources.
		{"res no name", "POST", "/api/resources", map[string]any{"indicator": "https://a.example"}, 400, "name"},
		{"res no indicator", "POST", "/api/resources", map[string]any{"name": "a"}, 400, "indicator"},
		{"res relative indicator", "POST", "/api/resources", map[string]any{"name": "a", "indicator": "/api"}, 400, "indicator"},
		{"res no host", "POST", "/api/resources", map[string]any{"name": "a", "indicator": "urn:example:api"}, 400, "indicator"},
		{"res fragment", "POST", "/api/resources", map[string]any{"name": "a", "indicator": "https://a.example/#x"}, 400, "fragment"},
		{"res space", "POST", "/api/resources", map[string]any{"name": "a", "indicator": "https://a.example/ x"}, 400, "indicator"},
		{"res long indicator", "POST", "/api/resources", map[string]any{"name": "a", "indicator": "https://a.example/" + long(240)}, 400, "indicator"},
		{"res NUL indicator", "POST", "/api/resources", map[string]any{"name": "a", "indicator": "https://a.example/\x00"}, 400, "indicator"},
		{"res ttl zero", "POST", "/api/resources", map[string]any{"name": "a", "indicator": "https://a.example", "accessTokenTtl": 0}, 400, "accessTokenTtl"},
		{"res ttl negative", "POST", "/api/resources", map[string]any{"name": "a", "indicator": "https://a.example", "accessTokenTtl": -5}, 400, "accessTokenTtl"},
		{"res ttl huge", "POST", "/api/resources", map[string]any{"name": "a", "indicator": "https://a.example", "accessTokenTtl": 86400*30 + 1}, 400, "accessTokenTtl"},
		{"res ttl overflow", "POST", "/api/resources", `{"name":"a","indicator":"https://a.example","accessTokenTtl":1e30}`, 400, "accessTokenTtl"},
		{"res ttl fraction", "POST", "/api/resources", `{"name":"a","indicator":"https://a.example","accessTokenTtl":1.5}`, 400, "accessTokenTtl"},
		{"res dup indicator", "POST", "/api/resources", map[string]any{"name": "a", "indicator": "https://shop.example"}, 422, "indicator"},
		{"res unknown field", "POST", "/api/resources", map[string]any{"name": "a", "indicator": "https://b.example", "isDefault": true}, 400, "isDefault"},
		{"res patch indicator", "PATCH", "/api/resources/" + res.ID, map[string]any{"indicator": "https://new.example"}, 400, "indicator"},
		{"res patch ttl", "PATCH", "/api/resources/" + res.ID, map[string]any{"accessTokenTtl": 0}, 400, "accessTokenTtl"},
		{"res is-default missing", "PATCH", "/api/resources/" + res.ID + "/is-default", map[string]any{}, 400, "isDefault"},
		{"res is-default string", "PATCH", "/api/resources/" + res.ID + "/is-default", map[string]any{"isDefault": "yes"}, 400, "isDefault"},
		{"res is-default unknown", "PATCH", "/api/resources/missing/is-default", map[string]any{"isDefault": true}, 404, "resource"},

		// Scopes.
		{"scope no name", "POST", "/api/resources/" + res.ID + "/scopes", map[string]any{"description": "d"}, 400, "name"},
		{"scope space", "POST", "/api/resources/" + res.ID + "/scopes", map[string]any{"name": "read products"}, 400, "whitespace"},
		{"scope tab", "POST", "/api/resources/" + res.ID + "/scopes", map[string]any{"name": "read\tproducts"}, 400, "name"},
		{"scope long", "POST", "/api/resources/" + res.ID + "/scopes", map[string]any{"name": long(257)}, 400, "name"},
		{"scope long description", "POST", "/api/resources/" + res.ID + "/scopes", map[string]any{"name": "a", "description": long(1025)}, 400, "description"},
		{"scope dup", "POST", "/api/resources/" + res.ID + "/scopes", map[string]any{"name": "read:products"}, 422, "name"},
		{"scope same name other resource", "POST", "/api/resources/" + other.ID + "/scopes", map[string]any{"name": "read:products"}, 201, ""},
		{"scope unknown resource", "POST", "/api/resources/missing/scopes", map[string]any{"name": "a"}, 404, "resource"},
		{"scope rename dup", "PATCH", "/api/resources/" + res.ID + "/scopes/" + sc.ID, map[string]any{"name": "write:products"}, 422, "name"},
		{"scope of other resource", "PATCH", "/api/resources/" + res.ID + "/scopes/" + otherScope.ID, map[string]any{"name": "y"}, 404, "scope"},
		{"scope delete other resource", "DELETE", "/api/resources/" + res.ID + "/scopes/" + otherScope.ID, nil, 404, "scope"},
		{"scope delete unknown", "DELETE", "/api/resources/" + res.ID + "/scopes/missing", nil, 404, "scope"},

		// Roles.
		{"role no name", "POST", "/api/roles", map[string]any{"description": "d"}, 400, "name"},
		{"role no description", "POST", "/api/roles", map[string]any{"name": "r"}, 400, "description"},
		{"role bad type", "POST", "/api/roles", map[string]any{"name": "r", "description": "d", "type": "Admin"}, 400, "type"},
		{"role dup", "POST", "/api/roles", map[string]any{"name": "m2m role", "description": "d"}, 422, "name"},
		{"role unknown scope", "POST", "/api/roles", map[string]any{"name": "new", "description": "d", "scopeIds": []string{sc.ID, "missing"}}, 404, "missing"},
		{"role long description", "POST", "/api/roles", map[string]any{"name": "r", "description": long(1025)}, 400, "description"},
		{"role patch dup", "PATCH", "/api/roles/" + userRole.ID, map[string]any{"name": "m2m role"}, 422, "name"},
		{"role patch type", "PATCH", "/api/roles/" + userRole.ID, map[string]any{"type": "MachineToMachine"}, 400, "type"},
		{"role list bad type", "GET", "/api/roles?type=Robot", nil, 400, "type"},
		{"role scopes empty", "POST", "/api/roles/" + m2mRole.ID + "/scopes", map[string]any{"scopeIds": []string{}}, 400, "scopeIds"},
		{"role scopes unknown", "POST", "/api/roles/" + m2mRole.ID + "/scopes", map[string]any{"scopeIds": []string{"missing"}}, 404, "missing"},
		{"role scopes unknown role", "POST", "/api/roles/missing/scopes", map[string]any{"scopeIds": []string{sc.ID}}, 404, "role"},
		{"role apps user role", "POST", "/api/roles/" + userRole.ID + "/applications", map[string]any{"applicationIds": []string{m2m.ID}}, 422, "MachineToMachine"},
		{"role apps spa", "POST", "/api/roles/" + m2mRole.ID + "/applications", map[string]any{"applicationIds": []string{spa.ID}}, 422, "MachineToMachine"},
		{"role apps unknown app", "POST", "/api/roles/" + m2mRole.ID + "/applications", map[string]any{"applicationIds": []string{"missing"}}, 404, "missing"},
		{"role apps empty", "POST", "/api/roles/" + m2mRole.ID + "/applications", map[string]any{"applicationIds": []string{}}, 400, "applicationIds"},

		// Keys.
		{"rotate bad alg", "POST", "/api/configs/oidc/private-keys/rotate", map[string]any{"signingKeyAlgorithm": "HS256"}, 400, "signingKeyAlgorithm"},
		{"rotate unknown field", "POST", "/api/configs/oidc/private-keys/rotate", map[string]any{"alg": "ES256"}, 400, "alg"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.changes.Load()
			r := e.do(tc.method, tc.path, tc.body)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.status < 400 {
				return
			}
			m := r.errBody(t)
			if !strings.Contains(m["message"], tc.msg) {
				t.Errorf("message %q does not mention %q", m["message"], tc.msg)
			}
			wantCode := map[int]string{400: "request.invalid_input", 404: "entity.not_exists"}[tc.status]
			if msg := m["message"]; tc.status == 404 && (strings.HasPrefix(msg, "application not found") ||
				strings.HasPrefix(msg, "resource not found") || strings.HasPrefix(msg, "role not found")) {
				wantCode = "entity.not_exists_with_id" // Logto's code for an id its findById misses
			}
			if wantCode != "" && m["code"] != wantCode {
				t.Errorf("code %q, want %q", m["code"], wantCode)
			}
			if e.changes.Load() != before {
				t.Error("Changed called after a failed write")
			}
		})
	}
	// A role with unknown scopes was not left behind.
	var roles []roleOutT
	e.do("GET", "/api/roles", nil).want(t, 200, &roles)
	for _, r := range roles {
		if r.Name == "new" {
			t.Error("role created despite an unknown scope")
		}
	}
}

func TestBuiltInResourceIsReadOnly(t *testing.T) {
	e := newEnv(t)
	var list []resourceOutT
	e.do("GET", "/api/resources", nil).want(t, 200, &list)
	if len(list) != 1 || !list[0].IsBuiltIn || list[0].Indicator != testIndicator {
		t.Fatalf("resources = %+v", list)
	}
	id := e.builtinID
	for _, tc := range []struct {
		method, path string
		body         any
	}{
		{"DELETE", "/api/resources/" + id, nil},
		{"PATCH", "/api/resources/" + id, map[string]any{"name": "mine"}},
		{"PATCH", "/api/resources/" + id, map[string]any{"indicator": "https://elsewhere.example"}},
		{"PATCH", "/api/resources/" + id + "/is-default", map[string]any{"isDefault": true}},
		{"POST", "/api/resources/" + id + "/scopes", map[string]any{"name": "extra"}},
		{"PATCH", "/api/resources/" + id + "/scopes/" + e.allScopeID, map[string]any{"name": "everything"}},
		{"DELETE", "/api/resources/" + id + "/scopes/" + e.allScopeID, nil},
	} {
		r := e.do(tc.method, tc.path, tc.body)
		if r.status != 400 {
			t.Errorf("%s %s: status %d, want 400", tc.method, tc.path, r.status)
			continue
		}
		if m := r.errBody(t); !strings.Contains(m["message"], "read-only") {
			t.Errorf("message %q", m["message"])
		}
	}
	if e.changes.Load() != 0 {
		t.Error("Changed called")
	}
	// Its scope can still be granted, which is how clients get access.
	role := e.createRole("admins", "MachineToMachine", e.allScopeID)
	var scopes []scopeOutT
	e.do("GET", "/api/roles/"+role.ID+"/scopes", nil).want(t, 200, &scopes)
	if len(scopes) != 1 || scopes[0].Name != "all" {
		t.Fatalf("role scopes = %+v", scopes)
	}
	e.do("GET", "/api/resources/"+id+"/scopes", nil).want(t, 200, nil)
}

// TestChanged counts Changed calls: one after each successful write, none
// after reads or failures, and a failing Changed still answers success.
func TestChanged(t *testing.T) {
	e := newEnv(t)
	expect := func(n int32, what string) {
		t.Helper()
		if got := e.changes.Swap(0); got != n {
			t.Fatalf("%s: Changed called %d times, want %d", what, got, n)
		}
	}
	app := e.createApp("m", "MachineToMachine")
	expect(1, "create app")
	res := e.createResource("r", "https://r.example")
	expect(1, "create resource")
	sc := e.createScope(res.ID, "s")
	expect(1, "create scope")
	role := e.createRole("role", "MachineToMachine", sc.ID)
	expect(1, "create role with scopes")
	for _, p := range []string{"/api/applications", "/api/applications/" + app.ID, "/api/applications/" + app.ID + "/secrets",
		"/api/resources", "/api/resources/" + res.ID + "/scopes", "/api/roles", "/api/roles/" + role.ID + "/scopes",
		"/api/configs/oidc/private-keys", "/api/swagger.json"} {
		e.do("GET", p, nil).want(t, 200, nil)
	}
	expect(0, "reads")
	e.do("POST", "/api/roles/"+role.ID+"/applications", map[string]any{"applicationIds": []string{app.ID}}).want(t, 201, nil)
	expect(1, "assign")
	e.do("POST", "/api/applications/"+app.ID+"/roles", map[string]any{"roleIds": []string{role.ID}}).want(t, 201, nil)
	expect(0, "assign again: nothing new")
	e.do("POST", "/api/configs/oidc/private-keys/rotate", map[string]any{"signingKeyAlgorithm": "ES256"}).want(t, 200, nil)
	expect(1, "rotate")
	e.do("POST", "/api/resources", map[string]any{"name": "r", "indicator": "https://r.example"}).want(t, 422, nil)
	expect(0, "duplicate")

	// A failing reload is logged; the write still succeeded.
	failure := errors.New("catalog reload broke")
	e.changedErr.Store(&failure)
	e.do("PATCH", "/api/applications/"+app.ID, map[string]any{"name": "renamed"}).want(t, 200, nil)
	expect(1, "patch with a failing Changed")
	if !strings.Contains(e.logs.String(), "catalog reload broke") {
		t.Error("the Changed error was not logged")
	}
	e.changedErr.Store(nil)

	for _, rq := range []req{
		{method: "DELETE", path: "/api/roles/" + role.ID + "/applications/" + app.ID},
		{method: "DELETE", path: "/api/roles/" + role.ID + "/scopes/" + sc.ID},
		{method: "DELETE", path: "/api/resources/" + res.ID + "/scopes/" + sc.ID},
		{method: "DELETE", path: "/api/roles/" + role.ID},
		{method: "DELETE", path: "/api/resources/" + res.ID},
		{method: "DELETE", path: "/api/applications/" + app.ID + "/secrets/Default%20secret"},
		{method: "DELETE", path: "/api/applications/" + app.ID},
	} {
		rq.token = tokAdmin
		e.send(rq).want(t, 204, nil)
		expect(1, rq.method+" "+rq.path)
	}
	// The audit log names the caller.
	if !strings.Contains(e.logs.String(), "sub=admin-app") {
		t.Errorf("audit log lacks the caller: %s", e.logs.String())
	}
}

// TestSecretsNeverLeak checks that secret values appear only in the
// response that created them: not in later responses, not in logs.
func TestSecretsNeverLeak(t *testing.T) {
	e := newEnv(t)
	var values []string
	var apps []appOut
	for _, typ := range []string{"MachineToMachine", "Traditional"} {
		a := e.createApp("app", typ)
		values = append(values, *a.Secret)
		apps = append(apps, a)
		var s secretOutT
		e.do("POST", "/api/applications/"+a.ID+"/secrets", map[string]any{"name": "more"}).want(t, 201, &s)
		values = append(values, *s.Value)
		e.do("PATCH", "/api/applications/"+a.ID+"/secrets/more", map[string]any{"name": "renamed"}).want(t, 200, nil)
	}
	role := e.createRole("r", "MachineToMachine")
	e.do("POST", "/api/roles/"+role.ID+"/applications", map[string]any{"applicationIds": []string{apps[0].ID}}).want(t, 201, nil)
	var bodies []string
	for _, a := range apps {
		for _, p := range []string{"/api/applications", "/api/applications/" + a.ID, "/api/applications/" + a.ID + "/secrets",
			"/api/roles/" + role.ID + "/applications"} {
			bodies = append(bodies, string(e.do("GET", p, nil).want(t, 200, nil).body))
		}
		bodies = append(bodies, string(e.do("PATCH", "/api/applications/"+a.ID, map[string]any{"description": "d"}).want(t, 200, nil).body))
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "management change") {
		t.Fatal("no audit log lines captured")
	}
	for _, v := range values {
		if strings.Contains(logs, v) {
			t.Errorf("logs contain a secret value")
		}
		for _, b := range bodies {
			if strings.Contains(b, v) {
				t.Errorf("a later response contains a secret value: %s", b)
			}
		}
	}
	for _, b := range bodies {
		if strings.Contains(b, `"secret"`) || strings.Contains(b, `"value"`) {
			t.Errorf("a later response has a secret field: %s", b)
		}
	}
}

func TestStoreErrors(t *testing.T) {
	e := newEnv(t, func(s store.Store) store.Store { return failingStore{Store: s, failList: true} })
	for _, rq := range []req{
		{method: "GET", path: "/api/applications"},
		{method: "POST", path: "/api/resources", body: map[string]any{"name": "a", "indicator": "https://a.example"}},
	} {
		rq.token = tokAdmin
		r := e.send(rq).want(t, 500, nil)
		m := r.errBody(t)
		if strings.Contains(string(r.body), "disk on fire") || strings.Contains(string(r.body), "/var/lib") {
			t.Errorf("internal error leaked to the client: %s", r.body)
		}
		if m["message"] != "internal server error" {
			t.Errorf("message %q", m["message"])
		}
		logs := e.logs.String()
		if !strings.Contains(logs, "disk on fire") || !strings.Contains(logs, "path="+rq.path) || !strings.Contains(logs, "method="+rq.method) {
			t.Errorf("the store error was not logged with method and path: %s", logs)
		}
	}
	if e.changes.Load() != 0 {
		t.Error("Changed called after a failed write")
	}

	p := newEnv(t, func(s store.Store) store.Store { return panickyStore{s} })
	r := p.do("GET", "/api/roles/x", nil).want(t, 500, nil)
	r.errBody(t)
	if !strings.Contains(p.logs.String(), "panicked") {
		t.Error("panic not logged")
	}
	// The server is still there.
	p.do("GET", "/api/applications", nil).want(t, 200, nil)
}

func TestKeys(t *testing.T) {
	e := newEnv(t)
	var list []keyOutT
	e.do("GET", "/api/configs/oidc/private-keys", nil).want(t, 200, &list)
	if len(list) != 0 {
		t.Fatalf("keys = %+v", list)
	}
	// No body: keep the current algorithm (the default on a fresh store).
	r := e.send(req{method: "POST", path: "/api/configs/oidc/private-keys/rotate", token: tokAdmin}).want(t, 200, &list)
	if len(list) != 1 || list[0].Status != "Current" || list[0].Algorithm != "ES256" || list[0].CreatedAt == 0 || list[0].ID == "" {
		t.Fatalf("after first rotation: %s", r.body)
	}
	first := list[0].ID
	r = e.do("POST", "/api/configs/oidc/private-keys/rotate", map[string]any{"signingKeyAlgorithm": "EdDSA"}).want(t, 200, &list)
	if len(list) != 2 || list[0].Status != "Current" || list[0].Algorithm != "EdDSA" || list[1].Status != "Previous" || list[1].ID != first {
		t.Fatalf("after second rotation: %s", r.body)
	}
	e.do("POST", "/api/configs/oidc/private-keys/rotate", map[string]any{}).want(t, 200, &list)
	if list[0].Algorithm != "EdDSA" {
		t.Fatalf("rotation without an algorithm changed it: %+v", list)
	}
	r = e.do("GET", "/api/configs/oidc/private-keys", nil).want(t, 200, nil)
	var raw []map[string]any
	must(t, json.Unmarshal(r.body, &raw))
	for _, k := range raw {
		for field := range k {
			if field != "id" && field != "signingKeyAlgorithm" && field != "status" && field != "createdAt" {
				t.Errorf("key has field %q", field)
			}
		}
	}
	stored, err := e.st.ListSigningKeys(context.Background())
	must(t, err)
	for _, k := range stored {
		if strings.Contains(string(r.body), fmt.Sprintf("%x", k.PrivateKey[:8])) {
			t.Error("key material in the listing")
		}
	}
}

// TestOpenAPI checks that the document is valid JSON and describes exactly
// the registered routes.
func TestOpenAPI(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPI(), &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi = %q", doc.OpenAPI)
	}
	s := &server{}
	registered := map[string]bool{}
	for _, rt := range s.routes() {
		method, path, _ := strings.Cut(rt.pattern, " ")
		key := strings.ToLower(method) + " " + path
		registered[key] = true
		if _, ok := doc.Paths[path][strings.ToLower(method)]; !ok {
			t.Errorf("route %s is not in openapi.json", rt.pattern)
		}
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			if !registered[method+" "+path] {
				t.Errorf("openapi.json documents %s %s, which is not served", method, path)
			}
		}
	}
	e := newEnv(t)
	r := e.send(req{method: "GET", path: "/api/swagger.json"}).want(t, 200, nil)
	if string(r.body) != string(openAPI()) || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Error("served document differs")
	}
	if r := e.send(req{method: "HEAD", path: "/api/swagger.json"}); r.status != http.StatusOK || len(r.body) != 0 {
		t.Errorf("HEAD: %d, %d bytes", r.status, len(r.body))
	}
}
