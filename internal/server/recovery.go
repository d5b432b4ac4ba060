package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"

	"github.com/monban/monban/internal/clock"
	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/password"
	"github.com/monban/monban/internal/store"
)

// The recovery commands ("monban reset-admin-password", "monban
// create-bootstrap-app") work on the database of a server that has started
// at least once, with the settings "monban serve" is given (the database,
// its secret key, the endpoint or listen address, the Management API
// indicator). They go through the directory as the start-up seeding does,
// and return the new credentials to be shown once.

// errNeverStarted: the recovery commands have nothing to recover.
var errNeverStarted = errors.New(`this database has never been set up: start "monban serve" once first (its first start prints the credentials)`)

// openSeeded opens the database of a server that has started before and
// unlocks its secrets, without creating anything.
func openSeeded(ctx context.Context, cfg *Config) (store.Store, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	cfg.Clock = clock.Or(cfg.Clock)
	if err := resolveEndpoint(cfg); err != nil {
		return nil, err
	}
	if err := validateConfig(cfg); err != nil {
		return nil, err
	}
	if path, ok := SQLitePath(cfg.DatabaseURL); ok {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no database at %s: %w", path, errNeverStarted)
		}
	}
	st, _, err := OpenStore(ctx, cfg.DatabaseURL, cfg.Logger)
	if err != nil {
		return nil, err
	}
	if has, err := st.HasSecretKeys(ctx); err != nil || !has {
		st.Close()
		if err == nil {
			err = errNeverStarted
		}
		return nil, err
	}
	if err := unlockSecrets(ctx, st, *cfg); err != nil {
		st.Close()
		return nil, fmt.Errorf("secrets at rest: %w", err)
	}
	return st, nil
}

// ResetAdminPassword gives the console administrator username a new random
// password (directory.EnsureAdmin: the user is created if missing, and
// given the "Admin" role unless they hold a role with the Management
// API's "all" permission), and returns it to be shown once.
func ResetAdminPassword(ctx context.Context, cfg Config, username string) (Notice, error) {
	if username == "" {
		username = directory.FirstAdminUsername
	}
	if err := directory.CheckUsername(username); err != nil {
		return Notice{}, fmt.Errorf("username: %v", err)
	}
	st, err := openSeeded(ctx, &cfg)
	if err != nil {
		return Notice{}, err
	}
	defer st.Close()
	passwords := password.NewHasher(cfg.Users.PasswordParams, cfg.Users.PasswordConcurrency)
	dir := seeder(st, cfg.ManagementIndicator, nil, passwords, cfg.Clock.Now())
	// 24 characters or more, 144 bits, as a first start's, and held to
	// the password policy.
	pw, err := dir.GeneratePassword(ctx)
	if err != nil {
		return Notice{}, err
	}
	admin, err := dir.EnsureAdmin(ctx, username, pw)
	if errors.Is(err, directory.ErrNoManagementScope) {
		return Notice{}, fmt.Errorf("%w: start \"monban serve\" once to put it back", err)
	}
	if err != nil {
		return Notice{}, err
	}
	if admin.User.IsSuspended {
		return Notice{}, fmt.Errorf("the password of %s is reset, but they are suspended and cannot sign in: reset the password of another administrator, or reactivate them", username)
	}
	return AdminNotice(cfg.Endpoint, admin.User.Username, pw, false), nil
}

// CreateBootstrapApp creates a new M2M application holding the "Management
// API access" role and returns its credentials, to be shown once.
func CreateBootstrapApp(ctx context.Context, cfg Config) (Notice, error) {
	st, err := openSeeded(ctx, &cfg)
	if err != nil {
		return Notice{}, err
	}
	defer st.Close()
	hasher, err := secretHasher(ctx, st)
	if err != nil {
		return Notice{}, err
	}
	now := cfg.Clock.Now()
	id, secret, err := seeder(st, cfg.ManagementIndicator, hasher.Hash, nil, now).CreateManagementApp(ctx,
		directory.RecoveryAppName, "Created by monban create-bootstrap-app on "+now.UTC().Format("2006-01-02")+".")
	if errors.Is(err, directory.ErrNoManagementScope) {
		return Notice{}, fmt.Errorf("%w: start \"monban serve\" once to put it back", err)
	}
	if err != nil {
		return Notice{}, err
	}
	return AppNotice(cfg.Endpoint, cfg.ManagementIndicator, id, secret), nil
}
