// Package replay remembers the ids of single-use credentials (client
// assertions' and DPoP proofs' jti) until they could no longer be
// accepted anyway. The server shares its record across instances, through
// the database (Store) or Redis (Redis); a resource server keeps one in
// memory (Memory).
package replay

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/monban/monban/internal/store"
)

// ErrReplayed is an id that was used before.
var ErrReplayed = errors.New("replay: the id was used before")

// Cache records single-use ids.
type Cache interface {
	// UseOnce records id until until. An id recorded before, whose
	// record has not expired, is ErrReplayed; any other error means the
	// record could not be checked (and the credential must be refused).
	UseOnce(ctx context.Context, id string, until time.Time) error
}

// Store is a Cache in the database, shared by every instance on it.
type Store struct {
	S   store.ReplayStore
	Now func() time.Time
}

// UseOnce implements Cache.
func (s Store) UseOnce(ctx context.Context, id string, until time.Time) error {
	err := s.S.UseOnce(ctx, id, until, s.Now())
	if errors.Is(err, store.ErrAlreadyUsed) {
		return ErrReplayed
	}
	return err
}

// Redis is a Cache in Redis, shared by every instance using it: one SET
// with NX and an expiry.
type Redis struct {
	Client redis.Cmdable
	Prefix string // put before every id, e.g. "monban:jti:"
	Now    func() time.Time
}

// UseOnce implements Cache.
func (r Redis) UseOnce(ctx context.Context, id string, until time.Time) error {
	ttl := until.Sub(r.Now())
	if ttl < time.Millisecond {
		ttl = time.Millisecond
	}
	ok, err := r.Client.SetNX(ctx, r.Prefix+id, 1, ttl).Result()
	if err != nil {
		return err
	}
	if !ok {
		return ErrReplayed
	}
	return nil
}

// Memory is a Cache in one process, of bounded size: when it is full of
// live ids, the one closest to its expiry is forgotten to make room. Size
// it for the ids a window can hold.
type Memory struct {
	mu  sync.Mutex
	max int
	ids map[string]time.Time
	now func() time.Time
}

// NewMemory returns a Memory holding at most size ids.
func NewMemory(size int, now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{max: max(1, size), ids: map[string]time.Time{}, now: now}
}

// UseOnce implements Cache.
func (m *Memory) UseOnce(_ context.Context, id string, until time.Time) error {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if exp, ok := m.ids[id]; ok && now.Before(exp) {
		return ErrReplayed
	}
	if len(m.ids) >= m.max {
		m.makeRoom(now)
	}
	m.ids[id] = until
	return nil
}

// makeRoom drops every expired id and, if none was, the one that expires
// first.
func (m *Memory) makeRoom(now time.Time) {
	var first string
	var firstExp time.Time
	for id, exp := range m.ids {
		if !now.Before(exp) {
			delete(m.ids, id)
			continue
		}
		if first == "" || exp.Before(firstExp) {
			first, firstExp = id, exp
		}
	}
	if len(m.ids) >= m.max {
		delete(m.ids, first)
	}
}

// Fallback is Primary (Redis), or Secondary (the database) while Primary
// fails: an id is checked somewhere shared at all times, though an id
// recorded in one during the switch is not seen by the other.
type Fallback struct {
	Primary, Secondary Cache
	// OnFallback, when set, is told each time Primary fails.
	OnFallback func(error)
}

// UseOnce implements Cache.
func (f Fallback) UseOnce(ctx context.Context, id string, until time.Time) error {
	err := f.Primary.UseOnce(ctx, id, until)
	if err == nil || errors.Is(err, ErrReplayed) || ctx.Err() != nil {
		return err
	}
	if f.OnFallback != nil {
		f.OnFallback(err)
	}
	return f.Secondary.UseOnce(ctx, id, until)
}
