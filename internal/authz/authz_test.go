package authz

import (
	"slices"
	"testing"

	"github.com/monban/monban/internal/store"
)

func sorted(s Set) []string {
	out := []string{}
	for k := range s {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestBuildAndGrant(t *testing.T) {
	c := &store.Catalog{
		Scopes: []store.Scope{
			{ID: "s1", ResourceID: "shop", Name: "read:products"},
			{ID: "s2", ResourceID: "shop", Name: "write:products"},
			{ID: "s3", ResourceID: "mgmt", Name: "all"},
		},
		Roles: []store.Role{
			{ID: "reader", Type: store.RoleMachineToMachine},
			{ID: "admin", Type: store.RoleMachineToMachine},
			{ID: "user-role", Type: store.RoleUser},
		},
		RoleScopes: []store.RoleScope{
			{RoleID: "reader", ScopeID: "s1"},
			{RoleID: "admin", ScopeID: "s3"},
			{RoleID: "user-role", ScopeID: "s2"},
			{RoleID: "reader", ScopeID: "gone"},
		},
		RoleApplications: []store.RoleApplication{
			{RoleID: "reader", AppID: "app"},
			{RoleID: "admin", AppID: "app"},
			{RoleID: "user-role", AppID: "app"}, // a user role never grants an app anything
		},
	}
	ix := Build(c)
	cases := []struct {
		res       string
		requested []string
		want      []string
	}{
		{"shop", []string{"read:products", "write:products", "nope"}, []string{"read:products"}},
		{"shop", []string{"read:products", "read:products"}, []string{"read:products"}},
		{"shop", nil, nil},
		{"mgmt", []string{"all", "read:products"}, []string{"all"}},
		{"other", []string{"all"}, nil},
	}
	for _, tc := range cases {
		if got := Grant(tc.requested, ix.Scopes(App("app"), "", tc.res)); !slices.Equal(got, tc.want) {
			t.Errorf("%s %v: got %v, want %v", tc.res, tc.requested, got, tc.want)
		}
	}
	if got := Grant([]string{"read:products"}, ix.Scopes(App("stranger"), "", "shop")); got != nil {
		t.Errorf("unknown app got %v", got)
	}
}

// edgeCatalog has, on two resources, a role of each type held by an app
// and a user, a role of no known type, and a role that lost its scopes.
func edgeCatalog() *store.Catalog {
	return &store.Catalog{
		Scopes: []store.Scope{
			{ID: "s-read", ResourceID: "api", Name: "read"},
			{ID: "s-write", ResourceID: "api", Name: "write"},
			{ID: "s-admin", ResourceID: "api", Name: "admin"},
			{ID: "s-other", ResourceID: "other", Name: "other:read"},
			{ID: "s-dup", ResourceID: "other", Name: "read"}, // same name, another resource
		},
		Roles: []store.Role{
			{ID: "user-role", Type: store.RoleUser},
			{ID: "user-role-2", Type: store.RoleUser},
			{ID: "m2m-role", Type: store.RoleMachineToMachine},
			{ID: "m2m-role-2", Type: store.RoleMachineToMachine},
			{ID: "typo-role", Type: "user"},
			{ID: "empty-role", Type: store.RoleMachineToMachine},
		},
		RoleScopes: []store.RoleScope{
			{RoleID: "user-role", ScopeID: "s-read"},
			{RoleID: "user-role", ScopeID: "s-other"},
			{RoleID: "user-role-2", ScopeID: "s-read"},
			{RoleID: "user-role-2", ScopeID: "s-admin"},
			{RoleID: "m2m-role", ScopeID: "s-write"},
			{RoleID: "m2m-role", ScopeID: "s-dup"},
			{RoleID: "m2m-role-2", ScopeID: "s-write"},
			{RoleID: "m2m-role-2", ScopeID: "s-read"},
			{RoleID: "typo-role", ScopeID: "s-admin"},
			{RoleID: "ghost-role", ScopeID: "s-admin"}, // a role not in the catalog
		},
		RoleApplications: []store.RoleApplication{
			{RoleID: "m2m-role", AppID: "m2m"},
			{RoleID: "m2m-role-2", AppID: "m2m"},
			{RoleID: "user-role", AppID: "m2m"},
			{RoleID: "typo-role", AppID: "m2m"},
			{RoleID: "ghost-role", AppID: "m2m"},
			{RoleID: "empty-role", AppID: "bare"},
			{RoleID: "user-role", AppID: "user-only"},
		},
	}
}

// Each kind of subject gets scopes only through the roles its kind is
// given, only on the resource asked for, and only outside organizations.
func TestScopes(t *testing.T) {
	ix := Build(edgeCatalog())
	cases := []struct {
		what string
		s    Subject
		org  string
		res  string
		want []string
	}{
		{"M2M role on an app grants", App("m2m"), "", "api", []string{"read", "write"}},
		{"M2M role on an app, the other resource", App("m2m"), "", "other", []string{"read"}},
		{"User role on an app grants nothing", App("user-only"), "", "api", []string{}},
		{"app whose role has no scope", App("bare"), "", "api", []string{}},
		{"unknown app", App("stranger"), "", "api", []string{}},
		{"app, unknown resource", App("m2m"), "", "nowhere", []string{}},
		{"app in an organization", App("m2m"), "org1", "api", []string{}},
		{"User role on a user grants", User("u", []string{"user-role"}), "", "api", []string{"read"}},
		{"User role on a user, the other resource", User("u", []string{"user-role"}), "", "other", []string{"other:read"}},
		{"two User roles, overlapping", User("u", []string{"user-role", "user-role-2"}), "", "api", []string{"admin", "read"}},
		{"a role held twice", User("u", []string{"user-role", "user-role"}), "", "api", []string{"read"}},
		{"M2M role on a user grants nothing", User("u", []string{"m2m-role"}), "", "api", []string{}},
		{"role of no known type", User("u", []string{"typo-role"}), "", "api", []string{}},
		{"role not in the catalog", User("u", []string{"ghost-role"}), "", "api", []string{}},
		{"user, unknown resource", User("u", []string{"user-role"}), "", "nowhere", []string{}},
		{"user with no role", User("u", nil), "", "api", []string{}},
		{"user in an organization", User("u", []string{"user-role"}), "org1", "api", []string{}},
		{"a subject of no known kind", Subject{Holder: store.Holder(7), ID: "m2m", RoleIDs: []string{"user-role"}}, "", "api", []string{}},
	}
	for _, tc := range cases {
		if got := sorted(ix.Scopes(tc.s, tc.org, tc.res)); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.what, got, tc.want)
		}
	}
}

// The subject constructors say which kind of holder they are.
func TestSubjects(t *testing.T) {
	if s := App("a"); s.Holder != store.HolderApplication || s.ID != "a" || s.RoleIDs != nil {
		t.Errorf("App: %+v", s)
	}
	if s := User("u", []string{"r"}); s.Holder != store.HolderUser || s.ID != "u" || !slices.Equal(s.RoleIDs, []string{"r"}) {
		t.Errorf("User: %+v", s)
	}
}

// Role and RoleScopes describe roles whatever their type.
func TestRoleLookups(t *testing.T) {
	ix := Build(edgeCatalog())
	if r := ix.Role("m2m-role"); r == nil || r.Type != store.RoleMachineToMachine {
		t.Errorf("Role(m2m-role) = %+v", r)
	}
	if r := ix.Role("ghost-role"); r != nil {
		t.Errorf("Role(ghost-role) = %+v", r)
	}
	var names []string
	for _, sc := range ix.RoleScopes("typo-role") {
		names = append(names, sc.ResourceID+"/"+sc.Name)
	}
	if !slices.Equal(names, []string{"api/admin"}) {
		t.Errorf("RoleScopes(typo-role) = %v", names)
	}
	names = nil
	for _, sc := range ix.RoleScopes("user-role") {
		names = append(names, sc.ResourceID+"/"+sc.Name)
	}
	if !slices.Equal(names, []string{"api/read", "other/other:read"}) {
		t.Errorf("RoleScopes(user-role) = %v", names)
	}
	if got := ix.RoleScopes("ghost-role"); len(got) != 1 {
		t.Errorf("RoleScopes(ghost-role) = %v; a link to an existing scope is kept", got)
	}
	if got := ix.RoleScopes("nobody"); got != nil {
		t.Errorf("RoleScopes(nobody) = %v", got)
	}
}

// Grant keeps the requested scopes that are allowed, in request order,
// once each; an empty request or an empty allowance grants nothing.
func TestGrant(t *testing.T) {
	allowed := Set{"a": {}, "b": {}, "c": {}}
	cases := []struct {
		what      string
		requested []string
		allowed   Set
		want      []string
	}{
		{"empty request", nil, allowed, nil},
		{"empty request, not nil", []string{}, allowed, nil},
		{"nothing allowed", []string{"a"}, nil, nil},
		{"request order kept", []string{"c", "a", "b"}, allowed, []string{"c", "a", "b"}},
		{"unknown dropped", []string{"x", "b", "y"}, allowed, []string{"b"}},
		{"duplicates once", []string{"a", "b", "a", "b", "a"}, allowed, []string{"a", "b"}},
		{"duplicate of an unknown", []string{"x", "x", "a"}, allowed, []string{"a"}},
		{"empty name", []string{""}, Set{"": {}}, []string{""}},
	}
	for _, tc := range cases {
		if got := Grant(tc.requested, tc.allowed); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.what, got, tc.want)
		}
	}
}
