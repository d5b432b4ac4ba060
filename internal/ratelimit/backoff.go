package ratelimit

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"
)

// Backoff is a failure back-off, as for sign-ins: once a key has had Free
// failures within Window of one another, it is locked for Base, and each
// further failure doubles that, up to Max. Failures older than Window are
// forgotten. A Backoff with Free, Base, Max or Window not above zero locks
// nothing.
type Backoff struct {
	// Name identifies the back-off: keys of different names are separate.
	Name   string
	Free   int
	Base   time.Duration
	Max    time.Duration
	Window time.Duration
}

func (b Backoff) limited() bool {
	return b.Free > 0 && b.Base > 0 && b.Max > 0 && b.Window > 0
}

// lockFor returns how long a key with count failures is locked.
func (b Backoff) lockFor(count int) time.Duration {
	over := count - b.Free
	if over < 0 {
		return 0
	}
	d := b.Base << min(over, 30)
	if d <= 0 || d > b.Max {
		d = b.Max
	}
	return d
}

// FailureCounter keeps the failures of a Backoff per key. Local and Redis
// implement it, Redis sharing the counts between instances.
type FailureCounter interface {
	// Locked returns how long key is still locked out, or 0.
	Locked(ctx context.Context, b Backoff, key string) time.Duration
	// Fail records a failure of key.
	Fail(ctx context.Context, b Backoff, key string)
	// Forget clears the failures of key.
	Forget(ctx context.Context, b Backoff, key string)
}

var (
	_ FailureCounter = (*Local)(nil)
	_ FailureCounter = (*Redis)(nil)
)

// failures is the in-memory table of a Local's failure counts. Sign-in
// failures are few (each costs a password hash), so one lock suffices.
type failures struct {
	mu  sync.Mutex
	m   map[bucketKey]*failure
	max int
	// fullUntil is set when the table was found full of running locks:
	// until the first of them ends, new keys are not tracked without
	// looking again.
	fullUntil int64
	untracked uint64
}

type failure struct {
	count  int
	last   int64 // time of the last failure
	locked int64 // locked until
	window int64 // the Backoff's Window, to tell when the entry is idle
}

// idle reports whether forgetting the entry at now loses nothing: its lock
// has ended and its failures are too old to count.
func (f *failure) idle(now int64) bool {
	return f.locked <= now && now-f.last > f.window
}

// Locked implements FailureCounter.
func (l *Local) Locked(_ context.Context, b Backoff, key string) time.Duration {
	return l.locked(b, key)
}

func (l *Local) locked(b Backoff, key string) time.Duration {
	if !b.limited() {
		return 0
	}
	now := l.now()
	t := &l.fails
	t.mu.Lock()
	defer t.mu.Unlock()
	if f := t.m[bucketKey{b.Name, boundKey(key)}]; f != nil && f.locked > now {
		return time.Duration(f.locked - now)
	}
	return 0
}

// Fail implements FailureCounter. When the table is full, it first forgets
// idle keys, then the keys that are not locked, least recently failed
// first; it never forgets a running lock. Should the table be full of
// running locks, the failure of a key not in it is not recorded (counted by
// UntrackedFailures): the back-off loosens for new keys until locks end,
// rather than lifting the locks already set.
func (l *Local) Fail(_ context.Context, b Backoff, key string) {
	l.fail(b, key)
}

func (l *Local) fail(b Backoff, key string) {
	if !b.limited() {
		return
	}
	now := l.now()
	k := bucketKey{b.Name, boundKey(key)}
	t := &l.fails
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.m[k]
	if f == nil {
		if len(t.m) >= t.max && !t.makeRoom(now) {
			t.untracked++
			return
		}
		f = &failure{}
		t.m[k] = f
	}
	if now-f.last > int64(b.Window) {
		f.count = 0
	}
	f.count++
	f.last = now
	f.window = int64(b.Window)
	if d := b.lockFor(f.count); d > 0 {
		f.locked = max(f.locked, now+int64(d))
	}
}

// makeRoom frees a tenth of a full table, so that the sweep runs once per
// many new keys, and reports whether there is room for one more.
func (t *failures) makeRoom(now int64) bool {
	if now < t.fullUntil {
		return false
	}
	target := t.max - max(1, t.max/10)
	for k, f := range t.m {
		if f.idle(now) {
			delete(t.m, k)
		}
	}
	if len(t.m) > target {
		type aged struct {
			k    bucketKey
			last int64
		}
		var free []aged
		for k, f := range t.m {
			if f.locked <= now {
				free = append(free, aged{k, f.last})
			}
		}
		slices.SortFunc(free, func(a, b aged) int { return cmp.Compare(a.last, b.last) })
		for _, a := range free {
			if len(t.m) <= target {
				break
			}
			delete(t.m, a.k)
		}
	}
	if len(t.m) < t.max {
		return true
	}
	// Every entry is a running lock: wait for the first to end.
	t.fullUntil = now
	first := true
	for _, f := range t.m {
		if first || f.locked < t.fullUntil {
			t.fullUntil, first = f.locked, false
		}
	}
	return false
}

// Forget implements FailureCounter.
func (l *Local) Forget(_ context.Context, b Backoff, key string) {
	l.forget(b, key)
}

func (l *Local) forget(b Backoff, key string) {
	t := &l.fails
	t.mu.Lock()
	delete(t.m, bucketKey{b.Name, boundKey(key)})
	t.mu.Unlock()
}

// Failures returns the number of keys whose failures are held.
func (l *Local) Failures() int {
	l.fails.mu.Lock()
	defer l.fails.mu.Unlock()
	return len(l.fails.m)
}

// UntrackedFailures returns the number of failures not recorded because
// the table was full of running locks.
func (l *Local) UntrackedFailures() uint64 {
	l.fails.mu.Lock()
	defer l.fails.mu.Unlock()
	return l.fails.untracked
}
