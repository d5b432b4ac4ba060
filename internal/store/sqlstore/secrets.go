package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/monban/monban/internal/sealed"
	"github.com/monban/monban/internal/store"
)

// firstDataKey is the id of the data key a database gets on its first unlock.
const firstDataKey = 1

// The purposes secrets are sealed for: the table, column and row they are
// kept in, so that a sealed value copied to another row does not open.

func keyPurpose(id string) string { return "signing_keys.private_key:" + id }

func settingPurpose(name string) string { return "settings.value:" + name }

func envPurpose(tokenType string) string {
	return "jwt_customizers.environment_variables:" + tokenType
}

// sealer returns the Box, or store.ErrLocked before UnlockSecrets.
func (s *Store) sealer() (*sealed.Box, error) {
	if b := s.box.Load(); b != nil {
		return b, nil
	}
	return nil, store.ErrLocked
}

// Sealer returns the Box the store seals its secrets with; nil while locked.
func (s *Store) Sealer() *sealed.Box { return s.box.Load() }

type wrappedKey struct {
	id      uint32
	wrapped []byte
}

func scanWrappedKey(r scanner) (wrappedKey, error) {
	var (
		k  wrappedKey
		id int64
	)
	if err := r.Scan(&id, &k.wrapped); err != nil {
		return k, err
	}
	if id < 0 || id > int64(^uint32(0)) {
		return k, fmt.Errorf("data key id %d out of range", id)
	}
	k.id = uint32(id)
	return k, nil
}

func readWrappedKeys(t txn) ([]wrappedKey, error) {
	return collect(t, scanWrappedKey, "SELECT id, wrapped FROM secret_keys ORDER BY id")
}

// HasSecretKeys reports whether the database holds wrapped data keys.
func (s *Store) HasSecretKeys(ctx context.Context) (bool, error) {
	var n int
	err := s.read(ctx, func(t txn) error {
		var err error
		n, err = t.count("SELECT COUNT(*) FROM secret_keys")
		return err
	})
	if err != nil {
		return false, fmt.Errorf("read secret keys: %w", err)
	}
	return n > 0, nil
}

// UnlockSecrets unwraps the data keys with key (making the first one if
// there is none) and encrypts the secrets still stored in the clear, in one
// write transaction. Instances that start together each run it: on
// PostgreSQL the transactions are serialized and the later ones find the
// data key made and the secrets encrypted by the first.
func (s *Store) UnlockSecrets(ctx context.Context, key sealed.Key) (int, error) {
	if key.IsZero() {
		return 0, errors.New("unlock secrets: no secret key")
	}
	var (
		box     *sealed.Box
		changed int
	)
	err := s.write(ctx, func(t txn) error {
		changed = 0
		keys, err := readWrappedKeys(t)
		if err != nil {
			return err
		}
		if len(keys) == 0 {
			w, err := sealed.NewDataKey(key, firstDataKey)
			if err != nil {
				return err
			}
			if _, err := t.exec("INSERT INTO secret_keys (id, wrapped, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING",
				firstDataKey, w, time.Now().UnixMilli()); err != nil {
				return err
			}
			if keys, err = readWrappedKeys(t); err != nil {
				return err
			}
		}
		wrapped := make(map[uint32][]byte, len(keys))
		var current uint32
		for _, k := range keys {
			wrapped[k.id] = k.wrapped
			current = max(current, k.id)
		}
		if box, err = sealed.Open(key, wrapped, current); err != nil {
			return err
		}
		changed, err = sealPlaintext(t, box)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("unlock secrets: %w", err)
	}
	s.box.Store(box)
	if changed > 0 && s.d.Scrub != nil {
		// The encrypted values replaced the old ones, which the engine may
		// still hold in freed space or its log.
		if err := s.d.Scrub(ctx, s.db); err != nil {
			return changed, fmt.Errorf("unlock secrets: the secrets are encrypted, but removing their old copies from the database files failed (run VACUUM): %w", err)
		}
	}
	return changed, nil
}

// sealPlaintext encrypts the secrets an earlier version stored in the clear
// and returns how many it encrypted. Values already sealed are left alone.
func sealPlaintext(t txn, box *sealed.Box) (int, error) {
	type row struct {
		id    string
		value []byte
	}
	scanRow := func(r scanner) (row, error) {
		var x row
		err := r.Scan(&x.id, &x.value)
		return x, err
	}
	n := 0
	keys, err := collect(t, scanRow, "SELECT id, private_key FROM signing_keys")
	if err != nil {
		return 0, err
	}
	for _, k := range keys {
		if sealed.IsSealed(k.value) {
			continue
		}
		v, err := box.Seal(keyPurpose(k.id), k.value)
		if err != nil {
			return 0, err
		}
		if _, err := t.exec("UPDATE signing_keys SET private_key = ? WHERE id = ?", v, k.id); err != nil {
			return 0, err
		}
		n++
	}
	for _, col := range []struct {
		table, key, value string
		purpose           func(string) string
	}{
		{"settings", "name", "value", settingPurpose},
		{"jwt_customizers", "token_type", "environment_variables", envPurpose},
	} {
		rows, err := collect(t, scanRow, "SELECT "+col.key+", "+col.value+" FROM "+col.table)
		if err != nil {
			return 0, err
		}
		for _, r := range rows {
			if sealed.IsSealedString(string(r.value)) {
				continue
			}
			v, err := box.SealString(col.purpose(r.id), string(r.value))
			if err != nil {
				return 0, err
			}
			if _, err := t.exec("UPDATE "+col.table+" SET "+col.value+" = ? WHERE "+col.key+" = ?", v, r.id); err != nil {
				return 0, err
			}
			n++
		}
	}
	return n, nil
}

// RotateSecretKey re-wraps every data key from old to next in one write
// transaction: either all are re-wrapped or none.
func (s *Store) RotateSecretKey(ctx context.Context, old, next sealed.Key) (int, error) {
	if old.IsZero() || next.IsZero() {
		return 0, errors.New("rotate secret key: both the old and the new key are needed")
	}
	if old.Equal(next) {
		return 0, errors.New("rotate secret key: the new key is the old one")
	}
	var n int
	err := s.write(ctx, func(t txn) error {
		keys, err := readWrappedKeys(t)
		if err != nil {
			return err
		}
		if len(keys) == 0 {
			return errors.New("the database holds no encrypted secrets yet: start the server once with the old key")
		}
		for _, k := range keys {
			w, err := sealed.Rewrap(old, next, k.id, k.wrapped)
			if err != nil {
				return err
			}
			if _, err := t.exec("UPDATE secret_keys SET wrapped = ? WHERE id = ?", w, int64(k.id)); err != nil {
				return err
			}
		}
		n = len(keys)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("rotate secret key: %w", err)
	}
	return n, nil
}

// openKeys decrypts the private keys of keys in place.
func openKeys(box *sealed.Box, keys []store.SigningKey) error {
	for i := range keys {
		pk, err := box.Open(keyPurpose(keys[i].ID), keys[i].PrivateKey)
		if err != nil {
			return fmt.Errorf("private key of signing key %s: %w", keys[i].ID, err)
		}
		keys[i].PrivateKey = pk
	}
	return nil
}

// sealKey returns k with its private key sealed.
func sealKey(box *sealed.Box, k store.SigningKey) (store.SigningKey, error) {
	pk, err := box.Seal(keyPurpose(k.ID), k.PrivateKey)
	if err != nil {
		return k, err
	}
	k.PrivateKey = slices.Clip(pk)
	return k, nil
}
