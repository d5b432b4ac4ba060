package sqlstore

import (
	"context"
	"fmt"

	"github.com/monban/monban/internal/store"
)

const roleCols = "roles.id, roles.name, roles.description, roles.type, roles.created_at, roles.is_default"

func scanRole(r scanner) (store.Role, error) {
	var (
		role    store.Role
		typ     string
		created int64
	)
	if err := r.Scan(&role.ID, &role.Name, &role.Description, &typ, &created, &role.IsDefault); err != nil {
		return role, err
	}
	role.Type = store.RoleType(typ)
	role.CreatedAt = fromMillis(created)
	return role, nil
}

// CreateRole inserts role; an id or name already in use is ErrConflict.
func (s *Store) CreateRole(ctx context.Context, role store.Role) error {
	err := s.change(ctx, event(store.EventRoleCreated, role.ID, nil), func(t txn) error {
		_, err := t.exec("INSERT INTO roles (id, name, description, type, created_at, is_default) VALUES (?, ?, ?, ?, ?, ?)",
			role.ID, role.Name, role.Description, string(role.Type), millis(role.CreatedAt), role.IsDefault)
		return err
	})
	if err != nil {
		return fmt.Errorf("create role: %w", err)
	}
	return nil
}

// GetRole returns the role with the id.
func (s *Store) GetRole(ctx context.Context, id string) (store.Role, error) {
	return getOne(ctx, s, "get role", "role", id, scanRole, "SELECT "+roleCols+" FROM roles WHERE id = ?", id)
}

// roleSearch is where Logto's role search looks.
var roleSearch = searchColumns{names: []string{"id", "name", "description"}, cols: []string{"roles.id", "roles.name", "roles.description"}}

// ListRoles returns a page of the roles matching filter, oldest first.
func (s *Store) ListRoles(ctx context.Context, filter store.RoleFilter, page store.Page) ([]store.Role, int, error) {
	f := conds{d: &s.d}
	f.add(filter.Type != "", "roles.type = ?", string(filter.Type))
	f.search(roleSearch, filter.Match)
	f.add(filter.ExcludeUserID != "", "NOT EXISTS (SELECT 1 FROM user_roles ur WHERE ur.role_id = roles.id AND ur.user_id = ?)", filter.ExcludeUserID)
	f.add(filter.ExcludeApplicationID != "", "NOT EXISTS (SELECT 1 FROM role_applications ra WHERE ra.role_id = roles.id AND ra.app_id = ?)",
		filter.ExcludeApplicationID)
	f.add(filter.UserID != "", "EXISTS (SELECT 1 FROM user_roles ur WHERE ur.role_id = roles.id AND ur.user_id = ?)", filter.UserID)
	f.add(filter.ApplicationID != "", "EXISTS (SELECT 1 FROM role_applications ra WHERE ra.role_id = roles.id AND ra.app_id = ?)",
		filter.ApplicationID)
	if f.err != nil {
		return nil, 0, fmt.Errorf("list roles: %w", f.err)
	}
	return listPage(ctx, s, "list roles", nil, roleCols, f.from("roles"), "roles.created_at, roles.id", f.args, page, scanRole)
}

// UpdateRole changes the name, description and default mark of role.ID; a
// name already in use is ErrConflict.
func (s *Store) UpdateRole(ctx context.Context, role store.Role) error {
	err := s.change(ctx, event(store.EventRoleUpdated, role.ID, nil), func(t txn) error {
		return t.execOne(notFound("role", role.ID),
			"UPDATE roles SET name = ?, description = ?, is_default = ? WHERE id = ?", role.Name, role.Description, role.IsDefault, role.ID)
	})
	if err != nil {
		return fmt.Errorf("update role: %w", err)
	}
	return nil
}

// ListDefaultRoles returns the roles of roleType marked default, oldest
// first.
func (s *Store) ListDefaultRoles(ctx context.Context, roleType store.RoleType) ([]store.Role, error) {
	var roles []store.Role
	err := s.read(ctx, func(t txn) error {
		var err error
		roles, err = collect(t, scanRole, "SELECT "+roleCols+" FROM roles WHERE roles.type = ? AND roles.is_default = ? "+
			"ORDER BY roles.created_at, roles.id", string(roleType), true)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list default roles: %w", err)
	}
	return roles, nil
}

// DeleteRole deletes the role; its scope and application links go with it
// through ON DELETE CASCADE.
func (s *Store) DeleteRole(ctx context.Context, id string) error {
	err := s.change(ctx, event(store.EventRoleDeleted, id, nil), func(t txn) error {
		return t.execOne(notFound("role", id), "DELETE FROM roles WHERE id = ?", id)
	})
	if err != nil {
		return fmt.Errorf("delete role: %w", err)
	}
	return nil
}

// addLinks links the role ev names to every one of ids (rows of table,
// without duplicates) through linkTable, all or nothing: an unknown role or
// id is ErrNotFound and adds nothing. Links that exist already are fine.
// ev goes to the outbox with the links.
func (s *Store) addLinks(ctx context.Context, ev store.Event, ids []string, table, kind, linkTable, linkCol string) error {
	roleID := ev.Entity
	return s.change(ctx, ev, func(t txn) error {
		if err := t.exists(notFound("role", roleID), "roles", roleID); err != nil {
			return err
		}
		if err := t.allExist(fmt.Errorf("one of the %ss: %w", kind, store.ErrNotFound), table, ids); err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		stmt, err := t.tx.PrepareContext(t.ctx, t.d.rebind(
			"INSERT INTO "+linkTable+" (role_id, "+linkCol+") VALUES (?, ?) ON CONFLICT DO NOTHING"))
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, id := range ids {
			if _, err := stmt.ExecContext(t.ctx, roleID, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// AddRoleScopes grants the scopes to the role; see addLinks.
func (s *Store) AddRoleScopes(ctx context.Context, roleID string, scopeIDs []string) error {
	scopeIDs = uniq(scopeIDs)
	ev := event(store.EventRoleScopesAdded, roleID, &store.EventPayload{IDs: scopeIDs})
	if err := s.addLinks(ctx, ev, scopeIDs, "scopes", "scope", "role_scopes", "scope_id"); err != nil {
		return fmt.Errorf("add role scopes: %w", err)
	}
	return nil
}

// RemoveRoleScope removes one link; a link that does not exist is
// ErrNotFound.
func (s *Store) RemoveRoleScope(ctx context.Context, roleID, scopeID string) error {
	err := s.change(ctx, event(store.EventRoleScopeRemoved, roleID, &store.EventPayload{IDs: []string{scopeID}}), func(t txn) error {
		return t.execOne(notFound("role scope", roleID+"/"+scopeID),
			"DELETE FROM role_scopes WHERE role_id = ? AND scope_id = ?", roleID, scopeID)
	})
	if err != nil {
		return fmt.Errorf("remove role scope: %w", err)
	}
	return nil
}

// ListRoleScopes returns a page of the scopes the role grants, oldest first.
// An unknown role is ErrNotFound.
func (s *Store) ListRoleScopes(ctx context.Context, roleID string, page store.Page) ([]store.Scope, int, error) {
	return s.SearchRoleScopes(ctx, roleID, store.Search{}, page)
}

// SearchRoleScopes returns a page of the scopes the role grants that
// match, oldest first. An unknown role is ErrNotFound.
func (s *Store) SearchRoleScopes(ctx context.Context, roleID string, match store.Search, page store.Page) ([]store.Scope, int, error) {
	cond, args, err := scopeSearch.where(&s.d, match)
	if err != nil {
		return nil, 0, fmt.Errorf("list role scopes: %w", err)
	}
	from := "FROM scopes JOIN role_scopes ON role_scopes.scope_id = scopes.id WHERE role_scopes.role_id = ?"
	if cond != "" {
		from += " AND " + cond
	}
	parent := func(t txn) error { return t.exists(notFound("role", roleID), "roles", roleID) }
	return listPage(ctx, s, "list role scopes", parent, scopeCols, from,
		"scopes.created_at, scopes.id", append([]any{roleID}, args...), page, scanScope)
}

// AddRoleApplications gives the role to the applications; see addLinks.
// Whether the role and applications are of a kind that fits is the caller's
// concern.
func (s *Store) AddRoleApplications(ctx context.Context, roleID string, appIDs []string) error {
	appIDs = uniq(appIDs)
	ev := event(store.EventRoleApplicationsAdded, roleID, &store.EventPayload{IDs: appIDs})
	if err := s.addLinks(ctx, ev, appIDs, "applications", "application", "role_applications", "app_id"); err != nil {
		return fmt.Errorf("add role applications: %w", err)
	}
	return nil
}

// RemoveRoleApplication removes one link; a link that does not exist is
// ErrNotFound.
func (s *Store) RemoveRoleApplication(ctx context.Context, roleID, appID string) error {
	err := s.change(ctx, event(store.EventRoleApplicationRemoved, roleID, &store.EventPayload{IDs: []string{appID}}), func(t txn) error {
		return t.execOne(notFound("role application", roleID+"/"+appID),
			"DELETE FROM role_applications WHERE role_id = ? AND app_id = ?", roleID, appID)
	})
	if err != nil {
		return fmt.Errorf("remove role application: %w", err)
	}
	return nil
}

// ListRoleApplications returns a page of the applications holding the role,
// oldest first. An unknown role is ErrNotFound.
func (s *Store) ListRoleApplications(ctx context.Context, roleID string, page store.Page) ([]store.Application, int, error) {
	parent := func(t txn) error { return t.exists(notFound("role", roleID), "roles", roleID) }
	return listPage(ctx, s, "list role applications", parent, appCols,
		"FROM applications JOIN role_applications ON role_applications.app_id = applications.id WHERE role_applications.role_id = ?",
		"applications.created_at, applications.id", []any{roleID}, page, scanApp)
}

// ListApplicationRoles returns a page of the roles an application holds,
// oldest first. An unknown application is ErrNotFound.
func (s *Store) ListApplicationRoles(ctx context.Context, appID string, page store.Page) ([]store.Role, int, error) {
	parent := func(t txn) error { return t.exists(notFound("application", appID), "applications", appID) }
	return listPage(ctx, s, "list application roles", parent, roleCols,
		"FROM roles JOIN role_applications ON role_applications.role_id = roles.id WHERE role_applications.app_id = ?",
		"roles.created_at, roles.id", []any{appID}, page, scanRole)
}

// RoleHolders sums up who holds each role: four queries, whatever the
// number of roles (a count and the first featured of users and of
// applications, oldest first).
func (s *Store) RoleHolders(ctx context.Context, roleIDs []string, featured int) (map[string]store.RoleHolders, error) {
	out := make(map[string]store.RoleHolders)
	if len(roleIDs) == 0 {
		return out, nil
	}
	in := placeholders(len(roleIDs))
	ids := make([]any, len(roleIDs))
	for i, id := range roleIDs {
		ids[i] = id
	}
	withLimit := append(append([]any{}, ids...), max(featured, 0))
	// each reads the rows query selects into the holders of the role in
	// each row's first column; add takes the rest.
	each := func(t txn, query string, args []any, add func(h *store.RoleHolders, sc scanner, dest ...any) error) error {
		return eachRow(t, func(sc scanner) error {
			var id string
			var h store.RoleHolders
			err := add(&h, sc, &id)
			if err == nil {
				merged := out[id]
				merged.UsersCount += h.UsersCount
				merged.ApplicationsCount += h.ApplicationsCount
				merged.FeaturedUsers = append(merged.FeaturedUsers, h.FeaturedUsers...)
				merged.FeaturedApplications = append(merged.FeaturedApplications, h.FeaturedApplications...)
				out[id] = merged
			}
			return err
		}, query, args...)
	}
	err := s.read(ctx, func(t txn) error {
		for _, c := range []struct {
			table string
			count func(*store.RoleHolders) *int
		}{
			{"user_roles", func(h *store.RoleHolders) *int { return &h.UsersCount }},
			{"role_applications", func(h *store.RoleHolders) *int { return &h.ApplicationsCount }},
		} {
			if err := each(t, "SELECT role_id, COUNT(*) FROM "+c.table+" WHERE role_id IN ("+in+") GROUP BY role_id", ids,
				func(h *store.RoleHolders, sc scanner, id ...any) error { return sc.Scan(id[0], c.count(h)) }); err != nil {
				return err
			}
		}
		if err := each(t, featuredUsers(in), withLimit, func(h *store.RoleHolders, sc scanner, id ...any) error {
			var u store.FeaturedUser
			err := sc.Scan(id[0], &u.ID, &u.Name, &u.Avatar)
			h.FeaturedUsers = []store.FeaturedUser{u}
			return err
		}); err != nil {
			return err
		}
		return each(t, featuredApps(in), withLimit, func(h *store.RoleHolders, sc scanner, id ...any) error {
			var a store.FeaturedApplication
			err := sc.Scan(id[0], &a.ID, &a.Name, &a.Type)
			h.FeaturedApplications = []store.FeaturedApplication{a}
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("role holders: %w", err)
	}
	return out, nil
}

// featuredUsers selects role_id, id, name and avatar of the first users
// (oldest first) of each role in the list in, at most the last argument.
func featuredUsers(in string) string {
	return "SELECT role_id, id, name, avatar FROM (SELECT user_roles.role_id, users.id, users.name, users.avatar, " +
		"ROW_NUMBER() OVER (PARTITION BY user_roles.role_id ORDER BY users.created_at, users.id) AS rn " +
		"FROM user_roles JOIN users ON users.id = user_roles.user_id WHERE user_roles.role_id IN (" + in + ")) ranked " +
		"WHERE rn <= ? ORDER BY role_id, rn"
}

// featuredApps is featuredUsers for applications: role_id, id, name, type.
func featuredApps(in string) string {
	return "SELECT role_id, id, name, type FROM (SELECT role_applications.role_id, applications.id, applications.name, applications.type, " +
		"ROW_NUMBER() OVER (PARTITION BY role_applications.role_id ORDER BY applications.created_at, applications.id) AS rn " +
		"FROM role_applications JOIN applications ON applications.id = role_applications.app_id WHERE role_applications.role_id IN (" + in + ")) ranked " +
		"WHERE rn <= ? ORDER BY role_id, rn"
}

// eachRow calls fn with every row query selects.
func eachRow(t txn, fn func(scanner) error, query string, args ...any) error {
	rows, err := t.query(query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
