package password

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
)

var fast = Params{Time: 1, Memory: 64, Threads: 1}

// The real costs, once: the PHC string names them and a hash verifies.
func TestDefaultParams(t *testing.T) {
	h := NewHasher(Params{}, 1)
	start := time.Now()
	enc, err := h.Hash(t.Context(), "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("one argon2id hash with the default costs took %v", time.Since(start))
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q does not carry the default costs", enc)
	}
	ok, err := h.Verify(t.Context(), enc, "correct horse battery staple")
	if err != nil || !ok {
		t.Fatalf("Verify = %v, %v", ok, err)
	}
}

func TestHashVerify(t *testing.T) {
	h := NewHasher(fast, 2)
	ctx := t.Context()
	a, errA := h.Hash(ctx, "pw")
	b, errB := h.Hash(ctx, "pw")
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	if a == b {
		t.Error("two hashes of one password are equal: no salt")
	}
	for _, tc := range []struct {
		enc, pw string
		want    bool
	}{
		{a, "pw", true}, {b, "pw", true}, {a, "pW", false}, {a, "", false}, {"", "", false}, {"", "pw", false},
	} {
		got, err := h.Verify(ctx, tc.enc, tc.pw)
		if err != nil || got != tc.want {
			t.Errorf("Verify(%q, %q) = %v, %v; want %v", tc.enc, tc.pw, got, err, tc.want)
		}
	}
	// A hash made with other costs (say, imported) still verifies.
	other := NewHasher(Params{Time: 3, Memory: 128, Threads: 2}, 1)
	c, err := other.Hash(ctx, "pw")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := h.Verify(ctx, c, "pw"); !ok || err != nil {
		t.Errorf("hash with other costs: %v %v", ok, err)
	}
}

func TestParseRejects(t *testing.T) {
	salt, key := "c2FsdHNhbHRzYWx0", "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5"
	for _, enc := range []string{
		"plain",
		"$argon2x$v=19$m=64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1$" + salt + "$" + key + "$x",
		"$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=4194304,t=1,p=1$" + salt + "$" + key, // 4 GiB
		"$argon2id$v=19$m=64,t=100,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=1,x=2$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=1$!!$" + key,
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$c2hvcnQ",
	} {
		if _, _, _, err := Parse(enc); err == nil {
			t.Errorf("Parse(%q) accepted", enc)
		}
		if ok, err := NewHasher(fast, 1).Verify(t.Context(), enc, "x"); ok || err == nil {
			t.Errorf("Verify(%q) = %v, %v", enc, ok, err)
		}
	}
}

// No more than the configured number of hashes run at once, and a caller
// whose context ends while waiting gets ErrBusy.
func TestConcurrencyBound(t *testing.T) {
	h := NewHasher(Params{Time: 1, Memory: 4 * 1024, Threads: 1}, 2)
	var running, peak atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			// Measure occupancy through the semaphore itself.
			if err := h.acquire(context.Background()); err != nil {
				t.Error(err)
				return
			}
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			argon2.IDKey([]byte("x"), []byte("saltsalt"), 1, 4*1024, 1, 32)
			running.Add(-1)
			h.release()
		})
	}
	wg.Wait()
	if peak.Load() > 2 {
		t.Errorf("%d hashes ran at once, want at most 2", peak.Load())
	}
	h.sem <- struct{}{}
	h.sem <- struct{}{}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if _, err := h.Hash(ctx, "x"); err != ErrBusy {
		t.Errorf("Hash with no free slot = %v, want ErrBusy", err)
	}
}
