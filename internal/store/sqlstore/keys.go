package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/monban/monban/internal/store"
)

const keyCols = "id, algorithm, status, private_key, created_at, retired_at"

func scanKey(r scanner) (store.SigningKey, error) {
	var (
		k       store.SigningKey
		status  string
		created int64
		retired sql.NullInt64
	)
	if err := r.Scan(&k.ID, &k.Algorithm, &status, &k.PrivateKey, &created, &retired); err != nil {
		return k, err
	}
	k.Status = store.KeyStatus(status)
	k.CreatedAt = fromMillis(created)
	k.RetiredAt = fromNullMillis(retired)
	return k, nil
}

// insertKey inserts k, whose private key is already sealed.
func insertKey(t txn, k store.SigningKey) error {
	_, err := t.exec("INSERT INTO signing_keys ("+keyCols+") VALUES (?, ?, ?, ?, ?, ?)",
		k.ID, k.Algorithm, string(k.Status), k.PrivateKey, millis(k.CreatedAt), nullMillis(k.RetiredAt))
	return err
}

// ListSigningKeys returns every signing key, oldest first.
func (s *Store) ListSigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	box, err := s.sealer()
	if err != nil {
		return nil, fmt.Errorf("list signing keys: %w", err)
	}
	var keys []store.SigningKey
	err = s.read(ctx, func(t txn) error {
		var err error
		keys, err = collect(t, scanKey, "SELECT "+keyCols+" FROM signing_keys ORDER BY created_at, id")
		return err
	})
	if err == nil {
		err = openKeys(box, keys)
	}
	if err != nil {
		return nil, fmt.Errorf("list signing keys: %w", err)
	}
	return keys, nil
}

// CreateSigningKey inserts key as it is; an existing id is ErrConflict.
func (s *Store) CreateSigningKey(ctx context.Context, key store.SigningKey) error {
	box, err := s.sealer()
	if err == nil {
		key, err = sealKey(box, key)
	}
	if err != nil {
		return fmt.Errorf("create signing key: %w", err)
	}
	if err := s.change(ctx, event(store.EventSigningKeyCreated, key.ID, nil), func(t txn) error { return insertKey(t, key) }); err != nil {
		return fmt.Errorf("create signing key: %w", err)
	}
	return nil
}

// RotateSigningKeys, in one transaction, marks every current key previous
// (retired at now), deletes the previous keys retired before dropBefore (none
// when it is zero), and makes next the current key. If next was stored
// earlier with status "next" (published ahead of use), that row is promoted;
// otherwise next is inserted, and an id already in use is ErrConflict.
func (s *Store) RotateSigningKeys(ctx context.Context, next store.SigningKey, now, dropBefore time.Time) error {
	if next.CreatedAt.IsZero() {
		next.CreatedAt = now
	}
	box, err := s.sealer()
	if err == nil {
		next, err = sealKey(box, next)
	}
	if err != nil {
		return fmt.Errorf("rotate signing keys: %w", err)
	}
	err = s.change(ctx, event(store.EventSigningKeysRotated, next.ID, nil), func(t txn) error {
		if _, err := t.exec("UPDATE signing_keys SET status = ?, retired_at = ? WHERE status = ?",
			string(store.KeyPrevious), millis(now), string(store.KeyCurrent)); err != nil {
			return err
		}
		if !dropBefore.IsZero() {
			if _, err := t.exec("DELETE FROM signing_keys WHERE status = ? AND retired_at < ?",
				string(store.KeyPrevious), millis(dropBefore)); err != nil {
				return err
			}
		}
		res, err := t.exec("UPDATE signing_keys SET status = ?, retired_at = NULL WHERE id = ? AND status = ?",
			string(store.KeyCurrent), next.ID, string(store.KeyNext))
		if err != nil {
			return err
		}
		promoted, err := res.RowsAffected()
		if err != nil || promoted > 0 {
			return err
		}
		next.Status, next.RetiredAt = store.KeyCurrent, time.Time{}
		return insertKey(t, next)
	})
	if err != nil {
		return fmt.Errorf("rotate signing keys: %w", err)
	}
	return nil
}

// EnsureSetting stores value under name unless a value is there already, and
// returns the stored value. Insert-if-absent is atomic in the engine, so
// concurrent callers, in this process or another, all get the first value.
// Values are stored sealed.
func (s *Store) EnsureSetting(ctx context.Context, name, value string) (string, error) {
	box, err := s.sealer()
	var sealedValue string
	if err == nil {
		sealedValue, err = box.SealString(settingPurpose(name), value)
	}
	if err != nil {
		return "", fmt.Errorf("ensure setting %q: %w", name, err)
	}
	var stored string
	err = s.write(ctx, func(t txn) error {
		if _, err := t.exec("INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING", name, sealedValue); err != nil {
			return err
		}
		return t.queryRow("SELECT value FROM settings WHERE name = ?", name).Scan(&stored)
	})
	if err == nil {
		stored, err = box.OpenString(settingPurpose(name), stored)
	}
	if err != nil {
		return "", fmt.Errorf("ensure setting %q: %w", name, err)
	}
	return stored, nil
}

func scanRoleScope(r scanner) (store.RoleScope, error) {
	var l store.RoleScope
	err := r.Scan(&l.RoleID, &l.ScopeID)
	return l, err
}

func scanRoleApp(r scanner) (store.RoleApplication, error) {
	var l store.RoleApplication
	err := r.Scan(&l.RoleID, &l.AppID)
	return l, err
}

// LoadCatalog reads everything the token endpoint needs in one read
// transaction, so the parts are consistent with one another.
func (s *Store) LoadCatalog(ctx context.Context) (*store.Catalog, error) {
	box, err := s.sealer()
	if err != nil {
		return nil, fmt.Errorf("load catalog: %w", err)
	}
	c := &store.Catalog{}
	err = s.read(ctx, func(t txn) error {
		var err error
		if c.Applications, err = collect(t, scanApp,
			"SELECT "+appCols+" FROM applications ORDER BY created_at, id"); err != nil {
			return err
		}
		if c.Secrets, err = collect(t, scanSecret,
			"SELECT "+secretCols+" FROM app_secrets ORDER BY app_id, created_at, name"); err != nil {
			return err
		}
		if c.Resources, err = collect(t, scanResource,
			"SELECT "+resourceCols+" FROM resources ORDER BY created_at, id"); err != nil {
			return err
		}
		if c.Scopes, err = collect(t, scanScope,
			"SELECT "+scopeCols+" FROM scopes ORDER BY resource_id, created_at, id"); err != nil {
			return err
		}
		if c.Roles, err = collect(t, scanRole,
			"SELECT "+roleCols+" FROM roles ORDER BY created_at, id"); err != nil {
			return err
		}
		if c.RoleScopes, err = collect(t, scanRoleScope, "SELECT role_id, scope_id FROM role_scopes ORDER BY role_id, scope_id"); err != nil {
			return err
		}
		if c.RoleApplications, err = collect(t, scanRoleApp, "SELECT role_id, app_id FROM role_applications ORDER BY role_id, app_id"); err != nil {
			return err
		}
		if c.SigningKeys, err = collect(t, scanKey, "SELECT "+keyCols+" FROM signing_keys ORDER BY created_at, id"); err != nil {
			return err
		}
		c.JWTCustomizers, err = collect(t, customizerScanner(box), "SELECT "+customizerCols+" FROM jwt_customizers ORDER BY token_type")
		return err
	})
	if err == nil {
		// Once per load, never per request: the catalog keeps the parsed keys.
		err = openKeys(box, c.SigningKeys)
	}
	if err != nil {
		return nil, fmt.Errorf("load catalog: %w", err)
	}
	return c, nil
}
