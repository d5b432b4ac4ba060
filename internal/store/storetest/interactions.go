package storetest

import (
	"sync"
	"testing"

	"github.com/monban/monban/internal/store"
)

// testInteractions checks store.Interactions: the round trip, the version
// condition of updates (two writers from one version: one wins), deletion
// and pruning.
// interactionCases are the conformance cases of store.Interactions.
var interactionCases = []testCase{{"Interactions", testInteractions}}

func testInteractions(t *testing.T, s store.Store) {
	ctx := t.Context()
	in := store.Interaction{ID: "i1", ClientID: "spa", Issuer: "https://id.test/", Request: "client_id=spa&scope=openid+email", Step: "identify",
		Binding: "b1", CreatedAt: at(1), ExpiresAt: at(61)}
	ok(t, s.CreateInteraction(ctx, in), "CreateInteraction")
	wantErr(t, s.CreateInteraction(ctx, in), store.ErrConflict, "CreateInteraction with an id in use")
	got, err := s.GetInteraction(ctx, "i1")
	ok(t, err, "GetInteraction")
	same(t, "interaction", got, in)
	_, err = s.GetInteraction(ctx, "nope")
	wantErr(t, err, store.ErrNotFound, "GetInteraction unknown")

	// An update from the current version writes the progress and moves
	// the version on; the request, binding and times stay.
	next := got
	next.Step, next.Identifier, next.AccountID, next.Attempts = "password", "jane", "u1", 2
	next.Event, next.IdentifierType = "Register", "email"
	next.Records = []store.Verification{{ID: "v1", Type: "EmailVerificationCode", TemplateType: "Register",
		IdentifierType: "email", IdentifierValue: "jane@example.com", Verified: true}}
	next.Request, next.Binding, next.Issuer = "changed", "changed", "changed"
	ok(t, s.UpdateInteraction(ctx, next, 0), "UpdateInteraction")
	got, err = s.GetInteraction(ctx, "i1")
	ok(t, err, "GetInteraction after update")
	want := in
	want.Step, want.Identifier, want.AccountID, want.Attempts, want.Version = "password", "jane", "u1", 2, 1
	want.Event, want.IdentifierType, want.Records = next.Event, next.IdentifierType, next.Records
	same(t, "updated interaction", got, want)
	// From a version that moved on: ErrConflict, nothing written.
	stale := next
	stale.Step = "done"
	wantErr(t, s.UpdateInteraction(ctx, stale, 0), store.ErrConflict, "UpdateInteraction from a stale version")
	got, err = s.GetInteraction(ctx, "i1")
	ok(t, err, "GetInteraction after a stale update")
	same(t, "interaction after a stale update", got, want)
	wantErr(t, s.UpdateInteraction(ctx, store.Interaction{ID: "nope"}, 0), store.ErrNotFound, "UpdateInteraction unknown")

	// Two writers from one version: exactly one advances it.
	var (
		wg   sync.WaitGroup
		errs [2]error
	)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.UpdateInteraction(ctx, stale, 1)
		}()
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("two updates from one version: %v, %v; want exactly one to succeed", errs[0], errs[1])
	}
	for _, err := range errs {
		if err != nil {
			wantErr(t, err, store.ErrConflict, "the losing update")
		}
	}
	got, err = s.GetInteraction(ctx, "i1")
	ok(t, err, "GetInteraction after the race")
	same(t, "version after the race", got.Version, 2)

	ok(t, s.DeleteInteraction(ctx, "i1"), "DeleteInteraction")
	_, err = s.GetInteraction(ctx, "i1")
	wantErr(t, err, store.ErrNotFound, "GetInteraction after delete")
	wantErr(t, s.DeleteInteraction(ctx, "i1"), store.ErrNotFound, "DeleteInteraction twice")

	// Pruning removes the expired ones only; PruneExpired does too.
	for i, id := range []string{"old", "new", "older"} {
		ok(t, s.CreateInteraction(ctx, store.Interaction{ID: id, ClientID: "spa", Request: "", Step: "identify",
			Binding: "b", CreatedAt: at(1), ExpiresAt: at([]int{5, 500, 4}[i])}), "CreateInteraction "+id)
	}
	ok(t, s.PruneInteractions(ctx, at(20)), "PruneInteractions")
	_, err = s.GetInteraction(ctx, "old")
	wantErr(t, err, store.ErrNotFound, "expired interaction")
	_, err = s.GetInteraction(ctx, "new")
	ok(t, err, "live interaction")
	ok(t, s.CreateInteraction(ctx, store.Interaction{ID: "old", ClientID: "spa", Step: "identify", Binding: "b",
		CreatedAt: at(1), ExpiresAt: at(5)}), "CreateInteraction old again")
	ok(t, s.PruneExpired(ctx, at(20)), "PruneExpired")
	_, err = s.GetInteraction(ctx, "old")
	wantErr(t, err, store.ErrNotFound, "expired interaction after PruneExpired")
	_, err = s.GetInteraction(ctx, "new")
	ok(t, err, "live interaction after PruneExpired")
}
