package revocation

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/store/sqlite"
)

func TestList(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	// One entry is there before the list starts.
	if err := st.RevokeAccessToken(ctx, store.RevokedAccessToken{JTI: "old", ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	l, err := New(ctx, st, logger, clock)
	if err != nil {
		t.Fatal(err)
	}
	if !l.Revoked("old") || l.Revoked("other") {
		t.Fatal("the stored entry was not loaded")
	}
	if err := l.Revoke(ctx, "new", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := l.Revoke(ctx, "expired", now.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if !l.Revoked("new") || l.Revoked("expired") || l.Len() != 2 {
		t.Fatalf("after Revoke: new %v, expired %v, len %d", l.Revoked("new"), l.Revoked("expired"), l.Len())
	}
	// Another instance sees the entry once it reloads.
	other, err := New(ctx, st, logger, clock)
	if err != nil {
		t.Fatal(err)
	}
	if !other.Revoked("new") {
		t.Error("another list does not see the revocation")
	}
	// Past its expiry an entry no longer counts, and Run prunes it.
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	if l.Revoked("new") {
		t.Error("an expired entry still counts")
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { l.Run(runCtx, 10*time.Millisecond); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for l.Len() != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if l.Len() != 1 || !l.Revoked("old") {
		t.Errorf("after pruning: %d entries", l.Len())
	}
}
