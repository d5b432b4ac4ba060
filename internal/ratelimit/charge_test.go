package ratelimit

import (
	"context"
	"testing"
	"time"
)

// guess plays a client guessing secrets: each attempt takes one token and,
// when let through (and answered 401), is charged cost-1 more. It returns
// how many attempts were let through before the first refusal and in all;
// between attempts, advance moves the clock (a no-op for Redis).
func guess(lim Limiter, rule Rule, key string, cost, attempts int, advance func()) (beforeRefusal, through int) {
	refused := false
	for range attempts {
		if lim.Take(context.Background(), rule, key, 1).Allowed {
			through++
			if !refused {
				beforeRefusal++
			}
			lim.Charge(context.Background(), rule, key, cost-1)
		} else {
			refused = true
		}
		advance()
	}
	return beforeRefusal, through
}

func TestLocalChargeIntoDebt(t *testing.T) {
	l, clock := newTestLocal()
	rule := Rule{Name: "token", Rate: 1, Burst: 10}

	take(t, l, rule, "k", 1, true, 9)
	l.Charge(context.Background(), rule, "k", 9)
	take(t, l, rule, "k", 1, false, 0)
	// Five tokens short: the charge is taken all the same.
	l.Charge(context.Background(), rule, "k", 5)
	d := take(t, l, rule, "k", 1, false, 0)
	if d.RetryAfter != 6*time.Second {
		t.Fatalf("RetryAfter = %v, want 6s (five tokens of debt and one to take at 1/s)", d.RetryAfter)
	}
	clock.advance(5 * time.Second)
	if d := take(t, l, rule, "k", 1, false, 0); d.RetryAfter != time.Second {
		t.Fatalf("RetryAfter = %v after 5s, want 1s", d.RetryAfter)
	}
	clock.advance(time.Second)
	take(t, l, rule, "k", 1, true, 0)

	// Charging an absent key starts a full bucket and takes from it.
	l.Charge(context.Background(), rule, "fresh", 4)
	take(t, l, rule, "fresh", 1, true, 5)

	// The debt stops at Burst buckets (a bucket of charges of cost Burst).
	for range 50 {
		l.Charge(context.Background(), rule, "deep", 1000)
	}
	if d := take(t, l, rule, "deep", 1, false, 0); d.RetryAfter != 101*time.Second {
		t.Fatalf("RetryAfter = %v, want 101s (100 tokens of debt and one to take)", d.RetryAfter)
	}

	// A rule that limits nothing charges nothing and keeps no bucket.
	before := l.Len()
	l.Charge(context.Background(), Rule{Name: "off"}, "k", 5)
	if l.Len() != before {
		t.Fatal("an unlimited rule kept a bucket")
	}
	// Charges are not refusals.
	if got := l.Rejections()["token"]; got != 4 {
		t.Fatalf("rejections = %d, want 4", got)
	}
}

// A guesser charged 10 per failure gets a tenth of the rate, not the full
// rate once the bucket runs low.
func TestLocalFailurePenaltyHolds(t *testing.T) {
	l, clock := newTestLocal()
	rule := Rule{Name: "token_client", Rate: 100, Burst: 200}
	// 600 attempts, one every 10 ms: 6 s, in which 600 tokens refill.
	before, through := guess(l, rule, "client", 10, 600, func() { clock.advance(10 * time.Millisecond) })
	// 200 tokens, each failure costing 10 less the one refilled meanwhile.
	if before > 23 {
		t.Errorf("%d failures before the first refusal, want at most 23", before)
	}
	// (200 + 600) / 10 = 80, and one more whose charge is still being repaid.
	if through > 81 {
		t.Errorf("%d of 600 failing attempts let through, want at most 81", through)
	}

	// After failures run into debt, a right secret waits for the debt too.
	rule = Rule{Name: "token_client", Rate: 1, Burst: 25}
	if before, _ := guess(l, rule, "victim", 10, 4, func() {}); before != 3 {
		t.Fatalf("%d failures before the first refusal, want 3 (25 tokens at 10 each)", before)
	}
	d := take(t, l, rule, "victim", 1, false, 0)
	if d.RetryAfter != 6*time.Second {
		t.Fatalf("RetryAfter = %v, want 6s (five tokens of debt and one to take)", d.RetryAfter)
	}
	clock.advance(5900 * time.Millisecond)
	take(t, l, rule, "victim", 1, false, 0)
	clock.advance(100 * time.Millisecond)
	take(t, l, rule, "victim", 1, true, 0)
}

func TestRedisChargeIntoDebt(t *testing.T) {
	url := testRedisURL(t)
	prefix := testPrefix(t, url)
	a := newTestRedis(t, url, prefix, nil)
	b := newTestRedis(t, url, prefix, nil)
	// 100 s a token: nothing refills during the test, so the counts are
	// exact without sleeping.
	rule := Rule{Name: "token_client", Rate: 0.01, Burst: 25}

	// Failures alternate between two instances sharing the bucket.
	both := &alternating{a: a, b: b}
	before, through := guess(both, rule, "client", 10, 8, func() {})
	if before != 3 || through != 3 {
		t.Fatalf("%d failures before the first refusal, %d in all; want 3 and 3", before, through)
	}
	for _, l := range []*Redis{a, b} {
		d := take(t, l, rule, "client", 1, false, 0)
		if d.RetryAfter < 599*time.Second || d.RetryAfter > 600*time.Second {
			t.Fatalf("RetryAfter = %v, want about 600s (five tokens of debt and one to take at 0.01/s)", d.RetryAfter)
		}
	}

	// The debt is capped as locally: 25 buckets of 25 tokens.
	for range 30 {
		a.Charge(context.Background(), rule, "deep", 25)
	}
	d := take(t, b, rule, "deep", 1, false, 0)
	if want := (25*25 + 1) * 100 * time.Second; d.RetryAfter < want-time.Second || d.RetryAfter > want {
		t.Fatalf("RetryAfter = %v, want about %v", d.RetryAfter, want)
	}
	if a.InFallback() || b.InFallback() || a.local.Len() != 0 || b.local.Len() != 0 {
		t.Fatal("local buckets were used")
	}
}

// While Redis is unreachable, charges go to the local buckets.
func TestRedisChargeFallback(t *testing.T) {
	r := unreachableRedis(t, nil, 500*time.Millisecond)
	rule := Rule{Name: "token", Rate: 0.01, Burst: 5}
	r.Charge(context.Background(), rule, "k", 7) // fails over, then charges locally
	if !r.InFallback() {
		t.Fatal("InFallback = false after Redis failed")
	}
	r.Charge(context.Background(), rule, "k", 1)
	d := take(t, r, rule, "k", 1, false, 0)
	if d.RetryAfter < 199*time.Second || d.RetryAfter > 200*time.Second {
		t.Fatalf("RetryAfter = %v, want 200s (one token of debt and one to take at 0.01/s)", d.RetryAfter)
	}
}

// alternating spreads calls over two limiters, two calls each in turn (a
// take and its charge go to the same one).
type alternating struct {
	a, b Limiter
	n    int
}

func (l *alternating) pick() Limiter {
	l.n++
	if (l.n-1)/2%2 == 0 {
		return l.a
	}
	return l.b
}

func (l *alternating) Take(ctx context.Context, rule Rule, key string, cost int) Decision {
	return l.pick().Take(ctx, rule, key, cost)
}

func (l *alternating) Charge(ctx context.Context, rule Rule, key string, cost int) {
	l.pick().Charge(ctx, rule, key, cost)
}
