package ratelimit

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock drives a Local's clock by hand.
type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

func newTestLocal(opts ...LocalOption) (*Local, *fakeClock) {
	l := NewLocal(opts...)
	c := &fakeClock{}
	c.ns.Store(int64(time.Hour)) // any origin; not zero, to catch assumptions
	l.now = c.ns.Load
	return l, c
}

func take(t *testing.T, lim Limiter, rule Rule, key string, cost int, wantAllowed bool, wantRemaining int) Decision {
	t.Helper()
	d := lim.Take(context.Background(), rule, key, cost)
	if d.Allowed != wantAllowed || d.Remaining != wantRemaining {
		t.Fatalf("Take(%q, cost %d) = %+v, want allowed %v, remaining %d", key, cost, d, wantAllowed, wantRemaining)
	}
	if d.Allowed && d.RetryAfter != 0 {
		t.Fatalf("allowed with RetryAfter %v", d.RetryAfter)
	}
	return d
}

func TestLocalBurstThenRefill(t *testing.T) {
	l, clock := newTestLocal()
	rule := Rule{Name: "token", Rate: 2, Burst: 3}

	take(t, l, rule, "k", 1, true, 2)
	take(t, l, rule, "k", 1, true, 1)
	take(t, l, rule, "k", 1, true, 0)
	d := take(t, l, rule, "k", 1, false, 0)
	if d.RetryAfter != 500*time.Millisecond {
		t.Fatalf("RetryAfter = %v, want 500ms (one token at 2/s)", d.RetryAfter)
	}
	if got := d.RetryAfterSeconds(); got != 1 {
		t.Fatalf("RetryAfterSeconds = %d, want 1", got)
	}

	clock.advance(499 * time.Millisecond)
	d = take(t, l, rule, "k", 1, false, 0)
	if d.RetryAfter != time.Millisecond {
		t.Fatalf("RetryAfter = %v, want 1ms", d.RetryAfter)
	}
	clock.advance(time.Millisecond)
	take(t, l, rule, "k", 1, true, 0)

	// Refill stops at Burst however long the bucket sat idle.
	clock.advance(time.Hour)
	take(t, l, rule, "k", 1, true, 2)
}

func TestLocalCost(t *testing.T) {
	l, clock := newTestLocal()
	rule := Rule{Name: "token", Rate: 1, Burst: 10}

	take(t, l, rule, "k", 4, true, 6)
	take(t, l, rule, "k", 4, true, 2)
	d := take(t, l, rule, "k", 4, false, 2)
	if d.RetryAfter != 2*time.Second {
		t.Fatalf("RetryAfter = %v, want 2s (two tokens missing at 1/s)", d.RetryAfter)
	}
	// The denied take took nothing.
	take(t, l, rule, "k", 2, true, 0)

	// A cost above Burst empties a full bucket instead of never passing.
	clock.advance(time.Minute)
	take(t, l, rule, "k", 50, true, 0)
	d = take(t, l, rule, "k", 50, false, 0)
	if d.RetryAfter != 10*time.Second {
		t.Fatalf("RetryAfter = %v, want 10s (a whole bucket)", d.RetryAfter)
	}
	// A cost below 1 counts as 1.
	clock.advance(time.Minute)
	take(t, l, rule, "k", 0, true, 9)
	take(t, l, rule, "k", -5, true, 8)
}

func TestLocalRetryAfterWithSlowRate(t *testing.T) {
	l, _ := newTestLocal()
	rule := Rule{Name: "reset", Rate: 1.0 / 3600, Burst: 2} // two an hour
	take(t, l, rule, "k", 1, true, 1)
	take(t, l, rule, "k", 1, true, 0)
	d := take(t, l, rule, "k", 1, false, 0)
	if d.RetryAfter != time.Hour {
		t.Fatalf("RetryAfter = %v, want 1h", d.RetryAfter)
	}
	if d.RetryAfterSeconds() != 3600 {
		t.Fatalf("RetryAfterSeconds = %d", d.RetryAfterSeconds())
	}
}

func TestLocalFractionalRate(t *testing.T) {
	// 3 per second: the rounded interval must still let exactly Burst
	// tokens through at once and one more after a third of a second.
	l, clock := newTestLocal()
	rule := Rule{Name: "x", Rate: 3, Burst: 3}
	for i := 2; i >= 0; i-- {
		take(t, l, rule, "k", 1, true, i)
	}
	d := take(t, l, rule, "k", 1, false, 0)
	clock.advance(d.RetryAfter)
	take(t, l, rule, "k", 1, true, 0)
	if d.RetryAfter < 333*time.Millisecond || d.RetryAfter > 334*time.Millisecond {
		t.Fatalf("RetryAfter = %v, want a third of a second", d.RetryAfter)
	}
}

func TestLocalKeyIsolation(t *testing.T) {
	l, _ := newTestLocal()
	token := Rule{Name: "token", Rate: 1, Burst: 1}
	mgmt := Rule{Name: "management", Rate: 1, Burst: 1}

	take(t, l, token, "192.0.2.1", 1, true, 0)
	take(t, l, token, "192.0.2.1", 1, false, 0)
	take(t, l, token, "192.0.2.2", 1, true, 0)
	// Same key under another rule: another bucket.
	take(t, l, mgmt, "192.0.2.1", 1, true, 0)

	// Long keys are digested, not truncated: a shared prefix does not
	// make them share a bucket.
	long := strings.Repeat("x", 200)
	take(t, l, token, long+"a", 1, true, 0)
	take(t, l, token, long+"b", 1, true, 0)
	take(t, l, token, long+"a", 1, false, 0)
}

func TestLocalUnlimitedRule(t *testing.T) {
	l, _ := newTestLocal()
	for _, rule := range []Rule{{}, {Name: "off", Rate: 0, Burst: 5}, {Name: "off", Rate: 5}} {
		for range 100 {
			take(t, l, rule, "k", 1, true, -1)
		}
	}
	if n := l.Len(); n != 0 {
		t.Fatalf("unlimited rules kept %d buckets", n)
	}
}

func TestLocalRejectionsCounted(t *testing.T) {
	l, _ := newTestLocal()
	token := Rule{Name: "token", Rate: 1, Burst: 1}
	mgmt := Rule{Name: "management", Rate: 1, Burst: 2}
	ctx := context.Background()
	for range 5 {
		l.Take(ctx, token, "a", 1)
		l.Take(ctx, mgmt, "a", 1)
	}
	got := l.Rejections()
	if got["token"] != 4 || got["management"] != 3 || len(got) != 2 {
		t.Fatalf("Rejections = %v, want token 4, management 3", got)
	}
}

func TestLocalEvictsRefilledBucketsFirst(t *testing.T) {
	l, clock := newTestLocal(WithMaxKeys(shardCount * 16))
	rule := Rule{Name: "x", Rate: 1, Burst: 5}
	for i := range 10 * shardCount {
		l.Take(context.Background(), rule, "old"+strconv.Itoa(i), 1)
	}
	// Exhaust one key, then let every other bucket refill.
	for range 5 {
		l.Take(context.Background(), rule, "busy", 1)
	}
	clock.advance(2 * time.Second) // "busy" still misses 3 tokens; the rest are full
	for i := range 100 * shardCount {
		l.Take(context.Background(), rule, "new"+strconv.Itoa(i), 1)
	}
	if n := l.Len(); n > shardCount*16 {
		t.Fatalf("Len = %d, above the bound %d", n, shardCount*16)
	}
	take(t, l, rule, "busy", 1, true, 1)
}

func TestLocalBoundedUnderKeyFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("one million keys")
	}
	const maxKeys = 100_000
	l, clock := newTestLocal(WithMaxKeys(maxKeys))
	rule := Rule{Name: "token", Rate: 0.1, Burst: 5}

	// A legitimate client spends its whole burst just before the flood.
	for range 5 {
		l.Take(context.Background(), rule, "198.51.100.7", 1)
	}

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	var peak int
	for i := range 1_000_000 {
		clock.advance(time.Microsecond)
		l.Take(context.Background(), rule, fmt.Sprintf("flood-%d", i), 1)
		if i%50_000 == 0 {
			peak = max(peak, l.Len())
		}
	}
	peak = max(peak, l.Len())
	if peak > maxKeys {
		t.Fatalf("held %d buckets, above the bound %d", peak, maxKeys)
	}

	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("1M distinct keys: %d buckets held at most, heap grew %.1f MiB (%.0f bytes per bucket held)",
		peak, float64(grown)/(1<<20), float64(grown)/float64(l.Len()))
	if grown > 48<<20 {
		t.Fatalf("heap grew %d MiB for %d buckets", grown>>20, maxKeys)
	}

	// The flood's buckets held one spent token each; the legitimate
	// client's bucket was emptier, so it was not the one forgotten.
	take(t, l, rule, "198.51.100.7", 1, false, 0)
}

func TestLocalConcurrent(t *testing.T) {
	l, clock := newTestLocal()
	rule := Rule{Name: "token", Rate: 1, Burst: 50}
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				if l.Take(context.Background(), rule, "shared", 1).Allowed {
					allowed.Add(1)
				}
				// Other keys alongside, and a clock that stays put
				// for the shared bucket's count to be exact.
				l.Take(context.Background(), rule, fmt.Sprintf("g%d-%d", g, i%100), 1)
			}
		})
	}
	wg.Wait()
	if n := allowed.Load(); n != 50 {
		t.Fatalf("%d takes allowed from a bucket of 50", n)
	}
	clock.advance(time.Second)
	take(t, l, rule, "shared", 1, true, 0)
	if got := l.Rejections()["token"]; got < 8*2000-50 {
		t.Fatalf("Rejections = %d", got)
	}
}

func BenchmarkLocalTake(b *testing.B) {
	l := NewLocal()
	rule := Rule{Name: "token", Rate: 1e6, Burst: 1000}
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = fmt.Sprintf("203.0.%d.%d", i/256, i%256)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			l.Take(ctx, rule, keys[i&1023], 1)
			i++
		}
	})
}

// BenchmarkLocalTakeFlood has every take bring a new key, so it measures
// eviction too.
func BenchmarkLocalTakeFlood(b *testing.B) {
	l := NewLocal()
	rule := Rule{Name: "token", Rate: 1, Burst: 10}
	keys := make([]string, 1<<20)
	for i := range keys {
		keys[i] = "flood-" + strconv.Itoa(i)
	}
	ctx := context.Background()
	var n atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.Take(ctx, rule, keys[n.Add(1)&(1<<20-1)], 1)
		}
	})
}

func TestLocalRuleChanged(t *testing.T) {
	l, clock := newTestLocal()
	take(t, l, Rule{Name: "x", Rate: 1, Burst: 10}, "k", 10, true, 0)
	// A smaller bucket (a configuration reload) keeps the debt.
	small := Rule{Name: "x", Rate: 1, Burst: 2}
	d := take(t, l, small, "k", 1, false, 0)
	if d.RetryAfter != 9*time.Second {
		t.Fatalf("RetryAfter = %v, want 9s", d.RetryAfter)
	}
	clock.advance(9 * time.Second)
	take(t, l, small, "k", 1, true, 0)
	// Debt is kept as time: a faster refill applies fully once the debt
	// run up under the old rule is paid.
	clock.advance(time.Hour)
	take(t, l, small, "k", 2, true, 0)
	fast := Rule{Name: "x", Rate: 10, Burst: 2}
	clock.advance(100 * time.Millisecond)
	take(t, l, fast, "k", 1, false, 0)
	clock.advance(1900 * time.Millisecond)
	take(t, l, fast, "k", 2, true, 0)
	clock.advance(100 * time.Millisecond)
	take(t, l, fast, "k", 1, true, 0)
}
