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
		{"excludeRoleId=" + role.ID + "&search=%25ad%25", ""},
		{"search=%25ad%25", "admin"},
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
		{"search=x&mode=similar_to", "similar_to"},
		{"search=x&mode=posix", "posix"},
		{"search=x&mode=regex", "regex"},
		{"search=x&joint=xor", "xor"},
		{"search=x&isCaseSensitive=maybe", "isCaseSensitive"},
		{"search=x&isCaseSensitive=true", "exact"},
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
