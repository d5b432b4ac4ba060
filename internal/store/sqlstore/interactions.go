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

const interactionCols = "id, client_id, issuer, request, step, identifier, account_id, attempts, binding, version, created_at, expires_at, event, identifier_type, records"

func scanInteraction(r scanner) (store.Interaction, error) {
	var (
		in               store.Interaction
		created, expires int64
		records          string
	)
	err := r.Scan(&in.ID, &in.ClientID, &in.Issuer, &in.Request, &in.Step, &in.Identifier, &in.AccountID, &in.Attempts,
		&in.Binding, &in.Version, &created, &expires, &in.Event, &in.IdentifierType, &records)
	if err != nil {
		return in, err
	}
	in.CreatedAt, in.ExpiresAt = fromMillis(created), fromMillis(expires)
	in.Records, err = decodeRecords(records)
	return in, err
}

// CreateInteraction stores a new interaction; an id in use is ErrConflict.
func (s *Store) CreateInteraction(ctx context.Context, in store.Interaction) error {
	return s.writeStatement(ctx, "create interaction", nil,
		"INSERT INTO interactions ("+interactionCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		in.ID, in.ClientID, in.Issuer, in.Request, in.Step, in.Identifier, in.AccountID, in.Attempts, in.Binding, in.Version,
		millis(in.CreatedAt), millis(in.ExpiresAt), in.Event, in.IdentifierType, encodeRecords(in.Records))
}

// GetInteraction returns an interaction, expired or not.
func (s *Store) GetInteraction(ctx context.Context, id string) (store.Interaction, error) {
	return readRow(s, ctx, "get interaction", notFound("interaction", ""), scanInteraction,
		"SELECT "+interactionCols+" FROM interactions WHERE id = ?", id)
}

// UpdateInteraction writes the interaction's progress if its stored
// version is still version: a moved-on version is ErrConflict, a gone
// interaction ErrNotFound.
func (s *Store) UpdateInteraction(ctx context.Context, in store.Interaction, version int) error {
	err := s.write(ctx, func(t txn) error {
		err := t.execOne(errStaleInteraction, "UPDATE interactions SET step = ?, identifier = ?, account_id = ?, attempts = ?, version = ?, event = ?, identifier_type = ?, records = ? WHERE id = ? AND version = ?",
			in.Step, in.Identifier, in.AccountID, in.Attempts, version+1, in.Event, in.IdentifierType, encodeRecords(in.Records), in.ID, version)
		if errors.Is(err, errStaleInteraction) {
			if err := t.exists(notFound("interaction", ""), "interactions", in.ID); err != nil {
				return err
			}
			return fmt.Errorf("interaction advanced past version %d: %w", version, store.ErrConflict)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("update interaction: %w", err)
	}
	return nil
}

// errStaleInteraction: an update matched no row of the id and version.
var errStaleInteraction = errors.New("no interaction of that version")

// DeleteInteraction removes an interaction; an unknown one is ErrNotFound.
func (s *Store) DeleteInteraction(ctx context.Context, id string) error {
	return s.writeStatement(ctx, "delete interaction", notFound("interaction", ""), "DELETE FROM interactions WHERE id = ?", id)
}

// PruneInteractions deletes the interactions that expired before now.
func (s *Store) PruneInteractions(ctx context.Context, now time.Time) error {
	return s.writeStatement(ctx, "prune interactions", nil, "DELETE FROM interactions WHERE expires_at < ?", millis(now))
}

// writeStatement runs one statement in a write transaction. With
// notFound set the statement must affect a row, else that is the error.
// what names the operation in the error.
func (s *Store) writeStatement(ctx context.Context, what string, notFound error, query string, args ...any) error {
	err := s.write(ctx, func(t txn) error {
		if notFound != nil {
			return t.execOne(notFound, query, args...)
		}
		_, err := t.exec(query, args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// readRow reads the one row of query with scan; no row is notFound. what
// names the operation in the error.
func readRow[T any](s *Store, ctx context.Context, what string, notFound error, scan func(scanner) (T, error), query string, args ...any) (T, error) {
	var v T
	err := s.read(ctx, func(t txn) error {
		var err error
		v, err = scan(t.queryRow(query, args...))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound
		}
		return err
	})
	if err != nil {
		var zero T
		return zero, fmt.Errorf("%s: %w", what, err)
	}
	return v, nil
}
