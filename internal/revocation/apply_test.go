package revocation

import (
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/monban/monban/internal/events"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/store/sqlite"
	"github.com/monban/monban/internal/store/storetest"
)

// A list following the outbox sees another instance's revocations: a
// token at once, a grant's or a suspended user's tokens by reading the
// list again.
func TestApplyFollowsTheOutbox(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	storetest.Unlock(t, st, storetest.NewKey(t))
	now := time.Now()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	l, err := New(ctx, st, logger, nil)
	if err != nil {
		t.Fatal(err)
	}
	f, err := events.New(ctx, st, logger, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Subscribe("revocations", l.Apply)
	sync := func() {
		t.Helper()
		if err := f.Sync(ctx); err != nil {
			t.Fatal(err)
		}
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
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
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
