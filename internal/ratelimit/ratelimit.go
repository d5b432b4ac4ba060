// Package ratelimit limits request rates with token buckets, for the token
// endpoint and the Management API, and counts failures for a back-off
// ([Backoff], [FailureCounter]), for sign-ins.
//
// A [Rule] gives a bucket's refill rate and size; a key (a client address, a
// client ID) selects one bucket per rule. [Local] keeps the buckets in memory
// and suits a single instance. [Redis] keeps them in Redis so that several
// instances share one budget, and answers from a [Local] while Redis is
// unreachable, so a Redis outage loosens the limits (each instance then
// applies them on its own) but never fails a request.
//
// Both implement the buckets as a generic cell rate algorithm (GCRA): a bucket
// is a single "theoretical arrival time", which behaves exactly like a token
// bucket but needs one number of state, and a bucket that has refilled is
// indistinguishable from one that does not exist. That makes forgetting idle
// buckets (in memory) and expiring them (in Redis) lossless.
//
// [ClientIP] finds the address to key on behind trusted reverse proxies.
package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// Rule is one rate limit. The zero Rule limits nothing.
//
// A Rule may change between takes (a configuration reload). A bucket keeps
// its debt as time, so the new rule applies fully once the bucket has
// refilled under the old one.
type Rule struct {
	// Name identifies the limit: buckets of different names are separate
	// even for the same key, and rejections are counted per name.
	Name string
	// Rate is the refill rate in tokens per second.
	Rate float64
	// Burst is the bucket size: how many tokens a key can spend at once.
	Burst int
}

// limited reports whether the rule limits anything. A zero Rule does not,
// so a limit left out of the configuration is simply off.
func (r Rule) limited() bool {
	return r.Rate > 0 && r.Burst > 0 && !math.IsInf(r.Rate, 1)
}

// interval returns the time one token takes to refill, in units per second
// (1e9 for nanoseconds, 1e6 for microseconds), at least 1. It is rounded once
// here so that Burst tokens always fit in the bucket exactly.
func (r Rule) interval(unitsPerSecond float64) int64 {
	v := math.Round(unitsPerSecond / r.Rate)
	if v < 1 {
		return 1
	}
	if v > maxInterval {
		return maxInterval
	}
	return int64(v)
}

// maxInterval bounds one token's refill time (about 13 days in nanoseconds),
// keeping the conversion from float64 defined for vanishing rates.
const maxInterval = 1 << 50

// Decision is the outcome of a Take.
type Decision struct {
	// Allowed reports whether the tokens were taken. A denied Take takes
	// nothing.
	Allowed bool
	// Remaining is the number of whole tokens left in the bucket: after the
	// take when allowed, at the moment of the decision when denied. It is -1
	// when the rule sets no limit.
	Remaining int
	// RetryAfter is, when denied, the time until the bucket holds the
	// tokens the denied Take asked for.
	RetryAfter time.Duration
}

// RetryAfterSeconds returns RetryAfter in whole seconds, rounded up and at
// least 1, as the Retry-After header wants it.
func (d Decision) RetryAfterSeconds() int {
	s := int((d.RetryAfter + time.Second - 1) / time.Second)
	if s < 1 {
		return 1
	}
	return s
}

// Limiter takes tokens from buckets.
type Limiter interface {
	// Take takes cost tokens from the bucket of key under rule, all or
	// nothing. A cost above 1 lets some requests count harder than others
	// (a failed client authentication, say); a cost above rule.Burst counts
	// as rule.Burst, so it empties a full bucket rather than never passing.
	// A cost below 1 counts as 1.
	Take(ctx context.Context, rule Rule, key string, cost int) Decision
	// Charge takes cost tokens from the bucket of key under rule whether
	// or not it holds them, leaving it in debt when it does not: takes
	// are then refused until the debt and the next token have refilled
	// at the rule's rate. It is for penalties decided after a request was
	// let through (a failed client authentication). Cost is clamped as
	// for Take, and the debt is at most Burst times Burst tokens.
	Charge(ctx context.Context, rule Rule, key string, cost int)
}

var unlimited = Decision{Allowed: true, Remaining: -1}

// clampCost keeps cost within [1, burst].
func clampCost(cost, burst int) int64 {
	if cost < 1 {
		return 1
	}
	if cost > burst {
		return int64(burst)
	}
	return int64(cost)
}

// mulSat returns a*b for non-negative a and b, saturating well below the
// int64 limit so that sums with a clock reading cannot overflow either.
func mulSat(a, b int64) int64 {
	const limit = 1 << 61
	if a != 0 && b > limit/a {
		return limit
	}
	return a * b
}

// gcra decides a take of cost tokens at now from a bucket whose theoretical
// arrival time is tat (already raised to now if it was earlier), with one
// token refilling every interval and room for burst tokens. It returns the
// decision and the bucket's new arrival time (tat itself when denied). All
// times are in the same unit, the one interval is in.
func gcra(now, tat, interval int64, burst int, cost int64) (Decision, int64) {
	tau := mulSat(interval, int64(burst))
	next := tat + mulSat(interval, cost)
	if next-now > tau {
		return Decision{
			// Below zero only after the rule's Burst was lowered.
			Remaining:  int(max(0, (tau-(tat-now))/interval)),
			RetryAfter: time.Duration(next - now - tau),
		}, tat
	}
	return Decision{Allowed: true, Remaining: int((tau - (next - now)) / interval)}, next
}

// charge takes cost tokens at now from a bucket whose theoretical arrival
// time is tat (already raised to now), into debt if need be, and returns the
// new arrival time. The debt is capped at burst buckets (a full bucket of
// charges of the highest cost), so that no caller can push a bucket's
// refill arbitrarily far away; an arrival time already past the cap (after
// the rule's Burst was lowered) stays where it is.
func charge(now, tat, interval int64, burst int, cost int64) int64 {
	tau := mulSat(interval, int64(burst))
	next := tat + mulSat(interval, cost)
	if limit := now + tau + mulSat(tau, int64(burst)); next > limit {
		next = max(tat, limit)
	}
	return next
}

// maxKeyLen bounds the length of a bucket key kept in memory or in Redis;
// longer keys are replaced by a digest, so that callers keying on something a
// client chose (a client ID) cannot make each bucket arbitrarily large.
const maxKeyLen = 64

func boundKey(key string) string {
	if len(key) <= maxKeyLen {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return "sha256:" + base64.RawURLEncoding.EncodeToString(sum[:])
}

// counters counts rejections per rule name. Names come from the
// configuration, so the set stays small.
type counters struct {
	m sync.Map // rule name → *atomic.Uint64
}

func (c *counters) reject(name string) {
	v, ok := c.m.Load(name)
	if !ok {
		v, _ = c.m.LoadOrStore(name, new(atomic.Uint64))
	}
	v.(*atomic.Uint64).Add(1)
}

func (c *counters) snapshot() map[string]uint64 {
	out := make(map[string]uint64)
	c.m.Range(func(k, v any) bool {
		out[k.(string)] = v.(*atomic.Uint64).Load()
		return true
	})
	return out
}
