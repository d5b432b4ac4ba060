package ratelimit

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func locked(t *testing.T, fc FailureCounter, b Backoff, key string, want time.Duration) {
	t.Helper()
	if got := fc.Locked(context.Background(), b, key); got != want {
		t.Fatalf("Locked(%q) = %v, want %v", key, got, want)
	}
}

func fail(fc FailureCounter, b Backoff, key string, n int) {
	for range n {
		fc.Fail(context.Background(), b, key)
	}
}

func TestLocalBackoff(t *testing.T) {
	l, clock := newTestLocal()
	b := Backoff{Name: "account", Free: 2, Base: time.Second, Max: 4 * time.Second, Window: time.Minute}

	locked(t, l, b, "a", 0)
	fail(l, b, "a", 1)
	locked(t, l, b, "a", 0)
	fail(l, b, "a", 1)
	locked(t, l, b, "a", time.Second)
	fail(l, b, "a", 1)
	locked(t, l, b, "a", 2*time.Second)
	fail(l, b, "a", 4)
	locked(t, l, b, "a", 4*time.Second) // capped at Max
	// Another name, another key: separate counts.
	locked(t, l, Backoff{Name: "ip", Free: 2, Base: time.Second, Max: time.Minute, Window: time.Minute}, "a", 0)
	locked(t, l, b, "b", 0)

	clock.advance(4 * time.Second)
	locked(t, l, b, "a", 0)
	l.Forget(context.Background(), b, "a")
	fail(l, b, "a", 1)
	locked(t, l, b, "a", 0)

	// Failures further apart than Window are forgotten.
	clock.advance(time.Minute + time.Nanosecond)
	fail(l, b, "a", 1)
	locked(t, l, b, "a", 0)
	fail(l, b, "a", 1)
	locked(t, l, b, "a", time.Second)

	// A back-off without limits keeps nothing.
	n := l.Failures()
	fail(l, Backoff{Name: "off"}, "a", 10)
	locked(t, l, Backoff{Name: "off"}, "a", 0)
	if l.Failures() != n {
		t.Fatal("an unlimited back-off kept a key")
	}
}

// A full table forgets idle keys, then unlocked ones oldest first, and
// never a running lock (L2).
func TestLocalBackoffEviction(t *testing.T) {
	l, clock := newTestLocal(WithMaxKeys(10))
	lock := Backoff{Name: "account", Free: 1, Base: time.Hour, Max: time.Hour, Window: time.Minute}
	count := Backoff{Name: "account", Free: 2, Base: time.Hour, Max: time.Hour, Window: time.Hour}

	fail(l, lock, "victim", 1)
	// A flood of keys, one failure each, a second apart.
	for i := range 100 {
		fail(l, count, "flood"+strconv.Itoa(i), 1)
		clock.advance(time.Second)
		if l.Failures() > 10 {
			t.Fatalf("%d keys held for a bound of 10", l.Failures())
		}
	}
	locked(t, l, lock, "victim", time.Hour-100*time.Second)
	// The oldest were forgotten first: the latest still count.
	fail(l, count, "flood99", 1)
	locked(t, l, count, "flood99", time.Hour)

	// Full of running locks: a new key is not tracked, and no lock is
	// lifted.
	for i := range 20 {
		fail(l, lock, "locker"+strconv.Itoa(i), 1)
		clock.advance(time.Second)
	}
	if got := l.UntrackedFailures(); got == 0 {
		t.Fatal("no failure was left untracked with the table full of locks")
	}
	before := l.UntrackedFailures()
	fail(l, lock, "newcomer", 1)
	locked(t, l, lock, "newcomer", 0)
	if l.UntrackedFailures() != before+1 || l.Failures() != 10 {
		t.Fatalf("untracked %d (was %d), %d keys held", l.UntrackedFailures(), before, l.Failures())
	}
	if l.Locked(context.Background(), lock, "victim") == 0 || l.Locked(context.Background(), count, "flood99") == 0 {
		t.Fatal("a running lock was lifted")
	}
	// Once locks end, new keys are tracked again.
	clock.advance(time.Hour)
	fail(l, lock, "newcomer", 1)
	locked(t, l, lock, "newcomer", time.Hour)
}

func TestRedisBackoffShared(t *testing.T) {
	url := testRedisURL(t)
	prefix := testPrefix(t, url)
	a := newTestRedis(t, url, prefix, nil)
	b := newTestRedis(t, url, prefix, nil)
	bo := Backoff{Name: "signin_account", Free: 5, Base: time.Hour, Max: 3 * time.Hour, Window: 4 * time.Hour}

	// Failures alternate between the instances: five free in all.
	free := 0
	for i := range 10 {
		fc := []*Redis{a, b}[i%2]
		if fc.Locked(context.Background(), bo, "jane") > 0 {
			break
		}
		free++
		fc.Fail(context.Background(), bo, "jane")
	}
	if free != 5 {
		t.Fatalf("%d free failures across two instances, want 5", free)
	}
	near := func(fc FailureCounter, want time.Duration) {
		t.Helper()
		if got := fc.Locked(context.Background(), bo, "jane"); got > want || got < want-time.Second {
			t.Fatalf("Locked = %v, want about %v", got, want)
		}
	}
	near(a, time.Hour)
	near(b, time.Hour)
	b.Fail(context.Background(), bo, "jane")
	near(a, 2*time.Hour)
	a.Fail(context.Background(), bo, "jane")
	near(b, 3*time.Hour) // capped at Max

	// The key lives as long as the lock or the window, whichever ends later.
	o, _ := redis.ParseURL(url)
	c := redis.NewClient(o)
	defer c.Close()
	ttl, err := c.PTTL(context.Background(), prefix+"fail:signin_account:jane").Result()
	if err != nil || ttl < 4*time.Hour-time.Minute || ttl > 4*time.Hour+time.Second {
		t.Fatalf("PTTL = %v, %v; want about 4h", ttl, err)
	}

	a.Forget(context.Background(), bo, "jane")
	locked(t, b, bo, "jane", 0)
	if a.InFallback() || b.InFallback() || a.local.Failures() != 0 || b.local.Failures() != 0 {
		t.Fatal("the local table was used")
	}
}

// While Redis is unreachable, failures are counted locally.
func TestRedisBackoffFallback(t *testing.T) {
	r := unreachableRedis(t, nil, 500*time.Millisecond)
	bo := Backoff{Name: "signin_account", Free: 2, Base: time.Hour, Max: time.Hour, Window: time.Hour}
	fail(r, bo, "jane", 2)
	if !r.InFallback() || r.local.Failures() != 1 {
		t.Fatalf("InFallback %v, %d local keys", r.InFallback(), r.local.Failures())
	}
	if d := r.Locked(context.Background(), bo, "jane"); d < time.Hour-time.Minute {
		t.Fatalf("Locked = %v from the local table, want about 1h", d)
	}
	r.Forget(context.Background(), bo, "jane")
	locked(t, r, bo, "jane", 0)
}
