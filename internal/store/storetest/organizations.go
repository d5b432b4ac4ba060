package storetest

import (
	"context"
	"testing"

	"github.com/monban/monban/internal/store"
)

// organizationCases are the conformance tests of store.OrganizationStore.
var organizationCases = []testCase{
	{"Organizations", testOrganizations},
	{"OrganizationSearch", testOrganizationSearch},
	{"OrganizationTemplate", testOrganizationTemplate},
	{"OrganizationRoleCreateAtomic", testOrganizationRoleCreateAtomic},
	{"OrganizationMembers", testOrganizationMembers},
	{"OrganizationMemberRoles", testOrganizationMemberRoles},
	{"OrganizationCascades", testOrganizationCascades},
	{"OrganizationJIT", testOrganizationJIT},
	{"ExcludeOrganization", testExcludeOrganization},
	{"OrganizationInvitations", testOrganizationInvitations},
	{"OrganizationInvitationAccept", testOrganizationInvitationAccept},
	{"OrganizationEvents", testOrganizationEvents},
}

func org(id string, i int) store.Organization {
	return store.Organization{ID: id, Name: "org " + id, CreatedAt: at(i)}
}

func orgScope(id string, i int) store.OrganizationScope {
	return store.OrganizationScope{ID: id, Name: "scope:" + id, Description: "the " + id + " scope", CreatedAt: at(i)}
}

func orgRole(id string, typ store.RoleType, i int) store.OrganizationRole {
	return store.OrganizationRole{ID: id, Name: "role " + id, Type: typ, CreatedAt: at(i)}
}

func testOrganizations(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := store.Organization{ID: "o1", Name: "Acme", Description: "the Acme company",
		CustomData: map[string]any{"tier": "gold", "seats": float64(5)},
		Branding:   map[string]any{"logoUrl": "https://acme.example/logo.png"},
		Color:      map[string]any{"primaryColor": "#ff0000", "isDarkModeEnabled": true},
		CustomCSS:  "body{}", IsMFARequired: true, CreatedAt: at(1)}
	ok(t, s.CreateOrganization(ctx, o), "CreateOrganization")
	wantErr(t, s.CreateOrganization(ctx, o), store.ErrConflict, "CreateOrganization same id")
	got, err := s.GetOrganization(ctx, "o1")
	ok(t, err, "GetOrganization")
	same(t, "GetOrganization", got, o)
	_, err = s.GetOrganization(ctx, "nope")
	wantErr(t, err, store.ErrNotFound, "GetOrganization unknown")

	o.Name, o.Description, o.CustomData, o.Branding, o.Color, o.CustomCSS, o.IsMFARequired = "Acme Inc", "", nil, nil, nil, "", false
	ok(t, s.UpdateOrganization(ctx, o), "UpdateOrganization")
	got, err = s.GetOrganization(ctx, "o1")
	ok(t, err, "GetOrganization after update")
	same(t, "GetOrganization after update", got, o)
	wantErr(t, s.UpdateOrganization(ctx, org("nope", 2)), store.ErrNotFound, "UpdateOrganization unknown")

	must(t, s.CreateOrganization(ctx, org("o0", 0)))
	list, total, err := s.ListOrganizations(ctx, store.OrganizationFilter{}, store.Page{})
	ok(t, err, "ListOrganizations")
	same(t, "ListOrganizations", ids(list), []string{"o0", "o1"})
	if total != 2 {
		t.Errorf("ListOrganizations total = %d, want 2", total)
	}
	page, total, err := s.ListOrganizations(ctx, store.OrganizationFilter{}, store.Page{Offset: 1, Limit: 1})
	ok(t, err, "ListOrganizations page")
	same(t, "ListOrganizations page", ids(page), []string{"o1"})
	if total != 2 {
		t.Errorf("ListOrganizations page total = %d, want 2", total)
	}
	ok(t, s.DeleteOrganization(ctx, "o1"), "DeleteOrganization")
	wantErr(t, s.DeleteOrganization(ctx, "o1"), store.ErrNotFound, "DeleteOrganization again")
}

func testOrganizationSearch(t *testing.T, s store.Store) {
	ctx := t.Context()
	for i, name := range []string{"Acme", "Globex", "acme labs"} {
		o := org([]string{"a", "b", "c"}[i], i)
		o.Name = name
		must(t, s.CreateOrganization(ctx, o))
	}
	wantFiltered(t, "name %acme%", store.OrganizationFilter{Match: store.Search{Matches: []store.Match{like("name", "%acme%")}}},
		[]string{"a", "c"}, s.ListOrganizations)
	wantFiltered(t, "any %glob%", store.OrganizationFilter{Match: store.Search{Matches: []store.Match{like("", "%glob%")}}},
		[]string{"b"}, s.ListOrganizations)
}

func testOrganizationTemplate(t *testing.T, s store.Store) {
	ctx := t.Context()
	ok(t, s.CreateOrganizationScope(ctx, orgScope("s1", 1)), "CreateOrganizationScope")
	must(t, s.CreateOrganizationScope(ctx, orgScope("s2", 2)))
	dup := orgScope("s3", 3)
	dup.Name = "scope:s1"
	wantErr(t, s.CreateOrganizationScope(ctx, dup), store.ErrConflict, "CreateOrganizationScope same name")
	sc, err := s.GetOrganizationScope(ctx, "s1")
	ok(t, err, "GetOrganizationScope")
	same(t, "GetOrganizationScope", sc, orgScope("s1", 1))
	sc.Name, sc.Description = "read:docs", ""
	ok(t, s.UpdateOrganizationScope(ctx, sc), "UpdateOrganizationScope")
	wantFiltered(t, "scopes name read%", store.Search{Matches: []store.Match{like("name", "read%")}}, []string{"s1"}, s.ListOrganizationScopes)

	must(t, s.CreateResource(ctx, resource("r1", 1)))
	must(t, s.CreateScope(ctx, scope("rs1", "r1", 1)))
	r := orgRole("or1", store.RoleUser, 1)
	ok(t, s.CreateOrganizationRole(ctx, r, []string{"s1", "s1"}, []string{"rs1"}), "CreateOrganizationRole")
	dupRole := orgRole("or2", store.RoleUser, 2)
	dupRole.Name = r.Name
	wantErr(t, s.CreateOrganizationRole(ctx, dupRole, nil, nil), store.ErrConflict, "CreateOrganizationRole same name")
	got, err := s.GetOrganizationRole(ctx, "or1")
	ok(t, err, "GetOrganizationRole")
	same(t, "GetOrganizationRole", got, r)
	byName, err := s.FindOrganizationRolesByName(ctx, []string{"role or1", "nobody"})
	ok(t, err, "FindOrganizationRolesByName")
	same(t, "FindOrganizationRolesByName", ids(byName), []string{"or1"})

	scopes, total, err := s.ListOrganizationRoleScopes(ctx, "or1", store.Page{})
	ok(t, err, "ListOrganizationRoleScopes")
	if total != 1 || len(scopes) != 1 || scopes[0].ID != "s1" {
		t.Errorf("ListOrganizationRoleScopes = %v (%d), want s1", scopes, total)
	}
	ok(t, s.AddOrganizationRoleScopes(ctx, "or1", store.OrganizationScopes, []string{"s2", "s1"}), "AddOrganizationRoleScopes")
	wantErr(t, s.AddOrganizationRoleScopes(ctx, "or1", store.OrganizationScopes, []string{"nope"}), store.ErrNotFound, "AddOrganizationRoleScopes unknown")
	wantErr(t, s.AddOrganizationRoleScopes(ctx, "nope", store.OrganizationScopes, []string{"s1"}), store.ErrNotFound, "AddOrganizationRoleScopes unknown role")
	grants, err := s.OrganizationRoleGrants(ctx, []string{"or1", "nope"})
	ok(t, err, "OrganizationRoleGrants")
	same(t, "OrganizationRoleGrants scopes", ids(grants["or1"].Scopes), []string{"s1", "s2"})
	same(t, "OrganizationRoleGrants resource scopes", ids(grants["or1"].ResourceScopes), []string{"rs1"})

	ok(t, s.ReplaceOrganizationRoleScopes(ctx, "or1", store.OrganizationScopes, []string{"s2"}), "ReplaceOrganizationRoleScopes")
	ok(t, s.RemoveOrganizationRoleScope(ctx, "or1", store.ResourceScopes, "rs1"), "RemoveOrganizationRoleScope")
	wantErr(t, s.RemoveOrganizationRoleScope(ctx, "or1", store.ResourceScopes, "rs1"), store.ErrNotFound, "RemoveOrganizationRoleScope again")
	grants, err = s.OrganizationRoleGrants(ctx, []string{"or1"})
	ok(t, err, "OrganizationRoleGrants after")
	same(t, "OrganizationRoleGrants after", ids(grants["or1"].Scopes), []string{"s2"})
	if n := len(grants["or1"].ResourceScopes); n != 0 {
		t.Errorf("resource scopes after removal: %d", n)
	}
	rs, _, err := s.ListOrganizationRoleResourceScopes(ctx, "or1", store.Page{})
	ok(t, err, "ListOrganizationRoleResourceScopes")
	if len(rs) != 0 {
		t.Errorf("ListOrganizationRoleResourceScopes = %v", rs)
	}
	_, _, err = s.ListOrganizationRoleScopes(ctx, "nope", store.Page{})
	wantErr(t, err, store.ErrNotFound, "ListOrganizationRoleScopes unknown role")

	r.Name, r.Description = "admin", "admins"
	ok(t, s.UpdateOrganizationRole(ctx, r), "UpdateOrganizationRole")
	wantFiltered(t, "roles name admin", store.Search{Matches: []store.Match{like("name", "admin")}}, []string{"or1"}, s.ListOrganizationRoles)

	ok(t, s.DeleteOrganizationScope(ctx, "s2"), "DeleteOrganizationScope")
	grants, err = s.OrganizationRoleGrants(ctx, []string{"or1"})
	ok(t, err, "OrganizationRoleGrants after scope deletion")
	if n := len(grants["or1"].Scopes); n != 0 {
		t.Errorf("a deleted scope is still granted: %v", grants["or1"].Scopes)
	}
	ok(t, s.DeleteOrganizationRole(ctx, "or1"), "DeleteOrganizationRole")
	wantErr(t, s.DeleteOrganizationRole(ctx, "or1"), store.ErrNotFound, "DeleteOrganizationRole again")
}

func testOrganizationRoleCreateAtomic(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.CreateOrganizationScope(ctx, orgScope("s1", 1)))
	err := s.CreateOrganizationRole(ctx, orgRole("or1", store.RoleUser, 1), []string{"s1"}, []string{"no-such-scope"})
	wantErr(t, err, store.ErrNotFound, "CreateOrganizationRole unknown resource scope")
	_, err = s.GetOrganizationRole(ctx, "or1")
	wantErr(t, err, store.ErrNotFound, "the role left behind")
}

// orgFixture is an organization with two users, an application and roles
// of both types.
func orgFixture(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.CreateOrganization(ctx, org("o1", 1)))
	must(t, s.CreateOrganization(ctx, org("o2", 2)))
	must(t, s.CreateUser(ctx, user("u1", 1)))
	must(t, s.CreateUser(ctx, user("u2", 2)))
	must(t, s.CreateApplication(ctx, app("a1", 1)))
	must(t, s.CreateOrganizationRole(ctx, orgRole("ru", store.RoleUser, 1), nil, nil))
	must(t, s.CreateOrganizationRole(ctx, orgRole("ru2", store.RoleUser, 2), nil, nil))
	must(t, s.CreateOrganizationRole(ctx, orgRole("rm", store.RoleMachineToMachine, 3), nil, nil))
}

func testOrganizationMembers(t *testing.T, s store.Store) {
	ctx := t.Context()
	orgFixture(t, s)
	ok(t, s.AddOrganizationMembers(ctx, "o1", store.HolderUser, []string{"u2", "u1", "u1"}), "AddOrganizationMembers")
	ok(t, s.AddOrganizationMembers(ctx, "o1", store.HolderUser, []string{"u1"}), "AddOrganizationMembers again")
	wantErr(t, s.AddOrganizationMembers(ctx, "o1", store.HolderUser, []string{"u1", "nobody"}), store.ErrNotFound, "AddOrganizationMembers unknown user")
	wantErr(t, s.AddOrganizationMembers(ctx, "nope", store.HolderUser, []string{"u1"}), store.ErrNotFound, "AddOrganizationMembers unknown organization")
	ok(t, s.AddOrganizationMembers(ctx, "o1", store.HolderApplication, []string{"a1"}), "AddOrganizationMembers application")

	users, total, err := s.ListOrganizationUsers(ctx, "o1", store.OrganizationUserFilter{}, store.Page{})
	ok(t, err, "ListOrganizationUsers")
	same(t, "ListOrganizationUsers", ids(users), []string{"u1", "u2"})
	if total != 2 {
		t.Errorf("ListOrganizationUsers total = %d", total)
	}
	_, _, err = s.ListOrganizationUsers(ctx, "nope", store.OrganizationUserFilter{}, store.Page{})
	wantErr(t, err, store.ErrNotFound, "ListOrganizationUsers unknown organization")
	apps, _, err := s.ListOrganizationApplications(ctx, "o1", store.Search{}, store.Page{})
	ok(t, err, "ListOrganizationApplications")
	same(t, "ListOrganizationApplications", ids(apps), []string{"a1"})

	member, err := s.IsOrganizationMember(ctx, "o1", store.HolderUser, "u1")
	ok(t, err, "IsOrganizationMember")
	other, err := s.IsOrganizationMember(ctx, "o2", store.HolderUser, "u1")
	ok(t, err, "IsOrganizationMember o2")
	if !member || other {
		t.Errorf("IsOrganizationMember o1 = %v, o2 = %v; want true, false", member, other)
	}

	ok(t, s.ReplaceOrganizationMembers(ctx, "o1", store.HolderUser, []string{"u2"}), "ReplaceOrganizationMembers")
	users, _, err = s.ListOrganizationUsers(ctx, "o1", store.OrganizationUserFilter{}, store.Page{})
	ok(t, err, "ListOrganizationUsers after replace")
	same(t, "ListOrganizationUsers after replace", ids(users), []string{"u2"})
	ok(t, s.RemoveOrganizationMember(ctx, "o1", store.HolderUser, "u2"), "RemoveOrganizationMember")
	wantErr(t, s.RemoveOrganizationMember(ctx, "o1", store.HolderUser, "u2"), store.ErrNotFound, "RemoveOrganizationMember again")
	ok(t, s.ReplaceOrganizationMembers(ctx, "o1", store.HolderApplication, nil), "ReplaceOrganizationMembers to none")
	apps, _, err = s.ListOrganizationApplications(ctx, "o1", store.Search{}, store.Page{})
	ok(t, err, "ListOrganizationApplications after")
	if len(apps) != 0 {
		t.Errorf("applications left: %v", ids(apps))
	}
}

func testOrganizationMemberRoles(t *testing.T, s store.Store) {
	ctx := t.Context()
	orgFixture(t, s)
	must(t, s.AddOrganizationMembers(ctx, "o1", store.HolderUser, []string{"u1", "u2"}))
	must(t, s.AddOrganizationMembers(ctx, "o2", store.HolderUser, []string{"u1"}))
	must(t, s.AddOrganizationMembers(ctx, "o1", store.HolderApplication, []string{"a1"}))

	wantErr(t, s.AddOrganizationMemberRoles(ctx, "o2", store.HolderUser, []string{"u2"}, []string{"ru"}), store.ErrNotFound, "a role for a non-member")
	wantErr(t, s.AddOrganizationMemberRoles(ctx, "o1", store.HolderUser, []string{"u1"}, []string{"nope"}), store.ErrNotFound, "an unknown role")
	ok(t, s.AddOrganizationMemberRoles(ctx, "o1", store.HolderUser, []string{"u1", "u2"}, []string{"ru2", "ru"}), "AddOrganizationMemberRoles")
	ok(t, s.AddOrganizationMemberRoles(ctx, "o2", store.HolderUser, []string{"u1"}, []string{"ru2"}), "AddOrganizationMemberRoles o2")
	ok(t, s.AddOrganizationMemberRoles(ctx, "o1", store.HolderApplication, []string{"a1"}, []string{"rm"}), "AddOrganizationMemberRoles application")

	roles, total, err := s.ListOrganizationMemberRoles(ctx, "o1", store.HolderUser, "u1", store.Page{})
	ok(t, err, "ListOrganizationMemberRoles")
	same(t, "ListOrganizationMemberRoles", ids(roles), []string{"ru", "ru2"})
	if total != 2 {
		t.Errorf("ListOrganizationMemberRoles total = %d", total)
	}
	byMember, err := s.OrganizationMembersRoles(ctx, "o1", store.HolderUser, []string{"u1", "u2", "nobody"})
	ok(t, err, "OrganizationMembersRoles")
	same(t, "OrganizationMembersRoles u2", ids(byMember["u2"]), []string{"ru", "ru2"})
	if len(byMember["nobody"]) != 0 {
		t.Errorf("roles of nobody: %v", byMember["nobody"])
	}
	wantFiltered(t, "users with ru", store.OrganizationUserFilter{RoleID: "ru"}, []string{"u1", "u2"},
		func(ctx context.Context, f store.OrganizationUserFilter, p store.Page) ([]store.User, int, error) {
			return s.ListOrganizationUsers(ctx, "o1", f, p)
		})

	ok(t, s.ReplaceOrganizationMemberRoles(ctx, "o1", store.HolderUser, "u1", []string{"ru2"}), "ReplaceOrganizationMemberRoles")
	ok(t, s.RemoveOrganizationMemberRole(ctx, "o1", store.HolderUser, "u2", "ru"), "RemoveOrganizationMemberRole")
	wantErr(t, s.RemoveOrganizationMemberRole(ctx, "o1", store.HolderUser, "u2", "ru"), store.ErrNotFound, "RemoveOrganizationMemberRole again")
	wantErr(t, s.ReplaceOrganizationMemberRoles(ctx, "o2", store.HolderUser, "u2", nil), store.ErrNotFound, "ReplaceOrganizationMemberRoles non-member")

	orgs, err := s.MemberOrganizations(ctx, store.HolderUser, "u1")
	ok(t, err, "MemberOrganizations")
	if len(orgs) != 2 || orgs[0].Organization.ID != "o1" || orgs[1].Organization.ID != "o2" {
		t.Fatalf("MemberOrganizations = %+v", orgs)
	}
	same(t, "MemberOrganizations o1 roles", ids(orgs[0].Roles), []string{"ru2"})
	same(t, "MemberOrganizations o2 roles", ids(orgs[1].Roles), []string{"ru2"})
	appOrgs, err := s.MemberOrganizations(ctx, store.HolderApplication, "a1")
	ok(t, err, "MemberOrganizations application")
	if len(appOrgs) != 1 || len(appOrgs[0].Roles) != 1 || appOrgs[0].Roles[0].ID != "rm" {
		t.Errorf("MemberOrganizations application = %+v", appOrgs)
	}

	// Leaving the organization takes the roles there with it; coming back
	// does not give them back.
	ok(t, s.RemoveOrganizationMember(ctx, "o1", store.HolderUser, "u1"), "RemoveOrganizationMember")
	must(t, s.AddOrganizationMembers(ctx, "o1", store.HolderUser, []string{"u1"}))
	roles, _, err = s.ListOrganizationMemberRoles(ctx, "o1", store.HolderUser, "u1", store.Page{})
	ok(t, err, "ListOrganizationMemberRoles after rejoining")
	if len(roles) != 0 {
		t.Errorf("roles after leaving and rejoining: %v", ids(roles))
	}
}

func testOrganizationCascades(t *testing.T, s store.Store) {
	ctx := t.Context()
	orgFixture(t, s)
	must(t, s.AddOrganizationMembers(ctx, "o1", store.HolderUser, []string{"u1", "u2"}))
	must(t, s.AddOrganizationMembers(ctx, "o1", store.HolderApplication, []string{"a1"}))
	must(t, s.AddOrganizationMemberRoles(ctx, "o1", store.HolderUser, []string{"u1", "u2"}, []string{"ru"}))
	must(t, s.AddOrganizationMemberRoles(ctx, "o1", store.HolderApplication, []string{"a1"}, []string{"rm"}))

	ok(t, s.DeleteUser(ctx, "u2", at(10)), "DeleteUser")
	users, _, err := s.ListOrganizationUsers(ctx, "o1", store.OrganizationUserFilter{}, store.Page{})
	ok(t, err, "ListOrganizationUsers after DeleteUser")
	same(t, "members after DeleteUser", ids(users), []string{"u1"})
	ok(t, s.DeleteApplication(ctx, "a1"), "DeleteApplication")
	apps, _, err := s.ListOrganizationApplications(ctx, "o1", store.Search{}, store.Page{})
	ok(t, err, "ListOrganizationApplications after DeleteApplication")
	if len(apps) != 0 {
		t.Errorf("a deleted application is still a member")
	}
	ok(t, s.DeleteOrganizationRole(ctx, "ru"), "DeleteOrganizationRole")
	roles, err := s.OrganizationMembersRoles(ctx, "o1", store.HolderUser, []string{"u1"})
	ok(t, err, "OrganizationMembersRoles after DeleteOrganizationRole")
	if len(roles["u1"]) != 0 {
		t.Errorf("a deleted role is still held: %v", roles["u1"])
	}
	must(t, s.AddOrganizationMemberRoles(ctx, "o1", store.HolderUser, []string{"u1"}, []string{"ru2"}))
	ok(t, s.DeleteOrganization(ctx, "o1"), "DeleteOrganization")
	orgs, err := s.MemberOrganizations(ctx, store.HolderUser, "u1")
	ok(t, err, "MemberOrganizations after DeleteOrganization")
	if len(orgs) != 0 {
		t.Errorf("organizations after deletion: %+v", orgs)
	}
	// The organization's member roles went with it: the same ids may be
	// used again from scratch.
	must(t, s.CreateOrganization(ctx, org("o1", 9)))
	must(t, s.AddOrganizationMembers(ctx, "o1", store.HolderUser, []string{"u1"}))
	left, _, err := s.ListOrganizationMemberRoles(ctx, "o1", store.HolderUser, "u1", store.Page{})
	ok(t, err, "ListOrganizationMemberRoles in a new organization of the same id")
	if len(left) != 0 {
		t.Errorf("roles survived their organization: %v", ids(left))
	}
}

func testOrganizationJIT(t *testing.T, s store.Store) {
	ctx := t.Context()
	orgFixture(t, s)
	ok(t, s.AddOrganizationEmailDomain(ctx, "o1", "acme.example"), "AddOrganizationEmailDomain")
	wantErr(t, s.AddOrganizationEmailDomain(ctx, "o1", "acme.example"), store.ErrConflict, "AddOrganizationEmailDomain again")
	wantErr(t, s.AddOrganizationEmailDomain(ctx, "nope", "acme.example"), store.ErrNotFound, "AddOrganizationEmailDomain unknown organization")
	must(t, s.AddOrganizationEmailDomain(ctx, "o2", "acme.example"))
	orgs, err := s.OrganizationsForEmailDomain(ctx, "acme.example")
	ok(t, err, "OrganizationsForEmailDomain")
	same(t, "OrganizationsForEmailDomain", orgs, []string{"o1", "o2"})
	ok(t, s.ReplaceOrganizationEmailDomains(ctx, "o1", []string{"b.example", "a.example"}), "ReplaceOrganizationEmailDomains")
	domains, total, err := s.ListOrganizationEmailDomains(ctx, "o1", store.Page{})
	ok(t, err, "ListOrganizationEmailDomains")
	same(t, "ListOrganizationEmailDomains", domains, []string{"b.example", "a.example"})
	if total != 2 {
		t.Errorf("ListOrganizationEmailDomains total = %d", total)
	}
	ok(t, s.RemoveOrganizationEmailDomain(ctx, "o1", "b.example"), "RemoveOrganizationEmailDomain")
	wantErr(t, s.RemoveOrganizationEmailDomain(ctx, "o1", "b.example"), store.ErrNotFound, "RemoveOrganizationEmailDomain again")

	ok(t, s.AddOrganizationJITRoles(ctx, "o1", []string{"ru2", "ru"}), "AddOrganizationJITRoles")
	wantErr(t, s.AddOrganizationJITRoles(ctx, "o1", []string{"nope"}), store.ErrNotFound, "AddOrganizationJITRoles unknown")
	roles, _, err := s.ListOrganizationJITRoles(ctx, "o1", store.Page{})
	ok(t, err, "ListOrganizationJITRoles")
	same(t, "ListOrganizationJITRoles", ids(roles), []string{"ru", "ru2"})
	ok(t, s.ReplaceOrganizationJITRoles(ctx, "o1", []string{"ru2"}), "ReplaceOrganizationJITRoles")
	ok(t, s.RemoveOrganizationJITRole(ctx, "o1", "ru2"), "RemoveOrganizationJITRole")
	wantErr(t, s.RemoveOrganizationJITRole(ctx, "o1", "ru2"), store.ErrNotFound, "RemoveOrganizationJITRole again")
}

// Users and applications lists leave out an organization's members.
func testExcludeOrganization(t *testing.T, s store.Store) {
	ctx := t.Context()
	orgFixture(t, s)
	must(t, s.CreateApplication(ctx, app("a2", 2)))
	must(t, s.AddOrganizationMembers(ctx, "o1", store.HolderUser, []string{"u1"}))
	must(t, s.AddOrganizationMembers(ctx, "o1", store.HolderApplication, []string{"a1"}))
	wantFiltered(t, "users not in o1", store.UserFilter{ExcludeOrganizationID: "o1"}, []string{"u2"}, s.ListUsers)
	wantFiltered(t, "users not in o2", store.UserFilter{ExcludeOrganizationID: "o2"}, []string{"u1", "u2"}, s.ListUsers)
	wantFiltered(t, "applications not in o1", store.ApplicationFilter{ExcludeOrganizationID: "o1"}, []string{"a2"}, s.ListApplications)
}
