package directory

import (
	"context"
	"fmt"
	"strings"

	"github.com/monban/monban/internal/store"
)

// An organization's members (users and machine-to-machine applications)
// and their organization roles. The rules: only machine-to-machine
// applications are members; a role is given only to a member, and only
// to the holder its type is given to (store.RoleType.GivenTo); a member
// who leaves loses its roles there.

// memberFields names the ids of each kind of member in messages.
var memberFields = map[store.Holder]string{
	store.HolderUser:        "userIds",
	store.HolderApplication: "applicationIds",
}

// OrganizationUsers lists one page of an organization's users that match.
func (d *Directory) OrganizationUsers(ctx context.Context, orgID string, f store.OrganizationUserFilter, page store.Page) ([]store.User, int, error) {
	if _, err := d.Organization(ctx, orgID); err != nil {
		return nil, 0, err
	}
	users, total, err := d.st.ListOrganizationUsers(ctx, orgID, f, page)
	return users, total, orNotFound(err, "organization not found")
}

// OrganizationApplications lists one page of an organization's
// applications that match.
func (d *Directory) OrganizationApplications(ctx context.Context, orgID string, match store.Search, page store.Page) ([]store.Application, int, error) {
	if _, err := d.Organization(ctx, orgID); err != nil {
		return nil, 0, err
	}
	apps, total, err := d.st.ListOrganizationApplications(ctx, orgID, match, page)
	return apps, total, orNotFound(err, "organization not found")
}

// OrganizationMembersRoles returns the roles each member holds there.
func (d *Directory) OrganizationMembersRoles(ctx context.Context, orgID string, h store.Holder, ids []string) (map[string][]store.OrganizationRole, error) {
	return d.st.OrganizationMembersRoles(ctx, orgID, h, ids)
}

// AddOrganizationMembers makes ids members of the organization; those who
// are already stay as they are.
func (d *Directory) AddOrganizationMembers(ctx context.Context, orgID string, h store.Holder, ids []string) error {
	ids, err := CheckIDs(memberFields[h], ids)
	if err == nil {
		err = d.memberKinds(ctx, h, ids)
	}
	if err != nil {
		return err
	}
	return relationErr(d.st.AddOrganizationMembers(ctx, orgID, h, ids))
}

// ReplaceOrganizationMembers makes ids the organization's members of
// their kind; those left out lose their roles there.
func (d *Directory) ReplaceOrganizationMembers(ctx context.Context, orgID string, h store.Holder, ids []string) error {
	ids, err := idSet(memberFields[h], ids)
	if err == nil {
		err = d.memberKinds(ctx, h, ids)
	}
	if err != nil {
		return err
	}
	return relationErr(d.st.ReplaceOrganizationMembers(ctx, orgID, h, ids))
}

// memberKinds checks that the applications among ids are
// machine-to-machine ones: no other kind is a member. Unknown ids are
// left for the store to refuse.
func (d *Directory) memberKinds(ctx context.Context, h store.Holder, ids []string) error {
	if h != store.HolderApplication {
		return nil
	}
	for _, id := range ids {
		app, err := d.st.GetApplication(ctx, id)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return err
		}
		if app.Type != store.AppMachineToMachine {
			return constraint(fmt.Sprintf("application %q is a %s application; only MachineToMachine applications can be organization members", id, app.Type))
		}
	}
	return nil
}

// RemoveOrganizationMember removes a member with its roles there.
func (d *Directory) RemoveOrganizationMember(ctx context.Context, orgID string, h store.Holder, id string) error {
	if err := validIDs(orgID, "organization", id, holderNames[h][0]); err != nil {
		return relationGone(store.ErrNotFound, "organization member")
	}
	return relationGone(d.st.RemoveOrganizationMember(ctx, orgID, h, id), "organization member")
}

// givableOrgRoles checks that every role named exists (else the store's
// refusal, as a missing relation) and may be held by h.
func (d *Directory) givableOrgRoles(ctx context.Context, h store.Holder, ids []string) error {
	for _, id := range ids {
		role, err := d.st.GetOrganizationRole(ctx, id)
		if isNotFound(err) {
			return relationErr(err)
		}
		if err != nil {
			return err
		}
		if !role.Type.GivenTo(h) {
			return constraint(fmt.Sprintf("organization role %q is a %s role; %s can hold %s roles only", id, role.Type, holderNames[h][1], heldType(h)))
		}
	}
	return nil
}

// AssignOrganizationRoles gives every role to every member (Logto's
// POST /organizations/{id}/users/roles and …/applications/roles).
func (d *Directory) AssignOrganizationRoles(ctx context.Context, orgID string, h store.Holder, memberIDs, roleIDs []string) error {
	memberIDs, err := CheckIDs(memberFields[h], memberIDs)
	if err != nil {
		return err
	}
	if roleIDs, err = CheckIDs("organizationRoleIds", roleIDs); err != nil {
		return err
	}
	if err := d.givableOrgRoles(ctx, h, roleIDs); err != nil {
		return err
	}
	return relationErr(d.st.AddOrganizationMemberRoles(ctx, orgID, h, memberIDs, roleIDs))
}

// RequireMember refuses (ReasonRequireMembership) a user or application
// that is not a member of the organization.
func (d *Directory) RequireMember(ctx context.Context, orgID string, h store.Holder, id string) error {
	member := false
	if ValidID(orgID) && ValidID(id) {
		var err error
		if member, err = d.st.IsOrganizationMember(ctx, orgID, h, id); err != nil {
			return err
		}
	}
	if !member {
		return &Error{Kind: Invalid, Reason: ReasonRequireMembership, Message: "the " + holderNames[h][0] + " must be a member of the organization"}
	}
	return nil
}

// MemberRoles lists one page of the roles a member holds in the
// organization.
func (d *Directory) MemberRoles(ctx context.Context, orgID string, h store.Holder, id string, page store.Page) ([]store.OrganizationRole, int, error) {
	if err := d.RequireMember(ctx, orgID, h, id); err != nil {
		return nil, 0, err
	}
	return d.st.ListOrganizationMemberRoles(ctx, orgID, h, id, page)
}

// RoleNames are organization roles named by id or by name.
type RoleNames struct {
	IDs   []string
	Names []string
}

// resolve returns the ids of the roles named, without repeats: every
// name must be a role's (ReasonRoleNamesNotFound). With required, at
// least one role must be named.
func (d *Directory) resolve(ctx context.Context, in RoleNames, required bool) ([]string, error) {
	if required && len(in.IDs) == 0 && len(in.Names) == 0 {
		return nil, invalid("organizationRoleIds must be a non-empty array of ids")
	}
	ids, err := optionalIDs("organizationRoleIds", in.IDs)
	if err != nil {
		return nil, err
	}
	if len(in.Names) > MaxIDsPerRequest {
		return nil, invalid(fmt.Sprintf("organizationRoleNames has more than %d names", MaxIDsPerRequest))
	}
	for _, n := range in.Names {
		if n == "" || hasControl(n) {
			return nil, invalid("organizationRoleNames must hold non-empty names")
		}
	}
	if len(in.Names) == 0 {
		return ids, nil
	}
	roles, err := d.st.FindOrganizationRolesByName(ctx, in.Names)
	if err != nil {
		return nil, err
	}
	found := make(map[string]bool, len(roles))
	for _, r := range roles {
		found[r.Name] = true
		ids = append(ids, r.ID)
	}
	var missing []string
	for _, n := range in.Names {
		if !found[n] {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return nil, &Error{Kind: Invalid, Reason: ReasonRoleNamesNotFound,
			Message: "Invalid role names detected: " + strings.Join(missing, ", ") + ". Please create these roles first before proceeding."}
	}
	return uniqIDs(ids), nil
}

func uniqIDs(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// AddMemberRoles gives roles to one member and returns their ids.
func (d *Directory) AddMemberRoles(ctx context.Context, orgID string, h store.Holder, id string, in RoleNames) ([]string, error) {
	if err := d.RequireMember(ctx, orgID, h, id); err != nil {
		return nil, err
	}
	ids, err := d.resolve(ctx, in, h == store.HolderApplication)
	if err != nil {
		return nil, err
	}
	if err := d.givableOrgRoles(ctx, h, ids); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return []string{}, nil
	}
	return ids, relationErr(d.st.AddOrganizationMemberRoles(ctx, orgID, h, []string{id}, ids))
}

// ReplaceMemberRoles makes the roles named the member's only roles there.
func (d *Directory) ReplaceMemberRoles(ctx context.Context, orgID string, h store.Holder, id string, in RoleNames) error {
	if err := d.RequireMember(ctx, orgID, h, id); err != nil {
		return err
	}
	ids, err := d.resolve(ctx, in, h == store.HolderApplication)
	if err != nil {
		return err
	}
	if err := d.givableOrgRoles(ctx, h, ids); err != nil {
		return err
	}
	return relationErr(d.st.ReplaceOrganizationMemberRoles(ctx, orgID, h, id, ids))
}

// RemoveMemberRole takes one role from a member.
func (d *Directory) RemoveMemberRole(ctx context.Context, orgID string, h store.Holder, id, roleID string) error {
	if err := d.RequireMember(ctx, orgID, h, id); err != nil {
		return err
	}
	if !ValidID(roleID) {
		return relationGone(store.ErrNotFound, "organization role of the member")
	}
	return relationGone(d.st.RemoveOrganizationMemberRole(ctx, orgID, h, id, roleID), "organization role of the member")
}

// MemberScopes returns the organization scopes a member's roles there
// grant, each once, by name.
func (d *Directory) MemberScopes(ctx context.Context, orgID string, h store.Holder, id string) ([]store.OrganizationScope, error) {
	roles, _, err := d.MemberRoles(ctx, orgID, h, id, store.Page{})
	if err != nil {
		return nil, err
	}
	grants, err := d.OrganizationRoleGrants(ctx, roles)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	out := []store.OrganizationScope{}
	for _, r := range roles {
		if !r.Type.GivenTo(h) {
			continue
		}
		for _, sc := range grants[r.ID].Scopes {
			if !seen[sc.ID] {
				seen[sc.ID] = true
				out = append(out, sc)
			}
		}
	}
	return out, nil
}

// MemberOrganizations lists the organizations a user or application
// belongs to, with its roles in each; an unknown one is NotFound.
func (d *Directory) MemberOrganizations(ctx context.Context, h store.Holder, id string) ([]store.MemberOrganization, error) {
	var err error
	if h == store.HolderUser {
		_, err = findByID(ctx, id, "user", d.st.GetUser)
	} else {
		_, err = d.Application(ctx, id)
	}
	if err != nil {
		return nil, err
	}
	return d.st.MemberOrganizations(ctx, h, id)
}
