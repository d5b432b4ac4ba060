package directory

import (
	"context"
	"testing"

	"github.com/monban/monban/internal/store"
)

func orgRole(t *testing.T, d *Directory, name string, typ store.RoleType) store.OrganizationRole {
	t.Helper()
	return must[store.OrganizationRole](t)(d.CreateOrganizationRole(context.Background(),
		NewOrganizationRole{NamePatch: NamePatch{Name: &name}, Type: ptr(string(typ))}))
}

func TestOrganizationFields(t *testing.T) {
	d, _ := newDir(t)
	ctx := context.Background()
	_, err := d.CreateOrganization(ctx, OrganizationFields{})
	refused(t, err, Invalid, "")
	for _, in := range []OrganizationFields{
		{Name: ptr(" ")},
		{Name: ptr("a"), Branding: map[string]any{"logo": "https://x.example/l.png"}},
		{Name: ptr("a"), Branding: map[string]any{"logoUrl": "javascript:alert(1)"}},
		{Name: ptr("a"), Color: map[string]any{"isDarkModeEnabled": "yes"}},
		{Name: ptr("a"), Description: ptr("bad\x00")},
	} {
		_, err := d.CreateOrganization(ctx, in)
		refused(t, err, Invalid, "")
	}
	o := must[store.Organization](t)(d.CreateOrganization(ctx, OrganizationFields{Name: ptr("Acme"),
		Branding: map[string]any{"logoUrl": "https://acme.example/logo.png"}, IsMFARequired: ptr(true)}))
	got, changed, err := d.UpdateOrganization(ctx, o.ID, OrganizationFields{Description: ptr("B2B")})
	ok(t, err)
	if !changed || got.Description != "B2B" || got.Branding["logoUrl"] != "https://acme.example/logo.png" || !got.IsMFARequired {
		t.Fatalf("UpdateOrganization = %+v, %v", got, changed)
	}
	_, err = d.Organization(ctx, "nope")
	refused(t, err, NotFound, ReasonNoSuchID)
	refused(t, d.DeleteOrganization(ctx, "nope"), NotFound, ReasonNoSuchID)
}

func TestOrganizationMemberRules(t *testing.T) {
	d, _ := newDir(t)
	ctx := context.Background()
	o := must[store.Organization](t)(d.CreateOrganization(ctx, OrganizationFields{Name: ptr("Acme")}))
	u := must[store.User](t)(d.CreateUser(ctx, NewUser{UserFields: UserFields{Username: ptr("jane")}}))
	outsider := must[store.User](t)(d.CreateUser(ctx, NewUser{UserFields: UserFields{Username: ptr("joe")}}))
	m2m := app(t, d, "robot", store.AppMachineToMachine)
	spa := app(t, d, "web", store.AppSPA)
	userRole := orgRole(t, d, "admin", store.RoleUser)
	appRole := orgRole(t, d, "machine", store.RoleMachineToMachine)

	// Only machine-to-machine applications are members.
	refused(t, d.AddOrganizationMembers(ctx, o.ID, store.HolderApplication, []string{spa.ID}), Invalid, ReasonOrganizationConstraint)
	ok(t, d.AddOrganizationMembers(ctx, o.ID, store.HolderApplication, []string{m2m.ID}))
	ok(t, d.AddOrganizationMembers(ctx, o.ID, store.HolderUser, []string{u.ID}))
	refused(t, d.AddOrganizationMembers(ctx, o.ID, store.HolderUser, []string{"nobody"}), Invalid, ReasonRelationNotFound)
	refused(t, d.AddOrganizationMembers(ctx, "nope", store.HolderUser, []string{u.ID}), Invalid, ReasonRelationNotFound)

	// A role is given only to a member, and only of its type.
	_, err := d.AddMemberRoles(ctx, o.ID, store.HolderUser, outsider.ID, RoleNames{IDs: []string{userRole.ID}})
	refused(t, err, Invalid, ReasonRequireMembership)
	refused(t, d.AssignOrganizationRoles(ctx, o.ID, store.HolderUser, []string{outsider.ID}, []string{userRole.ID}), Invalid, ReasonRelationNotFound)
	_, err = d.AddMemberRoles(ctx, o.ID, store.HolderUser, u.ID, RoleNames{IDs: []string{appRole.ID}})
	refused(t, err, Invalid, ReasonOrganizationConstraint)
	refused(t, d.AssignOrganizationRoles(ctx, o.ID, store.HolderApplication, []string{m2m.ID}, []string{userRole.ID}), Invalid, ReasonOrganizationConstraint)
	_, err = d.AddMemberRoles(ctx, o.ID, store.HolderUser, u.ID, RoleNames{Names: []string{"admin", "ghost"}})
	refused(t, err, Invalid, ReasonRoleNamesNotFound)
	ids, err := d.AddMemberRoles(ctx, o.ID, store.HolderUser, u.ID, RoleNames{Names: []string{"admin"}, IDs: []string{userRole.ID}})
	ok(t, err)
	if len(ids) != 1 || ids[0] != userRole.ID {
		t.Fatalf("AddMemberRoles = %v", ids)
	}
	ok(t, d.AssignOrganizationRoles(ctx, o.ID, store.HolderApplication, []string{m2m.ID}, []string{appRole.ID}))

	// Removing a member drops its roles.
	ok(t, d.RemoveOrganizationMember(ctx, o.ID, store.HolderUser, u.ID))
	refused(t, d.RemoveOrganizationMember(ctx, o.ID, store.HolderUser, u.ID), NotFound, ReasonRelationMissing)
	ok(t, d.AddOrganizationMembers(ctx, o.ID, store.HolderUser, []string{u.ID}))
	roles, _, err := d.MemberRoles(ctx, o.ID, store.HolderUser, u.ID, store.Page{})
	ok(t, err)
	if len(roles) != 0 {
		t.Fatalf("roles survived leaving: %v", roles)
	}
	refused(t, d.RemoveMemberRole(ctx, o.ID, store.HolderUser, u.ID, userRole.ID), NotFound, ReasonRelationMissing)

	orgs, err := d.MemberOrganizations(ctx, store.HolderApplication, m2m.ID)
	ok(t, err)
	if len(orgs) != 1 || len(orgs[0].Roles) != 1 || orgs[0].Roles[0].ID != appRole.ID {
		t.Fatalf("MemberOrganizations = %+v", orgs)
	}
	_, err = d.MemberOrganizations(ctx, store.HolderUser, "nobody")
	refused(t, err, NotFound, ReasonNoSuchID)
}

func TestOrganizationTemplateRules(t *testing.T) {
	d, _ := newDir(t)
	ctx := context.Background()
	_, err := d.CreateOrganizationScope(ctx, NamePatch{Name: ptr("read docs")})
	refused(t, err, Invalid, "")
	sc := must[store.OrganizationScope](t)(d.CreateOrganizationScope(ctx, NamePatch{Name: ptr("read:docs")}))
	_, err = d.CreateOrganizationScope(ctx, NamePatch{Name: ptr("read:docs")})
	refused(t, err, Conflict, "")
	_, err = d.CreateOrganizationRole(ctx, NewOrganizationRole{NamePatch: NamePatch{Name: ptr("r")}, Type: ptr("Robot")})
	refused(t, err, Invalid, "")
	_, err = d.CreateOrganizationRole(ctx, NewOrganizationRole{NamePatch: NamePatch{Name: ptr("r")}, ScopeIDs: []string{"nope"}})
	refused(t, err, Invalid, ReasonRelationNotFound)
	r := must[store.OrganizationRole](t)(d.CreateOrganizationRole(ctx, NewOrganizationRole{NamePatch: NamePatch{Name: ptr("r")}, ScopeIDs: []string{sc.ID}}))
	if r.Type != store.RoleUser {
		t.Fatalf("default type %q", r.Type)
	}
	_, _, err = d.UpdateOrganizationRole(ctx, r.ID, RoleChange{Type: ptr("MachineToMachine")})
	refused(t, err, Invalid, "")
	ok(t, d.ReplaceOrganizationRoleScopes(ctx, r.ID, store.OrganizationScopes, []string{}))
	refused(t, d.ReplaceOrganizationRoleScopes(ctx, r.ID, store.OrganizationScopes, nil), Invalid, "")
	refused(t, d.RemoveOrganizationRoleScope(ctx, r.ID, store.OrganizationScopes, sc.ID), NotFound, ReasonRelationMissing)
}

func TestJustInTimeProvisioning(t *testing.T) {
	d, _ := newDir(t)
	ctx := context.Background()
	o := must[store.Organization](t)(d.CreateOrganization(ctx, OrganizationFields{Name: ptr("Acme")}))
	member := orgRole(t, d, "member", store.RoleUser)
	robot := orgRole(t, d, "robot", store.RoleMachineToMachine)
	_, err := d.AddEmailDomain(ctx, o.ID, "acme@example")
	refused(t, err, Invalid, "")
	domain := must[string](t)(d.AddEmailDomain(ctx, o.ID, "Acme.Example"))
	if domain != "acme.example" {
		t.Fatalf("domain kept as %q", domain)
	}
	_, err = d.AddEmailDomain(ctx, o.ID, "acme.example")
	refused(t, err, Conflict, "")
	refused(t, d.AddJITRoles(ctx, o.ID, []string{robot.ID}), Invalid, ReasonOrganizationConstraint)
	ok(t, d.AddJITRoles(ctx, o.ID, []string{member.ID}))

	// An administrator's user at the domain joins with the role.
	u := must[store.User](t)(d.CreateUser(ctx, NewUser{UserFields: UserFields{PrimaryEmail: ptr("jane@ACME.example"), By: ByAdmin}}))
	roles, _, err := d.MemberRoles(ctx, o.ID, store.HolderUser, u.ID, store.Page{})
	ok(t, err)
	if len(roles) != 1 || roles[0].ID != member.ID {
		t.Fatalf("JIT roles = %v", roles)
	}
	// Signing up with an address nobody has checked joins nothing.
	self := must[store.User](t)(d.CreateUser(ctx, NewUser{UserFields: UserFields{PrimaryEmail: ptr("mallory@acme.example")}}))
	refused(t, d.RequireMember(ctx, o.ID, store.HolderUser, self.ID), Invalid, ReasonRequireMembership)
	other := must[store.User](t)(d.CreateUser(ctx, NewUser{UserFields: UserFields{PrimaryEmail: ptr("bob@other.example"), By: ByAdmin}}))
	refused(t, d.RequireMember(ctx, o.ID, store.HolderUser, other.ID), Invalid, ReasonRequireMembership)
}
