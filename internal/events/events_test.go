package events_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/monban/monban/internal/events"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/store/sqlite"
	"github.com/monban/monban/internal/store/sqlstore"
	"github.com/monban/monban/internal/store/storetest"
)

func open(t *testing.T) *sqlstore.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	storetest.Unlock(t, st, storetest.NewKey(t))
	return st
}

func role(t *testing.T, st store.Store, id string) {
	t.Helper()
	if err := st.CreateRole(t.Context(), store.Role{ID: id, Name: id, Type: store.RoleUser, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
}

// recorder is a handler that keeps what it is given.
type recorder struct {
	mu  sync.Mutex
	got []string
	err error
}

func (r *recorder) handle(_ context.Context, evs []store.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ev := range evs {
		r.got = append(r.got, string(ev.Kind)+" "+ev.Entity)
	}
	return r.err
}

func (r *recorder) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

func TestSyncDeliversNewEventsInOrder(t *testing.T) {
	st := open(t)
	role(t, st, "before") // before the follower: not delivered
	f, err := events.New(t.Context(), st, slog.Default(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var a, b recorder
	b.err = errors.New("a handler's failure stops nobody")
	f.Subscribe("a", a.handle)
	f.Subscribe("b", b.handle)
	if err := f.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	if len(a.seen()) != 0 {
		t.Fatalf("delivered before any change: %v", a.seen())
	}
	role(t, st, "r1")
	role(t, st, "r2")
	if err := f.Sync(t.Context()); err == nil || !strings.Contains(err.Error(), "b: a handler's failure stops nobody") {
		t.Fatalf("Sync with a failing handler: %v", err)
	}
	want := []string{"role.created r1", "role.created r2"}
	for _, r := range []*recorder{&a, &b} {
		if got := r.seen(); !slices.Equal(got, want) {
			t.Errorf("delivered %v, want %v", got, want)
		}
	}
	last, _ := st.LastEventSeq(t.Context())
	if f.Cursor() != last {
		t.Errorf("cursor %d, want %d", f.Cursor(), last)
	}
	if err := f.Sync(t.Context()); err != nil || len(a.seen()) != 2 {
		// Nothing new: no handler ran, so none failed.
		t.Errorf("a second Sync delivered again: %v, %v", a.seen(), err)
	}
}

func TestSyncReadsInBatches(t *testing.T) {
	st := open(t)
	f, err := events.New(t.Context(), st, slog.Default(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var r recorder
	f.Subscribe("r", r.handle)
	const n = 1100 // more than two batches
	for i := range n {
		role(t, st, fmt.Sprintf("r%04d", i))
	}
	if err := f.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	got := r.seen()
	if len(got) != n || got[0] != "role.created r0000" || got[n-1] != fmt.Sprintf("role.created r%04d", n-1) {
		t.Errorf("delivered %d events, first %q", len(got), got[0])
	}
}

// unreadable is an outbox whose events cannot be read.
type unreadable struct{ store.Events }

func (unreadable) ReadEvents(context.Context, int64, int) ([]store.Event, error) {
	return nil, errors.New("database down")
}

// noTail is an outbox whose newest event cannot be read.
type noTail struct{ store.Events }

func (noTail) LastEventSeq(context.Context) (int64, error) { return 0, errors.New("database down") }

func TestReadFailures(t *testing.T) {
	st := open(t)
	if f, err := events.New(t.Context(), noTail{st}, slog.Default(), 0); err == nil || f != nil {
		t.Error("New on an outbox that cannot be read succeeded")
	}
	f, err := events.New(t.Context(), unreadable{st}, slog.Default(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var r recorder
	f.Subscribe("r", r.handle)
	role(t, st, "r1")
	if err := f.Sync(t.Context()); err == nil {
		t.Error("Sync on an outbox that cannot be read succeeded")
	}
	if f.Cursor() != 0 || len(r.seen()) != 0 {
		t.Errorf("a failed read moved the cursor to %d or delivered %v", f.Cursor(), r.seen())
	}
}

func TestRunFollowsWakeUpsAndPolls(t *testing.T) {
	st := open(t)
	for _, poll := range []time.Duration{0, 20 * time.Millisecond} {
		f, err := events.New(t.Context(), st, slog.Default(), poll)
		if err != nil {
			t.Fatal(err)
		}
		var r recorder
		f.Subscribe("r", r.handle)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { f.Run(ctx); close(done) }()
		id := fmt.Sprint("p", poll)
		role(t, st, id)
		if poll == 0 {
			f.Wake()
			f.Wake() // a second wake-up while one is pending does not block
		}
		deadline := time.Now().Add(5 * time.Second)
		for !slices.Contains(r.seen(), "role.created "+id) {
			if time.Now().After(deadline) {
				t.Fatalf("poll %v: the change never arrived", poll)
			}
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not stop when its context ended")
		}
	}
}

func TestPrune(t *testing.T) {
	st := open(t)
	role(t, st, "r1")
	role(t, st, "r2")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { events.Prune(ctx, st, 10*time.Millisecond, -time.Hour, slog.Default()); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		evs, err := st.ReadEvents(t.Context(), 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 1 && evs[0].Entity == "r2" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("events left: %d", len(evs))
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
}
