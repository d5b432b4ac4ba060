package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/monban/monban/internal/store"
)

// Interactions.

const interactionCols = "id, client_id, request, step, identifier, account_id, attempts, binding, version, created_at, expires_at"

func scanInteraction(r scanner) (store.Interaction, error) {
	var (
		in               store.Interaction
		created, expires int64
	)
	if err := r.Scan(&in.ID, &in.ClientID, &in.Request, &in.Step, &in.Identifier, &in.AccountID, &in.Attempts,
		&in.Binding, &in.Version, &created, &expires); err != nil {
		return in, err
	}
	in.CreatedAt, in.ExpiresAt = fromMillis(created), fromMillis(expires)
	return in, nil
}

// CreateInteraction stores a new interaction; an id in use is ErrConflict.
func (s *Store) CreateInteraction(ctx context.Context, in store.Interaction) error {
	err := s.write(ctx, func(t txn) error {
		_, err := t.exec("INSERT INTO interactions ("+interactionCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			in.ID, in.ClientID, in.Request, in.Step, in.Identifier, in.AccountID, in.Attempts, in.Binding, in.Version,
			millis(in.CreatedAt), millis(in.ExpiresAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("create interaction: %w", err)
	}
	return nil
}

// GetInteraction returns an interaction, expired or not.
func (s *Store) GetInteraction(ctx context.Context, id string) (store.Interaction, error) {
	var in store.Interaction
	err := s.read(ctx, func(t txn) error {
		var err error
		in, err = scanInteraction(t.queryRow("SELECT "+interactionCols+" FROM interactions WHERE id = ?", id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("interaction", "")
		}
		return err
	})
	if err != nil {
		return store.Interaction{}, fmt.Errorf("get interaction: %w", err)
	}
	return in, nil
}

// UpdateInteraction writes the interaction's progress if its stored
// version is still version: a moved-on version is ErrConflict, a gone
// interaction ErrNotFound.
func (s *Store) UpdateInteraction(ctx context.Context, in store.Interaction, version int) error {
	err := s.write(ctx, func(t txn) error {
		res, err := t.exec("UPDATE interactions SET step = ?, identifier = ?, account_id = ?, attempts = ?, version = ? WHERE id = ? AND version = ?",
			in.Step, in.Identifier, in.AccountID, in.Attempts, version+1, in.ID, version)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		if err := t.exists(notFound("interaction", ""), "interactions", in.ID); err != nil {
			return err
		}
		return fmt.Errorf("interaction advanced past version %d: %w", version, store.ErrConflict)
	})
	if err != nil {
		return fmt.Errorf("update interaction: %w", err)
	}
	return nil
}

// DeleteInteraction removes an interaction; an unknown one is ErrNotFound.
func (s *Store) DeleteInteraction(ctx context.Context, id string) error {
	err := s.write(ctx, func(t txn) error {
		return t.execOne(notFound("interaction", ""), "DELETE FROM interactions WHERE id = ?", id)
	})
	if err != nil {
		return fmt.Errorf("delete interaction: %w", err)
	}
	return nil
}

// PruneInteractions deletes the interactions that expired before now.
func (s *Store) PruneInteractions(ctx context.Context, now time.Time) error {
	err := s.write(ctx, func(t txn) error {
		_, err := t.exec("DELETE FROM interactions WHERE expires_at < ?", millis(now))
		return err
	})
	if err != nil {
		return fmt.Errorf("prune interactions: %w", err)
	}
	return nil
}
