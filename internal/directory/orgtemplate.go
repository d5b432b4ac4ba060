package directory

import (
	"context"

	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
)

// The organization template: organization scopes and roles, shared by
// every organization.

// OrganizationScope returns the organization scope with id.
func (d *Directory) OrganizationScope(ctx context.Context, id string) (store.OrganizationScope, error) {
	return findByID(ctx, id, "organization scope", d.st.GetOrganizationScope)
}

// OrganizationScopes lists one page of the organization scopes that match.
func (d *Directory) OrganizationScopes(ctx context.Context, match store.Search, page store.Page) ([]store.OrganizationScope, int, error) {
	return d.st.ListOrganizationScopes(ctx, match, page)
}

// CreateOrganizationScope creates an organization scope. Its name travels
// in the scope parameter, so it holds no whitespace.
func (d *Directory) CreateOrganizationScope(ctx context.Context, in NamePatch) (store.OrganizationScope, error) {
	if err := firstErr(required("name", in.Name, checkScopeName), in.check(checkScopeName)); err != nil {
		return store.OrganizationScope{}, err
	}
	sc := store.OrganizationScope{ID: randid.ID(), CreatedAt: d.now()}
	in.apply(&sc.Name, &sc.Description)
	return sc, orConflict(d.st.CreateOrganizationScope(ctx, sc), "an organization scope with this name already exists")
}

// UpdateOrganizationScope renames a scope or changes its description.
func (d *Directory) UpdateOrganizationScope(ctx context.Context, id string, in NamePatch) (sc store.OrganizationScope, changed bool, err error) {
	if err := in.check(checkScopeName); err != nil {
		return sc, false, err
	}
	if sc, err = d.OrganizationScope(ctx, id); err != nil || !in.apply(&sc.Name, &sc.Description) {
		return sc, false, err
	}
	err = d.st.UpdateOrganizationScope(ctx, sc)
	return sc, true, orConflict(orNotFound(err, "organization scope not found"), "an organization scope with this name already exists")
}

// DeleteOrganizationScope removes a scope from the template and from
// every role granting it.
func (d *Directory) DeleteOrganizationScope(ctx context.Context, id string) error {
	if _, err := d.OrganizationScope(ctx, id); err != nil {
		return err
	}
	return orNotFound(d.st.DeleteOrganizationScope(ctx, id), "organization scope not found")
}

// NewOrganizationRole is what creating an organization role gives: a
// name, and optionally a description, a type (User by default) and the
// organization scopes and resource scopes it grants.
type NewOrganizationRole struct {
	NamePatch
	Type             *string
	ScopeIDs         []string
	ResourceScopeIDs []string
}

// OrganizationRole returns the organization role with id.
func (d *Directory) OrganizationRole(ctx context.Context, id string) (store.OrganizationRole, error) {
	return findByID(ctx, id, "organization role", d.st.GetOrganizationRole)
}

// OrganizationRoles lists one page of the organization roles that match.
func (d *Directory) OrganizationRoles(ctx context.Context, match store.Search, page store.Page) ([]store.OrganizationRole, int, error) {
	return d.st.ListOrganizationRoles(ctx, match, page)
}

// OrganizationRoleGrants returns what each role grants.
func (d *Directory) OrganizationRoleGrants(ctx context.Context, roles []store.OrganizationRole) (map[string]store.OrganizationRoleGrants, error) {
	ids := make([]string, len(roles))
	for i, r := range roles {
		ids[i] = r.ID
	}
	return d.st.OrganizationRoleGrants(ctx, ids)
}

// CreateOrganizationRole creates an organization role with the scopes it
// grants, all or nothing.
func (d *Directory) CreateOrganizationRole(ctx context.Context, in NewOrganizationRole) (store.OrganizationRole, error) {
	if err := firstErr(required("name", in.Name, checkName), in.check(checkName)); err != nil {
		return store.OrganizationRole{}, err
	}
	role := store.OrganizationRole{ID: randid.ID(), Type: store.RoleUser, CreatedAt: d.now()}
	in.apply(&role.Name, &role.Description)
	if in.Type != nil {
		if role.Type = store.RoleType(*in.Type); !role.Type.Valid() {
			return role, errRoleTypeValue
		}
	}
	scopeIDs, err := optionalIDs("organizationScopeIds", in.ScopeIDs)
	if err != nil {
		return role, err
	}
	resourceScopeIDs, err := optionalIDs("resourceScopeIds", in.ResourceScopeIDs)
	if err != nil {
		return role, err
	}
	err = d.st.CreateOrganizationRole(ctx, role, scopeIDs, resourceScopeIDs)
	return role, orConflict(relationErr(err), "an organization role with this name already exists")
}

// optionalIDs is CheckIDs for a list that may be empty.
func optionalIDs(field string, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return CheckIDs(field, ids)
}

// UpdateOrganizationRole renames a role or changes its description. Its
// type is accepted only unchanged: its holders were chosen by it.
func (d *Directory) UpdateOrganizationRole(ctx context.Context, id string, in RoleChange) (role store.OrganizationRole, changed bool, err error) {
	if err := in.check(checkName); err != nil {
		return role, false, err
	}
	if in.IsDefault != nil {
		return role, false, invalid("isDefault is not a field of organization roles")
	}
	if role, err = d.OrganizationRole(ctx, id); err != nil {
		return role, false, err
	}
	if in.Type != nil && store.RoleType(*in.Type) != role.Type {
		return role, false, invalid("type cannot be changed; create a new organization role instead")
	}
	if !in.apply(&role.Name, &role.Description) {
		return role, false, nil
	}
	err = d.st.UpdateOrganizationRole(ctx, role)
	return role, true, orConflict(orNotFound(err, "organization role not found"), "an organization role with this name already exists")
}

// DeleteOrganizationRole removes a role from the template and from every
// member holding it.
func (d *Directory) DeleteOrganizationRole(ctx context.Context, id string) error {
	if _, err := d.OrganizationRole(ctx, id); err != nil {
		return err
	}
	return orNotFound(d.st.DeleteOrganizationRole(ctx, id), "organization role not found")
}

// OrganizationRoleScopes lists one page of the organization scopes a role
// grants.
func (d *Directory) OrganizationRoleScopes(ctx context.Context, roleID string, page store.Page) ([]store.OrganizationScope, int, error) {
	return listFor(ctx, roleID, "organization role", exists(d.OrganizationRole), d.st.ListOrganizationRoleScopes, page)
}

// OrganizationRoleResourceScopes lists one page of the resource scopes a
// role grants.
func (d *Directory) OrganizationRoleResourceScopes(ctx context.Context, roleID string, page store.Page) ([]store.Scope, int, error) {
	return listFor(ctx, roleID, "organization role", exists(d.OrganizationRole), d.st.ListOrganizationRoleResourceScopes, page)
}

// scopeFields names the ids of each kind of scope in messages.
var scopeFields = map[store.OrganizationScopeKind]string{
	store.OrganizationScopes: "organizationScopeIds",
	store.ResourceScopes:     "scopeIds",
}

// AddOrganizationRoleScopes grants scopes of kind to a role.
func (d *Directory) AddOrganizationRoleScopes(ctx context.Context, roleID string, kind store.OrganizationScopeKind, ids []string) error {
	ids, err := CheckIDs(scopeFields[kind], ids)
	if err != nil {
		return err
	}
	return relationErr(d.st.AddOrganizationRoleScopes(ctx, roleID, kind, ids))
}

// ReplaceOrganizationRoleScopes makes ids the role's scopes of kind; an
// empty list takes them all away.
func (d *Directory) ReplaceOrganizationRoleScopes(ctx context.Context, roleID string, kind store.OrganizationScopeKind, ids []string) error {
	ids, err := idSet(scopeFields[kind], ids)
	if err != nil {
		return err
	}
	return relationErr(d.st.ReplaceOrganizationRoleScopes(ctx, roleID, kind, ids))
}

// idSet validates the ids of an exact set: nil is refused, empty is none.
func idSet(field string, ids []string) ([]string, error) {
	if ids == nil {
		return nil, invalid(field + " is required (an empty array removes them all)")
	}
	return optionalIDs(field, ids)
}

// RemoveOrganizationRoleScope takes one scope of kind from a role.
func (d *Directory) RemoveOrganizationRoleScope(ctx context.Context, roleID string, kind store.OrganizationScopeKind, id string) error {
	if err := validIDs(roleID, "organization role", id, "scope"); err != nil {
		return relationGone(store.ErrNotFound, "organization role scope")
	}
	return relationGone(d.st.RemoveOrganizationRoleScope(ctx, roleID, kind, id), "organization role scope")
}
