package keys

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/monban/monban/internal/clock"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/store/sqlite"
	"github.com/monban/monban/internal/store/storetest"
	"github.com/monban/monban/internal/testwait"
)

// origin is the fake clock's start, on a whole millisecond (the store keeps
// milliseconds).
var origin = time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)

const (
	delay     = time.Minute
	retention = time.Hour
)

type fixture struct {
	st      store.Store
	clock   *clock.Fake
	m       *Manager
	reloads atomic.Int32
}

// newManager returns a manager on a fresh SQLite store and a fake clock,
// with the given publish delay.
func newManager(t *testing.T, publishDelay time.Duration) *fixture {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "keys.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	storetest.Unlock(t, st, storetest.NewKey(t))
	bg, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	f := &fixture{st: st, clock: clock.NewFake(origin)}
	f.m = &Manager{
		Store: st, Clock: f.clock, PublishDelay: publishDelay, Background: bg,
		Retention: func() time.Duration { return retention },
		Reload: func(context.Context) error {
			f.reloads.Add(1)
			return nil
		},
	}
	return f
}

// newEnsured is newManager after Ensure has stored the first key.
func newEnsured(t *testing.T, publishDelay time.Duration) *fixture {
	t.Helper()
	f := newManager(t, publishDelay)
	if err := f.m.Ensure(t.Context()); err != nil {
		t.Fatal(err)
	}
	return f
}

// statuses returns the stored keys' statuses by id.
func (f *fixture) statuses(t *testing.T) map[string]store.KeyStatus {
	t.Helper()
	list, err := f.st.ListSigningKeys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.KeyStatus{}
	for _, k := range list {
		out[k.ID] = k.Status
	}
	return out
}

// only returns the one stored key with status s.
func (f *fixture) only(t *testing.T, s store.KeyStatus) store.SigningKey {
	t.Helper()
	list, err := f.st.ListSigningKeys(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var found []store.SigningKey
	for _, k := range list {
		if k.Status == s {
			found = append(found, k)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d %s keys in %v", len(found), s, f.statuses(t))
	}
	return found[0]
}

func TestEnsureCreatesOneCurrentKey(t *testing.T) {
	f := newEnsured(t, 0)
	ctx := t.Context()
	k := f.only(t, store.KeyCurrent)
	if k.Algorithm != DefaultAlgorithm || !k.CreatedAt.Equal(origin) {
		t.Fatalf("ensured key %s %v, want %s at %v", k.Algorithm, k.CreatedAt, DefaultAlgorithm, origin)
	}
	if _, err := Parse(k); err != nil {
		t.Fatal(err)
	}
	// A second call, or another instance's, keeps the key.
	if err := f.m.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	if got := f.statuses(t); len(got) != 1 {
		t.Fatalf("keys after a second Ensure: %v", got)
	}
}

func TestRotateAtOnce(t *testing.T) {
	f := newEnsured(t, 0)
	ctx := t.Context()
	first := f.only(t, store.KeyCurrent)
	if err := f.m.RotateKey(ctx, EdDSA); err != nil {
		t.Fatal(err)
	}
	cur := f.only(t, store.KeyCurrent)
	prev := f.only(t, store.KeyPrevious)
	if cur.ID == first.ID || cur.Algorithm != EdDSA || prev.ID != first.ID || !prev.RetiredAt.Equal(origin) {
		t.Fatalf("after rotate: current %s %s, previous %s retired %v", cur.ID, cur.Algorithm, prev.ID, prev.RetiredAt)
	}
	if f.reloads.Load() != 1 {
		t.Fatalf("%d reloads, want 1: a rotation must be visible before it returns", f.reloads.Load())
	}

	// "" keeps the current key's algorithm.
	f.clock.Advance(time.Minute)
	if err := f.m.RotateKey(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if k := f.only(t, store.KeyCurrent); k.Algorithm != EdDSA {
		t.Fatalf("rotate with no algorithm made %s, want the current EdDSA", k.Algorithm)
	}
	if n := len(f.statuses(t)); n != 3 {
		t.Fatalf("%d keys: a previous key within retention was dropped", n)
	}

	// A previous key retired longer than the retention ago is dropped; one
	// retired a minute later is kept.
	f.clock.Set(origin.Add(retention + time.Millisecond))
	if err := f.m.RotateKey(ctx, ES384); err != nil {
		t.Fatal(err)
	}
	got := f.statuses(t)
	if _, kept := got[first.ID]; kept || len(got) != 3 {
		t.Fatalf("after retention: %v; the first key (retired %v) should be gone", got, origin)
	}

	// An unsupported algorithm changes nothing.
	before := f.statuses(t)
	if err := f.m.RotateKey(ctx, "HS256"); !errors.Is(err, ErrUnsupportedAlgorithm) {
		t.Fatalf("RotateKey(HS256) = %v", err)
	}
	if after := f.statuses(t); len(after) != len(before) {
		t.Fatalf("a refused rotation changed the keys: %v → %v", before, after)
	}
}

// With a publish delay, a rotation stores the new key as next; it is
// recorded as current, and the old key retired, once the delay has passed
// on the clock, not before.
func TestRotateWithPublishDelay(t *testing.T) {
	f := newEnsured(t, delay)
	ctx := t.Context()
	first := f.only(t, store.KeyCurrent)
	if err := f.m.RotateKey(ctx, ES384); err != nil {
		t.Fatal(err)
	}
	next := f.only(t, store.KeyNext)
	if next.Algorithm != ES384 || f.only(t, store.KeyCurrent).ID != first.ID {
		t.Fatalf("after rotate: %v", f.statuses(t))
	}
	if f.reloads.Load() != 1 {
		t.Fatalf("%d reloads, want 1: the next key must be published before RotateKey returns", f.reloads.Load())
	}
	testwait.Until(t, "the promotion is scheduled", func() bool { return f.clock.Pending() == 1 })
	f.clock.Advance(delay - time.Millisecond)
	time.Sleep(20 * time.Millisecond) // an early promotion would show here
	if got := f.statuses(t); got[next.ID] != store.KeyNext || got[first.ID] != store.KeyCurrent {
		t.Fatalf("promoted before the delay: %v", got)
	}
	f.clock.Advance(time.Millisecond)
	testwait.Until(t, "the next key is recorded as current", func() bool {
		got := f.statuses(t)
		return got[next.ID] == store.KeyCurrent && got[first.ID] == store.KeyPrevious
	})
	if prev := f.only(t, store.KeyPrevious); !prev.RetiredAt.Equal(origin.Add(delay)) {
		t.Fatalf("retired at %v, want %v", prev.RetiredAt, origin.Add(delay))
	}
	testwait.Until(t, "the promotion is reloaded", func() bool { return f.reloads.Load() == 2 })
}

// A next key whose instance stopped before promoting it is recorded as
// current by the next rotation, before the new key is added; one whose
// delay has not passed stays next.
func TestRotateSettlesAnUnpromotedKey(t *testing.T) {
	f := newEnsured(t, delay)
	ctx := t.Context()
	first := f.only(t, store.KeyCurrent)
	// An instance that rotated and stopped: its next key is stored, its
	// promotion never ran.
	orphan, err := Generate(ES256, store.KeyNext, f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.CreateSigningKey(ctx, orphan); err != nil {
		t.Fatal(err)
	}

	// Within the delay the orphan is left alone.
	f.clock.Advance(delay - time.Millisecond)
	if err := f.m.settle(ctx); err != nil {
		t.Fatal(err)
	}
	if got := f.statuses(t); got[orphan.ID] != store.KeyNext || got[first.ID] != store.KeyCurrent {
		t.Fatalf("settled before the delay: %v", got)
	}

	f.clock.Advance(time.Millisecond)
	if err := f.m.RotateKey(ctx, EdDSA); err != nil {
		t.Fatal(err)
	}
	got := f.statuses(t)
	newest := f.only(t, store.KeyNext)
	if got[orphan.ID] != store.KeyCurrent || got[first.ID] != store.KeyPrevious || newest.Algorithm != EdDSA {
		t.Fatalf("after a rotation with an unpromoted key: %v (orphan %s, first %s)", got, orphan.ID, first.ID)
	}
}

// Several unpromoted keys are all settled, oldest first: the newest ends
// up current.
func TestSettleEveryUnpromotedKey(t *testing.T) {
	f := newEnsured(t, delay)
	ctx := t.Context()
	first := f.only(t, store.KeyCurrent)
	var orphans []store.SigningKey
	for range 2 {
		f.clock.Advance(time.Second)
		k, err := Generate(ES256, store.KeyNext, f.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := f.st.CreateSigningKey(ctx, k); err != nil {
			t.Fatal(err)
		}
		orphans = append(orphans, k)
	}
	f.clock.Advance(delay)
	if err := f.m.settle(ctx); err != nil {
		t.Fatal(err)
	}
	got := f.statuses(t)
	if got[first.ID] != store.KeyPrevious || got[orphans[0].ID] != store.KeyPrevious || got[orphans[1].ID] != store.KeyCurrent {
		t.Fatalf("after settling two keys: %v (first %s, orphans %s %s)", got, first.ID, orphans[0].ID, orphans[1].ID)
	}
}

// When the server stops before the delay has passed, the promotion is
// dropped (the next rotation settles it) and its timer released.
func TestPromotionStopsWithTheServer(t *testing.T) {
	f := newManager(t, delay)
	bg, cancel := context.WithCancel(context.Background())
	f.m.Background = bg
	ctx := t.Context()
	if err := f.m.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	if err := f.m.RotateKey(ctx, ""); err != nil {
		t.Fatal(err)
	}
	next := f.only(t, store.KeyNext)
	testwait.Until(t, "the promotion is scheduled", func() bool { return f.clock.Pending() == 1 })
	cancel()
	f.m.Wait() // returns once the promotion has ended
	if n := f.clock.Pending(); n != 0 {
		t.Fatalf("%d timers still pending after Wait", n)
	}
	f.clock.Advance(2 * delay)
	time.Sleep(20 * time.Millisecond)
	if got := f.statuses(t); got[next.ID] != store.KeyNext {
		t.Fatalf("promoted after the server stopped: %v", got)
	}
}

// A configured Algorithm is the first key's and that of rotations naming
// none; a rotation naming one still gets it. Unconfigured, a rotation
// naming none keeps the current key's algorithm.
func TestConfiguredAlgorithm(t *testing.T) {
	f := newManager(t, 0)
	f.m.Algorithm = RS256
	ctx := t.Context()
	if err := f.m.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	if k := f.only(t, store.KeyCurrent); k.Algorithm != RS256 {
		t.Fatalf("first key %s", k.Algorithm)
	}
	if err := f.m.RotateKey(ctx, ES384); err != nil {
		t.Fatal(err)
	}
	if k := f.only(t, store.KeyCurrent); k.Algorithm != ES384 {
		t.Fatalf("named rotation %s", k.Algorithm)
	}
	f.clock.Advance(time.Second)
	if err := f.m.RotateKey(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if k := f.only(t, store.KeyCurrent); k.Algorithm != RS256 {
		t.Fatalf("rotation naming none: %s, want the configured RS256", k.Algorithm)
	}
	f.m.Algorithm = ""
	f.clock.Advance(time.Second)
	if err := f.m.RotateKey(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if k := f.only(t, store.KeyCurrent); k.Algorithm != RS256 {
		t.Fatalf("unconfigured rotation naming none: %s, want the current RS256", k.Algorithm)
	}
}
