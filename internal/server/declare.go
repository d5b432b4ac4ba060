package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/monban/monban/internal/claims"
	"github.com/monban/monban/internal/clientauth"
	"github.com/monban/monban/internal/connector"
	"github.com/monban/monban/internal/console"
	"github.com/monban/monban/internal/declare"
	"github.com/monban/monban/internal/experience"
	"github.com/monban/monban/internal/password"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/verifycode"
	"github.com/monban/monban/internal/webhook"
)

// configTarget is the declare.Target of a database: its directory, with
// the console's application built in, and its webhooks under the
// webhook egress policy of hooks.
func configTarget(st store.Store, hasher *clientauth.Hasher, passwords *password.Hasher, scripts *claims.Runner, indicator, v2 string, hooks webhook.Options, now time.Time) *declare.Offline {
	connectors := connector.New(st, connector.DefaultOptions())
	return &declare.Offline{
		Dir: seederWithV2(st, indicator, v2, hasher.Hash, passwords, now), Store: st,
		CompileScript: scripts.Compile, BuiltInApps: []string{console.DefaultClientID},
		Hooks: webhook.NewService(st, hooks.Egress, hooks.Timeout, func() time.Time { return now }),
		// Code methods need a connector of their channel, as on a running
		// server: the stored ones, and those the document declares (they
		// are applied first).
		Experience: experience.New(st, experience.Options{HasConnector: func(ch string) bool {
			return connectors.HasChannel(verifycode.Channel(ch))
		}}),
		Connectors: connectors,
	}
}

// applyConfig applies a configuration document at start-up, logging each
// change (the plan never shows a secret value).
func applyConfig(ctx context.Context, t declare.Target, doc *declare.Document, opts declare.Options, logger *slog.Logger) error {
	plan, err := declare.Make(ctx, t, doc, opts)
	if err != nil {
		return fmt.Errorf("configuration file: %w", err)
	}
	for _, c := range plan.Changes {
		logger.Info("configuration file: applying", "change", fmt.Sprintf("%s %q", c.Kind, c.Key), "op", opName[c.Op], "fields", strings.Join(c.Lines, "; "))
	}
	if err := plan.Apply(ctx); err != nil {
		return fmt.Errorf("configuration file: %w", err)
	}
	c, u, d := plan.Counts()
	logger.Info("configuration file applied", "created", c, "changed", u, "deleted", d, "kept", len(plan.Kept))
	return nil
}

var opName = map[declare.Op]string{declare.Create: "create", declare.Update: "update", declare.Delete: "delete"}

// ConfigTarget is the database of a "monban serve" configuration opened
// for "monban apply" and "monban export": its secrets unlocked as a start
// unlocks them, nothing seeded. Close it when done.
type ConfigTarget struct {
	*declare.Offline
	st      store.Store
	scripts *claims.Runner
}

// Lock waits until no instance sharing the database is starting (or
// applying its configuration file), and keeps them waiting until release
// is called: an apply under it does not race a start's.
func (c *ConfigTarget) Lock(ctx context.Context) (release func(), err error) {
	return c.st.LockSetUp(ctx)
}

// Close closes the database.
func (c *ConfigTarget) Close() error {
	_ = c.scripts.Close()
	return c.st.Close()
}

// OpenConfigTarget opens the database of cfg (DatabaseURL, SecretKey,
// ManagementIndicator, ScriptLimits, Webhooks.Egress) as a configuration
// target. A database no server has started on yet is refused: its
// built-ins do not exist.
func OpenConfigTarget(ctx context.Context, cfg Config) (*ConfigTarget, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if path, ok := SQLitePath(cfg.DatabaseURL); ok {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("no database at %s: start monban serve on it once first", path)
		}
	}
	st, _, err := OpenStore(ctx, cfg.DatabaseURL, cfg.Logger)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*ConfigTarget, error) {
		st.Close()
		return nil, err
	}
	if err := unlockSecrets(ctx, st, cfg); err != nil {
		return fail(fmt.Errorf("secrets at rest: %w", err))
	}
	cat, err := st.LoadCatalog(ctx)
	if err != nil {
		return fail(err)
	}
	started := false
	for _, r := range cat.Resources {
		started = started || r.Indicator == cfg.ManagementIndicator
	}
	if !started {
		return fail(errors.New("the database holds no Management API resource with the indicator " + cfg.ManagementIndicator +
			": start monban serve on it once first, with the same -management-api-indicator (or -endpoint)"))
	}
	hasher, err := secretHasher(ctx, st)
	if err != nil {
		return fail(err)
	}
	scripts := claims.NewRunner(claims.Options{Limits: cfg.ScriptLimits, Policy: cfg.ScriptPolicy})
	now := time.Now()
	v2 := ""
	if cfg.Endpoint != "" {
		v2 = ManagementV2Identifier(cfg.Endpoint)
	}
	t := configTarget(st, hasher, password.NewHasher(cfg.Users.PasswordParams, cfg.Users.PasswordConcurrency), scripts, cfg.ManagementIndicator, v2, cfg.Webhooks, now)
	t.Now = time.Now
	return &ConfigTarget{Offline: t, st: st, scripts: scripts}, nil
}
