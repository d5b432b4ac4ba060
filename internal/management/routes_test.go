package management

import (
	"regexp"
	"strings"
	"testing"

	"github.com/monban/monban/internal/catalog"
)

// publicRoutes are the only routes served without a token.
var publicRoutes = map[string]bool{
	"GET /api/swagger.json": true,
	"GET /api/status":       true, // Logto's health check is anonymous
}

// publicStatus is what a public route answers without a token.
var publicStatus = map[string]int{"GET /api/swagger.json": 200, "GET /api/status": 204}

// TestEveryRouteIsProtected walks the route table itself, so that a route
// added later, or one flagged public by mistake, is caught: every route but
// publicRoutes refuses a request without a token (401), with a token
// lacking scope all (403), and from a caller that no longer exists (401)
// or no longer holds the permission (403). The handler never runs.
func TestEveryRouteIsProtected(t *testing.T) {
	e := newEnv(t)
	routes := (&server{}).routes()
	if len(routes) < 50 {
		t.Fatalf("only %d routes in the table", len(routes))
	}
	param := regexp.MustCompile(`\{[^}]+\}`)
	gone, lacks := catalog.Gone, catalog.Lacks
	for _, rt := range routes {
		method, path, _ := strings.Cut(rt.pattern, " ")
		path = param.ReplaceAllString(path, "p1")
		if rt.public != publicRoutes[rt.pattern] {
			t.Errorf("%s: public = %v; the allow-list says %v", rt.pattern, rt.public, publicRoutes[rt.pattern])
		}
		if publicRoutes[rt.pattern] {
			e.standing.Store(nil)
			if r := e.send(req{method: method, path: path}); r.status != publicStatus[rt.pattern] {
				t.Errorf("%s (public) without a token: %d %s", rt.pattern, r.status, r.body)
			}
			continue
		}
		var body any
		if method == "POST" || method == "PUT" || method == "PATCH" {
			body = map[string]any{"password": "secret", "name": "x"}
		}
		for _, tc := range []struct {
			name     string
			token    string
			standing *catalog.Standing
			status   int
			code     string
		}{
			{"no token", "", nil, 401, "auth.unauthorized"},
			{"bad token", "not-a-known-token", nil, 401, "auth.unauthorized"},
			{"token without scope all", tokNoScope, nil, 403, "auth.forbidden"},
			{"caller gone", tokAdmin, &gone, 401, "auth.unauthorized"},
			{"caller lost the permission", tokAdmin, &lacks, 403, "auth.forbidden"},
		} {
			e.standing.Store(tc.standing)
			before := e.changes.Load()
			r := e.send(req{method: method, path: path, body: body, token: tc.token})
			if r.status != tc.status {
				t.Errorf("%s, %s: status %d, want %d: %s", rt.pattern, tc.name, r.status, tc.status, r.body)
				continue
			}
			if m := r.errBody(t); m["code"] != tc.code {
				t.Errorf("%s, %s: code %q, want %q", rt.pattern, tc.name, m["code"], tc.code)
			}
			if r.header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s, %s: no WWW-Authenticate", rt.pattern, tc.name)
			}
			if e.changes.Load() != before {
				t.Errorf("%s, %s: a refused request changed something", rt.pattern, tc.name)
			}
		}
	}
	e.standing.Store(nil)
	e.auditMu.Lock()
	defer e.auditMu.Unlock()
	if len(e.audits) != 0 {
		t.Errorf("refused requests were audited: %+v", e.audits)
	}
}
