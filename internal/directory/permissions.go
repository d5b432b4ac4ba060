package directory

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/monban/monban/internal/store"
)

// Permissions as Auth0 names them: a scope by its name and the indicator
// of its resource, rather than by id.

// PermissionRef names a permission: the scope Name of the resource with
// Indicator.
type PermissionRef struct {
	Indicator string
	Name      string
}

// Permission is a scope with its resource.
type Permission struct {
	Scope    store.Scope
	Resource store.Resource
}

// HeldPermission is a permission a user holds, with the roles granting it.
type HeldPermission struct {
	Permission
	Roles []store.Role
}

// ScopeIDs returns the ids of the permissions refs name, each of which
// must exist (Invalid, naming the first that does not).
func (d *Directory) ScopeIDs(ctx context.Context, refs []PermissionRef) ([]string, error) {
	if len(refs) == 0 {
		return nil, invalid("name at least one permission")
	}
	if len(refs) > MaxIDsPerRequest {
		return nil, invalid(fmt.Sprintf("name at most %d permissions", MaxIDsPerRequest))
	}
	cat, err := d.st.LoadCatalog(ctx)
	if err != nil {
		return nil, err
	}
	resources := map[string]string{}
	for _, r := range cat.Resources {
		resources[r.Indicator] = r.ID
	}
	ids := make([]string, 0, len(refs))
	for _, ref := range refs {
		resID, ok := resources[ref.Indicator]
		i := slices.IndexFunc(cat.Scopes, func(s store.Scope) bool { return ok && s.ResourceID == resID && s.Name == ref.Name })
		if i < 0 {
			return nil, notFound(fmt.Sprintf("permission %q of resource server %q not found", ref.Name, ref.Indicator))
		}
		if !slices.Contains(ids, cat.Scopes[i].ID) {
			ids = append(ids, cat.Scopes[i].ID)
		}
	}
	return ids, nil
}

// permissionsOf resolves scope ids in cat, ordered by resource indicator
// then name.
func permissionsOf(cat *store.Catalog, scopeIDs map[string]bool) []Permission {
	resources := map[string]store.Resource{}
	for _, r := range cat.Resources {
		resources[r.ID] = r
	}
	var out []Permission
	for _, s := range cat.Scopes {
		if scopeIDs[s.ID] {
			out = append(out, Permission{Scope: s, Resource: resources[s.ResourceID]})
		}
	}
	slices.SortFunc(out, func(a, b Permission) int {
		return cmp.Or(cmp.Compare(a.Resource.Indicator, b.Resource.Indicator), cmp.Compare(a.Scope.Name, b.Scope.Name))
	})
	return out
}

// RolePermissions lists every permission a role grants.
func (d *Directory) RolePermissions(ctx context.Context, roleID string) ([]Permission, error) {
	if _, err := d.Role(ctx, roleID); err != nil {
		return nil, err
	}
	cat, err := d.st.LoadCatalog(ctx)
	if err != nil {
		return nil, err
	}
	ids := map[string]bool{}
	for _, rs := range cat.RoleScopes {
		if rs.RoleID == roleID {
			ids[rs.ScopeID] = true
		}
	}
	return permissionsOf(cat, ids), nil
}

// UserPermissions lists every permission a user's roles grant them, with
// the roles granting each. Roles of a type a user cannot hold grant
// nothing (store.RoleType.GivenTo).
func (d *Directory) UserPermissions(ctx context.Context, userID string) ([]HeldPermission, error) {
	roles, _, err := d.UserRoles(ctx, userID, store.Search{}, store.Page{})
	if err != nil {
		return nil, err
	}
	cat, err := d.st.LoadCatalog(ctx)
	if err != nil {
		return nil, err
	}
	granting := map[string][]store.Role{}
	ids := map[string]bool{}
	for _, role := range roles {
		if !role.Type.GivenTo(store.HolderUser) {
			continue
		}
		for _, rs := range cat.RoleScopes {
			if rs.RoleID == role.ID {
				ids[rs.ScopeID] = true
				granting[rs.ScopeID] = append(granting[rs.ScopeID], role)
			}
		}
	}
	perms := permissionsOf(cat, ids)
	out := make([]HeldPermission, len(perms))
	for i, p := range perms {
		out[i] = HeldPermission{Permission: p, Roles: granting[p.Scope.ID]}
	}
	return out, nil
}
