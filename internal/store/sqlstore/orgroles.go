package sqlstore

import (
	"context"
	"fmt"

	"github.com/monban/monban/internal/store"
)

const orgRoleCols = "organization_roles.id, organization_roles.name, organization_roles.description, organization_roles.type, organization_roles.created_at"

func scanOrgRole(r scanner) (store.OrganizationRole, error) {
	var (
		role    store.OrganizationRole
		typ     string
		created int64
	)
	err := r.Scan(&role.ID, &role.Name, &role.Description, &typ, &created)
	role.Type, role.CreatedAt = store.RoleType(typ), fromMillis(created)
	return role, err
}

// roleScopeLink is where an organization role's scopes of one kind are
// linked: the link table and the table of the scopes.
type roleScopeLink struct{ table, scopes, kind string }

var roleScopeLinks = map[store.OrganizationScopeKind]roleScopeLink{
	store.OrganizationScopes: {"organization_role_scopes", "organization_scopes", "organization scope"},
	store.ResourceScopes:     {"organization_role_resource_scopes", "scopes", "scope"},
}

func scopeLink(kind store.OrganizationScopeKind) (roleScopeLink, error) {
	l, ok := roleScopeLinks[kind]
	if !ok {
		return l, fmt.Errorf("unknown organization scope kind %d", kind)
	}
	return l, nil
}

// CreateOrganizationRole inserts role with its scopes, all or nothing: an
// id or name in use is ErrConflict, an unknown scope ErrNotFound.
func (s *Store) CreateOrganizationRole(ctx context.Context, role store.OrganizationRole, scopeIDs, resourceScopeIDs []string) error {
	err := s.change(ctx, event(store.EventOrganizationRoleCreated, role.ID, nil), func(t txn) error {
		if _, err := t.exec("INSERT INTO organization_roles (id, name, description, type, created_at) VALUES (?, ?, ?, ?, ?)",
			role.ID, role.Name, role.Description, string(role.Type), millis(role.CreatedAt)); err != nil {
			return err
		}
		if err := t.linkRoleScopes(role.ID, roleScopeLinks[store.OrganizationScopes], uniq(scopeIDs)); err != nil {
			return err
		}
		return t.linkRoleScopes(role.ID, roleScopeLinks[store.ResourceScopes], uniq(resourceScopeIDs))
	})
	if err != nil {
		return fmt.Errorf("create organization role: %w", err)
	}
	return nil
}

// linkRoleScopes links ids, which must all exist, to the role.
func (t txn) linkRoleScopes(roleID string, l roleScopeLink, ids []string) error {
	if err := t.allExist(fmt.Errorf("one of the %ss: %w", l.kind, store.ErrNotFound), l.scopes, ids); err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := t.exec("INSERT INTO "+l.table+" (role_id, scope_id) VALUES (?, ?) ON CONFLICT DO NOTHING", roleID, id); err != nil {
			return err
		}
	}
	return nil
}

// GetOrganizationRole returns the organization role with the id.
func (s *Store) GetOrganizationRole(ctx context.Context, id string) (store.OrganizationRole, error) {
	return getOne(ctx, s, "get organization role", "organization role", id, scanOrgRole,
		"SELECT "+orgRoleCols+" FROM organization_roles WHERE id = ?", id)
}

// orgRoleSearch is where Logto's organization role search looks.
var orgRoleSearch = searchColumns{names: []string{"id", "name", "description"},
	cols: []string{"organization_roles.id", "organization_roles.name", "organization_roles.description"}}

// ListOrganizationRoles returns a page of the organization roles that
// match.
func (s *Store) ListOrganizationRoles(ctx context.Context, match store.Search, page store.Page) ([]store.OrganizationRole, int, error) {
	f := conds{d: &s.d}
	f.search(orgRoleSearch, match)
	if f.err != nil {
		return nil, 0, fmt.Errorf("list organization roles: %w", f.err)
	}
	return listPage(ctx, s, "list organization roles", nil, orgRoleCols, f.from("organization_roles"),
		"organization_roles.created_at, organization_roles.id", f.args, page, scanOrgRole)
}

// FindOrganizationRolesByName returns the roles with these names, oldest
// first.
func (s *Store) FindOrganizationRolesByName(ctx context.Context, names []string) ([]store.OrganizationRole, error) {
	roles := []store.OrganizationRole{}
	names = uniq(names)
	if len(names) == 0 {
		return roles, nil
	}
	err := s.read(ctx, func(t txn) error {
		var err error
		roles, err = collect(t, scanOrgRole, "SELECT "+orgRoleCols+" FROM organization_roles WHERE name IN ("+placeholders(len(names))+
			") ORDER BY organization_roles.created_at, organization_roles.id", anys(names)...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("find organization roles: %w", err)
	}
	return roles, nil
}

// anys is ids as query arguments.
func anys(ids []string) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// UpdateOrganizationRole changes a role's name and description.
func (s *Store) UpdateOrganizationRole(ctx context.Context, role store.OrganizationRole) error {
	err := s.change(ctx, event(store.EventOrganizationRoleUpdated, role.ID, nil), func(t txn) error {
		return t.execOne(notFound("organization role", role.ID), "UPDATE organization_roles SET name = ?, description = ? WHERE id = ?",
			role.Name, role.Description, role.ID)
	})
	if err != nil {
		return fmt.Errorf("update organization role: %w", err)
	}
	return nil
}

// DeleteOrganizationRole deletes the role and everything linked to it.
func (s *Store) DeleteOrganizationRole(ctx context.Context, id string) error {
	return s.deleteRowTold(ctx, "delete organization role", "organization role", "organization_roles", id, store.EventOrganizationRoleDeleted)
}

// AddOrganizationRoleScopes links the scopes of kind to the role.
func (s *Store) AddOrganizationRoleScopes(ctx context.Context, roleID string, kind store.OrganizationScopeKind, ids []string) error {
	return s.setRoleScopes(ctx, "add organization role scopes", roleID, kind, ids, false)
}

// ReplaceOrganizationRoleScopes makes ids the role's scopes of kind.
func (s *Store) ReplaceOrganizationRoleScopes(ctx context.Context, roleID string, kind store.OrganizationScopeKind, ids []string) error {
	return s.setRoleScopes(ctx, "replace organization role scopes", roleID, kind, ids, true)
}

func (s *Store) setRoleScopes(ctx context.Context, op, roleID string, kind store.OrganizationScopeKind, ids []string, replace bool) error {
	l, err := scopeLink(kind)
	if err == nil {
		err = s.change(ctx, event(store.EventOrganizationRoleScopesChanged, roleID, nil), func(t txn) error {
			if err := t.exists(notFound("organization role", roleID), "organization_roles", roleID); err != nil {
				return err
			}
			if replace {
				if _, err := t.exec("DELETE FROM "+l.table+" WHERE role_id = ?", roleID); err != nil {
					return err
				}
			}
			return t.linkRoleScopes(roleID, l, uniq(ids))
		})
	}
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// RemoveOrganizationRoleScope removes one link; a missing one is
// ErrNotFound.
func (s *Store) RemoveOrganizationRoleScope(ctx context.Context, roleID string, kind store.OrganizationScopeKind, id string) error {
	l, err := scopeLink(kind)
	if err == nil {
		err = s.change(ctx, event(store.EventOrganizationRoleScopesChanged, roleID, nil), func(t txn) error {
			return t.execOne(notFound("organization role scope", roleID+"/"+id), "DELETE FROM "+l.table+" WHERE role_id = ? AND scope_id = ?", roleID, id)
		})
	}
	if err != nil {
		return fmt.Errorf("remove organization role scope: %w", err)
	}
	return nil
}

// ListOrganizationRoleScopes returns a page of the organization scopes the
// role grants. An unknown role is ErrNotFound.
func (s *Store) ListOrganizationRoleScopes(ctx context.Context, roleID string, page store.Page) ([]store.OrganizationScope, int, error) {
	parent := func(t txn) error {
		return t.exists(notFound("organization role", roleID), "organization_roles", roleID)
	}
	return listPage(ctx, s, "list organization role scopes", parent, orgScopeCols,
		"FROM organization_scopes JOIN organization_role_scopes l ON l.scope_id = organization_scopes.id WHERE l.role_id = ?",
		"organization_scopes.created_at, organization_scopes.id", []any{roleID}, page, scanOrgScope)
}

// ListOrganizationRoleResourceScopes returns a page of the resource
// scopes the role grants. An unknown role is ErrNotFound.
func (s *Store) ListOrganizationRoleResourceScopes(ctx context.Context, roleID string, page store.Page) ([]store.Scope, int, error) {
	parent := func(t txn) error {
		return t.exists(notFound("organization role", roleID), "organization_roles", roleID)
	}
	return listPage(ctx, s, "list organization role resource scopes", parent, scopeCols,
		"FROM scopes JOIN organization_role_resource_scopes l ON l.scope_id = scopes.id WHERE l.role_id = ?",
		"scopes.created_at, scopes.id", []any{roleID}, page, scanScope)
}

// OrganizationRoleGrants returns what each role grants: two queries.
func (s *Store) OrganizationRoleGrants(ctx context.Context, roleIDs []string) (map[string]store.OrganizationRoleGrants, error) {
	out := make(map[string]store.OrganizationRoleGrants)
	roleIDs = uniq(roleIDs)
	if len(roleIDs) == 0 {
		return out, nil
	}
	in := "(" + placeholders(len(roleIDs)) + ")"
	err := s.read(ctx, func(t txn) error {
		out = make(map[string]store.OrganizationRoleGrants)
		if err := eachRow(t, func(sc scanner) error {
			var roleID string
			var v store.OrganizationScope
			var created int64
			if err := sc.Scan(&roleID, &v.ID, &v.Name, &v.Description, &created); err != nil {
				return err
			}
			v.CreatedAt = fromMillis(created)
			g := out[roleID]
			g.Scopes = append(g.Scopes, v)
			out[roleID] = g
			return nil
		}, "SELECT l.role_id, "+orgScopeCols+" FROM organization_scopes JOIN organization_role_scopes l ON l.scope_id = organization_scopes.id "+
			"WHERE l.role_id IN "+in+" ORDER BY organization_scopes.created_at, organization_scopes.id", anys(roleIDs)...); err != nil {
			return err
		}
		return eachRow(t, func(sc scanner) error {
			var roleID string
			var v store.Scope
			var created int64
			if err := sc.Scan(&roleID, &v.ID, &v.ResourceID, &v.Name, &v.Description, &created); err != nil {
				return err
			}
			v.CreatedAt = fromMillis(created)
			g := out[roleID]
			g.ResourceScopes = append(g.ResourceScopes, v)
			out[roleID] = g
			return nil
		}, "SELECT l.role_id, "+scopeCols+" FROM scopes JOIN organization_role_resource_scopes l ON l.scope_id = scopes.id "+
			"WHERE l.role_id IN "+in+" ORDER BY scopes.created_at, scopes.id", anys(roleIDs)...)
	})
	if err != nil {
		return nil, fmt.Errorf("organization role grants: %w", err)
	}
	return out, nil
}
