package sqlstore

import (
	"context"
	"fmt"

	"github.com/monban/monban/internal/store"
)

const resourceCols = "id, name, indicator, access_token_ttl, is_default, rbac_disabled, permissions_claim, created_at"

func scanResource(r scanner) (store.Resource, error) {
	var (
		res     store.Resource
		created int64
	)
	if err := r.Scan(&res.ID, &res.Name, &res.Indicator, &res.AccessTokenTTL, &res.IsDefault, &res.RBACDisabled, &res.PermissionsClaim, &created); err != nil {
		return res, err
	}
	res.CreatedAt = fromMillis(created)
	return res, nil
}

// CreateResource inserts res; an id or indicator already in use is
// ErrConflict. A resource created as the default takes that role from any
// other, as with SetDefaultResource.
func (s *Store) CreateResource(ctx context.Context, res store.Resource) error {
	err := s.change(ctx, event(store.EventResourceCreated, res.ID, nil), func(t txn) error {
		if res.IsDefault {
			if _, err := t.exec("UPDATE resources SET is_default = FALSE WHERE is_default"); err != nil {
				return err
			}
		}
		_, err := t.exec("INSERT INTO resources ("+resourceCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			res.ID, res.Name, res.Indicator, res.AccessTokenTTL, res.IsDefault, res.RBACDisabled, res.PermissionsClaim, millis(res.CreatedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("create resource: %w", err)
	}
	return nil
}

// GetResource returns the resource with the id.
func (s *Store) GetResource(ctx context.Context, id string) (store.Resource, error) {
	return getOne(ctx, s, "get resource", "resource", id, scanResource, "SELECT "+resourceCols+" FROM resources WHERE id = ?", id)
}

// ListResources returns a page of resources, oldest first.
func (s *Store) ListResources(ctx context.Context, page store.Page) ([]store.Resource, int, error) {
	return listPage(ctx, s, "list resources", nil, resourceCols, "FROM resources", "created_at, id", nil, page, scanResource)
}

// UpdateResource changes the name and access token lifetime of res.ID.
func (s *Store) UpdateResource(ctx context.Context, res store.Resource) error {
	err := s.change(ctx, event(store.EventResourceUpdated, res.ID, nil), func(t txn) error {
		return t.execOne(notFound("resource", res.ID),
			"UPDATE resources SET name = ?, access_token_ttl = ?, rbac_disabled = ?, permissions_claim = ? WHERE id = ?",
			res.Name, res.AccessTokenTTL, res.RBACDisabled, res.PermissionsClaim, res.ID)
	})
	if err != nil {
		return fmt.Errorf("update resource: %w", err)
	}
	return nil
}

// DeleteResource deletes the resource; its scopes and their role links go
// with it through ON DELETE CASCADE.
func (s *Store) DeleteResource(ctx context.Context, id string) error {
	err := s.change(ctx, event(store.EventResourceDeleted, id, nil), func(t txn) error {
		return t.execOne(notFound("resource", id), "DELETE FROM resources WHERE id = ?", id)
	})
	if err != nil {
		return fmt.Errorf("delete resource: %w", err)
	}
	return nil
}

// SetDefaultResource makes id the only default resource, or clears its
// default flag.
func (s *Store) SetDefaultResource(ctx context.Context, id string, isDefault bool) error {
	err := s.change(ctx, event(store.EventResourceUpdated, id, nil), func(t txn) error {
		if isDefault {
			// Clear the others first: the unique index allows one default.
			if _, err := t.exec("UPDATE resources SET is_default = FALSE WHERE is_default AND id <> ?", id); err != nil {
				return err
			}
		}
		return t.execOne(notFound("resource", id), "UPDATE resources SET is_default = ? WHERE id = ?", isDefault, id)
	})
	if err != nil {
		return fmt.Errorf("set default resource: %w", err)
	}
	return nil
}

const scopeCols = "scopes.id, scopes.resource_id, scopes.name, scopes.description, scopes.created_at"

func scanScope(r scanner) (store.Scope, error) {
	var (
		sc      store.Scope
		created int64
	)
	if err := r.Scan(&sc.ID, &sc.ResourceID, &sc.Name, &sc.Description, &created); err != nil {
		return sc, err
	}
	sc.CreatedAt = fromMillis(created)
	return sc, nil
}

// CreateScope inserts scope. An unknown resource is ErrNotFound; an id, or a
// name the resource already has, is ErrConflict.
func (s *Store) CreateScope(ctx context.Context, scope store.Scope) error {
	err := s.change(ctx, event(store.EventScopeCreated, scope.ID, &store.EventPayload{ResourceID: scope.ResourceID}), func(t txn) error {
		if err := t.exists(notFound("resource", scope.ResourceID), "resources", scope.ResourceID); err != nil {
			return err
		}
		_, err := t.exec("INSERT INTO scopes (id, resource_id, name, description, created_at) VALUES (?, ?, ?, ?, ?)",
			scope.ID, scope.ResourceID, scope.Name, scope.Description, millis(scope.CreatedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("create scope: %w", err)
	}
	return nil
}

// GetScope returns the scope with the id.
func (s *Store) GetScope(ctx context.Context, id string) (store.Scope, error) {
	return getOne(ctx, s, "get scope", "scope", id, scanScope, "SELECT "+scopeCols+" FROM scopes WHERE id = ?", id)
}

// ListScopes returns a page of the scopes of a resource, oldest first. An
// unknown resource is ErrNotFound.
func (s *Store) ListScopes(ctx context.Context, resourceID string, page store.Page) ([]store.Scope, int, error) {
	return s.SearchScopes(ctx, resourceID, store.Search{}, page)
}

// scopeSearch is where Logto's scope search looks.
var scopeSearch = searchColumns{names: []string{"id", "name", "description"},
	cols: []string{"scopes.id", "scopes.name", "scopes.description"}}

// SearchScopes returns a page of the scopes of a resource that match,
// oldest first. An unknown resource is ErrNotFound.
func (s *Store) SearchScopes(ctx context.Context, resourceID string, match store.Search, page store.Page) ([]store.Scope, int, error) {
	cond, args, err := scopeSearch.where(&s.d, match)
	if err != nil {
		return nil, 0, fmt.Errorf("list scopes: %w", err)
	}
	from := "FROM scopes WHERE scopes.resource_id = ?"
	if cond != "" {
		from += " AND " + cond
	}
	parent := func(t txn) error { return t.exists(notFound("resource", resourceID), "resources", resourceID) }
	return listPage(ctx, s, "list scopes", parent, scopeCols, from,
		"scopes.created_at, scopes.id", append([]any{resourceID}, args...), page, scanScope)
}

// UpdateScope changes the name and description of scope.ID; a name the
// resource already has is ErrConflict.
func (s *Store) UpdateScope(ctx context.Context, scope store.Scope) error {
	err := s.change(ctx, event(store.EventScopeUpdated, scope.ID, nil), func(t txn) error {
		return t.execOne(notFound("scope", scope.ID),
			"UPDATE scopes SET name = ?, description = ? WHERE id = ?", scope.Name, scope.Description, scope.ID)
	})
	if err != nil {
		return fmt.Errorf("update scope: %w", err)
	}
	return nil
}

// DeleteScope deletes the scope; its role links go with it through ON DELETE
// CASCADE.
func (s *Store) DeleteScope(ctx context.Context, id string) error {
	err := s.change(ctx, event(store.EventScopeDeleted, id, nil), func(t txn) error {
		return t.execOne(notFound("scope", id), "DELETE FROM scopes WHERE id = ?", id)
	})
	if err != nil {
		return fmt.Errorf("delete scope: %w", err)
	}
	return nil
}
