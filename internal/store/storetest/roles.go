package storetest

import (
	"context"
	"testing"

	"github.com/monban/monban/internal/store"
)

// roleCases are the conformance tests of store.RoleStore, and of the
// cascades of deleting what roles link to.
var roleCases = []testCase{
	{"Roles", testRoles},
	{"RoleScopes", testRoleScopes},
	{"RoleApplications", testRoleApplications},
	{"RoleSearch", testRoleSearch},
	{"RoleScopeSearch", testRoleScopeSearch},
	{"CaseSensitiveLike", testCaseSensitiveLike},
	{"RoleHolders", testRoleHolders},
	{"Cascades", testCascades},
	{"DefaultRoles", testDefaultRoles},
}

func testDefaultRoles(t *testing.T, s store.Store) {
	ctx := t.Context()
	none, err := s.ListDefaultRoles(ctx, store.RoleUser)
	ok(t, err, "ListDefaultRoles empty")
	if len(none) != 0 {
		t.Fatalf("ListDefaultRoles on an empty store = %v", none)
	}
	var want []store.Role
	for i, tc := range []struct {
		id        string
		typ       store.RoleType
		isDefault bool
	}{{"d2", store.RoleUser, true}, {"n1", store.RoleUser, false}, {"m1", store.RoleMachineToMachine, true}, {"d1", store.RoleUser, true}} {
		r := role(tc.id, i+1)
		r.Type, r.IsDefault = tc.typ, tc.isDefault
		must(t, s.CreateRole(ctx, r))
		if tc.typ == store.RoleUser && tc.isDefault {
			want = append(want, r)
		}
	}
	got, err := s.ListDefaultRoles(ctx, store.RoleUser)
	ok(t, err, "ListDefaultRoles")
	same(t, "ListDefaultRoles User", got, want)
	m2m, err := s.ListDefaultRoles(ctx, store.RoleMachineToMachine)
	ok(t, err, "ListDefaultRoles MachineToMachine")
	if len(m2m) != 1 || m2m[0].ID != "m1" {
		t.Fatalf("ListDefaultRoles MachineToMachine = %v, want m1", m2m)
	}
}

func testRoles(t *testing.T, s store.Store) {
	ctx := t.Context()
	r := role("ro1", 1)
	ok(t, s.CreateRole(ctx, r), "CreateRole")
	got, err := s.GetRole(ctx, "ro1")
	ok(t, err, "GetRole")
	same(t, "GetRole", got, r)
	_, err = s.GetRole(ctx, "missing")
	wantErr(t, err, store.ErrNotFound, "GetRole missing")

	sameName := role("ro2", 2)
	sameName.Name = r.Name
	wantErr(t, s.CreateRole(ctx, sameName), store.ErrConflict, "CreateRole with a used name")
	wantErr(t, s.CreateRole(ctx, role("ro1", 3)), store.ErrConflict, "CreateRole with a used id")

	user := role("ro2", 2)
	user.Type = store.RoleUser
	must(t, s.CreateRole(ctx, user))
	must(t, s.CreateRole(ctx, role("ro3", 3)))

	// Only the name, description and default mark change.
	upd := store.Role{ID: "ro1", Name: "admin", Description: "administers", Type: store.RoleUser, CreatedAt: at(9), IsDefault: true}
	ok(t, s.UpdateRole(ctx, upd), "UpdateRole")
	got, err = s.GetRole(ctx, "ro1")
	ok(t, err, "GetRole after update")
	want := r
	want.Name, want.Description, want.IsDefault = "admin", "administers", true
	same(t, "GetRole after update", got, want)
	upd = role("ro3", 3)
	upd.Name = "admin"
	wantErr(t, s.UpdateRole(ctx, upd), store.ErrConflict, "UpdateRole to a used name")
	wantErr(t, s.UpdateRole(ctx, role("missing", 1)), store.ErrNotFound, "UpdateRole missing")

	for _, tc := range []struct {
		filter store.RoleFilter
		page   store.Page
		want   []string
		total  int
	}{
		{store.RoleFilter{}, store.Page{}, []string{"ro1", "ro2", "ro3"}, 3},
		{store.RoleFilter{}, store.Page{Offset: 1, Limit: 1}, []string{"ro2"}, 3},
		{store.RoleFilter{Type: store.RoleMachineToMachine}, store.Page{}, []string{"ro1", "ro3"}, 2},
		{store.RoleFilter{Type: store.RoleMachineToMachine}, store.Page{Offset: 1}, []string{"ro3"}, 2},
		{store.RoleFilter{Type: store.RoleUser}, store.Page{}, []string{"ro2"}, 1},
	} {
		list, total, err := s.ListRoles(ctx, tc.filter, tc.page)
		ok(t, err, "ListRoles")
		same(t, "ListRoles ids", ids(list), tc.want)
		if total != tc.total {
			t.Errorf("ListRoles(%+v, %+v) total = %d, want %d", tc.filter, tc.page, total, tc.total)
		}
	}
	list, _, err := s.ListRoles(ctx, store.RoleFilter{Type: store.RoleUser}, store.Page{})
	ok(t, err, "ListRoles")
	same(t, "ListRoles rows", list, []store.Role{user})

	ok(t, s.DeleteRole(ctx, "ro1"), "DeleteRole")
	_, err = s.GetRole(ctx, "ro1")
	wantErr(t, err, store.ErrNotFound, "GetRole after delete")
	wantErr(t, s.DeleteRole(ctx, "ro1"), store.ErrNotFound, "DeleteRole twice")
	// The name is free again.
	ok(t, s.CreateRole(ctx, want), "CreateRole after delete")
}

// linkedIDs lists, whole, what list links to id, checks that the total
// counts the rows, and returns their ids.
func linkedIDs[T any](t *testing.T, ctx context.Context, what, id string,
	list func(context.Context, string, store.Page) ([]T, int, error)) []string {
	t.Helper()
	got, total, err := list(ctx, id, store.Page{})
	ok(t, err, what)
	if total != len(got) {
		t.Errorf("%s(%s) total = %d, but %d rows", what, id, total, len(got))
	}
	return ids(got)
}

// roleScopeIDs lists the ids of the scopes a role grants.
func roleScopeIDs(t *testing.T, ctx context.Context, s store.Store, roleID string) []string {
	t.Helper()
	return linkedIDs(t, ctx, "ListRoleScopes", roleID, s.ListRoleScopes)
}

func testRoleScopes(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.CreateResource(ctx, resource("r1", 1)))
	must(t, s.CreateResource(ctx, resource("r2", 2)))
	must(t, s.CreateRole(ctx, role("ro1", 1)))
	must(t, s.CreateRole(ctx, role("ro2", 2)))
	for i, id := range []string{"s1", "s2", "s3"} {
		must(t, s.CreateScope(ctx, scope(id, "r1", 10+i)))
	}
	must(t, s.CreateScope(ctx, scope("s4", "r2", 5)))

	same(t, "no role scopes at first", roleScopeIDs(t, ctx, s, "ro1"), []string{})

	// Repeated ids are fine.
	ok(t, s.AddRoleScopes(ctx, "ro1", []string{"s2", "s1", "s2"}), "AddRoleScopes")
	same(t, "role scopes", roleScopeIDs(t, ctx, s, "ro1"), []string{"s1", "s2"})

	// Existing links are left as they are.
	ok(t, s.AddRoleScopes(ctx, "ro1", []string{"s2", "s3"}), "AddRoleScopes overlapping")
	same(t, "role scopes after overlap", roleScopeIDs(t, ctx, s, "ro1"), []string{"s1", "s2", "s3"})

	// All or nothing.
	wantErr(t, s.AddRoleScopes(ctx, "ro1", []string{"s4", "missing"}), store.ErrNotFound, "AddRoleScopes with a missing scope")
	same(t, "role scopes after a failed add", roleScopeIDs(t, ctx, s, "ro1"), []string{"s1", "s2", "s3"})
	wantErr(t, s.AddRoleScopes(ctx, "missing", []string{"s1"}), store.ErrNotFound, "AddRoleScopes to a missing role")
	wantErr(t, s.AddRoleScopes(ctx, "missing", nil), store.ErrNotFound, "AddRoleScopes none to a missing role")
	ok(t, s.AddRoleScopes(ctx, "ro1", nil), "AddRoleScopes none")

	// Scopes from several resources; the order is the scopes' creation.
	ok(t, s.AddRoleScopes(ctx, "ro1", []string{"s4"}), "AddRoleScopes other resource")
	same(t, "role scopes across resources", roleScopeIDs(t, ctx, s, "ro1"), []string{"s4", "s1", "s2", "s3"})

	list, total, err := s.ListRoleScopes(ctx, "ro1", store.Page{Offset: 1, Limit: 2})
	ok(t, err, "ListRoleScopes page")
	same(t, "ListRoleScopes page", list, []store.Scope{scope("s1", "r1", 10), scope("s2", "r1", 11)})
	if total != 4 {
		t.Errorf("ListRoleScopes page total = %d, want 4", total)
	}
	_, _, err = s.ListRoleScopes(ctx, "missing", store.Page{})
	wantErr(t, err, store.ErrNotFound, "ListRoleScopes for a missing role")

	// Links are per role.
	ok(t, s.AddRoleScopes(ctx, "ro2", []string{"s3"}), "AddRoleScopes ro2")
	same(t, "ro2 scopes", roleScopeIDs(t, ctx, s, "ro2"), []string{"s3"})

	ok(t, s.RemoveRoleScope(ctx, "ro1", "s3"), "RemoveRoleScope")
	same(t, "role scopes after remove", roleScopeIDs(t, ctx, s, "ro1"), []string{"s4", "s1", "s2"})
	same(t, "ro2 scopes after removing from ro1", roleScopeIDs(t, ctx, s, "ro2"), []string{"s3"})
	wantErr(t, s.RemoveRoleScope(ctx, "ro1", "s3"), store.ErrNotFound, "RemoveRoleScope twice")
	wantErr(t, s.RemoveRoleScope(ctx, "missing", "s1"), store.ErrNotFound, "RemoveRoleScope missing role")
	// The scope itself is still there.
	_, err = s.GetScope(ctx, "s3")
	ok(t, err, "GetScope after RemoveRoleScope")
}

// roleAppIDs lists the ids of the applications holding a role.
func roleAppIDs(t *testing.T, ctx context.Context, s store.Store, roleID string) []string {
	t.Helper()
	return linkedIDs(t, ctx, "ListRoleApplications", roleID, s.ListRoleApplications)
}

// appRoleIDs lists the ids of the roles an application holds.
func appRoleIDs(t *testing.T, ctx context.Context, s store.Store, appID string) []string {
	t.Helper()
	return linkedIDs(t, ctx, "ListApplicationRoles", appID, s.ListApplicationRoles)
}

func testRoleApplications(t *testing.T, s store.Store) {
	ctx := t.Context()
	for i, id := range []string{"a3", "a1", "a2"} {
		must(t, s.CreateApplication(ctx, app(id, i)))
	}
	must(t, s.CreateRole(ctx, role("ro2", 2)))
	must(t, s.CreateRole(ctx, role("ro1", 1)))

	ok(t, s.AddRoleApplications(ctx, "ro1", []string{"a1", "a1", "a3"}), "AddRoleApplications")
	same(t, "role apps", roleAppIDs(t, ctx, s, "ro1"), []string{"a3", "a1"})
	ok(t, s.AddRoleApplications(ctx, "ro1", []string{"a1", "a2"}), "AddRoleApplications overlapping")
	same(t, "role apps after overlap", roleAppIDs(t, ctx, s, "ro1"), []string{"a3", "a1", "a2"})

	ok(t, s.RemoveRoleApplication(ctx, "ro1", "a2"), "RemoveRoleApplication")
	wantErr(t, s.AddRoleApplications(ctx, "ro1", []string{"a2", "missing", "a2"}), store.ErrNotFound,
		"AddRoleApplications with a missing app")
	same(t, "role apps after a failed add", roleAppIDs(t, ctx, s, "ro1"), []string{"a3", "a1"})
	wantErr(t, s.AddRoleApplications(ctx, "missing", []string{"a1"}), store.ErrNotFound,
		"AddRoleApplications to a missing role")
	ok(t, s.AddRoleApplications(ctx, "ro1", []string{}), "AddRoleApplications none")

	list, total, err := s.ListRoleApplications(ctx, "ro1", store.Page{Offset: 1, Limit: 5})
	ok(t, err, "ListRoleApplications page")
	same(t, "ListRoleApplications page", list, []store.Application{app("a1", 1)})
	if total != 2 {
		t.Errorf("ListRoleApplications page total = %d, want 2", total)
	}
	_, _, err = s.ListRoleApplications(ctx, "missing", store.Page{})
	wantErr(t, err, store.ErrNotFound, "ListRoleApplications for a missing role")

	ok(t, s.AddRoleApplications(ctx, "ro2", []string{"a1"}), "AddRoleApplications ro2")
	same(t, "a1 roles", appRoleIDs(t, ctx, s, "a1"), []string{"ro1", "ro2"})
	same(t, "a3 roles", appRoleIDs(t, ctx, s, "a3"), []string{"ro1"})
	same(t, "a2 roles", appRoleIDs(t, ctx, s, "a2"), []string{})
	roles, total, err := s.ListApplicationRoles(ctx, "a1", store.Page{Limit: 1})
	ok(t, err, "ListApplicationRoles page")
	same(t, "ListApplicationRoles page", roles, []store.Role{role("ro1", 1)})
	if total != 2 {
		t.Errorf("ListApplicationRoles page total = %d, want 2", total)
	}
	_, _, err = s.ListApplicationRoles(ctx, "missing", store.Page{})
	wantErr(t, err, store.ErrNotFound, "ListApplicationRoles for a missing app")

	wantErr(t, s.RemoveRoleApplication(ctx, "ro1", "a2"), store.ErrNotFound, "RemoveRoleApplication twice")
	wantErr(t, s.RemoveRoleApplication(ctx, "ro1", "missing"), store.ErrNotFound, "RemoveRoleApplication missing app")
}

func testCascades(t *testing.T, s store.Store) {
	ctx := t.Context()
	for i, id := range []string{"a1", "a2"} {
		must(t, s.CreateApplication(ctx, app(id, i)))
		must(t, s.CreateAppSecret(ctx, store.AppSecret{AppID: id, Name: "default", Hash: []byte(id), CreatedAt: at(i)}))
	}
	for i, id := range []string{"r1", "r2"} {
		must(t, s.CreateResource(ctx, resource(id, i)))
	}
	must(t, s.CreateScope(ctx, scope("s1", "r1", 1)))
	must(t, s.CreateScope(ctx, scope("s2", "r1", 2)))
	must(t, s.CreateScope(ctx, scope("s3", "r2", 3)))
	must(t, s.CreateRole(ctx, role("ro1", 1)))
	must(t, s.CreateRole(ctx, role("ro2", 2)))
	for _, ro := range []string{"ro1", "ro2"} {
		must(t, s.AddRoleScopes(ctx, ro, []string{"s1", "s2", "s3"}))
		must(t, s.AddRoleApplications(ctx, ro, []string{"a1", "a2"}))
	}

	// Deleting an application removes its secrets and role links.
	ok(t, s.DeleteApplication(ctx, "a1"), "DeleteApplication")
	same(t, "ro1 apps after deleting a1", roleAppIDs(t, ctx, s, "ro1"), []string{"a2"})
	_, err := s.ListAppSecrets(ctx, "a1")
	wantErr(t, err, store.ErrNotFound, "ListAppSecrets of a deleted app")
	// Recreated, it starts with nothing.
	must(t, s.CreateApplication(ctx, app("a1", 0)))
	secrets, err := s.ListAppSecrets(ctx, "a1")
	ok(t, err, "ListAppSecrets of a recreated app")
	if len(secrets) != 0 {
		t.Errorf("a recreated application has %d secrets", len(secrets))
	}
	same(t, "roles of a recreated app", appRoleIDs(t, ctx, s, "a1"), []string{})

	// Deleting a scope removes its role links.
	ok(t, s.DeleteScope(ctx, "s2"), "DeleteScope")
	same(t, "ro1 scopes after deleting s2", roleScopeIDs(t, ctx, s, "ro1"), []string{"s1", "s3"})

	// Deleting a resource removes its scopes and their role links.
	ok(t, s.DeleteResource(ctx, "r1"), "DeleteResource")
	_, err = s.GetScope(ctx, "s1")
	wantErr(t, err, store.ErrNotFound, "GetScope of a deleted resource")
	same(t, "ro1 scopes after deleting r1", roleScopeIDs(t, ctx, s, "ro1"), []string{"s3"})
	same(t, "ro2 scopes after deleting r1", roleScopeIDs(t, ctx, s, "ro2"), []string{"s3"})
	must(t, s.CreateResource(ctx, resource("r1", 1)))
	list, _, err := s.ListScopes(ctx, "r1", store.Page{})
	ok(t, err, "ListScopes of a recreated resource")
	if len(list) != 0 {
		t.Errorf("a recreated resource has %d scopes", len(list))
	}

	// Deleting a role removes its links but not what they pointed at.
	ok(t, s.DeleteRole(ctx, "ro1"), "DeleteRole")
	same(t, "a2 roles after deleting ro1", appRoleIDs(t, ctx, s, "a2"), []string{"ro2"})
	_, err = s.GetScope(ctx, "s3")
	ok(t, err, "GetScope after DeleteRole")
	_, err = s.GetApplication(ctx, "a2")
	ok(t, err, "GetApplication after DeleteRole")

	cat, err := s.LoadCatalog(ctx)
	ok(t, err, "LoadCatalog")
	same(t, "catalog role scopes", sortedLinks(cat.RoleScopes), []store.RoleScope{{RoleID: "ro2", ScopeID: "s3"}})
	same(t, "catalog role applications", sortedLinks(cat.RoleApplications), []store.RoleApplication{{RoleID: "ro2", AppID: "a2"}})
	same(t, "catalog secrets", len(cat.Secrets), 1)
}

func testRoleSearch(t *testing.T, s store.Store) {
	ctx := t.Context()
	for i, id := range []string{"ra", "rb", "rc"} {
		r := role(id, i+1)
		if id == "rc" {
			r.Type = store.RoleUser
			r.Description = "Support_Team"
		}
		must(t, s.CreateRole(ctx, r))
	}
	must(t, s.CreateApplication(ctx, app("a1", 1)))
	ok(t, s.AddRoleApplications(ctx, "ra", []string{"a1"}), "AddRoleApplications")
	must(t, s.CreateUser(ctx, user("u1", 1)))
	ok(t, s.AddRoleUsers(ctx, "rc", []string{"u1"}), "AddRoleUsers")
	for _, tc := range []struct {
		name   string
		filter store.RoleFilter
		want   []string
	}{
		{"all", store.RoleFilter{}, []string{"ra", "rb", "rc"}},
		{"name", store.RoleFilter{Match: store.Search{Matches: []store.Match{like("name", "ROLE R_")}}}, []string{}},
		{"name prefix", store.RoleFilter{Match: store.Search{Matches: []store.Match{like("name", "role r%")}}}, []string{"ra", "rb", "rc"}},
		{"description", store.RoleFilter{Match: store.Search{Matches: []store.Match{like("description", "%_team")}}}, []string{"rc"}},
		{"any field, exact", store.RoleFilter{Match: store.Search{Matches: []store.Match{{Exact: true, Values: []string{"rb"}}}}}, []string{"rb"}},
		{"type and search", store.RoleFilter{Type: store.RoleMachineToMachine, Match: store.Search{Matches: []store.Match{like("", "%r%")}}}, []string{"ra", "rb"}},
		{"exclude application", store.RoleFilter{ExcludeApplicationID: "a1"}, []string{"rb", "rc"}},
		{"exclude user", store.RoleFilter{ExcludeUserID: "u1"}, []string{"ra", "rb"}},
		{"exclude both", store.RoleFilter{ExcludeUserID: "u1", ExcludeApplicationID: "a1"}, []string{"rb"}},
		{"held by user", store.RoleFilter{UserID: "u1"}, []string{"rc"}},
		{"held by application", store.RoleFilter{ApplicationID: "a1"}, []string{"ra"}},
		{"held by application and search", store.RoleFilter{ApplicationID: "a1", Match: store.Search{Matches: []store.Match{like("name", "%rb")}}}, []string{}},
		{"held by missing user", store.RoleFilter{UserID: "nope"}, []string{}},
		{"like with case", store.RoleFilter{Match: store.Search{CaseSensitive: true, Matches: []store.Match{like("description", "%_Team")}}}, []string{"rc"}},
		{"like with case, other case", store.RoleFilter{Match: store.Search{CaseSensitive: true, Matches: []store.Match{like("description", "%_team")}}}, []string{}},
		{"like with case, whole value", store.RoleFilter{Match: store.Search{CaseSensitive: true, Matches: []store.Match{like("name", "role r")}}}, []string{}},
		{"like with case, underscore literal", store.RoleFilter{Match: store.Search{CaseSensitive: true, Matches: []store.Match{like("description", "Support Team")}}}, []string{}},
	} {
		wantFiltered(t, "ListRoles "+tc.name, tc.filter, tc.want, s.ListRoles)
	}
}

// A case-sensitive search takes a pattern's characters literally but %:
// GLOB's and LIKE's own wildcards and escapes match only themselves.
func testCaseSensitiveLike(t *testing.T, s store.Store) {
	ctx := t.Context()
	names := map[string]string{"r1": "a*b", "r2": "a?b", "r3": "a[b]c", "r4": `a\b`, "r5": "a_b", "r6": "AxB", "r7": "axb"}
	for i, id := range []string{"r1", "r2", "r3", "r4", "r5", "r6", "r7"} {
		r := role(id, i)
		r.Name = names[id]
		must(t, s.CreateRole(ctx, r))
	}
	cs := func(pattern string) store.RoleFilter {
		return store.RoleFilter{Match: store.Search{CaseSensitive: true, Matches: []store.Match{like("name", pattern)}}}
	}
	for _, tc := range []struct {
		pattern string
		want    []string
	}{
		{"a*b", []string{"r1"}},
		{"a?b", []string{"r2"}},
		{"a[b]c", []string{"r3"}},
		{`a\b`, []string{"r4"}},
		{"a_b", []string{"r5"}},
		{"a%b", []string{"r1", "r2", "r4", "r5", "r7"}},
		{"A%", []string{"r6"}},
		{"%[%", []string{"r3"}},
		{"%", []string{"r1", "r2", "r3", "r4", "r5", "r6", "r7"}},
	} {
		wantFiltered(t, "case-sensitive like "+tc.pattern, cs(tc.pattern), tc.want, s.ListRoles)
	}
}

func testRoleScopeSearch(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.CreateResource(ctx, resource("r1", 1)))
	for i, id := range []string{"s1", "s2", "s3"} {
		must(t, s.CreateScope(ctx, scope(id, "r1", i)))
	}
	must(t, s.CreateRole(ctx, role("ro1", 1)))
	must(t, s.CreateRole(ctx, role("ro2", 2)))
	ok(t, s.AddRoleScopes(ctx, "ro1", []string{"s1", "s2"}), "AddRoleScopes")
	ok(t, s.AddRoleScopes(ctx, "ro2", []string{"s3"}), "AddRoleScopes")
	search := func(ro string, m ...store.Match) ([]string, int) {
		t.Helper()
		list, total, err := s.SearchRoleScopes(ctx, ro, store.Search{Matches: m}, store.Page{})
		ok(t, err, "SearchRoleScopes")
		return ids(list), total
	}
	for _, tc := range []struct {
		name  string
		role  string
		match []store.Match
		want  []string
	}{
		{"all", "ro1", nil, []string{"s1", "s2"}},
		{"name", "ro1", []store.Match{like("name", "SCOPE:S2")}, []string{"s2"}},
		{"another role's scope", "ro1", []store.Match{like("name", "scope:s3")}, []string{}},
		{"exact id", "ro2", []store.Match{{Field: "id", Exact: true, Values: []string{"s3", "s1"}}}, []string{"s3"}},
		{"any field", "ro1", []store.Match{like("", "%s1%")}, []string{"s1"}},
	} {
		got, total := search(tc.role, tc.match...)
		same(t, "SearchRoleScopes "+tc.name, got, tc.want)
		if total != len(tc.want) {
			t.Errorf("SearchRoleScopes %s: total %d, want %d", tc.name, total, len(tc.want))
		}
	}
	list, total, err := s.SearchRoleScopes(ctx, "ro1", store.Search{Matches: []store.Match{like("", "%")}}, store.Page{Offset: 1, Limit: 1})
	ok(t, err, "SearchRoleScopes page")
	same(t, "SearchRoleScopes page", ids(list), []string{"s2"})
	if total != 2 {
		t.Errorf("SearchRoleScopes page total %d, want 2", total)
	}
	_, _, err = s.SearchRoleScopes(ctx, "missing", store.Search{}, store.Page{})
	wantErr(t, err, store.ErrNotFound, "SearchRoleScopes of a missing role")
}

func testRoleHolders(t *testing.T, s store.Store) {
	ctx := t.Context()
	for i, id := range []string{"ro1", "ro2", "ro3"} {
		must(t, s.CreateRole(ctx, role(id, i)))
	}
	// Created out of id order, so that featuring oldest first is checked.
	for i, id := range []string{"u4", "u2", "u3", "u1"} {
		must(t, s.CreateUser(ctx, user(id, i)))
	}
	for i, id := range []string{"a2", "a1"} {
		must(t, s.CreateApplication(ctx, app(id, i)))
	}
	avatar := user("u5", 9)
	avatar.Avatar = "https://example.com/u5.png"
	must(t, s.CreateUser(ctx, avatar))
	must(t, s.AddRoleUsers(ctx, "ro1", []string{"u1", "u2", "u3", "u4"}))
	must(t, s.AddRoleUsers(ctx, "ro2", []string{"u5"}))
	must(t, s.AddRoleApplications(ctx, "ro1", []string{"a1", "a2"}))

	got, err := s.RoleHolders(ctx, []string{"ro1", "ro2", "ro3", "missing"}, 3)
	ok(t, err, "RoleHolders")
	fu := func(id string) store.FeaturedUser { return store.FeaturedUser{ID: id, Name: "User " + id} }
	fa := func(id string) store.FeaturedApplication {
		return store.FeaturedApplication{ID: id, Name: "app " + id, Type: store.AppMachineToMachine}
	}
	same(t, "RoleHolders", got, map[string]store.RoleHolders{
		"ro1": {UsersCount: 4, FeaturedUsers: []store.FeaturedUser{fu("u4"), fu("u2"), fu("u3")},
			ApplicationsCount: 2, FeaturedApplications: []store.FeaturedApplication{fa("a2"), fa("a1")}},
		"ro2": {UsersCount: 1, FeaturedUsers: []store.FeaturedUser{{ID: "u5", Name: "User u5", Avatar: "https://example.com/u5.png"}}},
	})

	got, err = s.RoleHolders(ctx, []string{"ro1"}, 0)
	ok(t, err, "RoleHolders featuring none")
	same(t, "RoleHolders featuring none", got, map[string]store.RoleHolders{"ro1": {UsersCount: 4, ApplicationsCount: 2}})
	got, err = s.RoleHolders(ctx, nil, 3)
	ok(t, err, "RoleHolders of no roles")
	same(t, "RoleHolders of no roles", got, map[string]store.RoleHolders{})
}
