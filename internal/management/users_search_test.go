package management

import (
	"net/url"
	"sort"
	"strings"
	"testing"
)

// listed answers the values of key in the items GET path lists, sorted
// and joined by spaces.
func (e *env) listed(t *testing.T, path, key string) string {
	t.Helper()
	var list []map[string]any
	e.do("GET", path, nil).want(t, 200, &list)
	out := make([]string, 0, len(list))
	for _, it := range list {
		if v, ok := it[key].(string); ok {
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// wantRefused checks that GET path?q answers 400 with code, for each q.
func (e *env) wantRefused(t *testing.T, path, code string, queries ...string) {
	t.Helper()
	for _, q := range queries {
		r := e.do("GET", path+"?"+q, nil)
		if r.status != 400 || r.errBody(t)["code"] != code {
			t.Errorf("GET %s?%.60s: %d %s", path, q, r.status, r.body)
		}
	}
}

func TestUserSearch(t *testing.T) {
	e := newEnv(t)
	admin := e.createUser(map[string]any{"username": "admin", "primaryEmail": "admin@example.com", "name": "Administrator"})
	e.createUser(map[string]any{"username": "alice", "primaryEmail": "a@example.com", "name": "Alice A", "primaryPhone": "+15550101"})
	e.createUser(map[string]any{"username": "bob_b", "primaryEmail": "b@example.com", "name": "Bob"})
	e.createUser(map[string]any{"username": "bobxb", "primaryEmail": "Bx@Example.org", "name": "100% Bob"})

	var role struct {
		ID string `json:"id"`
	}
	e.do("POST", "/api/roles", map[string]any{"name": "ops", "description": "ops"}).want(t, 200, &role)
	e.do("POST", "/api/roles/"+role.ID+"/users", map[string]any{"userIds": []string{admin.ID}}).want(t, 201, nil)

	for _, tc := range []struct {
		query string
		want  string
	}{
		// The dangerous one: an exact e-mail answers that user only.
		{"search.primaryEmail=a%40example.com&mode.primaryEmail=exact", "alice"},
		{"search.primaryEmail=A%40EXAMPLE.COM&mode.primaryEmail=exact", "alice"},
		{"search.primaryEmail=A%40EXAMPLE.COM&mode.primaryEmail=exact&isCaseSensitive=true", ""},
		{"search.primaryEmail=a%40example.com&mode=exact", "alice"},
		{"search.primaryEmail=a%40example.com", "alice"}, // like without % is a whole-value match
		{"search.primaryEmail=nobody%40example.com&mode.primaryEmail=exact", ""},
		// Several values for an exact match: any of them.
		{"search.username=alice&search.username=bob_b&mode.username=exact", "alice bob_b"},
		// % is the wildcard; _ is a plain character.
		{"search=%25example.com", "admin alice bob_b"},
		{"search=bob_b", "bob_b"},
		{"search.username=bob_b", "bob_b"},
		{"search.name=100%25%25", "bobxb"},
		{"search.name=%25bob", "bob_b bobxb"},
		{"search.primaryPhone=%2B1555%25", "alice"},
		{"search.id=" + admin.ID + "&mode.id=exact", "admin"},
		// joint: or by default, and when asked.
		{"search.username=alice&search.name=Bob&mode=exact", "alice bob_b"},
		{"search.username=alice&search.name=Bob&mode=exact&joint=or", "alice bob_b"},
		{"search.username=alice&search.name=Bob&mode=exact&joint=and", ""},
		{"search.username=bob%25&search.name=Bob&joint=and", "bob_b"},
		{"search.username=bob%25&search.name=Bob&jointMode=and", "bob_b"},
		// excludeRoleId leaves out the role's holders.
		{"excludeRoleId=" + role.ID, "alice bob_b bobxb"},
		{"excludeRoleId=" + role.ID + "&search=%25admi%25", ""},
		{"search=%25admi%25", "admin"}, // long enough that no random id holds it
		// isCaseSensitive applies to like too, as Logto's ~~ does.
		{"search.name=%25Bob&isCaseSensitive=true", "bob_b bobxb"},
		{"search.name=%25bob&isCaseSensitive=true", ""},
		{"search.name=%25BOB", "bob_b bobxb"},
		{"search.primaryEmail=bx%25&isCaseSensitive=true", ""},
		{"search.primaryEmail=Bx%40Example%25&isCaseSensitive=1", "bobxb"},
		{"search.username=bob_b&isCaseSensitive=true", "bob_b"},
		{"search=al%25&isCaseSensitive=true", "alice"},
		{"search=Al%25&isCaseSensitive=true", "alice"}, // name Alice A
		{"search=AL%25&isCaseSensitive=true", ""},
	} {
		if got := e.listed(t, "/api/users?"+tc.query, "username"); got != tc.want {
			t.Errorf("GET /api/users?%s: %q, want %q", tc.query, got, tc.want)
		}
	}

	// Refusals name what is wrong.
	for _, tc := range []struct{ query, msg string }{
		{"search.nickname=x", "nickname"},
		{"search.customData.plan=x", "nested"},
		{"mode.nickname=exact", "nickname"},
		{"search=x&mode=similar_to", "cannot be bounded"},
		{"search=x&mode.username=posix", "posix"},
		{"search=x&mode=regex", "regex"},
		{"search=x&joint=xor", "xor"},
		{"search=x&isCaseSensitive=maybe", "isCaseSensitive"},
		{"search=", "empty"},
		{"search.username=a&search.username=b", "only one"},
		{"search.username=a&search.username=&mode=exact", "empty"},
		{"excludeRoleId=" + url.QueryEscape("a\x00b"), "excludeRoleId"},
		{"search=" + strings.Repeat("s", 200), "search"},
		{"search.username=" + strings.Repeat("s&search.username=", 101) + "&mode=exact", "too many"},
	} {
		r := e.do("GET", "/api/users?"+tc.query, nil)
		if r.status != 400 {
			t.Errorf("GET /api/users?%.60s: status %d, want 400: %s", tc.query, r.status, r.body)
			continue
		}
		if m := r.errBody(t); m["code"] != "request.invalid_input" || !strings.Contains(m["message"], tc.msg) {
			t.Errorf("GET /api/users?%.60s: %v, want request.invalid_input naming %q", tc.query, m, tc.msg)
		}
	}
}

func TestRoleSearch(t *testing.T) {
	e := newEnv(t)
	app := e.createApp("M", "MachineToMachine")
	user := e.createUser(map[string]any{"username": "jane"})
	other := e.createUser(map[string]any{"username": "john"})
	m2m := e.createRole("Reader_M2M", "MachineToMachine")
	ops := e.createRole("Ops", "User")
	e.createRole("Opsx", "User")
	e.do("POST", "/api/applications/"+app.ID+"/roles", map[string]any{"roleIds": []string{m2m.ID}}).want(t, 201, nil)
	e.do("POST", "/api/roles/"+ops.ID+"/users", map[string]any{"userIds": []string{user.ID, other.ID}}).want(t, 201, nil)
	for _, tc := range []struct{ query, want string }{
		{"type=User", "Ops Opsx"},
		{"search=ops", "Ops"},
		{"search=ops%25", "Ops Opsx"},
		{"search=reader_m2m", "Reader_M2M"},
		{"search=reader%25&type=User", ""},
		{"search.name=OPS&mode.name=exact&isCaseSensitive=true", ""},
		{"search.name=Ops&mode.name=exact&isCaseSensitive=true", "Ops"},
		{"type=User&excludeUserId=" + user.ID, "Opsx"},
		{"type=MachineToMachine&excludeApplicationId=" + app.ID + "&search=%25m2m%25", ""},
		{"excludeApplicationId=" + app.ID + "&search=%25m2m%25", ""},
		{"search=%25m2m%25", "Reader_M2M"},
	} {
		if got := e.listed(t, "/api/roles?"+tc.query, "name"); got != tc.want {
			t.Errorf("GET /api/roles?%s: %q, want %q", tc.query, got, tc.want)
		}
	}
	e.wantRefused(t, "/api/roles", "request.invalid_input", "search.username=x", "type=Robot", "search=x&mode=posix", "excludeUserId=%00")

	// A role's users are searched as the user list is.
	var holders []userOutT
	r := e.do("GET", "/api/roles/"+ops.ID+"/users?search.username=jane&mode.username=exact", nil).want(t, 200, &holders)
	if len(holders) != 1 || holders[0].ID != user.ID || r.header.Get("Total-Number") != "1" {
		t.Errorf("role users search: %s", r.body)
	}
	e.do("GET", "/api/roles/"+ops.ID+"/users?search=j%25", nil).want(t, 200, &holders)
	if len(holders) != 2 {
		t.Errorf("role users j%%: %d", len(holders))
	}
	if r := e.do("GET", "/api/roles/nope/users?search=x", nil); r.status != 404 {
		t.Errorf("missing role's users: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/roles/"+ops.ID+"/users?search.nickname=x", nil); r.status != 400 {
		t.Errorf("role users, unknown field: %d %s", r.status, r.body)
	}
}

// The lists of what a row holds, or is held by, take Logto's search as
// its lists do: a user's and an application's roles, a role's scopes and
// applications. Rows of another row never match; the total counts the
// matches.
func TestLinkedListSearch(t *testing.T) {
	e := newEnv(t)
	api := e.createResource("Orders", "https://orders.example.com")
	scope := func(name, description string) scopeOutT {
		var sc scopeOutT
		e.do("POST", "/api/resources/"+api.ID+"/scopes", map[string]any{"name": name, "description": description}).want(t, 201, &sc)
		return sc
	}
	read := scope("read:orders", "Read the orders")
	write := scope("write:orders", "Change_them")
	scope("read:other", "not given")
	role := e.createRole("Orders reader", "MachineToMachine")
	other := e.createRole("Orders writer", "MachineToMachine")
	e.do("POST", "/api/roles/"+role.ID+"/scopes", map[string]any{"scopeIds": []string{read.ID, write.ID}}).want(t, 201, nil)
	billing := e.createApp("Billing_job", "MachineToMachine")
	e.createApp("Billing report", "MachineToMachine")
	e.do("POST", "/api/roles/"+role.ID+"/applications", map[string]any{"applicationIds": []string{billing.ID}}).want(t, 201, nil)
	e.do("POST", "/api/roles/"+other.ID+"/applications", map[string]any{"applicationIds": []string{billing.ID}}).want(t, 201, nil)
	userRole := e.createRole("Support agent", "User")
	e.createRole("Support lead", "User")
	user := e.createUser(map[string]any{"username": "sam"})
	e.do("POST", "/api/users/"+user.ID+"/roles", map[string]any{"roleIds": []string{userRole.ID}}).want(t, 201, nil)

	// Lists are oldest first, then by id: two scopes made in the same
	// millisecond come in the order of their random ids.
	var scopes []map[string]any
	e.do("GET", "/api/roles/"+role.ID+"/scopes", nil).want(t, 200, &scopes)
	firstScope, _ := scopes[0]["name"].(string)
	for _, tc := range []struct{ path, key, want, total string }{
		{"/api/roles/" + role.ID + "/scopes", "name", "read:orders write:orders", "2"},
		{"/api/roles/" + role.ID + "/scopes?search=read%25", "name", "read:orders", "1"},
		{"/api/roles/" + role.ID + "/scopes?search=read:other", "name", "", "0"},
		{"/api/roles/" + role.ID + "/scopes?search.description=change_them", "name", "write:orders", "1"},
		{"/api/roles/" + role.ID + "/scopes?search.description=change%25&isCaseSensitive=true", "name", "", "0"},
		{"/api/roles/" + role.ID + "/scopes?search.id=" + read.ID + "&search.id=" + write.ID + "&mode=exact&page=1&page_size=1", "name", firstScope, "2"},
		{"/api/roles/" + role.ID + "/applications?search=billing%25", "name", "Billing_job", "1"},
		{"/api/roles/" + role.ID + "/applications?search=billing%20report", "name", "", "0"},
		{"/api/roles/" + role.ID + "/applications?search.id=" + billing.ID + "&mode=exact", "name", "Billing_job", "1"},
		{"/api/applications/" + billing.ID + "/roles?search=%25reader", "name", "Orders reader", "1"},
		{"/api/applications/" + billing.ID + "/roles?search=orders%25", "name", "Orders reader Orders writer", "2"},
		{"/api/applications/" + billing.ID + "/roles?search=orders%25&search.description=x&joint=and", "name", "", "0"},
		{"/api/users/" + user.ID + "/roles?search=support%25", "name", "Support agent", "1"},
		{"/api/users/" + user.ID + "/roles?search=support%20lead", "name", "", "0"},
		{"/api/users/" + user.ID + "/roles?search.name=Support%20agent&mode=exact&isCaseSensitive=true", "name", "Support agent", "1"},
	} {
		path := tc.path
		if !strings.Contains(path, "page=") {
			path += map[bool]string{true: "&", false: "?"}[strings.Contains(path, "?")] + "page=1"
		}
		r := e.do("GET", path, nil)
		if got := e.listed(t, tc.path, tc.key); got != tc.want || r.header.Get("Total-Number") != tc.total {
			t.Errorf("GET %s: %q (Total-Number %s), want %q (%s)", tc.path, got, r.header.Get("Total-Number"), tc.want, tc.total)
		}
	}
	// A role's scopes stay unpaginated without page and page_size, as in
	// Logto, searched or not: every match, and no Total-Number or Link.
	var all []scopeOutT
	if r := e.do("GET", "/api/roles/"+role.ID+"/scopes?search=%25orders", nil).want(t, 200, &all); len(all) != 2 ||
		r.header.Get("Link") != "" || r.header.Get("Total-Number") != "" {
		t.Errorf("role scopes search: Link %q, Total-Number %q", r.header.Get("Link"), r.header.Get("Total-Number"))
	}
	for _, path := range []string{"/api/roles/" + role.ID + "/scopes", "/api/roles/" + role.ID + "/applications",
		"/api/applications/" + billing.ID + "/roles", "/api/users/" + user.ID + "/roles"} {
		e.wantRefused(t, path, "request.invalid_input", "search.username=x", "search=x&mode=posix", "search=", "search.name.x=1", "joint=xor")
	}
	for _, path := range []string{"/api/roles/nope/scopes?search=x", "/api/roles/nope/applications?search=x",
		"/api/applications/nope/roles?search=x", "/api/users/nope/roles?search=x"} {
		if r := e.do("GET", path, nil); r.status != 404 {
			t.Errorf("GET %s: %d %s", path, r.status, r.body)
		}
	}
}
