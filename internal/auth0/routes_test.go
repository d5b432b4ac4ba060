package auth0_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/monban/monban/internal/auth0"
	"github.com/monban/monban/internal/directory"
)

// Every route's scopes are ones the v2 resource defines.
func TestRouteScopesAreSeeded(t *testing.T) {
	seeded := allScopes()
	for pattern, scopes := range auth0.Routes() {
		for _, sc := range scopes {
			if !slices.Contains(seeded, sc) {
				t.Errorf("%s accepts %s, which the v2 resource does not define", pattern, sc)
			}
		}
	}
	if len(directory.ManagementV2Scopes) < 30 {
		t.Errorf("only %d scopes seeded", len(directory.ManagementV2Scopes))
	}
}

// Walk the route table: without a token 401, with a token for another
// audience 401, with a token holding every scope but the route's 403
// insufficient_scope.
func TestScopeEnforcement(t *testing.T) {
	ts := start(t, nil)
	logto := ts.token(bootID, bootSecret, ts.URL+"/api", "all")
	for pattern, scopes := range auth0.Routes() {
		method, path, _ := strings.Cut(pattern, " ")
		path = strings.NewReplacer("{id}", "auth0|x").Replace(path)
		if len(scopes) == 0 {
			if r := ts.api("", method, path, nil); r.Status != 200 {
				t.Errorf("%s public: %d", pattern, r.Status)
			}
			continue
		}
		r := ts.api("", method, path, nil)
		wantError(t, r, http.StatusUnauthorized, "")
		if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s without a token: WWW-Authenticate %q", pattern, r.Header.Get("WWW-Authenticate"))
		}
		wantError(t, ts.api(logto, method, path, nil), http.StatusUnauthorized, "invalid_token")
		wantError(t, ts.api("not.a.token", method, path, nil), http.StatusUnauthorized, "invalid_token")

		var others []string
		for _, sc := range allScopes() {
			if !slices.Contains(scopes, sc) {
				others = append(others, sc)
			}
		}
		tok := ts.token(bootID, bootSecret, ts.V2, others...)
		m := wantError(t, ts.api(tok, method, path, nil), http.StatusForbidden, "insufficient_scope")
		if !strings.Contains(m["message"].(string), scopes[0]) {
			t.Errorf("%s: message %q does not name %s", pattern, m["message"], scopes[0])
		}
		// One of the route's scopes alone is enough to get past the check.
		one := ts.token(bootID, bootSecret, ts.V2, scopes[len(scopes)-1])
		if r := ts.api(one, method, path, nil); r.Status == 401 || r.Status == 403 {
			t.Errorf("%s with %s: %d %s", pattern, scopes[len(scopes)-1], r.Status, r.Body)
		}
	}
}

// A caller whose role lost the scope is refused at once, token or not.
func TestStandingIsCheckedNow(t *testing.T) {
	ts := start(t, nil)
	tok := ts.admin()
	ts.must(tok, "GET", "/api/v2/users", nil, 200)
	logto := ts.token(bootID, bootSecret, ts.URL+"/api", "all")
	r := ts.api(logto, "GET", "/api/roles?search=Management%20API%20access", nil)
	var roles []map[string]any
	_ = json.Unmarshal(r.Body, &roles)
	var roleID string
	for _, role := range roles {
		if role["name"] == directory.ManagementRoleName {
			roleID = role["id"].(string)
		}
	}
	if roleID == "" {
		t.Fatalf("no Management API access role: %s", r.Body)
	}
	res := ts.api(logto, "GET", "/api/resources", nil)
	var list []map[string]any
	_ = json.Unmarshal(res.Body, &list)
	var v2ID string
	for _, x := range list {
		if x["indicator"] == ts.V2 {
			v2ID = x["id"].(string)
		}
	}
	scopes := ts.api(logto, "GET", "/api/roles/"+roleID+"/scopes", nil)
	var held []map[string]any
	_ = json.Unmarshal(scopes.Body, &held)
	for _, sc := range held {
		if sc["name"] == "read:users" && sc["resourceId"] == v2ID {
			if r := ts.api(logto, "DELETE", "/api/roles/"+roleID+"/scopes/"+sc["id"].(string), nil); r.Status != 204 {
				t.Fatalf("remove read:users: %d %s", r.Status, r.Body)
			}
		}
	}
	wantError(t, ts.api(tok, "GET", "/api/v2/users", nil), http.StatusForbidden, "insufficient_scope")
	ts.must(tok, "GET", "/api/v2/roles", nil, 200)
}

// The OpenAPI document lists every route with its scopes.
func TestOpenAPIListsEveryRoute(t *testing.T) {
	ts := start(t, nil)
	var doc struct {
		Paths map[string]map[string]struct {
			Scopes []string `json:"x-scopes"`
		} `json:"paths"`
	}
	r := ts.api("", "GET", "/api/v2/swagger.json", nil)
	if r.Status != 200 || json.Unmarshal(r.Body, &doc) != nil {
		t.Fatalf("swagger.json: %d %s", r.Status, r.Body)
	}
	n := 0
	for pattern, scopes := range auth0.Routes() {
		method, path, _ := strings.Cut(pattern, " ")
		op, ok := doc.Paths[path][strings.ToLower(method)]
		if !ok {
			t.Errorf("%s is not in the OpenAPI document", pattern)
			continue
		}
		if !slices.Equal(op.Scopes, scopes) {
			t.Errorf("%s: document says scopes %v, route %v", pattern, op.Scopes, scopes)
		}
		n++
	}
	total := 0
	for _, ops := range doc.Paths {
		total += len(ops)
	}
	if total != n {
		t.Errorf("the document has %d operations, the routes %d", total, n)
	}
}

// Unknown paths and methods answer in Auth0's shape.
func TestNoRoute(t *testing.T) {
	ts := start(t, nil)
	tok := ts.admin()
	wantError(t, ts.api(tok, "GET", "/api/v2/nothing", nil), http.StatusNotFound, "")
	r := ts.api(tok, "PUT", "/api/v2/users", nil)
	wantError(t, r, http.StatusMethodNotAllowed, "")
	if r.Header.Get("Allow") != "GET, POST" {
		t.Errorf("Allow %q", r.Header.Get("Allow"))
	}
}
