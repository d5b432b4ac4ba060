package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/monban/monban/internal/store"
)

// Organizations and their template (organization scopes and roles).
// The writes append to the outbox for webhooks only: the token endpoint
// reads a member's organization roles from the database when it issues a
// token, as it reads a user's roles.

const orgCols = "organizations.id, organizations.name, organizations.description, organizations.custom_data, " +
	"organizations.branding, organizations.color, organizations.custom_css, organizations.is_mfa_required, organizations.created_at"

func scanOrg(r scanner) (store.Organization, error) {
	var (
		o                       store.Organization
		custom, branding, color string
		created                 int64
	)
	if err := r.Scan(&o.ID, &o.Name, &o.Description, &custom, &branding, &color, &o.CustomCSS, &o.IsMFARequired, &created); err != nil {
		return o, err
	}
	for _, c := range []struct {
		raw string
		dst *map[string]any
	}{{custom, &o.CustomData}, {branding, &o.Branding}, {color, &o.Color}} {
		if err := json.Unmarshal([]byte(c.raw), c.dst); err != nil {
			return o, fmt.Errorf("organization %s: malformed JSON column: %w", o.ID, err)
		}
		if len(*c.dst) == 0 {
			*c.dst = nil
		}
	}
	o.CreatedAt = fromMillis(created)
	return o, nil
}

// orgObjects encodes the JSON columns of o.
func orgObjects(o store.Organization) (custom, branding, color string, err error) {
	if custom, err = jsonObject(o.CustomData); err != nil {
		return
	}
	if branding, err = jsonObject(o.Branding); err != nil {
		return
	}
	color, err = jsonObject(o.Color)
	return
}

// CreateOrganization inserts org; an id in use is ErrConflict.
func (s *Store) CreateOrganization(ctx context.Context, o store.Organization) error {
	custom, branding, color, err := orgObjects(o)
	if err == nil {
		err = s.change(ctx, event(store.EventOrganizationCreated, o.ID, nil), func(t txn) error {
			_, err := t.exec("INSERT INTO organizations (id, name, description, custom_data, branding, color, custom_css, is_mfa_required, created_at) "+
				"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", o.ID, o.Name, o.Description, custom, branding, color, o.CustomCSS, o.IsMFARequired, millis(o.CreatedAt))
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("create organization: %w", err)
	}
	return nil
}

// GetOrganization returns the organization with the id.
func (s *Store) GetOrganization(ctx context.Context, id string) (store.Organization, error) {
	return getOne(ctx, s, "get organization", "organization", id, scanOrg, "SELECT "+orgCols+" FROM organizations WHERE id = ?", id)
}

// orgSearch is where Logto's organization search looks.
var orgSearch = searchColumns{names: []string{"id", "name"}, cols: []string{"organizations.id", "organizations.name"}}

// ListOrganizations returns a page of the organizations matching filter.
func (s *Store) ListOrganizations(ctx context.Context, filter store.OrganizationFilter, page store.Page) ([]store.Organization, int, error) {
	f := conds{d: &s.d}
	f.search(orgSearch, filter.Match)
	if f.err != nil {
		return nil, 0, fmt.Errorf("list organizations: %w", f.err)
	}
	return listPage(ctx, s, "list organizations", nil, orgCols, f.from("organizations"), "organizations.created_at, organizations.id", f.args, page, scanOrg)
}

// UpdateOrganization writes every field of org but its id and creation.
func (s *Store) UpdateOrganization(ctx context.Context, o store.Organization) error {
	custom, branding, color, err := orgObjects(o)
	if err == nil {
		err = s.change(ctx, event(store.EventOrganizationUpdated, o.ID, nil), func(t txn) error {
			return t.execOne(notFound("organization", o.ID), "UPDATE organizations SET name = ?, description = ?, custom_data = ?, branding = ?, "+
				"color = ?, custom_css = ?, is_mfa_required = ? WHERE id = ?", o.Name, o.Description, custom, branding, color, o.CustomCSS, o.IsMFARequired, o.ID)
		})
	}
	if err != nil {
		return fmt.Errorf("update organization: %w", err)
	}
	return nil
}

// DeleteOrganization deletes the organization with its members, their
// roles and its provisioning rules (ON DELETE CASCADE).
func (s *Store) DeleteOrganization(ctx context.Context, id string) error {
	return s.deleteRowTold(ctx, "delete organization", "organization", "organizations", id, store.EventOrganizationDeleted)
}

// deleteRow deletes the row of table with id; a missing one is ErrNotFound.
func (s *Store) deleteRow(ctx context.Context, op, kind, table, id string) error {
	return s.deleteRowTold(ctx, op, kind, table, id, "")
}

// deleteRowTold is deleteRow appending an event of evKind ("" none) about
// the row.
func (s *Store) deleteRowTold(ctx context.Context, op, kind, table, id string, evKind store.EventKind) error {
	del := func(t txn) error {
		return t.execOne(notFound(kind, id), "DELETE FROM "+table+" WHERE id = ?", id)
	}
	var err error
	if evKind == "" {
		err = s.write(ctx, del)
	} else {
		err = s.change(ctx, event(evKind, id, nil), del)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

const orgScopeCols = "organization_scopes.id, organization_scopes.name, organization_scopes.description, organization_scopes.created_at"

func scanOrgScope(r scanner) (store.OrganizationScope, error) {
	var (
		sc      store.OrganizationScope
		created int64
	)
	err := r.Scan(&sc.ID, &sc.Name, &sc.Description, &created)
	sc.CreatedAt = fromMillis(created)
	return sc, err
}

// CreateOrganizationScope inserts scope; an id or name in use is
// ErrConflict.
func (s *Store) CreateOrganizationScope(ctx context.Context, sc store.OrganizationScope) error {
	err := s.change(ctx, event(store.EventOrganizationScopeCreated, sc.ID, nil), func(t txn) error {
		_, err := t.exec("INSERT INTO organization_scopes (id, name, description, created_at) VALUES (?, ?, ?, ?)",
			sc.ID, sc.Name, sc.Description, millis(sc.CreatedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("create organization scope: %w", err)
	}
	return nil
}

// GetOrganizationScope returns the organization scope with the id.
func (s *Store) GetOrganizationScope(ctx context.Context, id string) (store.OrganizationScope, error) {
	return getOne(ctx, s, "get organization scope", "organization scope", id, scanOrgScope,
		"SELECT "+orgScopeCols+" FROM organization_scopes WHERE id = ?", id)
}

// orgScopeSearch is where Logto's organization scope search looks.
var orgScopeSearch = searchColumns{names: []string{"id", "name", "description"},
	cols: []string{"organization_scopes.id", "organization_scopes.name", "organization_scopes.description"}}

// ListOrganizationScopes returns a page of the organization scopes that
// match.
func (s *Store) ListOrganizationScopes(ctx context.Context, match store.Search, page store.Page) ([]store.OrganizationScope, int, error) {
	f := conds{d: &s.d}
	f.search(orgScopeSearch, match)
	if f.err != nil {
		return nil, 0, fmt.Errorf("list organization scopes: %w", f.err)
	}
	return listPage(ctx, s, "list organization scopes", nil, orgScopeCols, f.from("organization_scopes"),
		"organization_scopes.created_at, organization_scopes.id", f.args, page, scanOrgScope)
}

// UpdateOrganizationScope changes a scope's name and description.
func (s *Store) UpdateOrganizationScope(ctx context.Context, sc store.OrganizationScope) error {
	err := s.change(ctx, event(store.EventOrganizationScopeUpdated, sc.ID, nil), func(t txn) error {
		return t.execOne(notFound("organization scope", sc.ID), "UPDATE organization_scopes SET name = ?, description = ? WHERE id = ?",
			sc.Name, sc.Description, sc.ID)
	})
	if err != nil {
		return fmt.Errorf("update organization scope: %w", err)
	}
	return nil
}

// DeleteOrganizationScope deletes the scope and the roles' links to it.
func (s *Store) DeleteOrganizationScope(ctx context.Context, id string) error {
	return s.deleteRowTold(ctx, "delete organization scope", "organization scope", "organization_scopes", id, store.EventOrganizationScopeDeleted)
}
