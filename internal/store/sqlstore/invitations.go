package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/monban/monban/internal/store"
)

// Organization invitations and the roles they give on acceptance.

const invitationCols = "id, inviter_id, invitee, accepted_user_id, organization_id, status, created_at, updated_at, expires_at"

func scanInvitation(r scanner) (store.OrganizationInvitation, error) {
	var (
		inv                         store.OrganizationInvitation
		inviter, accepted           sql.NullString
		status                      string
		created, updated, expiresAt int64
	)
	err := r.Scan(&inv.ID, &inviter, &inv.Invitee, &accepted, &inv.OrganizationID, &status, &created, &updated, &expiresAt)
	inv.InviterID, inv.AcceptedUserID, inv.Status = inviter.String, accepted.String, store.InvitationStatus(status)
	inv.CreatedAt, inv.UpdatedAt, inv.ExpiresAt = fromMillis(created), fromMillis(updated), fromMillis(expiresAt)
	return inv, err
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// CreateOrganizationInvitation stores inv with the roles it gives.
func (s *Store) CreateOrganizationInvitation(ctx context.Context, inv store.OrganizationInvitation, roleIDs []string) error {
	roleIDs = uniq(roleIDs)
	err := s.write(ctx, func(t txn) error {
		if err := t.orgExists(inv.OrganizationID); err != nil {
			return err
		}
		if inv.InviterID != "" {
			if err := t.exists(notFound("user", inv.InviterID), "users", inv.InviterID); err != nil {
				return err
			}
		}
		if err := t.allExist(fmt.Errorf("one of the organization roles: %w", store.ErrNotFound), "organization_roles", roleIDs); err != nil {
			return err
		}
		if _, err := t.exec("UPDATE organization_invitations SET status = ?, updated_at = ? WHERE status = ? AND expires_at <= ? "+
			"AND organization_id = ? AND lower(invitee) = lower(?)", string(store.InvitationExpired), millis(inv.CreatedAt),
			string(store.InvitationPending), millis(inv.CreatedAt), inv.OrganizationID, inv.Invitee); err != nil {
			return err
		}
		if _, err := t.exec("INSERT INTO organization_invitations ("+invitationCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			inv.ID, nullString(inv.InviterID), inv.Invitee, nullString(inv.AcceptedUserID), inv.OrganizationID, string(inv.Status),
			millis(inv.CreatedAt), millis(inv.UpdatedAt), millis(inv.ExpiresAt)); err != nil {
			return err
		}
		for _, id := range roleIDs {
			if _, err := t.exec("INSERT INTO organization_invitation_roles (invitation_id, role_id) VALUES (?, ?)", inv.ID, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("create organization invitation: %w", err)
	}
	return nil
}

// invitationRoles fills in the roles of each invitation: one query.
func (t txn) invitationRoles(invs []store.OrganizationInvitation) error {
	if len(invs) == 0 {
		return nil
	}
	at := make(map[string]int, len(invs))
	args := make([]any, len(invs))
	for i, inv := range invs {
		at[inv.ID], args[i] = i, inv.ID
		invs[i].Roles = []store.OrganizationRole{}
	}
	rows, err := t.query("SELECT r.invitation_id, "+orgRoleCols+" FROM organization_invitation_roles r "+
		"JOIN organization_roles ON organization_roles.id = r.role_id WHERE r.invitation_id IN ("+placeholders(len(invs))+
		") ORDER BY organization_roles.name, organization_roles.id", args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var invID string
		role, err := scanOrgRole(prefixed{rows, &invID})
		if err != nil {
			return err
		}
		i := at[invID]
		invs[i].Roles = append(invs[i].Roles, role)
	}
	return rows.Err()
}

// prefixed scans one leading column into first, then the rest as r's.
type prefixed struct {
	r     scanner
	first *string
}

func (p prefixed) Scan(dest ...any) error { return p.r.Scan(append([]any{p.first}, dest...)...) }

// GetOrganizationInvitation returns the invitation with the id.
func (s *Store) GetOrganizationInvitation(ctx context.Context, id string) (store.OrganizationInvitation, error) {
	var inv store.OrganizationInvitation
	err := s.read(ctx, func(t txn) error {
		var err error
		inv, err = scanInvitation(t.queryRow("SELECT "+invitationCols+" FROM organization_invitations WHERE id = ?", id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("organization invitation", id)
		}
		if err != nil {
			return err
		}
		one := []store.OrganizationInvitation{inv}
		err = t.invitationRoles(one)
		inv = one[0]
		return err
	})
	if err != nil {
		return store.OrganizationInvitation{}, fmt.Errorf("get organization invitation: %w", err)
	}
	return inv, nil
}

// ListOrganizationInvitations lists the invitations that match, newest
// first.
func (s *Store) ListOrganizationInvitations(ctx context.Context, f store.InvitationFilter) ([]store.OrganizationInvitation, error) {
	c := conds{d: &s.d}
	c.add(f.OrganizationID != "", "organization_id = ?", f.OrganizationID)
	c.add(f.InviterID != "", "inviter_id = ?", f.InviterID)
	c.add(f.Invitee != "", "lower(invitee) = lower(?)", f.Invitee)
	var out []store.OrganizationInvitation
	err := s.read(ctx, func(t txn) error {
		var err error
		if out, err = collect(t, scanInvitation, "SELECT "+invitationCols+" "+c.from("organization_invitations")+
			" ORDER BY created_at DESC, id DESC", c.args...); err != nil {
			return err
		}
		return t.invitationRoles(out)
	})
	if err != nil {
		return nil, fmt.Errorf("list organization invitations: %w", err)
	}
	return out, nil
}

// SetOrganizationInvitationStatus ends a pending invitation; an accepted
// one makes the user a member with the invitation's roles.
func (s *Store) SetOrganizationInvitationStatus(ctx context.Context, id string, status store.InvitationStatus, acceptedUserID string, at time.Time) error {
	var orgID string
	set := func(t txn) (*store.EventPayload, error) {
		var current string
		err := t.queryRow("SELECT organization_id, status FROM organization_invitations WHERE id = ?", id).Scan(&orgID, &current)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, notFound("organization invitation", id)
		}
		if err != nil {
			return nil, err
		}
		conflict := fmt.Errorf("organization invitation %q is %s: %w", id, current, store.ErrConflict)
		if current != string(store.InvitationPending) {
			return nil, conflict
		}
		// The status is checked again as it is written: of two changes at
		// once, one wins.
		if err := t.execOne(conflict, "UPDATE organization_invitations SET status = ?, accepted_user_id = ?, updated_at = ? WHERE id = ? AND status = ?",
			string(status), nullString(acceptedUserID), millis(at), id, string(store.InvitationPending)); err != nil {
			return nil, err
		}
		if status != store.InvitationAccepted {
			return nil, nil
		}
		if err := t.exists(notFound("user", acceptedUserID), "users", acceptedUserID); err != nil {
			return nil, err
		}
		res, err := t.exec("INSERT INTO organization_users (organization_id, user_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
			orgID, acceptedUserID, millis(at))
		if err != nil {
			return nil, err
		}
		delta := &store.EventPayload{}
		if n, err := res.RowsAffected(); err != nil {
			return nil, err
		} else if n > 0 {
			delta.IDs = []string{acceptedUserID}
		}
		_, err = t.exec("INSERT INTO organization_user_roles (organization_id, user_id, role_id) "+
			"SELECT ?, ?, role_id FROM organization_invitation_roles WHERE invitation_id = ? ON CONFLICT DO NOTHING",
			orgID, acceptedUserID, id)
		return delta, err
	}
	var err error
	if status == store.InvitationAccepted {
		// The organization's members changed: the event names the
		// organization, which only the row tells; it is read first.
		if err = s.read(ctx, func(t txn) error {
			return t.queryRow("SELECT organization_id FROM organization_invitations WHERE id = ?", id).Scan(&orgID)
		}); errors.Is(err, sql.ErrNoRows) {
			err = notFound("organization invitation", id)
		}
		if err == nil {
			err = s.changeTold(ctx, event(store.EventOrganizationUsersChanged, orgID, nil), set)
		}
	} else {
		err = s.write(ctx, func(t txn) error { _, err := set(t); return err })
	}
	if err != nil {
		return fmt.Errorf("set organization invitation status: %w", err)
	}
	return nil
}

// DeleteOrganizationInvitation deletes the invitation with its roles.
func (s *Store) DeleteOrganizationInvitation(ctx context.Context, id string) error {
	return s.deleteRow(ctx, "delete organization invitation", "organization invitation", "organization_invitations", id)
}
