package storetest

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/monban/monban/internal/store"
)

// replayCases are the conformance tests of store.ReplayStore.
var replayCases = []testCase{
	{"UseOnce", testUseOnce},
	{"UseOnceConcurrent", testUseOnceConcurrent},
}

func testUseOnce(t *testing.T, s store.Store) {
	ctx := t.Context()
	ok(t, s.UseOnce(ctx, "client:a", at(10), at(1)), "first use")
	wantErr(t, s.UseOnce(ctx, "client:a", at(20), at(5)), store.ErrAlreadyUsed, "second use before the record expires")
	wantErr(t, s.UseOnce(ctx, "client:a", at(20), at(10)), store.ErrAlreadyUsed, "second use at the expiry")
	ok(t, s.UseOnce(ctx, "client:b", at(10), at(1)), "another id")
	ok(t, s.UseOnce(ctx, "client:a", at(30), at(11)), "after the record expired, the id is new again")
	wantErr(t, s.UseOnce(ctx, "client:a", at(40), at(20)), store.ErrAlreadyUsed, "the new record holds")

	ok(t, s.PruneExpired(ctx, at(15)), "PruneExpired")
	// b expired at 10 and is gone; a lives until 30.
	ok(t, s.UseOnce(ctx, "client:b", at(40), at(15)), "a pruned id is new")
	wantErr(t, s.UseOnce(ctx, "client:a", at(40), at(15)), store.ErrAlreadyUsed, "pruning keeps live records")
}

// testUseOnceConcurrent has many writers race for one id: exactly one
// wins, the rest are told it is used.
func testUseOnceConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	const writers = 8
	var wins, used atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch err := s.UseOnce(ctx, "race", at(100), at(1)); {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, store.ErrAlreadyUsed):
				used.Add(1)
			default:
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("UseOnce: %v", err)
	}
	if wins.Load() != 1 || used.Load() != writers-1 {
		t.Fatalf("UseOnce raced: %d wins, %d refused; want 1 and %d", wins.Load(), used.Load(), writers-1)
	}
}
