package directory

import (
	"context"
	"errors"

	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
)

// NewResource is what creating a resource gives. Name and Indicator are
// required; AccessTokenTTL (seconds) defaults to DefaultAccessTokenTTL,
// EnableRBAC to true and PermissionsClaim to false (Auth0's two per-API
// settings; see store.Resource).
type NewResource struct {
	Name             *string
	Indicator        *string
	AccessTokenTTL   *int
	EnableRBAC       *bool
	PermissionsClaim *bool
}

// ResourceChange is what changing a resource gives; nil fields are left as
// they are. The indicator is accepted only unchanged: tokens already issued
// and every client name the resource by it, so a new indicator is a new
// resource.
type ResourceChange struct {
	Name             *string
	AccessTokenTTL   *int
	EnableRBAC       *bool
	PermissionsClaim *bool
	// Indicator and IsDefault are accepted only unchanged: an indicator
	// never changes, and the default resource is set by SetDefaultResource.
	Indicator *string
	IsDefault *bool
}

// NewScope is what creating a scope gives. Name is required.
type NewScope struct {
	Name        *string
	Description *string
}

// errBuiltIn refuses changes to the Management API resource: its indicator
// and its scope "all" are what that API checks, so editing them could lock
// every administrator out.
var errBuiltIn = &Error{Kind: Forbidden, Reason: ReasonBuiltIn, Message: "the Management API resource is built in and read-only"}

// errBuiltInDelete refuses the deletion of the Management API resource.
var errBuiltInDelete = &Error{Kind: Forbidden, Reason: ReasonBuiltInDelete, Message: "the Management API resource is built in and read-only: it cannot be deleted"}

// IsManagementAPI reports whether res is the Management API itself (Logto's,
// whose "all" permission the console and bootstrap app hold).
func (d *Directory) IsManagementAPI(res store.Resource) bool { return res.Indicator == d.indicator }

// BuiltIn reports whether res is the Management API itself, or its
// Auth0-style v2, which are read-only.
func (d *Directory) BuiltIn(res store.Resource) bool {
	return res.Indicator == d.indicator || d.v2 != "" && res.Indicator == d.v2
}

// lookalike reports whether indicator is a built-in resource's indicator
// in another spelling.
func (d *Directory) lookalike(indicator string) bool {
	for _, builtIn := range []string{d.indicator, d.v2} {
		if builtIn != "" && indicator != builtIn && sameResource(indicator, builtIn) {
			return true
		}
	}
	return false
}

// Resource returns the resource with id.
func (d *Directory) Resource(ctx context.Context, id string) (store.Resource, error) {
	return findByID(ctx, id, "resource", d.st.GetResource)
}

// writableResource returns the resource with id unless it is built in.
func (d *Directory) writableResource(ctx context.Context, id string) (store.Resource, error) {
	res, err := d.Resource(ctx, id)
	if err == nil && d.BuiltIn(res) {
		err = errBuiltIn
	}
	return res, err
}

// Resources lists one page of the resources and their total.
func (d *Directory) Resources(ctx context.Context, page store.Page) ([]store.Resource, int, error) {
	return d.st.ListResources(ctx, page)
}

// ResourceScopes returns the scopes of each resource, by resource id, for
// a resource list that includes them.
func (d *Directory) ResourceScopes(ctx context.Context, resources []store.Resource) (map[string][]store.Scope, error) {
	out := make(map[string][]store.Scope, len(resources))
	for _, res := range resources {
		scopes, _, err := d.st.ListScopes(ctx, res.ID, store.Page{})
		if err != nil {
			return nil, err
		}
		out[res.ID] = scopes
	}
	return out, nil
}

// CreateResource creates a resource. Its indicator may not be the
// Management API's in another spelling.
func (d *Directory) CreateResource(ctx context.Context, in NewResource) (store.Resource, error) {
	res, err := d.newResource(in)
	if err != nil {
		return store.Resource{}, err
	}
	return res, orConflictFor(d.st.CreateResource(ctx, res), ReasonIndicatorTaken, "a resource with this indicator already exists")
}

// CheckResource reports whether CreateResource would accept in, with the
// refusal it would give, without writing anything.
func (d *Directory) CheckResource(in NewResource) error {
	_, err := d.newResource(in)
	return err
}

// newResource checks in and returns the resource it creates.
func (d *Directory) newResource(in NewResource) (store.Resource, error) {
	if err := firstErr(required("name", in.Name, checkName), required("indicator", in.Indicator, checkIndicator)); err != nil {
		return store.Resource{}, err
	}
	if d.lookalike(*in.Indicator) {
		return store.Resource{}, errLookalikeIndicator
	}
	res := store.Resource{ID: randid.ID(), Name: *in.Name, Indicator: *in.Indicator, AccessTokenTTL: DefaultAccessTokenTTL, CreatedAt: d.now()}
	if in.AccessTokenTTL != nil {
		if err := checkTTL(*in.AccessTokenTTL); err != nil {
			return store.Resource{}, err
		}
		res.AccessTokenTTL = *in.AccessTokenTTL
	}
	if in.EnableRBAC != nil {
		res.RBACDisabled = !*in.EnableRBAC
	}
	if in.PermissionsClaim != nil {
		res.PermissionsClaim = *in.PermissionsClaim
	}
	return res, nil
}

// UpdateResource changes a resource other than the built-in one. changed
// is false when the change gave nothing, and nothing was written.
func (d *Directory) UpdateResource(ctx context.Context, id string, in ResourceChange) (res store.Resource, changed bool, err error) {
	if in.Name != nil {
		if err := checkName(*in.Name); err != nil {
			return res, false, err
		}
	}
	if in.AccessTokenTTL != nil {
		if err := checkTTL(*in.AccessTokenTTL); err != nil {
			return res, false, err
		}
	}
	if res, err = d.writableResource(ctx, id); err != nil {
		return res, false, err
	}
	if in.Indicator != nil && *in.Indicator != res.Indicator {
		return res, false, invalid("indicator cannot be changed; create a new resource instead")
	}
	if in.IsDefault != nil && *in.IsDefault != res.IsDefault {
		return res, false, invalid("isDefault cannot be changed here: use PATCH /api/resources/{id}/is-default")
	}
	if in.Name == nil && in.AccessTokenTTL == nil && in.EnableRBAC == nil && in.PermissionsClaim == nil {
		return res, false, nil
	}
	if in.EnableRBAC != nil {
		res.RBACDisabled = !*in.EnableRBAC
	}
	if in.PermissionsClaim != nil {
		res.PermissionsClaim = *in.PermissionsClaim
	}
	if in.Name != nil {
		res.Name = *in.Name
	}
	if in.AccessTokenTTL != nil {
		res.AccessTokenTTL = *in.AccessTokenTTL
	}
	if err := d.st.UpdateResource(ctx, res); err != nil {
		return res, false, orNotFound(err, "resource not found")
	}
	return res, true, nil
}

// DeleteResource removes a resource other than the built-in one, with its
// scopes.
func (d *Directory) DeleteResource(ctx context.Context, id string) error {
	res, err := d.writableResource(ctx, id)
	if errors.Is(err, errBuiltIn) {
		return errBuiltInDelete
	}
	if err != nil {
		return err
	}
	return orNotFound(d.st.DeleteResource(ctx, res.ID), "resource not found")
}

// SetDefaultResource makes the resource the one used when a token request
// names none (or stops it being so). At most one resource is the default;
// the built-in one cannot be.
func (d *Directory) SetDefaultResource(ctx context.Context, id string, isDefault bool) (store.Resource, error) {
	res, err := d.writableResource(ctx, id)
	if err != nil {
		return res, err
	}
	if err := d.st.SetDefaultResource(ctx, res.ID, isDefault); err != nil {
		return res, orNotFound(err, "resource not found")
	}
	res.IsDefault = isDefault
	return res, nil
}

// Scopes lists one page of a resource's scopes and their total.
func (d *Directory) Scopes(ctx context.Context, resourceID string, page store.Page) ([]store.Scope, int, error) {
	return listFor(ctx, resourceID, "resource", exists(d.Resource), d.st.ListScopes, page)
}

// SearchScopes lists one page of the scopes of a resource that match (see
// ScopeSearch) and their total.
func (d *Directory) SearchScopes(ctx context.Context, resourceID string, match store.Search, page store.Page) ([]store.Scope, int, error) {
	return listFor(ctx, resourceID, "resource", exists(d.Resource),
		func(ctx context.Context, id string, page store.Page) ([]store.Scope, int, error) {
			return d.st.SearchScopes(ctx, id, match, page)
		}, page)
}

func scopeError(err error, missing string) error {
	return orConflictFor(orNotFound(err, missing), ReasonScopeNameTaken, "the resource already has a scope with this name")
}

// CreateScope gives a resource other than the built-in one a scope.
func (d *Directory) CreateScope(ctx context.Context, resourceID string, in NewScope) (store.Scope, error) {
	sc, err := d.newScope(in)
	if err != nil {
		return store.Scope{}, err
	}
	res, err := d.writableResource(ctx, resourceID)
	if err != nil {
		return store.Scope{}, err
	}
	sc.ResourceID = res.ID
	return sc, scopeError(d.st.CreateScope(ctx, sc), "resource not found")
}

// CheckScope reports whether CreateScope would accept in, with the
// refusal it would give, without writing anything.
func (d *Directory) CheckScope(in NewScope) error {
	_, err := d.newScope(in)
	return err
}

// newScope checks in and returns the scope it creates, of no resource yet.
func (d *Directory) newScope(in NewScope) (store.Scope, error) {
	if err := required("name", in.Name, checkScopeName); err != nil {
		return store.Scope{}, err
	}
	sc := store.Scope{ID: randid.ID(), Name: *in.Name, CreatedAt: d.now()}
	if in.Description != nil {
		if err := checkDescription(*in.Description); err != nil {
			return store.Scope{}, err
		}
		sc.Description = *in.Description
	}
	return sc, nil
}

// writableScope returns the scope with scopeID, which must belong to the
// resource with resourceID, not the built-in one.
func (d *Directory) writableScope(ctx context.Context, resourceID, scopeID string) (store.Scope, error) {
	res, err := d.writableResource(ctx, resourceID)
	if err != nil {
		return store.Scope{}, err
	}
	if !ValidID(scopeID) {
		return store.Scope{}, notFound("scope not found")
	}
	sc, err := d.st.GetScope(ctx, scopeID)
	if err == nil && sc.ResourceID != res.ID {
		err = store.ErrNotFound
	}
	return sc, orNotFound(err, "scope not found in this resource")
}

// UpdateScope renames a scope or changes its description. changed is
// false when the change gave nothing, and nothing was written.
func (d *Directory) UpdateScope(ctx context.Context, resourceID, scopeID string, in NamePatch) (sc store.Scope, changed bool, err error) {
	if err := in.check(checkScopeName); err != nil {
		return sc, false, err
	}
	if sc, err = d.writableScope(ctx, resourceID, scopeID); err != nil || !in.apply(&sc.Name, &sc.Description) {
		return sc, false, err
	}
	if err := d.st.UpdateScope(ctx, sc); err != nil {
		return sc, false, scopeError(err, "scope not found")
	}
	return sc, true, nil
}

// DeleteScope removes a scope of a resource other than the built-in one.
func (d *Directory) DeleteScope(ctx context.Context, resourceID, scopeID string) error {
	sc, err := d.writableScope(ctx, resourceID, scopeID)
	if err != nil {
		return err
	}
	return orNotFound(d.st.DeleteScope(ctx, sc.ID), "scope not found")
}
