package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/monban/monban/internal/store"
)

const identityCols = "user_id, target, external_id, details, created_at, updated_at"

// PutIdentity creates or replaces a user's identity at its target; see
// store.IdentityStore.
func (s *Store) PutIdentity(ctx context.Context, id store.Identity) (bool, error) {
	var details sql.NullString
	if id.Details != nil {
		b, err := json.Marshal(id.Details)
		if err != nil {
			return false, fmt.Errorf("put identity: %w", err)
		}
		details = sql.NullString{String: string(b), Valid: true}
	}
	var created bool
	err := s.change(ctx, event(store.EventUserUpdated, id.UserID, nil), func(t txn) error {
		if err := t.execOne(notFound("user", id.UserID), "UPDATE users SET updated_at = ? WHERE id = ?",
			millis(id.UpdatedAt), id.UserID); err != nil {
			return err
		}
		var one int
		err := t.queryRow("SELECT 1 FROM user_identities WHERE user_id = ? AND target = ?", id.UserID, id.Target).Scan(&one)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			created = true
			_, err = t.exec("INSERT INTO user_identities ("+identityCols+") VALUES (?, ?, ?, ?, ?, ?)",
				id.UserID, id.Target, id.ExternalID, details, millis(id.CreatedAt), millis(id.UpdatedAt))
			return err
		case err != nil:
			return err
		}
		_, err = t.exec("UPDATE user_identities SET external_id = ?, details = ?, updated_at = ? WHERE user_id = ? AND target = ?",
			id.ExternalID, details, millis(id.UpdatedAt), id.UserID, id.Target)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("put identity: %w", err)
	}
	return created, nil
}

// ListIdentities returns the identities of the users, by user id then
// target.
func (s *Store) ListIdentities(ctx context.Context, userIDs []string) ([]store.Identity, error) {
	ids := uniq(userIDs)
	out := make([]store.Identity, 0)
	err := s.read(ctx, func(t txn) error {
		out = out[:0]
		for start := 0; start < len(ids); start += identitiesChunk {
			chunk := ids[start:min(start+identitiesChunk, len(ids))]
			args := make([]any, len(chunk))
			for i, id := range chunk {
				args[i] = id
			}
			got, err := collect(t, scanIdentity, "SELECT "+identityCols+" FROM user_identities WHERE user_id IN ("+
				placeholders(len(chunk))+")", args...)
			if err != nil {
				return err
			}
			out = append(out, got...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list identities: %w", err)
	}
	// Sorted here, in byte order, whatever the engine's collation.
	slices.SortFunc(out, func(a, b store.Identity) int {
		return cmp.Or(strings.Compare(a.UserID, b.UserID), strings.Compare(a.Target, b.Target))
	})
	return out, nil
}

// GetUserByIdentity returns the user whose account at target is
// externalID.
func (s *Store) GetUserByIdentity(ctx context.Context, target, externalID string) (store.User, error) {
	var userID string
	err := s.read(ctx, func(t txn) error {
		return t.queryRow("SELECT user_id FROM user_identities WHERE target = ? AND external_id = ?", target, externalID).Scan(&userID)
	})
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.User{}, notFound("identity", target)
	case err != nil:
		return store.User{}, fmt.Errorf("get user by identity: %w", err)
	}
	return s.GetUser(ctx, userID)
}

// DeleteIdentity removes a user's identity at target.
func (s *Store) DeleteIdentity(ctx context.Context, userID, target string, at time.Time) error {
	err := s.change(ctx, event(store.EventUserUpdated, userID, nil), func(t txn) error {
		if err := t.execOne(notFound("identity", target), "DELETE FROM user_identities WHERE user_id = ? AND target = ?",
			userID, target); err != nil {
			return err
		}
		_, err := t.exec("UPDATE users SET updated_at = ? WHERE id = ?", millis(at), userID)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete identity: %w", err)
	}
	return nil
}

// attachIdentities reads the identities of users into them.
func (s *Store) attachIdentities(ctx context.Context, users []store.User) error {
	if len(users) == 0 {
		return nil
	}
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	all, err := s.ListIdentities(ctx, ids)
	if err != nil {
		return err
	}
	byUser := make(map[string][]store.Identity, len(users))
	for _, id := range all {
		byUser[id.UserID] = append(byUser[id.UserID], id)
	}
	for i := range users {
		users[i].Identities = byUser[users[i].ID]
	}
	return nil
}

// withIdentities completes a listing of users with their identities.
func (s *Store) withIdentities(ctx context.Context, op string) func([]store.User, int, error) ([]store.User, int, error) {
	return func(users []store.User, total int, err error) ([]store.User, int, error) {
		if err != nil {
			return nil, 0, err
		}
		if err := s.attachIdentities(ctx, users); err != nil {
			return nil, 0, fmt.Errorf("%s: %w", op, err)
		}
		return users, total, nil
	}
}

// identitiesChunk bounds the user ids asked for in one query, below the
// engines' limits on bound parameters.
const identitiesChunk = 500

func scanIdentity(r scanner) (store.Identity, error) {
	var (
		id               store.Identity
		details          sql.NullString
		created, updated int64
	)
	if err := r.Scan(&id.UserID, &id.Target, &id.ExternalID, &details, &created, &updated); err != nil {
		return id, err
	}
	if details.Valid {
		if err := json.Unmarshal([]byte(details.String), &id.Details); err != nil {
			return id, fmt.Errorf("details of identity %s of %s: %w", id.Target, id.UserID, err)
		}
	}
	id.CreatedAt, id.UpdatedAt = fromMillis(created), fromMillis(updated)
	return id, nil
}
