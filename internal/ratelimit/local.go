package ratelimit

import (
	"context"
	"hash/maphash"
	"slices"
	"sync"
	"time"
)

// DefaultMaxKeys is the number of buckets a Local keeps at most unless told
// otherwise.
const DefaultMaxKeys = 100_000

// shardCount splits a Local's buckets so that concurrent takes rarely wait
// for one another. A power of two.
const shardCount = 64

// Local is a Limiter keeping its buckets in memory, for one instance. It is
// safe for concurrent use.
//
// It keeps at most a fixed number of buckets, so that a client rotating keys
// cannot grow memory without bound. When full it first forgets buckets that
// have refilled, which loses nothing; under pressure it then forgets the
// fullest ones, which gives those keys a fresh bucket: the limit loosens for
// them, it never tightens.
type Local struct {
	seed     maphash.Seed
	perShard int
	shards   [shardCount]shard
	now      func() int64 // nanoseconds on a monotonic clock
	rejected counters
	fails    failures
}

type shard struct {
	mu sync.Mutex
	m  map[bucketKey]int64 // theoretical arrival time, in Local.now's nanoseconds
	_  [48]byte            // keeps neighbouring shards' locks off one cache line
}

type bucketKey struct{ name, key string }

// LocalOption configures a Local.
type LocalOption func(*Local)

// WithMaxKeys sets the number of buckets kept at most (DefaultMaxKeys
// otherwise), rounded down to a multiple of 64 and at least 64. Each costs
// about 150 bytes. It bounds the keys of failure counts too, exactly.
func WithMaxKeys(n int) LocalOption {
	return func(l *Local) {
		if n > 0 {
			l.perShard = max(1, n/shardCount)
			l.fails.max = n
		}
	}
}

// WithClock sets the clock a Local reads (the monotonic clock otherwise),
// for tests.
func WithClock(now func() time.Time) LocalOption {
	return func(l *Local) {
		l.now = func() int64 { return now().UnixNano() }
	}
}

// NewLocal returns an in-memory Limiter.
func NewLocal(opts ...LocalOption) *Local {
	start := time.Now()
	l := &Local{
		seed:     maphash.MakeSeed(),
		perShard: DefaultMaxKeys / shardCount,
		now:      func() int64 { return int64(time.Since(start)) },
	}
	l.fails.max = DefaultMaxKeys
	l.fails.m = make(map[bucketKey]*failure)
	for _, o := range opts {
		o(l)
	}
	for i := range l.shards {
		l.shards[i].m = make(map[bucketKey]int64)
	}
	return l
}

// Take implements Limiter. It never blocks on anything but a short lock.
func (l *Local) Take(_ context.Context, rule Rule, key string, cost int) Decision {
	d := l.take(rule, key, cost)
	if !d.Allowed {
		l.rejected.reject(rule.Name)
	}
	return d
}

// take is Take without counting, for Redis to answer from while it is
// unreachable.
func (l *Local) take(rule Rule, key string, cost int) Decision {
	if !rule.limited() {
		return unlimited
	}
	var d Decision
	l.update(rule, key, cost, func(now, tat, interval, c int64) (int64, bool) {
		var next int64
		d, next = gcra(now, tat, interval, rule.Burst, c)
		return next, d.Allowed
	})
	return d
}

// update runs fn on the bucket of (rule, key) under its shard's lock: fn
// gets the time, the bucket's arrival time (raised to now), the rule's
// emission interval and the clamped cost, and returns the new arrival
// time and whether to store it. Storing a new bucket in a full shard
// evicts others first.
func (l *Local) update(rule Rule, key string, cost int, fn func(now, tat, interval, c int64) (int64, bool)) {
	s, k, c, interval := l.bucket(rule, key, cost)

	now := l.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	tat, found := s.m[k]
	if tat < now {
		tat = now
	}
	next, store := fn(now, tat, interval, c)
	if !store {
		return
	}
	if !found && len(s.m) >= l.perShard {
		s.evict(now, l.perShard)
	}
	s.m[k] = next
}

// bucket returns where the bucket of (rule, key) lives, the cost in tokens
// (clamped to the burst) and the rule's emission interval in nanoseconds.
func (l *Local) bucket(rule Rule, key string, cost int) (s *shard, k bucketKey, c, interval int64) {
	key = boundKey(key)
	return &l.shards[maphash.String(l.seed, key)&(shardCount-1)], bucketKey{rule.Name, key},
		clampCost(cost, rule.Burst), rule.interval(1e9)
}

// Charge implements Limiter.
func (l *Local) Charge(_ context.Context, rule Rule, key string, cost int) {
	l.charge(rule, key, cost)
}

func (l *Local) charge(rule Rule, key string, cost int) {
	if !rule.limited() {
		return
	}
	l.update(rule, key, cost, func(now, tat, interval, c int64) (int64, bool) {
		return charge(now, tat, interval, rule.Burst, c), true
	})
}

// evictSample is how many arrival times evict looks at to choose which busy
// buckets to forget.
const evictSample = 128

// evict makes room in a full shard. It frees a quarter of the shard at once
// so that the sweep, linear in the shard's size, runs once per many inserts.
func (s *shard) evict(now int64, capacity int) {
	target := capacity - capacity/4
	// A bucket whose arrival time has passed is full again: forgetting it
	// changes nothing.
	for k, tat := range s.m {
		if tat <= now {
			delete(s.m, k)
		}
	}
	if len(s.m) <= target {
		return
	}
	// Every bucket is in use, as under a flood of distinct keys. Forget
	// among the fullest ones (the earliest arrival times), found from a
	// sample. The sample is spread over the whole map, since neighbours in
	// iteration order are alike in age, and the threshold is set at twice
	// the share to free so that a sample's error does not leave too few
	// below it.
	var buf [evictSample]int64
	sample := buf[:0]
	step := max(1, len(s.m)/evictSample)
	i := 0
	for _, tat := range s.m {
		if i%step == 0 && len(sample) < evictSample {
			sample = append(sample, tat)
		}
		i++
	}
	slices.Sort(sample)
	excess := len(s.m) - target
	threshold := sample[min(len(sample)-1, 2*excess*len(sample)/len(s.m))]
	for k, tat := range s.m {
		if len(s.m) <= target {
			return
		}
		if tat <= threshold {
			delete(s.m, k)
		}
	}
	// The sample misjudged the distribution badly: drop any buckets.
	for k := range s.m {
		if len(s.m) <= target {
			return
		}
		delete(s.m, k)
	}
}

// Len returns the number of buckets held.
func (l *Local) Len() int {
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}

// Rejections returns the number of denied takes per rule name since the
// Local was made.
func (l *Local) Rejections() map[string]uint64 {
	return l.rejected.snapshot()
}
