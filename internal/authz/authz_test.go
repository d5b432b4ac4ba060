package authz

import (
	"slices"
	"strings"
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

// catalogOf builds a catalog from short descriptions: scopes as
// "id resource name", roles as "id type", and the links of roles as
// "role scope" and "role app".
func catalogOf(scopes, roles, roleScopes, roleApps []string) *store.Catalog {
	c := &store.Catalog{}
	for _, s := range scopes {
		f := strings.Fields(s)
		c.Scopes = append(c.Scopes, store.Scope{ID: f[0], ResourceID: f[1], Name: f[2]})
	}
	for _, r := range roles {
		f := strings.Fields(r)
		c.Roles = append(c.Roles, store.Role{ID: f[0], Type: store.RoleType(f[1])})
	}
	for _, l := range roleScopes {
		f := strings.Fields(l)
		c.RoleScopes = append(c.RoleScopes, store.RoleScope{RoleID: f[0], ScopeID: f[1]})
	}
	for _, l := range roleApps {
		f := strings.Fields(l)
		c.RoleApplications = append(c.RoleApplications, store.RoleApplication{RoleID: f[0], AppID: f[1]})
	}
	return c
}

func TestBuildAndGrant(t *testing.T) {
	c := catalogOf(
		[]string{"s1 shop read:products", "s2 shop write:products", "s3 mgmt all"},
		[]string{"reader MachineToMachine", "admin MachineToMachine", "user-role User"},
		[]string{"reader s1", "admin s3", "user-role s2", "reader gone"},
		// a user role never grants an app anything
		[]string{"reader app", "admin app", "user-role app"},
	)
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
// and a user, a role of no known type ("user"), a role that grants no
// scope, and links to a role not in the catalog; "s-dup" has the name of
// another resource's scope.
func edgeCatalog() *store.Catalog {
	return catalogOf(
		[]string{"s-read api read", "s-write api write", "s-admin api admin", "s-other other other:read", "s-dup other read"},
		[]string{"user-role User", "user-role-2 User", "m2m-role MachineToMachine", "m2m-role-2 MachineToMachine",
			"typo-role user", "empty-role MachineToMachine"},
		[]string{"user-role s-read", "user-role s-other", "user-role-2 s-read", "user-role-2 s-admin",
			"m2m-role s-write", "m2m-role s-dup", "m2m-role-2 s-write", "m2m-role-2 s-read",
			"typo-role s-admin", "ghost-role s-admin"},
		[]string{"m2m-role m2m", "m2m-role-2 m2m", "user-role m2m", "typo-role m2m", "ghost-role m2m",
			"empty-role bare", "user-role user-only"},
	)
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

// RolesGranting lists the roles that grant one scope of one resource to a
// kind of holder, whatever else they grant, and only roles of that kind.
func TestRolesGranting(t *testing.T) {
	ix := Build(edgeCatalog())
	cases := []struct {
		what       string
		h          store.Holder
		res, scope string
		want       []string
	}{
		{"users, a scope two User roles grant", store.HolderUser, "api", "read", []string{"user-role", "user-role-2"}},
		{"apps, the same scope", store.HolderApplication, "api", "read", []string{"m2m-role-2"}},
		{"users, a scope a typo role and a ghost role grant too", store.HolderUser, "api", "admin", []string{"user-role-2"}},
		{"apps, a scope of the same name on another resource", store.HolderApplication, "other", "read", []string{"m2m-role"}},
		{"users, that scope", store.HolderUser, "other", "read", nil},
		{"unknown scope", store.HolderUser, "api", "delete", nil},
		{"unknown resource", store.HolderApplication, "nowhere", "read", nil},
		{"a holder of no known kind", store.Holder(7), "api", "read", nil},
	}
	for _, tc := range cases {
		if got := ix.RolesGranting(tc.h, tc.res, tc.scope); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.what, got, tc.want)
		}
	}
}

// A client grant exists for an (app, resource) pair exactly when an M2M
// role the app holds grants a scope of the resource; its scopes are all
// of them. A User role, a role without scopes and a role on another
// resource make no grant.
func TestClientGrant(t *testing.T) {
	ix := Build(edgeCatalog())
	if set, ok := ix.ClientGrant("m2m", "api"); !ok || !slices.Equal(set.Names(), []string{"read", "write"}) {
		t.Errorf("m2m on api: %v %v", set.Names(), ok)
	}
	if set, ok := ix.ClientGrant("m2m", "other"); !ok || !slices.Equal(set.Names(), []string{"read"}) {
		t.Errorf("m2m on other: %v %v", set.Names(), ok)
	}
	for _, c := range [][2]string{{"bare", "api"}, {"user-only", "api"}, {"m2m", "nowhere"}, {"stranger", "api"}} {
		if set, ok := ix.ClientGrant(c[0], c[1]); ok || len(set) != 0 {
			t.Errorf("%s on %s: a grant %v", c[0], c[1], set.Names())
		}
	}
	if g := ix.ClientGrants("m2m"); len(g) != 2 {
		t.Errorf("ClientGrants(m2m) = %v", g)
	}
	if got := Missing([]string{"read", "delete", "delete", "write", "x"}, Set{"read": {}, "write": {}}); !slices.Equal(got, []string{"delete", "x"}) {
		t.Errorf("Missing = %v", got)
	}
}

// With "Enable RBAC" off, a user may be granted every scope the resource
// defines; an application, and a user within an organization, still only
// what roles grant.
func TestUserScopesWithoutRBAC(t *testing.T) {
	ix := Build(edgeCatalog())
	on, off := &store.Resource{ID: "api"}, &store.Resource{ID: "api", RBACDisabled: true}
	user := User("u", []string{"user-role"})
	if got := sorted(ix.UserScopes(user, "", on)); !slices.Equal(got, []string{"read"}) {
		t.Errorf("RBAC on: %v", got)
	}
	if got := sorted(ix.UserScopes(user, "", off)); !slices.Equal(got, []string{"admin", "read", "write"}) {
		t.Errorf("RBAC off: %v", got)
	}
	if got := sorted(ix.UserScopes(User("nobody", nil), "", off)); !slices.Equal(got, []string{"admin", "read", "write"}) {
		t.Errorf("RBAC off, no roles: %v", got)
	}
	if got := sorted(ix.UserScopes(App("m2m"), "", off)); !slices.Equal(got, []string{"read", "write"}) {
		t.Errorf("an app with RBAC off: %v", got)
	}
	if got := ix.UserScopes(user, "org", off); len(got) != 0 {
		t.Errorf("within an organization: %v", got)
	}
}

// An app's own grant role makes a grant even with no scopes; a role of
// that name held by two apps is nobody's own; other roles' scopes join the
// grant and are named as its sources.
func TestClientGrantRoles(t *testing.T) {
	m2m := store.RoleMachineToMachine
	c := &store.Catalog{
		Resources: []store.Resource{{ID: "r1"}, {ID: "r2"}},
		Scopes:    []store.Scope{{ID: "s1", ResourceID: "r1", Name: "read"}, {ID: "s2", ResourceID: "r1", Name: "write"}},
		Roles: []store.Role{
			{ID: "own", Name: GrantRoleName("a", "r1"), Type: m2m},
			{ID: "shared", Name: "readers", Type: m2m},
			{ID: "twice", Name: GrantRoleName("b", "r2"), Type: m2m},
			{ID: "gone", Name: GrantRoleName("a", "r9"), Type: m2m},
		},
		RoleScopes: []store.RoleScope{{RoleID: "shared", ScopeID: "s1"}},
		RoleApplications: []store.RoleApplication{
			{RoleID: "own", AppID: "a"}, {RoleID: "shared", AppID: "a"}, {RoleID: "gone", AppID: "a"},
			{RoleID: "twice", AppID: "b"}, {RoleID: "twice", AppID: "c"},
		},
	}
	ix := Build(c)
	if set, ok := ix.ClientGrant("a", "r1"); !ok || !slices.Equal(sorted(set), []string{"read"}) {
		t.Fatalf("a on r1: %v %v", set, ok)
	}
	if _, ok := ix.ClientGrant("b", "r2"); ok {
		t.Fatal("a role held by two apps is an own grant role")
	}
	if _, ok := ix.ClientGrant("a", "r9"); ok {
		t.Fatal("a grant for a missing resource")
	}
	src := ix.ClientGrantSources("a", "r1")
	if src.Own != "own" || len(src.Others) != 1 || !slices.Equal(src.Others["shared"], []string{"read"}) {
		t.Fatalf("sources %+v", src)
	}
	// Without its scopes the own role still makes an (empty) grant.
	c.RoleApplications = slices.DeleteFunc(c.RoleApplications, func(ra store.RoleApplication) bool { return ra.RoleID == "shared" })
	ix = Build(c)
	if set, ok := ix.ClientGrant("a", "r1"); !ok || len(set) != 0 {
		t.Fatalf("empty own grant: %v %v", set, ok)
	}
	if g := ix.ClientGrants("a"); len(g) != 1 || g["r1"] == nil {
		t.Fatalf("grants of a %v", g)
	}
}
