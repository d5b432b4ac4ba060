package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/monban/monban/internal/sealed"
	"github.com/monban/monban/internal/store"
)

// SecretKeyFileName is the file next to an SQLite database that holds the
// secret key generated on first start when none is configured.
const SecretKeyFileName = "secret.key"

// errPostgresNeedsKey explains why a PostgreSQL deployment will not start
// without a configured key.
var errPostgresNeedsKey = errors.New("PostgreSQL deployments must set the secret key that encrypts the secrets at rest, the same on every instance: " +
	"set MONBAN_SECRET_KEY or MONBAN_SECRET_KEY_FILE (make one with: openssl rand -base64 32)")

// unlockSecrets unlocks the store's secrets with the configured key or, for
// SQLite without one, the key in the file next to the database, generated
// on the first start. Secrets an earlier version stored in the clear are
// encrypted on the way.
func unlockSecrets(ctx context.Context, st store.Store, cfg Config) error {
	key := cfg.SecretKey
	from := "the configured secret key"
	if key.IsZero() {
		dbPath, ok := SQLitePath(cfg.DatabaseURL)
		if !ok {
			return errPostgresNeedsKey
		}
		from = filepath.Join(filepath.Dir(dbPath), SecretKeyFileName)
		var err error
		if key, err = keyFromFile(ctx, st, from, cfg.Logger); err != nil {
			return err
		}
	}
	n, err := st.UnlockSecrets(ctx, key)
	if errors.Is(err, sealed.ErrWrongKey) {
		return fmt.Errorf("%w (tried %s)", sealed.ErrWrongKey, from)
	}
	if err != nil {
		return err
	}
	if n > 0 {
		cfg.Logger.Info("encrypted the secrets an earlier version stored in the clear", "count", n)
	}
	return nil
}

// keyFromFile reads the generated key file at path or, on the first start,
// creates it. A database already encrypted under some key never gets a new
// one: losing the file must not look like a first start.
func keyFromFile(ctx context.Context, st store.Store, path string, logger *slog.Logger) (sealed.Key, error) {
	key, err := readKeyFile(path, logger)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	has, err := st.HasSecretKeys(ctx)
	if err != nil {
		return sealed.Key{}, err
	}
	if has {
		return sealed.Key{}, fmt.Errorf("the database holds encrypted secrets, but no secret key is set and %s does not exist: "+
			"set MONBAN_SECRET_KEY or MONBAN_SECRET_KEY_FILE to the key it was encrypted with, or restore the file", path)
	}
	if key, err = sealed.GenerateKey(); err != nil {
		return sealed.Key{}, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return readKeyFile(path, logger) // another process made it first
	}
	if err != nil {
		return sealed.Key{}, fmt.Errorf("create the secret key file: %w", err)
	}
	_, err = f.WriteString(key.Encode() + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
		return sealed.Key{}, fmt.Errorf("write the secret key file: %w", err)
	}
	logger.Warn("GENERATED A SECRET KEY: the signing keys, secret-hashing and CSRF keys and script environment variables are encrypted with it. "+
		"Back it up: without it they cannot be read, and the database is useless. Anyone with both this file and the database can read them: "+
		"in production set MONBAN_SECRET_KEY or MONBAN_SECRET_KEY_FILE and keep the key apart from the database.",
		"file", path)
	return key, nil
}

// readKeyFile reads a key file, warning when others may read it.
func readKeyFile(path string, logger *slog.Logger) (sealed.Key, error) {
	key, err := sealed.LoadKeyFile(path)
	if err != nil {
		return sealed.Key{}, err
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		logger.Warn("the secret key file can be read by other users; make it private (chmod 600)", "file", path, "mode", fi.Mode().Perm().String())
	}
	return key, nil
}

// SQLitePath returns the file of an SQLite database URL (as OpenStore reads
// it), or false for any other database.
func SQLitePath(dbURL string) (string, bool) {
	switch {
	case strings.HasPrefix(dbURL, "sqlite://"):
		return strings.TrimPrefix(dbURL, "sqlite://"), true
	case strings.HasPrefix(dbURL, "sqlite:"):
		return strings.TrimPrefix(dbURL, "sqlite:"), true
	case strings.Contains(dbURL, "://"):
		return "", false
	}
	return dbURL, true
}
