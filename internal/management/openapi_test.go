package management

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/monban/monban/internal/directory"
)

// openAPIParam is a parameter of the document, a $ref resolved.
type openAPIParam struct {
	Ref     string `json:"$ref"`
	Name    string `json:"name"`
	In      string `json:"in"`
	Explode *bool  `json:"explode"`
	Schema  struct {
		Type       string                     `json:"type"`
		Properties map[string]json.RawMessage `json:"properties"`
	} `json:"schema"`
}

// documentedQuery returns the query parameter names the document gives
// an operation: a parameter's name, or for an exploded object each of its
// properties (how search.<field> and mode.<field> are described).
func documentedQuery(t *testing.T, doc map[string]any, op map[string]any) []string {
	t.Helper()
	raw, _ := json.Marshal(op["parameters"])
	var params []openAPIParam
	must(t, json.Unmarshal(raw, &params))
	comps, _ := doc["components"].(map[string]any)["parameters"].(map[string]any)
	var names []string
	for _, p := range params {
		if p.Ref != "" {
			c, ok := comps[strings.TrimPrefix(p.Ref, "#/components/parameters/")]
			if !ok {
				t.Fatalf("unresolved %s", p.Ref)
			}
			raw, _ := json.Marshal(c)
			must(t, json.Unmarshal(raw, &p))
		}
		if p.In != "query" {
			continue
		}
		if p.Schema.Type == "object" && p.Explode != nil && *p.Explode {
			for name := range p.Schema.Properties {
				names = append(names, name)
			}
			continue
		}
		names = append(names, p.Name)
	}
	sort.Strings(names)
	return names
}

// Every query parameter a list route's rule accepts is in the OpenAPI
// document, on that operation, and the document offers none the rule
// refuses: the two cannot drift apart.
func TestOpenAPIQueryParameters(t *testing.T) {
	var doc map[string]any
	must(t, json.Unmarshal(openAPI(), &doc))
	paths := doc["paths"].(map[string]any)
	s := &server{}
	for _, rt := range s.routes() {
		if rt.query == nil {
			continue
		}
		q := *rt.query
		method, path, _ := strings.Cut(rt.pattern, " ")
		op, _ := paths[path].(map[string]any)[strings.ToLower(method)].(map[string]any)
		if op == nil {
			t.Errorf("%s is not in the document", rt.pattern)
			continue
		}
		got := documentedQuery(t, doc, op)
		// Optional pagination is told apart: its page parameters say that
		// without them every row is answered.
		raw, _ := json.Marshal(op["parameters"])
		if optional := strings.Contains(string(raw), "/pageOptional"); optional != q.optional {
			t.Errorf("%s: pagination optional %v, documented as optional %v", rt.pattern, q.optional, optional)
		}
		want := slices.Clone(q.params)
		if !q.whole {
			want = append(want, "page", "page_size")
		}
		if q.search {
			want = append(want, "search", "mode", "joint", "jointMode", "isCaseSensitive")
		}
		for _, name := range want {
			if !slices.Contains(got, name) {
				t.Errorf("%s: query parameter %s is accepted but not documented", rt.pattern, name)
			}
		}
		fields := 0
		for _, name := range got {
			accepted := slices.Contains(want, name) || q.search && directory.SearchParams(name)
			if !accepted {
				t.Errorf("%s: query parameter %s is documented but refused", rt.pattern, name)
			}
			if strings.HasPrefix(name, "search.") {
				fields++
			}
		}
		if q.search && fields == 0 {
			t.Errorf("%s: no search.<field> documented", rt.pattern)
		}
	}
}

// Every request body field the document offers is one the route reads:
// sent alone, it may be refused for its value or for what is missing, but
// never as an unknown field. (The other way, a field read but not
// documented, is for the reviewer of a new field.)
func TestOpenAPIBodyFields(t *testing.T) {
	var doc map[string]any
	must(t, json.Unmarshal(openAPI(), &doc))
	e := newEnv(t)
	app := e.createApp("Doc app", "MachineToMachine")
	res := e.createResource("Doc API", "https://doc.example.com")
	sc := e.createScope(res.ID, "read:doc")
	role := e.createRole("Doc role", "User")
	user := e.createUser(map[string]any{"username": "doc_user"})
	var secrets []map[string]any
	e.do("GET", "/api/applications/"+app.ID+"/secrets", nil).want(t, 200, &secrets)
	ids := map[string]string{"/api/applications/": app.ID, "/api/resources/": res.ID, "/api/roles/": role.ID, "/api/users/": user.ID}
	fill := func(path string) string {
		for prefix, id := range ids {
			if strings.HasPrefix(path, prefix) {
				path = strings.Replace(path, "{id}", id, 1)
			}
		}
		return strings.NewReplacer("{scopeId}", sc.ID, "{name}", secrets[0]["name"].(string), "{target}", "github",
			"{tokenType}", "access-token").Replace(path)
	}
	n := 0
	for path, ops := range doc["paths"].(map[string]any) {
		for method, op := range ops.(map[string]any) {
			o, _ := op.(map[string]any) // not the path's parameters
			body, _ := o["requestBody"].(map[string]any)
			if body == nil {
				continue
			}
			content, _ := body["content"].(map[string]any)["application/json"].(map[string]any)
			schema, _ := content["schema"].(map[string]any)
			if ref, ok := schema["$ref"].(string); ok {
				schema = doc["components"].(map[string]any)["schemas"].(map[string]any)[strings.TrimPrefix(ref, "#/components/schemas/")].(map[string]any)
			}
			props, _ := schema["properties"].(map[string]any)
			for field := range props {
				r := e.do(strings.ToUpper(method), fill(path), map[string]any{field: nil})
				if r.status == 400 && strings.Contains(string(r.body), "unknown field") {
					t.Errorf("%s %s: documented field %s is refused: %s", strings.ToUpper(method), path, field, r.body)
				}
				n++
			}
		}
	}
	if n < 50 {
		t.Errorf("only %d body fields checked", n)
	}
}
