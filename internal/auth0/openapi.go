package auth0

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/monban/monban/internal/httpjson"
)

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// openAPI builds this API's OpenAPI 3 document from the route table, so
// that it lists every route with the scopes it accepts and the query
// parameters it takes.
func (s *server) openAPI() map[string]any {
	paths := map[string]any{}
	for _, rt := range s.rts {
		p := strings.TrimSuffix(Prefix, "/") + rt.path
		item, _ := paths[p].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[p] = item
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, name := range rt.query {
			params = append(params, map[string]any{"name": name, "in": "query", "required": false, "schema": map[string]any{"type": "string"}})
		}
		op := map[string]any{
			"summary":   rt.summary,
			"responses": map[string]any{"default": map[string]any{"description": "Auth0's shapes; errors are {statusCode, error, message, errorCode}"}},
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if len(rt.scopes) > 0 {
			var security []any
			for _, sc := range rt.scopes {
				security = append(security, map[string]any{"bearer": []string{sc}})
			}
			op["security"] = security
			op["x-scopes"] = rt.scopes
		} else {
			op["security"] = []any{}
		}
		item[strings.ToLower(rt.method)] = op
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "Monban Management API v2 (Auth0)", "version": "2",
			"description": "Auth0's Management API v2 paths and shapes over Monban's directory. A route accepts a token holding any one of its scopes."},
		"servers": []any{map[string]any{"url": strings.TrimSuffix(s.Identifier, Prefix)}},
		"paths":   paths,
		"components": map[string]any{"securitySchemes": map[string]any{
			"bearer": map[string]any{"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
		}},
	}
}

func (s *server) swagger(w http.ResponseWriter, _ *http.Request) error {
	httpjson.Write(w, http.StatusOK, s.openAPI())
	return nil
}
