package management

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestListRoutesRefuseUnknownParameters walks every GET route of the route
// table: each that answers a list has a query rule, and refuses a
// parameter it does not read with a 400 naming it; so does a route
// answering one object that has a rule for its flags.
func TestListRoutesRefuseUnknownParameters(t *testing.T) {
	e := newEnv(t)
	app := e.createApp("M", "MachineToMachine")
	res := e.createResource("R", "https://r.example")
	role := e.createRole("R", "MachineToMachine")
	user := e.createUser(map[string]any{"username": "u"})
	hook := e.createHook(map[string]any{"events": []string{"User.Created"}, "config": map[string]any{"url": "https://example.com/h"}})
	org := e.createOrg("O")
	orgRole := e.createOrgRole("R", "User", nil)
	e.do("POST", "/api/organizations/"+org.ID+"/users", map[string]any{"userIds": []string{user.ID}}).want(t, 201, nil)
	e.do("POST", "/api/organizations/"+org.ID+"/applications", map[string]any{"applicationIds": []string{app.ID}}).want(t, 201, nil)
	ids := strings.NewReplacer("{id}", "", "{tokenType}", "access-token", "{userId}", user.ID, "{applicationId}", app.ID)
	lists := 0
	for _, rt := range (&server{}).routes() {
		method, path, _ := strings.Cut(rt.pattern, " ")
		if method != http.MethodGet || rt.public {
			continue
		}
		id := ""
		switch {
		case strings.HasPrefix(path, "/api/applications/{id}"):
			id = app.ID
		case strings.HasPrefix(path, "/api/resources/{id}"):
			id = res.ID
		case strings.HasPrefix(path, "/api/roles/{id}"):
			id = role.ID
		case strings.HasPrefix(path, "/api/users/{id}"):
			id = user.ID
		case strings.HasPrefix(path, "/api/hooks/{id}"):
			id = hook.ID
		case strings.HasPrefix(path, "/api/organizations/{id}"):
			id = org.ID
		case strings.HasPrefix(path, "/api/organization-roles/{id}"):
			id = orgRole.ID
		}
		path = strings.ReplaceAll(ids.Replace(strings.Replace(path, "{id}", id+"{id}", 1)), "{name}", "x")
		r := e.do("GET", path, nil)
		var list []json.RawMessage
		isList := r.status == 200 && json.Unmarshal(r.body, &list) == nil
		if !isList {
			// A route answering one object may read flags (whole: no
			// pagination), and then refuses any other parameter too.
			if rt.query != nil && !rt.query.whole {
				t.Errorf("%s has a list's query rule but answers %d %.80s", rt.pattern, r.status, r.body)
			}
			if rt.query != nil {
				if r := e.do("GET", path+"?nonsense=1", nil); r.status != 400 || !strings.Contains(r.errBody(t)["message"], "`nonsense`") {
					t.Errorf("GET %s?nonsense=1: %d %s, want 400 naming it", path, r.status, r.body)
				}
			}
			continue
		}
		lists++
		if rt.query == nil {
			t.Errorf("%s answers a list but has no query rule", rt.pattern)
			continue
		}
		for _, q := range []string{"?nonsense=1", "?page=1&nonsense=", "?search.x.y=1&unknownFilter=a"} {
			r := e.do("GET", path+q, nil)
			if r.status != 400 {
				t.Errorf("GET %s%s: %d, want 400", path, q, r.status)
				continue
			}
			m := r.errBody(t)
			if m["code"] != "request.invalid_input" || !strings.Contains(m["message"], "`nonsense`") && !strings.Contains(m["message"], "`search.x.y`") && !strings.Contains(m["message"], "`unknownFilter`") {
				t.Errorf("GET %s%s: %v", path, q, m)
			}
		}
		// The lists Logto answers whole refuse pagination too.
		if rt.query.whole {
			if r := e.do("GET", path+"?page=1", nil); r.status != 400 {
				t.Errorf("GET %s?page=1: %d, want 400", path, r.status)
			}
		}
	}
	if lists < 14 {
		t.Errorf("only %d list routes found", lists)
	}
}

func TestPaginationLinks(t *testing.T) {
	e := newEnv(t)
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		e.createRole("role "+n, "User")
	}
	host := strings.TrimPrefix(e.srv.URL, "http://")
	for _, tc := range []struct {
		query, total string
		links        []string
	}{
		{"", "6", []string{`</api/roles?page=1>; rel="first"`, `</api/roles?page=1>; rel="last"`}},
		{"?page_size=2", "6", []string{`</api/roles?page_size=2&page=1>; rel="first"`, `</api/roles?page_size=2&page=3>; rel="last"`, `</api/roles?page_size=2&page=2>; rel="next"`}},
		{"?page=2&page_size=2&type=User", "5", []string{`</api/roles?page=1&page_size=2&type=User>; rel="first"`, `</api/roles?page=1&page_size=2&type=User>; rel="prev"`,
			`</api/roles?page=3&page_size=2&type=User>; rel="last"`, `</api/roles?page=3&page_size=2&type=User>; rel="next"`}},
		{"?page=3&page_size=2", "6", []string{`</api/roles?page=1&page_size=2>; rel="first"`, `</api/roles?page=2&page_size=2>; rel="prev"`, `</api/roles?page=3&page_size=2>; rel="last"`}},
		{"?page=9&page_size=2", "6", []string{`</api/roles?page=1&page_size=2>; rel="first"`, `</api/roles?page=8&page_size=2>; rel="prev"`, `</api/roles?page=3&page_size=2>; rel="last"`}},
		{"?type=MachineToMachine", "1", []string{`</api/roles?type=MachineToMachine&page=1>; rel="first"`, `</api/roles?type=MachineToMachine&page=1>; rel="last"`}},
	} {
		r := e.do("GET", "/api/roles"+tc.query, nil).want(t, 200, nil)
		if got := r.header.Get("Total-Number"); got != tc.total {
			t.Errorf("GET /api/roles%s: Total-Number %q, want %q", tc.query, got, tc.total)
		}
		got := r.header.Values("Link")
		want := make([]string, len(tc.links))
		for i, l := range tc.links {
			want[i] = "<http://" + host + l[1:]
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("GET /api/roles%s: Link\n%s\nwant\n%s", tc.query, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	// Optional pagination: no page asked, every row and no Link.
	for i := range 25 {
		e.createApp("app "+string(rune('a'+i)), "SPA")
	}
	var apps []appOut
	r := e.do("GET", "/api/applications", nil).want(t, 200, &apps)
	if len(apps) != 25 || len(r.header.Values("Link")) != 0 {
		t.Errorf("GET /api/applications: %d apps, Link %v", len(apps), r.header.Values("Link"))
	}
	r = e.do("GET", "/api/applications?page_size=10", nil).want(t, 200, &apps)
	if len(apps) != 10 || len(r.header.Values("Link")) != 3 || r.header.Get("Total-Number") != "25" {
		t.Errorf("GET /api/applications?page_size=10: %d apps, Link %v", len(apps), r.header.Values("Link"))
	}
	// Mandatory pagination keeps its default of 20.
	for i := range 20 {
		e.createUser(map[string]any{"username": "user_" + string(rune('a'+i))})
	}
	var users []userOutT
	e.do("GET", "/api/users", nil).want(t, 200, &users)
	if len(users) != 20 {
		t.Errorf("GET /api/users: %d users, want 20", len(users))
	}
	// A bad page is Logto's guard.invalid_pagination.
	e.wantRefused(t, "/api/users", "guard.invalid_pagination", "page=0", "page_size=101", "page=x", "page_size=-1")
}

func TestResourcesIncludeScopes(t *testing.T) {
	e := newEnv(t)
	res := e.createResource("R", "https://r.example")
	e.createScope(res.ID, "read")
	e.createScope(res.ID, "write")
	empty := e.createResource("E", "https://e.example")
	type item struct {
		ID     string             `json:"id"`
		Scopes *[]json.RawMessage `json:"scopes"`
	}
	var list []item
	e.do("GET", "/api/resources", nil).want(t, 200, &list)
	for _, it := range list {
		if it.Scopes != nil {
			t.Errorf("resource %s has scopes without includeScopes", it.ID)
		}
	}
	for _, q := range []string{"?includeScopes=true", "?includeScopes=1&page=1"} {
		list = nil
		r := e.do("GET", "/api/resources"+q, nil).want(t, 200, &list)
		found := 0
		for _, it := range list {
			switch it.ID {
			case res.ID:
				found++
				if it.Scopes == nil || len(*it.Scopes) != 2 {
					t.Errorf("%s: resource R scopes %v", q, it.Scopes)
				}
			case empty.ID:
				found++
				if it.Scopes == nil || len(*it.Scopes) != 0 {
					t.Errorf("%s: resource E scopes %v", q, it.Scopes)
				}
			}
		}
		if found != 2 || !strings.Contains(string(r.body), `"scopes":[]`) {
			t.Errorf("%s: %s", q, r.body)
		}
	}
	list = nil
	e.do("GET", "/api/resources?includeScopes=false", nil).want(t, 200, &list)
	for _, it := range list {
		if it.Scopes != nil {
			t.Errorf("includeScopes=false: resource %s has scopes", it.ID)
		}
	}
	if r := e.do("GET", "/api/resources?includeScopes=maybe", nil); r.status != 400 || !strings.Contains(r.errBody(t)["message"], "includeScopes") {
		t.Errorf("includeScopes=maybe: %d %s", r.status, r.body)
	}
}

func TestApplicationFilters(t *testing.T) {
	e := newEnv(t)
	m2m := e.createApp("Sync_Job", "MachineToMachine")
	e.createApp("Shop", "SPA")
	e.createApp("Mobile", "Native")
	role := e.createRole("R", "MachineToMachine")
	e.do("POST", "/api/roles/"+role.ID+"/applications", map[string]any{"applicationIds": []string{m2m.ID}}).want(t, 201, nil)
	for _, tc := range []struct{ query, want string }{
		{"types=SPA", "Shop"},
		{"types=SPA&types=Native", "Mobile Shop"},
		{"types=SAML", ""},
		{"types=SAML&types=MachineToMachine", "Sync_Job"},
		{"isThirdParty=true", ""},
		{"isThirdParty=false&types=SPA", "Shop"},
		{"excludeRoleId=" + role.ID + "&types=MachineToMachine", ""},
		{"excludeRoleId=" + role.ID, "Mobile Shop"},
		{"search=%25sync%25", "Sync_Job"},
		{"search=sync_job", "Sync_Job"},
		{"search.name=S%25&types=SPA", "Shop"},
		{"search.description=x", ""},
	} {
		if got := e.listed(t, "/api/applications?"+tc.query, "name"); got != tc.want {
			t.Errorf("GET /api/applications?%s: %q, want %q", tc.query, got, tc.want)
		}
	}
	e.wantRefused(t, "/api/applications", "request.invalid_input", "types=Robot", "isThirdParty=maybe", "search.type=SPA", "search=x&mode=similar_to", "excludeRoleId=%00")
}

func TestScopeSearch(t *testing.T) {
	e := newEnv(t)
	res := e.createResource("R", "https://r.example")
	e.createScope(res.ID, "read:items")
	e.createScope(res.ID, "write:items")
	e.createScope(res.ID, "read_all")
	for _, tc := range []struct {
		query string
		want  int
	}{
		{"", 3}, {"?search=read%25", 2}, {"?search=read_all", 1}, {"?search=readxall", 0},
		{"?search.name=WRITE:ITEMS&mode.name=exact", 1}, {"?search=%25items&page_size=1", 1},
	} {
		var list []scopeOutT
		r := e.do("GET", "/api/resources/"+res.ID+"/scopes"+tc.query, nil).want(t, 200, &list)
		if len(list) != tc.want {
			t.Errorf("scopes%s: %d, want %d (%s)", tc.query, len(list), tc.want, r.header.Get("Total-Number"))
		}
	}
	if r := e.do("GET", "/api/resources/"+res.ID+"/scopes?search.resourceId=x", nil); r.status != 400 {
		t.Errorf("unknown scope search field: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/resources/nope/scopes?search=x", nil); r.status != 404 {
		t.Errorf("missing resource: %d %s", r.status, r.body)
	}
}

// TestEveryRouteRefusesUnknownParameters sends a parameter no route reads
// to every route of the table, whatever its method: each refuses it with a
// 400 naming it before doing anything, so that none is silently ignored.
func TestEveryRouteRefusesUnknownParameters(t *testing.T) {
	e := newEnv(t)
	params := regexp.MustCompile(`\{[^}]+\}`)
	n := 0
	for _, rt := range (&server{}).routes() {
		if rt.public {
			continue
		}
		method, path, _ := strings.Cut(rt.pattern, " ")
		path = params.ReplaceAllString(path, "x")
		r := e.do(method, path+"?nonsense=1", nil)
		if r.status != 400 || r.errBody(t)["code"] != "request.invalid_input" || !strings.Contains(r.errBody(t)["message"], "`nonsense`") {
			t.Errorf("%s %s?nonsense=1: %d %s, want 400 naming it", method, path, r.status, r.body)
		}
		n++
	}
	if n < 60 {
		t.Fatalf("only %d routes walked", n)
	}
}
