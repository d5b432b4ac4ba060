package directory

import (
	"context"
	"fmt"

	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
)

// NewRole is what creating a role gives. Name and Description are
// required; Type defaults to User; ScopeIDs, if any, are granted at once.
// IsDefault User roles are given to every new user; as in Logto, the mark
// is kept but has no effect on MachineToMachine roles.
type NewRole struct {
	Name        *string
	Description *string
	Type        *string
	ScopeIDs    []string
	IsDefault   *bool
}

// RoleChange is what changing a role gives; nil fields are left as they
// are. Type is accepted only unchanged, so that a role read can be sent
// back whole.
type RoleChange struct {
	NamePatch
	Type      *string
	IsDefault *bool
}

var errRoleTypeValue = invalid("type must be User or MachineToMachine")

// Role returns the role with id.
func (d *Directory) Role(ctx context.Context, id string) (store.Role, error) {
	return findByID(ctx, id, "role", d.st.GetRole)
}

// Roles lists one page of the roles filter (see RoleSearch) matches and
// their total.
func (d *Directory) Roles(ctx context.Context, filter store.RoleFilter, page store.Page) ([]store.Role, int, error) {
	return d.st.ListRoles(ctx, filter, page)
}

// scopesExist answers NotFound naming the first scope id that does not
// exist.
func (d *Directory) scopesExist(ctx context.Context, ids []string) error {
	for _, id := range ids {
		if _, err := d.st.GetScope(ctx, id); err != nil {
			return orNotFound(err, fmt.Sprintf("scope %q not found", id))
		}
	}
	return nil
}

// CreateRole creates a role and grants it its scopes. An unknown scope
// leaves no role behind.
func (d *Directory) CreateRole(ctx context.Context, in NewRole) (store.Role, error) {
	role, err := d.newRole(in)
	if err != nil {
		return store.Role{}, err
	}
	var scopeIDs []string
	if len(in.ScopeIDs) > 0 {
		if scopeIDs, err = CheckIDs("scopeIds", in.ScopeIDs); err != nil {
			return store.Role{}, err
		}
	}
	if err := d.scopesExist(ctx, scopeIDs); err != nil {
		return store.Role{}, err
	}
	err = d.createRoleWithScopes(ctx, role, scopeIDs)
	return role, orConflictFor(orNotFound(err, "a scope was removed while the role was being created"), ReasonRoleNameTaken, "a role with this name already exists")
}

// CheckRole reports whether CreateRole would accept in, with the refusal
// it would give, without writing anything (the scopes are not looked up).
func (d *Directory) CheckRole(in NewRole) error {
	_, err := d.newRole(in)
	if err == nil && len(in.ScopeIDs) > 0 {
		_, err = CheckIDs("scopeIds", in.ScopeIDs)
	}
	return err
}

// newRole checks in, but for its scopes, and returns the role it creates.
func (d *Directory) newRole(in NewRole) (store.Role, error) {
	if err := firstErr(required("name", in.Name, checkName), required("description", in.Description, checkDescription)); err != nil {
		return store.Role{}, err
	}
	role := store.Role{ID: randid.ID(), Name: *in.Name, Description: *in.Description, Type: store.RoleUser, CreatedAt: d.now()}
	if in.IsDefault != nil {
		role.IsDefault = *in.IsDefault
	}
	if in.Type != nil {
		if role.Type = store.RoleType(*in.Type); !role.Type.Valid() {
			return store.Role{}, errRoleTypeValue
		}
	}
	return role, nil
}

// createRoleWithScopes creates a role granting scopeIDs, and removes it
// again when they cannot be granted. A role of that name is ErrConflict.
func (d *Directory) createRoleWithScopes(ctx context.Context, role store.Role, scopeIDs []string) error {
	if err := d.st.CreateRole(ctx, role); err != nil {
		return err
	}
	if len(scopeIDs) == 0 {
		return nil
	}
	if err := d.st.AddRoleScopes(ctx, role.ID, scopeIDs); err != nil {
		if derr := d.st.DeleteRole(ctx, role.ID); derr != nil {
			err = fmt.Errorf("%w (and removing the role again failed: %v)", err, derr)
		}
		return err
	}
	return nil
}

// UpdateRole renames a role, changes its description or its default mark.
// changed is false when the change gave nothing, and nothing was written.
func (d *Directory) UpdateRole(ctx context.Context, id string, in RoleChange) (role store.Role, changed bool, err error) {
	if err := in.check(checkName); err != nil {
		return role, false, err
	}
	if role, err = d.Role(ctx, id); err != nil {
		return role, false, err
	}
	if in.Type != nil && store.RoleType(*in.Type) != role.Type {
		return role, false, invalid("type cannot be changed; create a new role instead")
	}
	named := in.apply(&role.Name, &role.Description)
	if in.IsDefault != nil {
		named = true
		role.IsDefault = *in.IsDefault
	}
	if !named {
		return role, false, nil
	}
	if err := d.st.UpdateRole(ctx, role); err != nil {
		return role, false, orConflictFor(orNotFound(err, "role not found"), ReasonRoleNameTaken, "a role with this name already exists")
	}
	return role, true, nil
}

// DeleteRole removes a role with its scopes and holders.
func (d *Directory) DeleteRole(ctx context.Context, id string) error {
	if !ValidID(id) {
		return notFound("role not found")
	}
	return orNotFound(d.st.DeleteRole(ctx, id), "role not found")
}

// RoleScopes lists one page of the scopes a role grants that match (see
// ScopeSearch) and their total.
func (d *Directory) RoleScopes(ctx context.Context, roleID string, match store.Search, page store.Page) ([]store.Scope, int, error) {
	return listFor(ctx, roleID, "role", exists(d.Role), func(ctx context.Context, id string, page store.Page) ([]store.Scope, int, error) {
		return d.st.SearchRoleScopes(ctx, id, match, page)
	}, page)
}

// AssignRoleScopes grants scopes to a role; scopes it grants already are
// left as they are.
func (d *Directory) AssignRoleScopes(ctx context.Context, roleID string, scopeIDs []string) error {
	ids, role, err := withIDs("scopeIds", scopeIDs, func() (store.Role, error) { return d.Role(ctx, roleID) })
	if err != nil {
		return err
	}
	if err := d.scopesExist(ctx, ids); err != nil {
		return err
	}
	return orNotFound(d.st.AddRoleScopes(ctx, role.ID, ids), "the role or one of the scopes no longer exists")
}

// RemoveRoleScope stops a role granting a scope.
func (d *Directory) RemoveRoleScope(ctx context.Context, roleID, scopeID string) error {
	return unlink(roleID, "role", scopeID, "scope", func() error { return d.st.RemoveRoleScope(ctx, roleID, scopeID) },
		"the role does not have this scope")
}

// FeaturedHolders is how many of a role's users and of its applications a
// role list features, as Logto's does.
const FeaturedHolders = 3

// RoleHolders sums up who holds each of roles: counts and the first
// FeaturedHolders users and applications, oldest first. A role no one
// holds is missing from the map.
func (d *Directory) RoleHolders(ctx context.Context, roles []store.Role) (map[string]store.RoleHolders, error) {
	ids := make([]string, len(roles))
	for i, r := range roles {
		ids[i] = r.ID
	}
	return d.st.RoleHolders(ctx, ids, FeaturedHolders)
}
