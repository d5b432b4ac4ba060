package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/monban/monban/internal/store"
)

const vcodeCols = "id, code_key, salt, hash, tries, created_at, expires_at"

func scanVCode(r scanner) (store.VerificationCode, error) {
	var (
		c                store.VerificationCode
		created, expires int64
	)
	if err := r.Scan(&c.ID, &c.Key, &c.Salt, &c.Hash, &c.Tries, &created, &expires); err != nil {
		return c, err
	}
	c.CreatedAt, c.ExpiresAt = fromMillis(created), fromMillis(expires)
	return c, nil
}

// PutVerificationCode stores c in place of any code with its key.
func (s *Store) PutVerificationCode(ctx context.Context, c store.VerificationCode) error {
	err := s.write(ctx, func(t txn) error {
		if _, err := t.exec("DELETE FROM verification_codes WHERE code_key = ?", c.Key); err != nil {
			return err
		}
		_, err := t.exec("INSERT INTO verification_codes ("+vcodeCols+") VALUES (?, ?, ?, ?, ?, ?, ?)",
			c.ID, c.Key, c.Salt, c.Hash, c.Tries, millis(c.CreatedAt), millis(c.ExpiresAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("put verification code: %w", err)
	}
	return nil
}

// GetVerificationCode returns the code stored under key.
func (s *Store) GetVerificationCode(ctx context.Context, key string) (store.VerificationCode, error) {
	return getOne(ctx, s, "get verification code", "verification code", "", scanVCode,
		"SELECT "+vcodeCols+" FROM verification_codes WHERE code_key = ?", key)
}

// CountVerificationTry adds a try to the code id while it has fewer than
// max, in one conditional update, and returns its count.
func (s *Store) CountVerificationTry(ctx context.Context, id string, max int) (int, error) {
	var tries int
	err := s.write(ctx, func(t txn) error {
		if _, err := t.exec("UPDATE verification_codes SET tries = tries + 1 WHERE id = ? AND tries < ?", id, max); err != nil {
			return err
		}
		return mapNoRows(t.queryRow("SELECT tries FROM verification_codes WHERE id = ?", id).Scan(&tries), notFound("verification code", id))
	})
	if err != nil {
		return 0, fmt.Errorf("count verification try: %w", err)
	}
	return tries, nil
}

// ConsumeVerificationCode deletes the code id; only one caller deletes it.
func (s *Store) ConsumeVerificationCode(ctx context.Context, id string) error {
	err := s.write(ctx, func(t txn) error {
		return t.execOne(notFound("verification code", id), "DELETE FROM verification_codes WHERE id = ?", id)
	})
	if err != nil {
		return fmt.Errorf("consume verification code: %w", err)
	}
	return nil
}

// RecordCodeSend stores a send record.
func (s *Store) RecordCodeSend(ctx context.Context, c store.CodeSend) error {
	err := s.write(ctx, func(t txn) error {
		_, err := t.exec("INSERT INTO code_sends (id, target, client_ip, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
			c.ID, c.Target, c.ClientIP, millis(c.CreatedAt), millis(c.ExpiresAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("record code send: %w", err)
	}
	return nil
}

// DeleteCodeSend removes a send record.
func (s *Store) DeleteCodeSend(ctx context.Context, id string) error {
	err := s.write(ctx, func(t txn) error {
		return t.execOne(notFound("code send", id), "DELETE FROM code_sends WHERE id = ?", id)
	})
	if err != nil {
		return fmt.Errorf("delete code send: %w", err)
	}
	return nil
}

// CodeSends returns the times of the sends to target and from clientIP
// since a time, oldest first. An empty clientIP matches none.
func (s *Store) CodeSends(ctx context.Context, target, clientIP string, since time.Time) (store.CodeSendTimes, error) {
	var out store.CodeSendTimes
	scanTime := func(r scanner) (time.Time, error) {
		var ms int64
		err := r.Scan(&ms)
		return fromMillis(ms), err
	}
	err := s.read(ctx, func(t txn) error {
		var err error
		out.Target, err = collect(t, scanTime, "SELECT created_at FROM code_sends WHERE target = ? AND created_at >= ? ORDER BY created_at, id", target, millis(since))
		if err != nil || clientIP == "" {
			return err
		}
		out.Client, err = collect(t, scanTime, "SELECT created_at FROM code_sends WHERE client_ip = ? AND created_at >= ? ORDER BY created_at, id", clientIP, millis(since))
		return err
	})
	if err != nil {
		return out, fmt.Errorf("code sends: %w", err)
	}
	return out, nil
}

// mapNoRows turns sql.ErrNoRows into notFound.
func mapNoRows(err, notFound error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return notFound
	}
	return err
}
