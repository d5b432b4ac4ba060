package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/monban/monban/internal/store"
)

// memberTables are where the members of one kind, and their roles, are
// kept.
type memberTables struct {
	members, roles, col, entity, kind string
	changed                           store.EventKind // the event of a change of the members
}

var memberTablesOf = map[store.Holder]memberTables{
	store.HolderUser: {"organization_users", "organization_user_roles", "user_id", "users", "user",
		store.EventOrganizationUsersChanged},
	store.HolderApplication: {"organization_applications", "organization_application_roles", "application_id", "applications", "application",
		store.EventOrganizationApplicationsChanged},
}

func membersOf(h store.Holder) (memberTables, error) {
	m, ok := memberTablesOf[h]
	if !ok {
		return m, fmt.Errorf("unknown holder %d", h)
	}
	return m, nil
}

// orgExists is ErrNotFound unless the organization exists.
func (t txn) orgExists(orgID string) error {
	return t.exists(notFound("organization", orgID), "organizations", orgID)
}

// AddOrganizationMembers makes ids members of the organization.
func (s *Store) AddOrganizationMembers(ctx context.Context, orgID string, h store.Holder, ids []string) error {
	return s.setMembers(ctx, "add organization members", orgID, h, ids, false)
}

// ReplaceOrganizationMembers makes ids the organization's only members of
// their kind; those dropped lose their roles there.
func (s *Store) ReplaceOrganizationMembers(ctx context.Context, orgID string, h store.Holder, ids []string) error {
	return s.setMembers(ctx, "replace organization members", orgID, h, ids, true)
}

func (s *Store) setMembers(ctx context.Context, op, orgID string, h store.Holder, ids []string, replace bool) error {
	m, err := membersOf(h)
	ids = uniq(ids)
	if err == nil {
		err = s.changeTold(ctx, event(m.changed, orgID, nil), func(t txn) (*store.EventPayload, error) {
			if err := t.orgExists(orgID); err != nil {
				return nil, err
			}
			if err := t.allExist(fmt.Errorf("one of the %ss: %w", m.kind, store.ErrNotFound), m.entity, ids); err != nil {
				return nil, err
			}
			before, err := t.memberIDs(m, orgID)
			if err != nil {
				return nil, err
			}
			delta := &store.EventPayload{}
			if replace {
				for _, id := range before {
					if !slices.Contains(ids, id) {
						delta.RemovedIDs = append(delta.RemovedIDs, id)
					}
				}
				if err := t.dropMembersBut(m, orgID, ids); err != nil {
					return nil, err
				}
			}
			now := time.Now().UnixMilli()
			for _, id := range ids {
				if slices.Contains(before, id) {
					continue
				}
				delta.IDs = append(delta.IDs, id)
				if _, err := t.exec("INSERT INTO "+m.members+" (organization_id, "+m.col+", created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
					orgID, id, now); err != nil {
					return nil, err
				}
			}
			return delta, nil
		})
	}
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// memberIDs lists the ids of the organization's members of one kind.
func (t txn) memberIDs(m memberTables, orgID string) ([]string, error) {
	return collect(t, func(r scanner) (string, error) {
		var id string
		return id, r.Scan(&id)
	}, "SELECT "+m.col+" FROM "+m.members+" WHERE organization_id = ?", orgID)
}

// dropMembersBut removes every member of the organization not in keep.
func (t txn) dropMembersBut(m memberTables, orgID string, keep []string) error {
	q := "DELETE FROM " + m.members + " WHERE organization_id = ?"
	if len(keep) > 0 {
		q += " AND " + m.col + " NOT IN (" + placeholders(len(keep)) + ")"
	}
	_, err := t.exec(q, append([]any{orgID}, anys(keep)...)...)
	return err
}

// RemoveOrganizationMember removes one member with its roles there; one
// who is not a member is ErrNotFound.
func (s *Store) RemoveOrganizationMember(ctx context.Context, orgID string, h store.Holder, id string) error {
	m, err := membersOf(h)
	if err == nil {
		err = s.change(ctx, event(m.changed, orgID, &store.EventPayload{RemovedIDs: []string{id}}), func(t txn) error {
			return t.execOne(notFound("organization member", orgID+"/"+id), "DELETE FROM "+m.members+" WHERE organization_id = ? AND "+m.col+" = ?", orgID, id)
		})
	}
	if err != nil {
		return fmt.Errorf("remove organization member: %w", err)
	}
	return nil
}

// IsOrganizationMember reports whether id is a member of the organization.
func (s *Store) IsOrganizationMember(ctx context.Context, orgID string, h store.Holder, id string) (bool, error) {
	m, err := membersOf(h)
	var n int
	if err == nil {
		err = s.read(ctx, func(t txn) error {
			var err error
			n, err = t.count("SELECT COUNT(*) FROM "+m.members+" WHERE organization_id = ? AND "+m.col+" = ?", orgID, id)
			return err
		})
	}
	if err != nil {
		return false, fmt.Errorf("is organization member: %w", err)
	}
	return n > 0, nil
}

// ListOrganizationUsers returns a page of the organization's users that
// match filter. An unknown organization is ErrNotFound.
func (s *Store) ListOrganizationUsers(ctx context.Context, orgID string, filter store.OrganizationUserFilter, page store.Page) ([]store.User, int, error) {
	f := conds{d: &s.d}
	f.add(true, "EXISTS (SELECT 1 FROM organization_users m WHERE m.user_id = users.id AND m.organization_id = ?)", orgID)
	f.search(userSearch, filter.Match)
	f.add(filter.RoleID != "", "EXISTS (SELECT 1 FROM organization_user_roles r WHERE r.user_id = users.id AND r.organization_id = ? AND r.role_id = ?)",
		orgID, filter.RoleID)
	if f.err != nil {
		return nil, 0, fmt.Errorf("list organization users: %w", f.err)
	}
	parent := func(t txn) error { return t.orgExists(orgID) }
	return listPage(ctx, s, "list organization users", parent, userCols, f.from("users"), "users.created_at, users.id", f.args, page, scanUser)
}

// ListOrganizationApplications returns a page of the organization's
// applications that match. An unknown organization is ErrNotFound.
func (s *Store) ListOrganizationApplications(ctx context.Context, orgID string, match store.Search, page store.Page) ([]store.Application, int, error) {
	f := conds{d: &s.d}
	f.add(true, "EXISTS (SELECT 1 FROM organization_applications m WHERE m.application_id = applications.id AND m.organization_id = ?)", orgID)
	f.search(appSearch, match)
	if f.err != nil {
		return nil, 0, fmt.Errorf("list organization applications: %w", f.err)
	}
	parent := func(t txn) error { return t.orgExists(orgID) }
	return listPage(ctx, s, "list organization applications", parent, appCols, f.from("applications"),
		"applications.created_at, applications.id", f.args, page, scanApp)
}

// AddOrganizationMemberRoles gives every role to every member; a member
// who is not one is ErrNotFound.
func (s *Store) AddOrganizationMemberRoles(ctx context.Context, orgID string, h store.Holder, memberIDs, roleIDs []string) error {
	return s.setMemberRoles(ctx, "add organization member roles", orgID, h, uniq(memberIDs), roleIDs, false)
}

// ReplaceOrganizationMemberRoles makes roleIDs the member's only roles in
// the organization.
func (s *Store) ReplaceOrganizationMemberRoles(ctx context.Context, orgID string, h store.Holder, memberID string, roleIDs []string) error {
	return s.setMemberRoles(ctx, "replace organization member roles", orgID, h, []string{memberID}, roleIDs, true)
}

func (s *Store) setMemberRoles(ctx context.Context, op, orgID string, h store.Holder, memberIDs, roleIDs []string, replace bool) error {
	m, err := membersOf(h)
	roleIDs = uniq(roleIDs)
	if err == nil {
		err = s.write(ctx, func(t txn) error {
			if err := t.allExist(fmt.Errorf("one of the organization roles: %w", store.ErrNotFound), "organization_roles", roleIDs); err != nil {
				return err
			}
			for _, id := range memberIDs {
				if err := t.memberRoles(m, orgID, id, roleIDs, replace); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// memberRoles gives roleIDs to the member id, after taking its roles away
// when replace.
func (t txn) memberRoles(m memberTables, orgID, id string, roleIDs []string, replace bool) error {
	n, err := t.count("SELECT COUNT(*) FROM "+m.members+" WHERE organization_id = ? AND "+m.col+" = ?", orgID, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound("organization member", orgID+"/"+id)
	}
	if replace {
		if _, err := t.exec("DELETE FROM "+m.roles+" WHERE organization_id = ? AND "+m.col+" = ?", orgID, id); err != nil {
			return err
		}
	}
	for _, roleID := range roleIDs {
		if _, err := t.exec("INSERT INTO "+m.roles+" (organization_id, "+m.col+", role_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
			orgID, id, roleID); err != nil {
			return err
		}
	}
	return nil
}

// RemoveOrganizationMemberRole takes one role from a member; a role it
// does not hold is ErrNotFound.
func (s *Store) RemoveOrganizationMemberRole(ctx context.Context, orgID string, h store.Holder, memberID, roleID string) error {
	m, err := membersOf(h)
	if err == nil {
		err = s.write(ctx, func(t txn) error {
			return t.execOne(notFound("organization member role", roleID),
				"DELETE FROM "+m.roles+" WHERE organization_id = ? AND "+m.col+" = ? AND role_id = ?", orgID, memberID, roleID)
		})
	}
	if err != nil {
		return fmt.Errorf("remove organization member role: %w", err)
	}
	return nil
}

// ListOrganizationMemberRoles returns a page of the roles the member holds
// in the organization.
func (s *Store) ListOrganizationMemberRoles(ctx context.Context, orgID string, h store.Holder, memberID string, page store.Page) ([]store.OrganizationRole, int, error) {
	m, err := membersOf(h)
	if err != nil {
		return nil, 0, err
	}
	return listPage(ctx, s, "list organization member roles", nil, orgRoleCols,
		"FROM organization_roles JOIN "+m.roles+" r ON r.role_id = organization_roles.id WHERE r.organization_id = ? AND r."+m.col+" = ?",
		"organization_roles.created_at, organization_roles.id", []any{orgID, memberID}, page, scanOrgRole)
}

// OrganizationMembersRoles returns the roles each member holds there: one
// query.
func (s *Store) OrganizationMembersRoles(ctx context.Context, orgID string, h store.Holder, memberIDs []string) (map[string][]store.OrganizationRole, error) {
	out := make(map[string][]store.OrganizationRole)
	m, err := membersOf(h)
	memberIDs = uniq(memberIDs)
	if err != nil || len(memberIDs) == 0 {
		return out, err
	}
	err = s.read(ctx, func(t txn) error {
		out = make(map[string][]store.OrganizationRole)
		return eachRow(t, func(sc scanner) error {
			var id string
			var role store.OrganizationRole
			var typ string
			var created int64
			if err := sc.Scan(&id, &role.ID, &role.Name, &role.Description, &typ, &created); err != nil {
				return err
			}
			role.Type, role.CreatedAt = store.RoleType(typ), fromMillis(created)
			out[id] = append(out[id], role)
			return nil
		}, "SELECT r."+m.col+", "+orgRoleCols+" FROM organization_roles JOIN "+m.roles+" r ON r.role_id = organization_roles.id "+
			"WHERE r.organization_id = ? AND r."+m.col+" IN ("+placeholders(len(memberIDs))+") ORDER BY organization_roles.created_at, organization_roles.id",
			append([]any{orgID}, anys(memberIDs)...)...)
	})
	if err != nil {
		return nil, fmt.Errorf("organization members' roles: %w", err)
	}
	return out, nil
}

// MemberOrganizations lists the member's organizations with its roles in
// each: two queries.
func (s *Store) MemberOrganizations(ctx context.Context, h store.Holder, memberID string) ([]store.MemberOrganization, error) {
	m, err := membersOf(h)
	if err != nil {
		return nil, err
	}
	var out []store.MemberOrganization
	err = s.read(ctx, func(t txn) error {
		orgs, err := collect(t, scanOrg, "SELECT "+orgCols+" FROM organizations JOIN "+m.members+" m ON m.organization_id = organizations.id "+
			"WHERE m."+m.col+" = ? ORDER BY organizations.created_at, organizations.id", memberID)
		if err != nil {
			return err
		}
		roles := make(map[string][]store.OrganizationRole)
		if err := eachRow(t, func(sc scanner) error {
			var orgID, typ string
			var role store.OrganizationRole
			var created int64
			if err := sc.Scan(&orgID, &role.ID, &role.Name, &role.Description, &typ, &created); err != nil {
				return err
			}
			role.Type, role.CreatedAt = store.RoleType(typ), fromMillis(created)
			roles[orgID] = append(roles[orgID], role)
			return nil
		}, "SELECT r.organization_id, "+orgRoleCols+" FROM organization_roles JOIN "+m.roles+" r ON r.role_id = organization_roles.id "+
			"WHERE r."+m.col+" = ? ORDER BY organization_roles.created_at, organization_roles.id", memberID); err != nil {
			return err
		}
		out = make([]store.MemberOrganization, len(orgs))
		for i, o := range orgs {
			out[i] = store.MemberOrganization{Organization: o, Roles: roles[o.ID]}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("member organizations: %w", err)
	}
	return out, nil
}
