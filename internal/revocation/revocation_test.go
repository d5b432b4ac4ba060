package revocation

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/store/sqlite"
	"github.com/monban/monban/internal/store/storetest"
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
	// Past its expiry an entry no longer counts, and Run's reload drops it.
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

// feedLog records the notices a list publishes.
type feedLog struct {
	mu   sync.Mutex
	sent []store.Notice
	err  error
}

func (f *feedLog) Publish(_ context.Context, n store.Notice) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, n)
	return f.err
}

func (f *feedLog) Subscribe(ctx context.Context, _ func(store.Notice)) { <-ctx.Done() }

func (f *feedLog) notices() []store.Notice {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]store.Notice(nil), f.sent...)
}

// Every change made through a list is told to the other instances: one
// revoked token with its id and expiry, a grant or user revocation as
// "the list changed". Reloads and entries heard from others are not told
// again, and a feed that fails does not undo the revocation.
func TestListPublishes(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := New(ctx, st, logger, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(ctx, st, logger, nil)
	if err != nil {
		t.Fatal(err)
	}
	feed := &feedLog{}
	a.Share(feed)
	exp := time.Now().Add(time.Hour)
	if err := a.Revoke(ctx, "t1", exp); err != nil {
		t.Fatal(err)
	}
	if err := a.Revoke(ctx, "gone", time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := a.Changed(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	a.Add("t2", exp)
	sent := feed.notices()
	if len(sent) != 2 || sent[0] != (store.Notice{Kind: store.ChangeRevocation, JTI: "t1", ExpiresAt: exp}) ||
		sent[1] != (store.Notice{Kind: store.ChangeRevocations}) {
		t.Fatalf("published %+v", sent)
	}
	// What a hears from the feed, b applies without reading the store.
	if b.Revoked("t1") {
		t.Fatal("b saw the revocation before hearing of it")
	}
	b.Add(sent[0].JTI, sent[0].ExpiresAt)
	b.Add("expired", time.Now().Add(-time.Second))
	b.Add("", exp)
	if !b.Revoked("t1") || b.Len() != 1 {
		t.Fatalf("b after the notice: t1 %v, %d entries", b.Revoked("t1"), b.Len())
	}
	// A failed publish is logged; the token stays revoked here and in the
	// store.
	feed.err = errors.New("feed down")
	if err := a.Revoke(ctx, "t3", exp); err != nil {
		t.Fatalf("revoke with the feed down: %v", err)
	}
	if err := b.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if !a.Revoked("t3") || !b.Revoked("t3") {
		t.Error("a revocation whose notice failed was lost")
	}
}

// PruneExpired deletes expired entries from the store on its own timer.
func TestPruneExpired(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	for jti, exp := range map[string]time.Time{"old": now.Add(-time.Minute), "live": now.Add(time.Hour)} {
		if err := st.RevokeAccessToken(ctx, store.RevokedAccessToken{JTI: jti, ExpiresAt: exp}); err != nil {
			t.Fatal(err)
		}
	}
	stored := func() int {
		list, err := st.ListRevokedAccessTokens(ctx, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
	if stored() != 2 {
		t.Fatal("setup")
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		PruneExpired(runCtx, st, 10*time.Millisecond, func() time.Time { return now }, slog.New(slog.NewTextHandler(io.Discard, nil)))
		close(done)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for stored() != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if n := stored(); n != 1 {
		t.Errorf("%d entries stored after pruning, want 1", n)
	}
}

// A list following the outbox sees another instance's revocations: a
// token at once, a grant's or a suspended user's tokens by reading the
// list again.
func TestApplyFollowsTheOutbox(t *testing.T) {
	ctx, now := t.Context(), time.Now()
	path := filepath.Join(t.TempDir(), "m.db")
	st, err := sqlite.Open(ctx, path)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(err)
	t.Cleanup(func() { st.Close() })
	storetest.Unlock(t, st, storetest.NewKey(t))
	l, err := New(ctx, st, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	must(err)
	// sync hands the list what the outbox holds after cursor, as a
	// follower of it would.
	var cursor int64
	sync := func() {
		t.Helper()
		evs, err := st.ReadEvents(ctx, cursor, 0)
		must(err)
		if len(evs) > 0 {
			cursor = evs[len(evs)-1].Seq
		}
		must(l.Apply(ctx, evs))
	}

	// Another instance revokes a token: the store has it, this list not yet.
	if err := st.RevokeAccessToken(ctx, store.RevokedAccessToken{JTI: "t1", ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	sync()
	if !l.Revoked("t1") {
		t.Error("a token revoked elsewhere is not on the list")
	}

	// A suspended user's tokens are revoked with the user.
	must(st.CreateApplication(ctx, store.Application{ID: "app", Name: "app", Type: store.AppSPA, CreatedAt: now}))
	must(st.CreateUser(ctx, store.User{ID: "u", Username: "u", CreatedAt: now, UpdatedAt: now}))
	must(st.CreateGrant(ctx, store.Grant{ID: "g", UserID: "u", ClientID: "app", AuthTime: now, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}, nil))
	must(st.IssueFromGrant(ctx, "g", store.Issue{AccessTokens: []store.IssuedAccessToken{{JTI: "t2", ExpiresAt: now.Add(time.Hour)}}}))
	must(st.SetUserSuspended(ctx, "u", true, now))
	sync()
	if !l.Revoked("t2") {
		t.Error("a suspended user's token is not on the list")
	}

	// An event whose payload cannot be read makes the list read again.
	if err := l.Apply(ctx, []store.Event{{Kind: store.EventAccessTokenRevoked, Entity: "t3", Payload: []byte("{")}}); err != nil {
		t.Fatal(err)
	}
	if l.Revoked("t3") {
		t.Error("an entry the store does not have joined the list")
	}
	// Events of no concern to the list change nothing.
	if err := l.Apply(ctx, []store.Event{{Kind: store.EventRoleCreated, Entity: "r"}}); err != nil || l.Len() != 2 {
		t.Errorf("after an unrelated event: %d entries, %v", l.Len(), err)
	}
}
