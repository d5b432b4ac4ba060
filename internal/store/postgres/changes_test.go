package postgres

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/testwait"
)

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
	go a.Subscribe(ctx, func(store.Notice) { gotA.Add(1) })
	go b.Subscribe(ctx, func(store.Notice) { gotB.Add(1) })
	// Each subscription calls fn once when it starts listening.
	testwait.Until(t, "both to listen", func() bool { return gotA.Load() == 1 && gotB.Load() == 1 })

	if err := a.Publish(ctx, store.Notice{Kind: store.ChangeCatalog}); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "b to hear a", func() bool { return gotB.Load() == 2 })
	time.Sleep(100 * time.Millisecond)
	if gotA.Load() != 1 {
		t.Errorf("a heard its own notice")
	}

	// Kill b's listening connection, as a database restart would.
	if _, err := b.db.ExecContext(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()"); err != nil {
		t.Fatal(err)
	}
	// Both listeners were killed: each reconnects and catches up once.
	testwait.Until(t, "b to reconnect", func() bool { return gotB.Load() >= 3 })
	testwait.Until(t, "a to reconnect", func() bool { return gotA.Load() >= 2 })
	before := gotB.Load()
	if err := a.Publish(ctx, store.Notice{Kind: store.ChangeCatalog}); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "b to hear a after reconnecting", func() bool { return gotB.Load() > before })
}

// A notice says what changed: a revoked token's id and expiry travel with
// it, and the first call on (re)connecting, a payload of an older version
// and a kind this version does not know all ask for a full reload.
func TestChangeFeedNotices(t *testing.T) {
	needServer(t)
	dbURL := NewTestDatabase(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := Open(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	a, b := NewChangeFeed(s.DB(), quiet), NewChangeFeed(s.DB(), quiet)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var got []store.Notice
	heard := func() []store.Notice { mu.Lock(); defer mu.Unlock(); return append([]store.Notice(nil), got...) }
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.Subscribe(ctx, func(n store.Notice) { mu.Lock(); got = append(got, n); mu.Unlock() })
	}()
	testwait.Until(t, "b to listen", func() bool { return len(heard()) == 1 })
	if n := heard()[0]; n.Kind != store.ChangeAll {
		t.Fatalf("first notice %+v, want ChangeAll", n)
	}
	exp := time.UnixMilli(time.Now().Add(time.Hour).UnixMilli())
	long := strings.Repeat("x", maxJTI+1)
	for _, n := range []store.Notice{
		{Kind: store.ChangeCatalog},
		{Kind: store.ChangeRevocation, JTI: "tok-1", ExpiresAt: exp},
		{Kind: store.ChangeRevocations},
		{Kind: store.ChangeRevocation, JTI: long, ExpiresAt: exp},
	} {
		if err := a.Publish(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	for _, raw := range []string{"an-older-instance-id", `{"i":"other","k":"webhooks"}`, `{"i":"other","k":"revocation"}`} {
		if _, err := s.DB().ExecContext(ctx, "SELECT pg_notify($1, $2)", changeChannel, raw); err != nil {
			t.Fatal(err)
		}
	}
	// b's own notices never come back to it.
	if err := b.Publish(ctx, store.Notice{Kind: store.ChangeCatalog}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().ExecContext(ctx, "SELECT pg_notify($1, $2)", changeChannel, b.instance); err != nil {
		t.Fatal(err)
	}
	if err := a.Publish(ctx, store.Notice{Kind: store.ChangeCatalog}); err != nil {
		t.Fatal(err)
	}
	want := []store.Notice{
		{Kind: store.ChangeAll},
		{Kind: store.ChangeCatalog},
		{Kind: store.ChangeRevocation, JTI: "tok-1", ExpiresAt: exp},
		{Kind: store.ChangeRevocations},
		{Kind: store.ChangeRevocations},
		{Kind: store.ChangeAll},
		{Kind: store.ChangeAll},
		{Kind: store.ChangeRevocations},
		{Kind: store.ChangeCatalog},
	}
	testwait.Until(t, "every notice", func() bool { return len(heard()) >= len(want) })
	cancel()
	<-done
	list := heard()
	if len(list) != len(want) {
		t.Fatalf("heard %d notices, want %d: %+v", len(list), len(want), list)
	}
	for i := range want {
		if list[i].Kind != want[i].Kind || list[i].JTI != want[i].JTI || !list[i].ExpiresAt.Equal(want[i].ExpiresAt) {
			t.Errorf("notice %d: %+v, want %+v", i, list[i], want[i])
		}
	}
}
