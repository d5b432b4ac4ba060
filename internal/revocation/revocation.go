// Package revocation keeps the list of access tokens revoked before their
// expiry (by jti) in memory, so that introspection, userinfo and the token
// verifier check it without a database read. The list lives in the store;
// each instance reloads it after its own changes and periodically, to see
// other instances' changes, and prunes expired entries.
package revocation

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/monban/monban/internal/store"
)

// List is the in-memory revocation list.
type List struct {
	store  store.UserStore
	now    func() time.Time
	logger *slog.Logger
	mu     sync.Mutex // serialises writers of cur
	cur    atomic.Pointer[map[string]time.Time]
}

// New loads the list from st.
func New(ctx context.Context, st store.UserStore, logger *slog.Logger, now func() time.Time) (*List, error) {
	if now == nil {
		now = time.Now
	}
	l := &List{store: st, now: now, logger: logger}
	empty := map[string]time.Time{}
	l.cur.Store(&empty)
	if err := l.Reload(ctx); err != nil {
		return nil, err
	}
	return l, nil
}

// Revoked reports whether the token with this jti was revoked. It never
// blocks.
func (l *List) Revoked(jti string) bool {
	exp, ok := (*l.cur.Load())[jti]
	return ok && l.now().Before(exp)
}

// Len returns the number of entries held.
func (l *List) Len() int { return len(*l.cur.Load()) }

// Revoke stores the revocation of a token expiring at exp and makes it
// visible here at once. A token already expired needs no entry.
func (l *List) Revoke(ctx context.Context, jti string, exp time.Time) error {
	if !l.now().Before(exp) {
		return nil
	}
	if err := l.store.RevokeAccessToken(ctx, store.RevokedAccessToken{JTI: jti, ExpiresAt: exp}); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	old := *l.cur.Load()
	next := make(map[string]time.Time, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	next[jti] = exp
	l.cur.Store(&next)
	return nil
}

// Reload replaces the list with the store's unexpired entries. It holds the
// lock across the read, so that a Revoke whose write the read missed adds
// its entry after this replacement, not before.
func (l *List) Reload(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	list, err := l.store.ListRevokedAccessTokens(ctx, l.now())
	if err != nil {
		return err
	}
	next := make(map[string]time.Time, len(list))
	for _, r := range list {
		next[r.JTI] = r.ExpiresAt
	}
	l.cur.Store(&next)
	return nil
}

// Run prunes expired sessions, grants, codes and tokens from the store and
// reloads the list every interval, until ctx ends.
func (l *List) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := l.store.PruneExpired(ctx, l.now()); err != nil && ctx.Err() == nil {
				l.logger.Warn("pruning expired sessions and tokens failed", "err", err)
			}
			if err := l.Reload(ctx); err != nil && ctx.Err() == nil {
				l.logger.Warn("reloading the access token revocation list failed; keeping the previous one", "err", err)
			}
		}
	}
}
