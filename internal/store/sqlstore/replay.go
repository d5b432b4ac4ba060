package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/monban/monban/internal/store"
)

// UseOnce records id as used until expires: an expired record of the same
// id is replaced, a live one is store.ErrAlreadyUsed. Two instances racing
// for one id meet at the primary key: one insert wins.
func (s *Store) UseOnce(ctx context.Context, id string, expires, now time.Time) error {
	err := s.write(ctx, func(t txn) error {
		if _, err := t.exec("DELETE FROM used_jtis WHERE id = ? AND expires_at < ?", id, millis(now)); err != nil {
			return err
		}
		_, err := t.exec("INSERT INTO used_jtis (id, expires_at) VALUES (?, ?)", id, millis(expires))
		return err
	})
	switch {
	case errors.Is(err, store.ErrConflict):
		return store.ErrAlreadyUsed
	case err != nil:
		return fmt.Errorf("use once: %w", err)
	}
	return nil
}
