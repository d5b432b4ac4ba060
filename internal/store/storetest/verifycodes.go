package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/monban/monban/internal/store"
)

// verificationCodeCases are the conformance tests of
// store.VerificationCodeStore.
var verificationCodeCases = []testCase{
	{"PutGetReplace", testCodePutGetReplace},
	{"Tries", testCodeTries},
	{"ConcurrentConsume", testCodeConcurrentConsume},
	{"ConcurrentTries", testCodeConcurrentTries},
	{"Sends", testCodeSends},
	{"Pruned", testCodesPruned},
}

func vcode(id, key string, i int) store.VerificationCode {
	return store.VerificationCode{ID: id, Key: key, Salt: []byte{0, 1, 2, 0xff, byte(i)}, Hash: []byte("hash\x00of " + id),
		CreatedAt: at(i), ExpiresAt: at(i + 10)}
}

// testCodePutGetReplace: a code is read back byte for byte, and a second
// code for the same key replaces the first.
func testCodePutGetReplace(t *testing.T, s store.Store) {
	ctx := context.Background()
	_, err := s.GetVerificationCode(ctx, "k1")
	wantErr(t, err, store.ErrNotFound, "GetVerificationCode of nothing")
	c1 := vcode("c1", "k1", 0)
	must(t, s.PutVerificationCode(ctx, c1))
	got, err := s.GetVerificationCode(ctx, "k1")
	ok(t, err, "GetVerificationCode")
	same(t, "stored code", got, c1)

	c2 := vcode("c2", "k1", 1)
	must(t, s.PutVerificationCode(ctx, c2))
	got, err = s.GetVerificationCode(ctx, "k1")
	ok(t, err, "GetVerificationCode after a replacement")
	same(t, "replacing code", got, c2)
	wantErr(t, s.ConsumeVerificationCode(ctx, "c1"), store.ErrNotFound, "consuming the replaced code")

	must(t, s.PutVerificationCode(ctx, vcode("c3", "k2", 2)))
	ok(t, s.ConsumeVerificationCode(ctx, "c2"), "ConsumeVerificationCode")
	_, err = s.GetVerificationCode(ctx, "k1")
	wantErr(t, err, store.ErrNotFound, "GetVerificationCode of a consumed code")
	if _, err := s.GetVerificationCode(ctx, "k2"); err != nil {
		t.Errorf("the other key's code went too: %v", err)
	}
}

// testCodeTries: tries count up to the maximum and no further.
func testCodeTries(t *testing.T, s store.Store) {
	ctx := context.Background()
	must(t, s.PutVerificationCode(ctx, vcode("c1", "k1", 0)))
	for want := 1; want <= 3; want++ {
		n, err := s.CountVerificationTry(ctx, "c1", 3)
		ok(t, err, "CountVerificationTry")
		if n != want {
			t.Errorf("try %d counted as %d", want, n)
		}
	}
	if n, err := s.CountVerificationTry(ctx, "c1", 3); err != nil || n != 3 {
		t.Errorf("a try past the maximum = %d, %v; want 3, nil", n, err)
	}
	got, err := s.GetVerificationCode(ctx, "k1")
	ok(t, err, "GetVerificationCode")
	if got.Tries != 3 {
		t.Errorf("stored tries = %d, want 3", got.Tries)
	}
	_, err = s.CountVerificationTry(ctx, "gone", 3)
	wantErr(t, err, store.ErrNotFound, "CountVerificationTry of no code")
}

// testCodeConcurrentConsume: of parallel consumers exactly one succeeds.
func testCodeConcurrentConsume(t *testing.T, s store.Store) {
	ctx := context.Background()
	must(t, s.PutVerificationCode(ctx, vcode("c1", "k1", 0)))
	const n = 8
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		won     int
		unknown []error
	)
	for range n {
		wg.Go(func() {
			err := s.ConsumeVerificationCode(ctx, "c1")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case !errors.Is(err, store.ErrNotFound):
				unknown = append(unknown, err)
			}
		})
	}
	wg.Wait()
	if won != 1 || len(unknown) > 0 {
		t.Errorf("%d of %d consumers succeeded (errors %v); want exactly 1", won, n, unknown)
	}
}

// testCodeConcurrentTries: parallel tries never count past the maximum,
// and each count is handed out once.
func testCodeConcurrentTries(t *testing.T, s store.Store) {
	ctx := context.Background()
	must(t, s.PutVerificationCode(ctx, vcode("c1", "k1", 0)))
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		seen = map[int]int{}
		errs []error
	)
	for range 10 {
		wg.Go(func() {
			n, err := s.CountVerificationTry(ctx, "c1", 5)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
			seen[n]++
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("CountVerificationTry: %v", errs)
	}
	for i := 1; i < 5; i++ {
		if seen[i] != 1 {
			t.Errorf("count %d handed out %d times, want once (all: %v)", i, seen[i], seen)
		}
	}
	if seen[5] != 6 {
		t.Errorf("count 5 (the maximum) answered %d times, want 6 (all: %v)", seen[5], seen)
	}
}

// testCodeSends: sends are counted per target and per client address from
// a time, oldest first; a deleted one no longer counts.
func testCodeSends(t *testing.T, s store.Store) {
	ctx := context.Background()
	send := func(id, target, ip string, i int) store.CodeSend {
		return store.CodeSend{ID: id, Target: target, ClientIP: ip, CreatedAt: at(i), ExpiresAt: at(i + 60)}
	}
	for _, c := range []store.CodeSend{
		send("s1", "t1", "ip1", 0), send("s2", "t1", "ip2", 1), send("s3", "t2", "ip1", 2),
		send("s4", "t1", "ip1", 3), send("s5", "t1", "", 4),
	} {
		must(t, s.RecordCodeSend(ctx, c))
	}
	got, err := s.CodeSends(ctx, "t1", "ip1", at(1))
	ok(t, err, "CodeSends")
	same(t, "sends since 1", got, store.CodeSendTimes{Target: []time.Time{at(1), at(3), at(4)}, Client: []time.Time{at(2), at(3)}})
	got, err = s.CodeSends(ctx, "t1", "", at(0))
	ok(t, err, "CodeSends without a client")
	same(t, "sends without a client", got, store.CodeSendTimes{Target: []time.Time{at(0), at(1), at(3), at(4)}})
	ok(t, s.DeleteCodeSend(ctx, "s4"), "DeleteCodeSend")
	wantErr(t, s.DeleteCodeSend(ctx, "s4"), store.ErrNotFound, "DeleteCodeSend twice")
	got, err = s.CodeSends(ctx, "t1", "ip1", at(1))
	ok(t, err, "CodeSends after a deletion")
	same(t, "sends after a deletion", got, store.CodeSendTimes{Target: []time.Time{at(1), at(4)}, Client: []time.Time{at(2)}})
}

// testCodesPruned: the prune of expired rows takes expired codes and send
// records with it.
func testCodesPruned(t *testing.T, s store.Store) {
	ctx := context.Background()
	must(t, s.PutVerificationCode(ctx, vcode("old", "k1", 0)))  // expires at(10)
	must(t, s.PutVerificationCode(ctx, vcode("new", "k2", 20))) // expires at(30)
	for i, id := range []string{"s1", "s2"} {
		must(t, s.RecordCodeSend(ctx, store.CodeSend{ID: id, Target: "t", CreatedAt: at(i * 20), ExpiresAt: at(i*20 + 10)}))
	}
	ok(t, s.PruneExpired(ctx, at(15)), "PruneExpired")
	if _, err := s.GetVerificationCode(ctx, "k1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an expired code survived the prune: %v", err)
	}
	if _, err := s.GetVerificationCode(ctx, "k2"); err != nil {
		t.Errorf("a live code was pruned: %v", err)
	}
	got, err := s.CodeSends(ctx, "t", "", at(0))
	ok(t, err, "CodeSends")
	same(t, "sends after the prune", got.Target, []time.Time{at(20)})
}
