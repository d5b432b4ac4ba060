package postgres

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"
)

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Notices reach the other instance, not the publisher, and the feed comes
// back by itself after its connection is killed.
func TestChangeFeed(t *testing.T) {
	needServer(t)
	dbURL := NewTestDatabase(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	open := func() *ChangeFeed {
		s, err := Open(t.Context(), dbURL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		f := NewChangeFeed(s.DB(), quiet)
		f.minBackoff = 10 * time.Millisecond
		return f
	}
	a, b := open(), open()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var gotA, gotB atomic.Int32
	go a.Subscribe(ctx, func() { gotA.Add(1) })
	go b.Subscribe(ctx, func() { gotB.Add(1) })
	// Each subscription calls fn once when it starts listening.
	waitFor(t, "both to listen", func() bool { return gotA.Load() == 1 && gotB.Load() == 1 })

	if err := a.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "b to hear a", func() bool { return gotB.Load() == 2 })
	time.Sleep(100 * time.Millisecond)
	if gotA.Load() != 1 {
		t.Errorf("a heard its own notice")
	}

	// Kill b's listening connection, as a database restart would.
	if _, err := b.db.ExecContext(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()"); err != nil {
		t.Fatal(err)
	}
	// Both listeners were killed: each reconnects and catches up once.
	waitFor(t, "b to reconnect", func() bool { return gotB.Load() >= 3 })
	waitFor(t, "a to reconnect", func() bool { return gotA.Load() >= 2 })
	before := gotB.Load()
	if err := a.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "b to hear a after reconnecting", func() bool { return gotB.Load() > before })
}
