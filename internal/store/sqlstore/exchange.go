package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/monban/monban/internal/store"
)

// Subject tokens.

const subjectTokenCols = "id, user_id, context, creator_id, created_at, expires_at, consumed_at"

func scanSubjectToken(r scanner) (store.SubjectToken, error) {
	var (
		st               store.SubjectToken
		raw              string
		created, expires int64
		consumed         sql.NullInt64
	)
	if err := r.Scan(&st.ID, &st.UserID, &raw, &st.CreatorID, &created, &expires, &consumed); err != nil {
		return st, err
	}
	if err := json.Unmarshal([]byte(raw), &st.Context); err != nil {
		return st, fmt.Errorf("subject token: malformed context: %w", err)
	}
	if len(st.Context) == 0 {
		st.Context = nil
	}
	st.CreatedAt, st.ExpiresAt, st.ConsumedAt = fromMillis(created), fromMillis(expires), fromNullMillis(consumed)
	return st, nil
}

// CreateSubjectToken stores a subject token of an existing user.
func (s *Store) CreateSubjectToken(ctx context.Context, st store.SubjectToken) error {
	raw, err := jsonObject(st.Context)
	if err != nil {
		return fmt.Errorf("create subject token: %w", err)
	}
	err = s.write(ctx, func(t txn) error {
		if err := t.exists(notFound("user", st.UserID), "users", st.UserID); err != nil {
			return err
		}
		_, err := t.exec("INSERT INTO subject_tokens ("+subjectTokenCols+") VALUES (?, ?, ?, ?, ?, ?, ?)",
			st.ID, st.UserID, raw, st.CreatorID, millis(st.CreatedAt), millis(st.ExpiresAt), nullMillis(st.ConsumedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("create subject token: %w", err)
	}
	return nil
}

// GetSubjectToken returns the subject token with the id.
func (s *Store) GetSubjectToken(ctx context.Context, id string) (store.SubjectToken, error) {
	return readRow(s, ctx, "get subject token", notFound("subject token", ""), scanSubjectToken,
		"SELECT "+subjectTokenCols+" FROM subject_tokens WHERE id = ?", id)
}

// Personal access tokens.

const patCols = "user_id, name, digest, created_at, expires_at"

func scanPAT(r scanner) (store.PersonalAccessToken, error) {
	var (
		pat     store.PersonalAccessToken
		created int64
		expires sql.NullInt64
	)
	err := r.Scan(&pat.UserID, &pat.Name, &pat.Digest, &created, &expires)
	pat.CreatedAt, pat.ExpiresAt = fromMillis(created), fromNullMillis(expires)
	return pat, err
}

// CreatePersonalAccessToken stores a personal access token of an existing
// user.
func (s *Store) CreatePersonalAccessToken(ctx context.Context, pat store.PersonalAccessToken) error {
	err := s.write(ctx, func(t txn) error {
		if err := t.exists(notFound("user", pat.UserID), "users", pat.UserID); err != nil {
			return err
		}
		_, err := t.exec("INSERT INTO personal_access_tokens ("+patCols+") VALUES (?, ?, ?, ?, ?)",
			pat.UserID, pat.Name, pat.Digest, millis(pat.CreatedAt), nullMillis(pat.ExpiresAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("create personal access token: %w", err)
	}
	return nil
}

// ListPersonalAccessTokens returns the user's tokens, oldest first.
func (s *Store) ListPersonalAccessTokens(ctx context.Context, userID string) ([]store.PersonalAccessToken, error) {
	var out []store.PersonalAccessToken
	err := s.read(ctx, func(t txn) error {
		rows, err := t.query("SELECT "+patCols+" FROM personal_access_tokens WHERE user_id = ? ORDER BY created_at, name", userID)
		if err != nil {
			return err
		}
		defer rows.Close()
		out = nil
		for rows.Next() {
			pat, err := scanPAT(rows)
			if err != nil {
				return err
			}
			out = append(out, pat)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("list personal access tokens: %w", err)
	}
	return out, nil
}

// GetPersonalAccessToken returns the token with the digest.
func (s *Store) GetPersonalAccessToken(ctx context.Context, digest string) (store.PersonalAccessToken, error) {
	return readRow(s, ctx, "get personal access token", notFound("personal access token", ""), scanPAT,
		"SELECT "+patCols+" FROM personal_access_tokens WHERE digest = ?", digest)
}

// RenamePersonalAccessToken renames one of the user's tokens.
func (s *Store) RenamePersonalAccessToken(ctx context.Context, userID, name, newName string) (store.PersonalAccessToken, error) {
	var pat store.PersonalAccessToken
	err := s.write(ctx, func(t txn) error {
		if err := t.execOne(notFound("personal access token", name),
			"UPDATE personal_access_tokens SET name = ? WHERE user_id = ? AND name = ?", newName, userID, name); err != nil {
			return err
		}
		var err error
		pat, err = scanPAT(t.queryRow("SELECT "+patCols+" FROM personal_access_tokens WHERE user_id = ? AND name = ?", userID, newName))
		return err
	})
	if err != nil {
		return store.PersonalAccessToken{}, fmt.Errorf("rename personal access token: %w", err)
	}
	return pat, nil
}

// DeletePersonalAccessToken deletes one of the user's tokens.
func (s *Store) DeletePersonalAccessToken(ctx context.Context, userID, name string) error {
	return s.writeStatement(ctx, "delete personal access token", notFound("personal access token", name),
		"DELETE FROM personal_access_tokens WHERE user_id = ? AND name = ?", userID, name)
}

// RecordExchange stores the grant of an exchanged token with what was
// issued, consuming the subject token it was exchanged for, if any.
func (s *Store) RecordExchange(ctx context.Context, g store.Grant, subjectTokenID string, now time.Time, issue store.Issue) error {
	err := s.write(ctx, func(t txn) error {
		if subjectTokenID != "" {
			if err := t.exists(notFound("subject token", ""), "subject_tokens", subjectTokenID); err != nil {
				return err
			}
			if err := t.execOne(store.ErrAlreadyUsed, "UPDATE subject_tokens SET consumed_at = ? WHERE id = ? AND consumed_at IS NULL",
				millis(now), subjectTokenID); err != nil {
				return err
			}
		}
		if err := t.insertGrant(g); err != nil {
			return err
		}
		return t.record(g.ID, issue)
	})
	if err != nil {
		return fmt.Errorf("record exchange: %w", err)
	}
	return nil
}
