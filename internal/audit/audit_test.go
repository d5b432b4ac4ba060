package audit

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/store/sqlite"
)

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "audit.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestWriterFlushesInBatchesAndOnClose(t *testing.T) {
	st := openStore(t)
	w := NewWriter(st, quiet, Options{BatchSize: 10, FlushInterval: time.Hour})
	for range 25 {
		w.Log(store.LogEntry{Key: "ExchangeTokenBy.ClientCredentials", Result: store.ResultSuccess, ApplicationID: "app"})
	}
	// Two full batches are written without waiting for the interval.
	deadline := time.Now().Add(5 * time.Second)
	for w.Written() < 20 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if w.Written() != 20 {
		t.Fatalf("written %d before Close, want 20", w.Written())
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	list, total, err := st.ListLogs(context.Background(), store.LogFilter{ApplicationID: "app"}, store.Page{})
	if err != nil || total != 25 || list[0].ID == "" || list[0].CreatedAt.IsZero() {
		t.Fatalf("stored %d, %v (%+v)", total, err, list[:1])
	}
	if w.Dropped() != 0 || w.Failed() != 0 {
		t.Errorf("dropped %d failed %d", w.Dropped(), w.Failed())
	}
}

func TestWriterFlushesOnInterval(t *testing.T) {
	st := openStore(t)
	w := NewWriter(st, quiet, Options{FlushInterval: 20 * time.Millisecond})
	defer w.Close(context.Background())
	w.Log(store.LogEntry{Key: "k", Result: store.ResultError})
	deadline := time.Now().Add(5 * time.Second)
	for w.Written() < 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if w.Written() != 1 {
		t.Fatal("the entry was not flushed on the interval")
	}
}

// blockedStore never finishes a write, so the buffer fills.
type blockedStore struct {
	store.AuditStore
	release chan struct{}
}

func (b blockedStore) InsertLogs(ctx context.Context, _ []store.LogEntry) error {
	select {
	case <-b.release:
	case <-ctx.Done():
	}
	return nil
}

func TestFullBufferDropsWithoutBlocking(t *testing.T) {
	b := blockedStore{release: make(chan struct{})}
	w := NewWriter(b, quiet, Options{Buffer: 5, BatchSize: 1, FlushInterval: time.Hour})
	start := time.Now()
	for range 100 {
		w.Log(store.LogEntry{Key: "k"})
	}
	if time.Since(start) > time.Second {
		t.Fatal("Log blocked")
	}
	if w.Dropped() < 90 {
		t.Errorf("dropped %d of 100 with a buffer of 5", w.Dropped())
	}
	close(b.release)
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestPruneKeepsRecentEntries(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	now := time.Now()
	if err := st.InsertLogs(ctx, []store.LogEntry{
		{ID: "old", Key: "k", Result: store.ResultSuccess, CreatedAt: now.Add(-48 * time.Hour)},
		{ID: "new", Key: "k", Result: store.ResultSuccess, CreatedAt: now},
	}); err != nil {
		t.Fatal(err)
	}
	w := NewWriter(st, quiet, Options{Retention: 24 * time.Hour})
	defer w.Close(ctx)
	w.Prune()
	list, _, _ := st.ListLogs(ctx, store.LogFilter{}, store.Page{})
	if len(list) != 1 || list[0].ID != "new" {
		t.Errorf("after prune: %+v", list)
	}
}

// A retention of zero keeps nothing past a prune; Forever keeps everything.
func TestPruneRetentionZeroAndForever(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		retention time.Duration
		keep      int
	}{{0, 0}, {Forever, 2}} {
		st := openStore(t)
		now := time.Now()
		if err := st.InsertLogs(ctx, []store.LogEntry{
			{ID: "old", Key: "k", Result: store.ResultSuccess, CreatedAt: now.Add(-100 * 365 * 24 * time.Hour)},
			{ID: "new", Key: "k", Result: store.ResultSuccess, CreatedAt: now.Add(-time.Millisecond)},
		}); err != nil {
			t.Fatal(err)
		}
		w := NewWriter(st, quiet, Options{Retention: c.retention})
		w.Prune()
		_ = w.Close(ctx)
		list, _, err := st.ListLogs(ctx, store.LogFilter{}, store.Page{})
		if err != nil || len(list) != c.keep {
			t.Errorf("retention %v: %d entries left (%v), want %d", c.retention, len(list), err, c.keep)
		}
	}
}

// Alike successful events within one flush become one entry with a count;
// others stay apart.
func TestMergeableEvents(t *testing.T) {
	st := openStore(t)
	w := NewWriter(st, quiet, Options{FlushInterval: time.Hour})
	start := time.Now()
	for i := range 50 {
		e := store.LogEntry{Key: "ExchangeTokenBy.ClientCredentials", Result: store.ResultSuccess, ApplicationID: "app", CreatedAt: start.Add(time.Duration(i) * time.Millisecond)}
		w.LogMergeable("app|shop", e, func() map[string]any { return map[string]any{"resource": "https://shop"} })
	}
	w.LogMergeable("other|shop", store.LogEntry{Key: "ExchangeTokenBy.ClientCredentials", Result: store.ResultSuccess, ApplicationID: "other"}, func() map[string]any { return map[string]any{"resource": "https://shop"} })
	w.Log(store.LogEntry{Key: "ExchangeTokenBy.ClientCredentials", Result: store.ResultError, ApplicationID: "app"})
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	list, total, err := st.ListLogs(context.Background(), store.LogFilter{ApplicationID: "app"}, store.Page{})
	if err != nil || total != 2 {
		t.Fatalf("entries for app: %d, %v", total, err)
	}
	var merged map[string]any
	for _, e := range list {
		if e.Result == store.ResultSuccess {
			_ = json.Unmarshal(e.Payload, &merged)
			if !e.CreatedAt.Equal(start.Truncate(time.Millisecond)) {
				t.Errorf("merged entry time %v, want the first event's", e.CreatedAt)
			}
		}
	}
	if merged["count"] != float64(50) || merged["resource"] != "https://shop" || merged["lastAt"] != float64(start.Add(49*time.Millisecond).UnixMilli()) {
		t.Errorf("merged payload = %v", merged)
	}
	if w.Merged() != 49 || w.Written() != 3 {
		t.Errorf("merged %d written %d", w.Merged(), w.Written())
	}
}

func TestIDsSortByTime(t *testing.T) {
	a, b := NewID(time.UnixMilli(1_700_000_000_000)), NewID(time.UnixMilli(1_700_000_000_001))
	if len(a) != 21 || !(a < b) {
		t.Errorf("%q !< %q", a, b)
	}
}
