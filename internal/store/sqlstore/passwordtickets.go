package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/monban/monban/internal/store"
)

// Password-change tickets.

const passwordTicketCols = "id, hash, user_id, client_id, result_url, mark_email_verified, include_email, created_at, expires_at, used_at"

func scanPasswordTicket(r scanner) (store.PasswordTicket, error) {
	var (
		t                      store.PasswordTicket
		created, expires, used int64
	)
	err := r.Scan(&t.ID, &t.Hash, &t.UserID, &t.ClientID, &t.ResultURL, &t.MarkEmailVerified, &t.IncludeEmail, &created, &expires, &used)
	t.CreatedAt, t.ExpiresAt, t.UsedAt = fromMillis(created), fromMillis(expires), fromMillis(used)
	return t, err
}

// CreatePasswordTicket stores a ticket; an id or hash in use is
// ErrConflict, an unknown user ErrNotFound.
func (s *Store) CreatePasswordTicket(ctx context.Context, pt store.PasswordTicket) error {
	err := s.write(ctx, func(t txn) error {
		if err := t.exists(notFound("user", pt.UserID), "users", pt.UserID); err != nil {
			return err
		}
		_, err := t.exec("INSERT INTO password_tickets ("+passwordTicketCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
			pt.ID, pt.Hash, pt.UserID, pt.ClientID, pt.ResultURL, pt.MarkEmailVerified, pt.IncludeEmail,
			millis(pt.CreatedAt), millis(pt.ExpiresAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("create password ticket: %w", err)
	}
	return nil
}

// GetPasswordTicket returns the ticket of a hash, used or expired alike.
func (s *Store) GetPasswordTicket(ctx context.Context, hash string) (store.PasswordTicket, error) {
	return readRow(s, ctx, "get password ticket", notFound("password ticket", ""), scanPasswordTicket,
		"SELECT "+passwordTicketCols+" FROM password_tickets WHERE hash = ?", hash)
}

// errTicketUsed: the conditional update matched no unused ticket.
var errTicketUsed = errors.New("no unused ticket of that id")

// UsePasswordTicket marks the ticket used, once: the update only matches
// an unused ticket, so of two concurrent uses exactly one succeeds.
func (s *Store) UsePasswordTicket(ctx context.Context, id string, at time.Time) error {
	err := s.write(ctx, func(t txn) error {
		err := t.execOne(errTicketUsed, "UPDATE password_tickets SET used_at = ? WHERE id = ? AND used_at = 0", max(millis(at), 1), id)
		if errors.Is(err, errTicketUsed) {
			if err := t.exists(notFound("password ticket", ""), "password_tickets", id); err != nil {
				return err
			}
			return store.ErrAlreadyUsed
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("use password ticket: %w", err)
	}
	return nil
}

// PrunePasswordTickets deletes the tickets that expired before now.
func (s *Store) PrunePasswordTickets(ctx context.Context, now time.Time) error {
	return s.writeStatement(ctx, "prune password tickets", nil, "DELETE FROM password_tickets WHERE expires_at < ?", millis(now))
}
