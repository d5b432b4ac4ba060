// Package revocation keeps the list of access tokens revoked before their
// expiry (by jti) in memory, so that introspection, userinfo and the token
// verifier check it without a database read. The list lives in the store.
// Each instance updates its copy after its own changes and tells the others
// through the change feed (when there is one), so that a revocation made on
// one instance is honoured by all of them at once; it also follows the
// outbox (see Apply), and a periodic reload makes up for anything missed.
package revocation

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/monban/monban/internal/clock"
	"github.com/monban/monban/internal/store"
)

// List is the in-memory revocation list.
type List struct {
	store  store.UserStore
	now    func() time.Time
	logger *slog.Logger
	feed   store.ChangeFeed // nil: no other instance to tell
	mu     sync.Mutex       // serialises writers of cur
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

// Share makes the list tell the other instances on feed of each change
// made through Revoke or Changed. Call it before the list is used.
func (l *List) Share(feed store.ChangeFeed) { l.feed = feed }

// Revoked reports whether the token with this jti was revoked. It never
// blocks.
func (l *List) Revoked(jti string) bool {
	exp, ok := (*l.cur.Load())[jti]
	return ok && l.now().Before(exp)
}

// Len returns the number of entries held.
func (l *List) Len() int { return len(*l.cur.Load()) }

// Revoke stores the revocation of a token expiring at exp, makes it
// visible here at once and tells the other instances. A token already
// expired needs no entry.
func (l *List) Revoke(ctx context.Context, jti string, exp time.Time) error {
	if !l.now().Before(exp) {
		return nil
	}
	if err := l.store.RevokeAccessToken(ctx, store.RevokedAccessToken{JTI: jti, ExpiresAt: exp}); err != nil {
		return err
	}
	l.Add(jti, exp)
	l.publish(ctx, store.Notice{Kind: store.ChangeRevocation, JTI: jti, ExpiresAt: exp})
	return nil
}

// Add puts an entry another instance stored (told by the change feed) on
// this instance's list, without a database read or write.
func (l *List) Add(jti string, exp time.Time) {
	if jti == "" || !l.now().Before(exp) {
		return
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
}

// Changed brings the list up to date after a change made here that revoked
// tokens in the store (a grant or a user's tokens), and tells the other
// instances to do the same.
func (l *List) Changed(ctx context.Context) error {
	err := l.Reload(ctx)
	l.publish(ctx, store.Notice{Kind: store.ChangeRevocations})
	return err
}

// publish tells the other instances of a change stored already. A failure
// is logged, not returned: the change holds, and the others see it at their
// next periodic reload.
func (l *List) publish(ctx context.Context, n store.Notice) {
	if l.feed == nil {
		return
	}
	if err := l.feed.Publish(context.WithoutCancel(ctx), n); err != nil {
		l.logger.Warn("telling other instances of a revocation failed; they pick it up at their next reload", "err", err)
	}
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

// Run reloads the list every interval, until ctx ends, so that a notice
// lost in transit delays a revocation by one interval at most.
func (l *List) Run(ctx context.Context, interval time.Duration) {
	clock.Every(ctx, interval, func(ctx context.Context) {
		if err := l.Reload(ctx); err != nil && ctx.Err() == nil {
			l.logger.Warn("reloading the access token revocation list failed; keeping the previous one", "err", err)
		}
	})
}

// PruneExpired deletes expired sessions, grants, codes and revocation
// entries from st every interval, until ctx ends.
func PruneExpired(ctx context.Context, st store.UserStore, interval time.Duration, now func() time.Time, logger *slog.Logger) {
	if now == nil {
		now = time.Now
	}
	clock.Every(ctx, interval, func(ctx context.Context) {
		if err := st.PruneExpired(ctx, now()); err != nil && ctx.Err() == nil {
			logger.Warn("pruning expired sessions and tokens failed", "err", err)
		}
	})
}

// Apply brings the list up to date with events from the outbox (see
// package events), whichever instance made them: a revoked token joins the
// list at once; a revoked grant, or a user deleted or suspended, revoked
// tokens the event does not name, so the list is read again (once for the
// batch).
func (l *List) Apply(ctx context.Context, evs []store.Event) error {
	reload := false
	for _, ev := range evs {
		switch ev.Kind {
		case store.EventAccessTokenRevoked:
			p, err := ev.Decode()
			if err != nil || p.ExpiresAt == 0 {
				reload = true
				continue
			}
			l.Add(ev.Entity, time.UnixMilli(p.ExpiresAt))
		case store.EventGrantRevoked, store.EventUserDeleted:
			reload = true
		case store.EventUserSuspensionChanged:
			p, err := ev.Decode()
			reload = reload || err != nil || p.Suspended == nil || *p.Suspended
		}
	}
	if reload {
		return l.Reload(ctx)
	}
	return nil
}
