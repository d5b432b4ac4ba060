package audit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/testwait"
)

// flakyStore is a real store whose first failures writes fail. With
// commitFirst set a failing write still commits, as when the database's
// answer is lost after the commit.
type flakyStore struct {
	store.AuditStore
	mu          sync.Mutex
	failures    int
	commitFirst bool
	calls       int
}

func (f *flakyStore) InsertLogs(ctx context.Context, entries []store.LogEntry) error {
	f.mu.Lock()
	f.calls++
	fail := f.failures > 0
	if fail {
		f.failures--
	}
	f.mu.Unlock()
	if !fail {
		return f.AuditStore.InsertLogs(ctx, entries)
	}
	if f.commitFirst {
		if err := f.AuditStore.InsertLogs(ctx, entries); err != nil {
			return err
		}
	}
	return errors.New("connection reset by peer")
}

func (f *flakyStore) attempts() int { f.mu.Lock(); defer f.mu.Unlock(); return f.calls }

// keys returns the stored entries' keys, each as often as it is stored.
func storedKeys(t *testing.T, st store.AuditStore) map[string]int {
	t.Helper()
	list, _, err := st.ListLogs(context.Background(), store.LogFilter{}, store.Page{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, e := range list {
		out[e.Key]++
	}
	return out
}

// A batch whose write fails is written by a later attempt, once: whether
// the failed write stored nothing or committed before failing.
func TestFailedBatchIsRetried(t *testing.T) {
	for _, commitFirst := range []bool{false, true} {
		t.Run(fmt.Sprintf("commitFirst=%v", commitFirst), func(t *testing.T) {
			st := openStore(t)
			f := &flakyStore{AuditStore: st, failures: 2, commitFirst: commitFirst}
			w := NewWriter(f, quiet, Options{FlushInterval: 5 * time.Millisecond, RetryBackoff: time.Millisecond})
			for i := range 3 {
				w.Log(store.LogEntry{Key: fmt.Sprintf("k%d", i), Result: store.ResultSuccess})
			}
			testwait.Until(t, "the retried batch", func() bool { return w.Written() == 3 })
			if err := w.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			got := storedKeys(t, st)
			if len(got) != 3 || got["k0"] != 1 || got["k1"] != 1 || got["k2"] != 1 {
				t.Errorf("stored %v, want k0, k1 and k2 once each", got)
			}
			f.mu.Lock()
			left := f.failures
			f.mu.Unlock()
			if w.Failed() != 0 || w.Written() != 3 || left != 0 {
				t.Errorf("failed %d, written %d, failures not yet met %d", w.Failed(), w.Written(), left)
			}
		})
	}
}

// Retries are bounded: a batch that keeps failing is tried MaxAttempts
// times, then counted as failed; and no more than Buffer entries wait for
// a retry, the oldest being lost first.
func TestRetriesAreBounded(t *testing.T) {
	st := openStore(t)
	f := &flakyStore{AuditStore: st, failures: 1 << 30}
	w := NewWriter(f, quiet, Options{FlushInterval: 5 * time.Millisecond, RetryBackoff: time.Millisecond, MaxAttempts: 3})
	w.Log(store.LogEntry{Key: "k"})
	testwait.Until(t, "the batch to be given up", func() bool { return w.Failed() == 1 })
	if n := f.attempts(); n != 3 {
		t.Errorf("%d attempts, want 3", n)
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if w.Written() != 0 || w.Failed() != 1 {
		t.Errorf("written %d, failed %d", w.Written(), w.Failed())
	}

	// Ten one-entry batches fail with room for four to wait: six are lost
	// at once, and the last four are tried once more on Close.
	f = &flakyStore{AuditStore: st, failures: 1 << 30}
	w = NewWriter(f, quiet, Options{Buffer: 4, BatchSize: 1, FlushInterval: time.Hour, RetryBackoff: time.Hour})
	for i := range 10 {
		w.Keep(store.LogEntry{Key: fmt.Sprintf("m%d", i)})
	}
	testwait.Until(t, "the oldest to be lost", func() bool { return w.Failed() == 6 })
	f.mu.Lock()
	f.failures = 0
	f.mu.Unlock()
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := storedKeys(t, st)
	if w.Failed() != 6 || w.Written() != 4 || len(got) != 4 || got["m9"] != 1 || got["m6"] != 1 {
		t.Errorf("failed %d, written %d, stored %v", w.Failed(), w.Written(), got)
	}
}

// gatedStore is a real store whose writes wait for the gate to open, and
// which tells when the first write started.
type gatedStore struct {
	store.AuditStore
	started chan struct{}
	once    sync.Once
	gate    chan struct{}
}

func (g *gatedStore) InsertLogs(ctx context.Context, entries []store.LogEntry) error {
	g.once.Do(func() { close(g.started) })
	<-g.gate
	return g.AuditStore.InsertLogs(ctx, entries)
}

// With the buffer full, token events are dropped but Management API
// changes (Keep) wait for room and are written.
func TestKeptEntriesSurviveAFullBuffer(t *testing.T) {
	st := openStore(t)
	g := &gatedStore{AuditStore: st, started: make(chan struct{}), gate: make(chan struct{})}
	w := NewWriter(g, quiet, Options{Buffer: 2, BatchSize: 1, FlushInterval: time.Hour})
	w.Log(store.LogEntry{Key: "token0"})
	<-g.started // the writer is stuck in its first write
	w.Log(store.LogEntry{Key: "token1"})
	w.Log(store.LogEntry{Key: "token2"})
	w.Log(store.LogEntry{Key: "token3"}) // the buffer holds two: dropped
	if w.Dropped() != 1 {
		t.Fatalf("dropped %d, want 1", w.Dropped())
	}
	kept := make(chan struct{})
	go func() {
		w.Keep(store.LogEntry{Key: "ManagementApi.POST /api/applications"})
		close(kept)
	}()
	select {
	case <-kept:
		t.Fatal("Keep returned with the buffer full")
	case <-time.After(50 * time.Millisecond):
	}
	close(g.gate)
	<-kept
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := storedKeys(t, st)
	if got["ManagementApi.POST /api/applications"] != 1 || got["token3"] != 0 || len(got) != 4 {
		t.Errorf("stored %v", got)
	}
	if w.Dropped() != 1 || w.Failed() != 0 {
		t.Errorf("dropped %d, failed %d", w.Dropped(), w.Failed())
	}
	// After Close a kept entry is written at once.
	w.Keep(store.LogEntry{Key: "ManagementApi.DELETE /api/applications/{id}"})
	if got := storedKeys(t, st); got["ManagementApi.DELETE /api/applications/{id}"] != 1 {
		t.Errorf("an entry kept after Close was not written: %v", got)
	}
}
