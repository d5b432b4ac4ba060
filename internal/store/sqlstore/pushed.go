package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/monban/monban/internal/store"
)

// Pushed authorization requests.

const pushedCols = "id, client_id, issuer, request, created_at, expires_at"

func scanPushed(r scanner) (store.PushedRequest, error) {
	var (
		pr               store.PushedRequest
		created, expires int64
	)
	err := r.Scan(&pr.ID, &pr.ClientID, &pr.Issuer, &pr.Request, &created, &expires)
	pr.CreatedAt, pr.ExpiresAt = fromMillis(created), fromMillis(expires)
	return pr, err
}

// CreatePushedRequest stores a pushed request.
func (s *Store) CreatePushedRequest(ctx context.Context, pr store.PushedRequest) error {
	err := s.write(ctx, func(t txn) error {
		if err := t.exists(notFound("application", pr.ClientID), "applications", pr.ClientID); err != nil {
			return err
		}
		_, err := t.exec("INSERT INTO pushed_auth_requests ("+pushedCols+") VALUES (?, ?, ?, ?, ?, ?)",
			pr.ID, pr.ClientID, pr.Issuer, pr.Request, millis(pr.CreatedAt), millis(pr.ExpiresAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("create pushed request: %w", err)
	}
	return nil
}

// TakePushedRequest deletes and returns a pushed request: of two callers
// taking the same one, only the one whose DELETE removed the row gets it.
func (s *Store) TakePushedRequest(ctx context.Context, id string) (store.PushedRequest, error) {
	var pr store.PushedRequest
	err := s.write(ctx, func(t txn) error {
		var err error
		pr, err = scanPushed(t.queryRow("SELECT "+pushedCols+" FROM pushed_auth_requests WHERE id = ?", id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("pushed request", "")
		}
		if err != nil {
			return err
		}
		return t.execOne(notFound("pushed request", ""), "DELETE FROM pushed_auth_requests WHERE id = ?", id)
	})
	if err != nil {
		return store.PushedRequest{}, fmt.Errorf("take pushed request: %w", err)
	}
	return pr, nil
}
