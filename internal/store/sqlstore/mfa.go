package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/monban/monban/internal/store"
)

const mfaCols = "id, user_id, type, name, data, created_at, last_used_at"

// CreateMFAVerification stores a user's new second factor; see
// store.MFAStore.
func (s *Store) CreateMFAVerification(ctx context.Context, v store.MFAVerification) error {
	err := s.write(ctx, func(t txn) error {
		if err := t.exists(notFound("user", v.UserID), "users", v.UserID); err != nil {
			return err
		}
		_, err := t.exec("INSERT INTO user_mfa_verifications ("+mfaCols+") VALUES (?, ?, ?, ?, ?, ?, ?)",
			v.ID, v.UserID, v.Type, v.Name, string(v.Data), millis(v.CreatedAt), nullMillisPtr(v.LastUsedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("create mfa verification: %w", err)
	}
	return nil
}

// ListMFAVerifications returns a user's second factors, oldest first.
func (s *Store) ListMFAVerifications(ctx context.Context, userID string) ([]store.MFAVerification, error) {
	var out []store.MFAVerification
	err := s.read(ctx, func(t txn) error {
		var err error
		out, err = collect(t, scanMFAVerification, "SELECT "+mfaCols+
			" FROM user_mfa_verifications WHERE user_id = ? ORDER BY created_at, id", userID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list mfa verifications: %w", err)
	}
	return out, nil
}

// UpdateMFAVerification writes a factor's data, name and last use.
func (s *Store) UpdateMFAVerification(ctx context.Context, v store.MFAVerification) error {
	err := s.write(ctx, func(t txn) error {
		return t.execOne(notFound("mfa verification", v.ID),
			"UPDATE user_mfa_verifications SET data = ?, name = ?, last_used_at = ? WHERE id = ? AND user_id = ?",
			string(v.Data), v.Name, nullMillisPtr(v.LastUsedAt), v.ID, v.UserID)
	})
	if err != nil {
		return fmt.Errorf("update mfa verification: %w", err)
	}
	return nil
}

// DeleteMFAVerification removes a user's factor.
func (s *Store) DeleteMFAVerification(ctx context.Context, userID, id string) error {
	err := s.write(ctx, func(t txn) error {
		return t.execOne(notFound("mfa verification", id),
			"DELETE FROM user_mfa_verifications WHERE id = ? AND user_id = ?", id, userID)
	})
	if err != nil {
		return fmt.Errorf("delete mfa verification: %w", err)
	}
	return nil
}

func nullMillisPtr(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

func scanMFAVerification(r scanner) (store.MFAVerification, error) {
	var (
		v        store.MFAVerification
		data     string
		created  int64
		lastUsed sql.NullInt64
	)
	if err := r.Scan(&v.ID, &v.UserID, &v.Type, &v.Name, &data, &created, &lastUsed); err != nil {
		return v, err
	}
	v.Data, v.CreatedAt = []byte(data), fromMillis(created)
	if lastUsed.Valid {
		at := time.UnixMilli(lastUsed.Int64).UTC()
		v.LastUsedAt = &at
	}
	return v, nil
}
