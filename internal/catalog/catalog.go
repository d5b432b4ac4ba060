// Package catalog keeps an in-memory snapshot of what the token endpoint
// reads (applications, secret hashes, resources, role grants, signing keys),
// so that issuing a token touches no database, and who holds the privileges
// of the APIs Monban serves itself (see Privilege), so that checking a
// Management API caller touches none either. The snapshot is brought up to
// date after every change, by applying the change's outbox event to a copy
// (see Apply) or by a full rebuild, rebuilt periodically, and swapped in
// atomically.
package catalog

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/monban/monban/internal/authz"
	"github.com/monban/monban/internal/clock"
	"github.com/monban/monban/internal/keys"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/token"
)

// App is an application with its secrets.
type App struct {
	store.Application
	Secrets []store.AppSecret
}

// Snapshot is an immutable view of the catalog at one moment.
type Snapshot struct {
	Apps        map[string]*App
	ByIndicator map[string]*store.Resource
	Default     *store.Resource // nil when no resource is the default
	// Authz resolves the scopes the roles of applications and users grant.
	Authz  *authz.Index
	Keys   *keys.Set
	Signer *token.Signer // signs with Keys.Current
	// Customizers holds the custom JWT claims script of each token type.
	Customizers map[string]*store.JWTCustomizer
	LoadedAt    time.Time
	Users       *UserIndex // resources by id, and origins for CORS
	// KeyRetention is how long a retired signing key stays published: the
	// longest access token lifetime of any resource plus the verifiers'
	// leeway (see KeyRetention).
	KeyRetention time.Duration
	// holders are the users holding each protected privilege (see
	// Cache.Protect and Standing).
	holders map[Privilege]map[string]bool
}

// Cache holds the current snapshot.
type Cache struct {
	store  store.Store
	clock  clock.Clock
	mu     sync.Mutex // serialises rebuilds
	cur    atomic.Pointer[Snapshot]
	logger *slog.Logger
	// publishDelay is how long a next key is published before it signs.
	publishDelay time.Duration
	activation   clock.Timer // rebuilds when a pending key starts signing
	closed       bool
	privileges   []Privilege // whose holders snapshots track (Protect)
	// cat is what the current snapshot was built from, which Apply
	// changes a copy of.
	cat *store.Catalog
	// reloads and deltas count full reloads and applied batches of events.
	reloads, deltas int
}

// New loads the first snapshot. A signing key stored as next starts signing
// publishDelay after its creation (see keys.Manager). clk tells the time of
// each snapshot and runs the rebuild when a pending key starts signing; nil
// means clock.System.
func New(ctx context.Context, st store.Store, logger *slog.Logger, publishDelay time.Duration, clk clock.Clock) (*Cache, error) {
	c := &Cache{store: st, clock: clock.Or(clk), logger: logger, publishDelay: max(publishDelay, 0)}
	if err := c.Reload(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// Load returns the current snapshot. It never blocks.
func (c *Cache) Load() *Snapshot { return c.cur.Load() }

// Reload rebuilds the snapshot from the store.
func (c *Cache) Reload(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reload(ctx)
}

// reload is Reload with c.mu held.
func (c *Cache) reload(ctx context.Context) error {
	cat, err := c.store.LoadCatalog(ctx)
	if err != nil {
		return fmt.Errorf("load catalog: %w", err)
	}
	now := c.clock.Now()
	snap, err := Build(cat, now, c.publishDelay)
	if err != nil {
		return err
	}
	if snap.holders, err = loadHolders(ctx, c.store, snap, c.privileges); err != nil {
		return fmt.Errorf("load privileged users: %w", err)
	}
	c.cat = cat
	c.reloads++
	c.cur.Store(snap)
	c.scheduleActivation(snap, now)
	return nil
}

// Close stops the pending key activation timer.
func (c *Cache) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.activation != nil {
		c.activation.Stop()
	}
	c.closed = true
}

// scheduleActivation rebuilds the snapshot when the first pending key's
// publish delay has passed, so that it signs from then on.
func (c *Cache) scheduleActivation(snap *Snapshot, now time.Time) {
	if c.activation != nil {
		c.activation.Stop()
		c.activation = nil
	}
	if c.closed {
		return
	}
	var first time.Time
	for _, k := range snap.Keys.Pending {
		if at := k.CreatedAt.Add(c.publishDelay); first.IsZero() || at.Before(first) {
			first = at
		}
	}
	if first.IsZero() {
		return
	}
	c.activation = c.clock.AfterFunc(first.Sub(now)+time.Millisecond, func() {
		if err := c.Reload(context.Background()); err != nil {
			c.logger.Warn("catalog reload for a key activation failed; the next refresh retries", "err", err)
		}
	})
}

// Refresh reloads every interval until ctx ends, so that changes made by
// another instance and expired keys are picked up even without a signal.
func (c *Cache) Refresh(ctx context.Context, interval time.Duration) {
	clock.Every(ctx, interval, func(ctx context.Context) {
		if err := c.Reload(ctx); err != nil && ctx.Err() == nil {
			c.logger.Warn("catalog refresh failed; serving the previous snapshot", "err", err)
		}
	})
}

// KeyRetention is the key lifecycle's one retention rule: a retired
// signing key stays published for the longest access token lifetime of any
// resource (at least the default hour) plus the verifiers' leeway, so that
// no unexpired token outlives its key. The catalog leaves older retired keys
// out of the key set, and the key manager deletes them at its next rotation.
func KeyRetention(resources []store.Resource) time.Duration {
	max := 3600
	for _, r := range resources {
		if r.AccessTokenTTL > max {
			max = r.AccessTokenTTL
		}
	}
	return time.Duration(max)*time.Second + token.Leeway
}

// Build makes a snapshot from a catalog read at now; next keys created
// publishDelay or longer ago sign.
func Build(cat *store.Catalog, now time.Time, publishDelay time.Duration) (*Snapshot, error) {
	s := &Snapshot{
		Apps:        make(map[string]*App, len(cat.Applications)),
		ByIndicator: make(map[string]*store.Resource, len(cat.Resources)),
		Authz:       authz.Build(cat),
		Customizers: make(map[string]*store.JWTCustomizer, len(cat.JWTCustomizers)),
		LoadedAt:    now,
		Users:       buildUserIndex(cat),
	}
	for i := range cat.JWTCustomizers {
		c := &cat.JWTCustomizers[i]
		s.Customizers[c.TokenType] = c
	}
	for _, a := range cat.Applications {
		s.Apps[a.ID] = &App{Application: a}
	}
	for _, sec := range cat.Secrets {
		if a := s.Apps[sec.AppID]; a != nil {
			a.Secrets = append(a.Secrets, sec)
		}
	}
	for i := range cat.Resources {
		r := &cat.Resources[i]
		s.ByIndicator[r.Indicator] = r
		if r.IsDefault {
			s.Default = r
		}
	}
	s.KeyRetention = KeyRetention(cat.Resources)
	set, err := keys.NewSet(cat.SigningKeys, now.Add(-s.KeyRetention), now.Add(-publishDelay))
	if err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	s.Keys = set
	if set.Current != nil {
		s.Signer = token.NewSigner(set.Current)
	}
	return s, nil
}
