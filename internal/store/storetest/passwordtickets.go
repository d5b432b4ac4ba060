package storetest

import (
	"errors"
	"sync"
	"testing"

	"github.com/monban/monban/internal/store"
)

// passwordTicketCases are the conformance cases of
// store.PasswordTicketStore.
var passwordTicketCases = []testCase{
	{"RoundTrip", testPasswordTicketRoundTrip},
	{"SingleUse", testPasswordTicketSingleUse},
	{"PruneAndCascade", testPasswordTicketPrune},
}

func ticket(id, userID string) store.PasswordTicket {
	return store.PasswordTicket{ID: id, Hash: "h-" + id, UserID: userID, ClientID: "web", ResultURL: "https://app.example/done",
		MarkEmailVerified: true, IncludeEmail: true, CreatedAt: at(1), ExpiresAt: at(61)}
}

// testPasswordTicketRoundTrip: a ticket reads back by its hash as written;
// ids and hashes are unique; a ticket names an existing user.
func testPasswordTicketRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	ok(t, s.CreateUser(ctx, user("u1", 1)), "CreateUser")
	pt := ticket("t1", "u1")
	ok(t, s.CreatePasswordTicket(ctx, pt), "CreatePasswordTicket")
	got, err := s.GetPasswordTicket(ctx, "h-t1")
	ok(t, err, "GetPasswordTicket")
	same(t, "ticket", got, pt)
	plain := store.PasswordTicket{ID: "t2", Hash: "h-t2", UserID: "u1", CreatedAt: at(2), ExpiresAt: at(3)}
	ok(t, s.CreatePasswordTicket(ctx, plain), "CreatePasswordTicket without options")
	got, err = s.GetPasswordTicket(ctx, "h-t2")
	ok(t, err, "GetPasswordTicket")
	same(t, "ticket without options", got, plain)

	_, err = s.GetPasswordTicket(ctx, "h-none")
	wantErr(t, err, store.ErrNotFound, "GetPasswordTicket unknown")
	dupID := ticket("t1", "u1")
	dupID.Hash = "other"
	wantErr(t, s.CreatePasswordTicket(ctx, dupID), store.ErrConflict, "CreatePasswordTicket with an id in use")
	dupHash := ticket("t3", "u1")
	dupHash.Hash = "h-t1"
	wantErr(t, s.CreatePasswordTicket(ctx, dupHash), store.ErrConflict, "CreatePasswordTicket with a hash in use")
	wantErr(t, s.CreatePasswordTicket(ctx, ticket("t4", "nobody")), store.ErrNotFound, "CreatePasswordTicket for an unknown user")
}

// testPasswordTicketSingleUse: a ticket is used once; of two concurrent
// uses exactly one succeeds.
func testPasswordTicketSingleUse(t *testing.T, s store.Store) {
	ctx := t.Context()
	ok(t, s.CreateUser(ctx, user("u1", 1)), "CreateUser")
	ok(t, s.CreatePasswordTicket(ctx, ticket("t1", "u1")), "CreatePasswordTicket")
	ok(t, s.UsePasswordTicket(ctx, "t1", at(5)), "UsePasswordTicket")
	got, err := s.GetPasswordTicket(ctx, "h-t1")
	ok(t, err, "GetPasswordTicket")
	if !got.UsedAt.Equal(at(5)) {
		t.Fatalf("UsedAt = %v, want %v", got.UsedAt, at(5))
	}
	wantErr(t, s.UsePasswordTicket(ctx, "t1", at(6)), store.ErrAlreadyUsed, "UsePasswordTicket again")
	wantErr(t, s.UsePasswordTicket(ctx, "nope", at(6)), store.ErrNotFound, "UsePasswordTicket unknown")

	ok(t, s.CreatePasswordTicket(ctx, ticket("t2", "u1")), "CreatePasswordTicket")
	var (
		wg   sync.WaitGroup
		errs [4]error
	)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.UsePasswordTicket(ctx, "t2", at(7))
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, store.ErrAlreadyUsed):
			t.Fatalf("concurrent UsePasswordTicket: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d concurrent uses succeeded, want 1 (%v)", wins, errs)
	}
}

// testPasswordTicketPrune: expired tickets are pruned; a deleted user's
// tickets go with them.
func testPasswordTicketPrune(t *testing.T, s store.Store) {
	ctx := t.Context()
	ok(t, s.CreateUser(ctx, user("u1", 1)), "CreateUser")
	ok(t, s.CreateUser(ctx, user("u2", 2)), "CreateUser")
	old := ticket("t1", "u1")
	old.ExpiresAt = at(10)
	ok(t, s.CreatePasswordTicket(ctx, old), "CreatePasswordTicket")
	ok(t, s.CreatePasswordTicket(ctx, ticket("t2", "u1")), "CreatePasswordTicket")
	ok(t, s.CreatePasswordTicket(ctx, ticket("t3", "u2")), "CreatePasswordTicket")
	ok(t, s.PrunePasswordTickets(ctx, at(11)), "PrunePasswordTickets")
	_, err := s.GetPasswordTicket(ctx, "h-t1")
	wantErr(t, err, store.ErrNotFound, "an expired ticket after pruning")
	_, err = s.GetPasswordTicket(ctx, "h-t2")
	ok(t, err, "an unexpired ticket after pruning")
	ok(t, s.DeleteUser(ctx, "u1", at(12)), "DeleteUser")
	_, err = s.GetPasswordTicket(ctx, "h-t2")
	wantErr(t, err, store.ErrNotFound, "a deleted user's ticket")
	_, err = s.GetPasswordTicket(ctx, "h-t3")
	ok(t, err, "another user's ticket")
}
