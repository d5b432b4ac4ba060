package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/monban/monban/internal/store"
)

// Just-in-time provisioning: the e-mail domains whose users an
// organization takes in, and the roles it gives them.

// AddOrganizationEmailDomain adds a domain; one the organization has is
// ErrConflict.
func (s *Store) AddOrganizationEmailDomain(ctx context.Context, orgID, domain string) error {
	err := s.write(ctx, func(t txn) error {
		if err := t.orgExists(orgID); err != nil {
			return err
		}
		_, err := t.exec("INSERT INTO organization_jit_email_domains (organization_id, email_domain, created_at) VALUES (?, ?, ?)",
			orgID, domain, time.Now().UnixMilli())
		return err
	})
	if err != nil {
		return fmt.Errorf("add organization e-mail domain: %w", err)
	}
	return nil
}

// ReplaceOrganizationEmailDomains makes domains the organization's only
// ones.
func (s *Store) ReplaceOrganizationEmailDomains(ctx context.Context, orgID string, domains []string) error {
	err := s.write(ctx, func(t txn) error {
		if err := t.orgExists(orgID); err != nil {
			return err
		}
		if _, err := t.exec("DELETE FROM organization_jit_email_domains WHERE organization_id = ?", orgID); err != nil {
			return err
		}
		now := time.Now().UnixMilli()
		for i, d := range uniq(domains) {
			if _, err := t.exec("INSERT INTO organization_jit_email_domains (organization_id, email_domain, created_at) VALUES (?, ?, ?)",
				orgID, d, now+int64(i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("replace organization e-mail domains: %w", err)
	}
	return nil
}

// RemoveOrganizationEmailDomain removes a domain; one the organization
// does not have is ErrNotFound.
func (s *Store) RemoveOrganizationEmailDomain(ctx context.Context, orgID, domain string) error {
	err := s.write(ctx, func(t txn) error {
		return t.execOne(notFound("organization e-mail domain", domain),
			"DELETE FROM organization_jit_email_domains WHERE organization_id = ? AND email_domain = ?", orgID, domain)
	})
	if err != nil {
		return fmt.Errorf("remove organization e-mail domain: %w", err)
	}
	return nil
}

// ListOrganizationEmailDomains returns a page of the organization's
// domains, in the order they were added.
func (s *Store) ListOrganizationEmailDomains(ctx context.Context, orgID string, page store.Page) ([]string, int, error) {
	parent := func(t txn) error { return t.orgExists(orgID) }
	scan := func(r scanner) (string, error) {
		var d string
		err := r.Scan(&d)
		return d, err
	}
	return listPage(ctx, s, "list organization e-mail domains", parent, "email_domain",
		"FROM organization_jit_email_domains WHERE organization_id = ?", "created_at, email_domain", []any{orgID}, page, scan)
}

// AddOrganizationJITRoles adds roles given to users provisioned just in
// time.
func (s *Store) AddOrganizationJITRoles(ctx context.Context, orgID string, roleIDs []string) error {
	return s.setJITRoles(ctx, "add organization JIT roles", orgID, roleIDs, false)
}

// ReplaceOrganizationJITRoles makes roleIDs the only roles given just in
// time.
func (s *Store) ReplaceOrganizationJITRoles(ctx context.Context, orgID string, roleIDs []string) error {
	return s.setJITRoles(ctx, "replace organization JIT roles", orgID, roleIDs, true)
}

func (s *Store) setJITRoles(ctx context.Context, op, orgID string, roleIDs []string, replace bool) error {
	roleIDs = uniq(roleIDs)
	err := s.write(ctx, func(t txn) error {
		if err := t.orgExists(orgID); err != nil {
			return err
		}
		if err := t.allExist(fmt.Errorf("one of the organization roles: %w", store.ErrNotFound), "organization_roles", roleIDs); err != nil {
			return err
		}
		if replace {
			if _, err := t.exec("DELETE FROM organization_jit_roles WHERE organization_id = ?", orgID); err != nil {
				return err
			}
		}
		now := time.Now().UnixMilli()
		for _, id := range roleIDs {
			if _, err := t.exec("INSERT INTO organization_jit_roles (organization_id, role_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
				orgID, id, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// RemoveOrganizationJITRole removes one; a role not there is ErrNotFound.
func (s *Store) RemoveOrganizationJITRole(ctx context.Context, orgID, roleID string) error {
	err := s.write(ctx, func(t txn) error {
		return t.execOne(notFound("organization JIT role", roleID), "DELETE FROM organization_jit_roles WHERE organization_id = ? AND role_id = ?", orgID, roleID)
	})
	if err != nil {
		return fmt.Errorf("remove organization JIT role: %w", err)
	}
	return nil
}

// ListOrganizationJITRoles returns a page of the roles given just in time.
func (s *Store) ListOrganizationJITRoles(ctx context.Context, orgID string, page store.Page) ([]store.OrganizationRole, int, error) {
	parent := func(t txn) error { return t.orgExists(orgID) }
	return listPage(ctx, s, "list organization JIT roles", parent, orgRoleCols,
		"FROM organization_roles JOIN organization_jit_roles j ON j.role_id = organization_roles.id WHERE j.organization_id = ?",
		"organization_roles.created_at, organization_roles.id", []any{orgID}, page, scanOrgRole)
}

// OrganizationsForEmailDomain lists the organizations taking in users of
// domain, oldest first.
func (s *Store) OrganizationsForEmailDomain(ctx context.Context, domain string) ([]string, error) {
	var ids []string
	err := s.read(ctx, func(t txn) error {
		var err error
		ids, err = collect(t, func(r scanner) (string, error) {
			var id string
			err := r.Scan(&id)
			return id, err
		}, "SELECT organizations.id FROM organizations JOIN organization_jit_email_domains d ON d.organization_id = organizations.id "+
			"WHERE d.email_domain = ? ORDER BY organizations.created_at, organizations.id", domain)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("organizations for e-mail domain: %w", err)
	}
	return ids, nil
}
