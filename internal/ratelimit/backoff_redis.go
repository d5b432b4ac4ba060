package ratelimit

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// backoffScript keeps a Backoff's failures in Redis, atomically, on Redis's
// clock. A key is a hash {n: failures, last: time of the last, locked:
// locked until}, in microseconds, expiring once its lock has ended and its
// failures are too old to count: an absent key has no failures.
//
// KEYS[1] the key; ARGV[1] the operation: "locked" returns the microseconds
// the key is still locked; "fail" (ARGV: free, base, max and window in µs)
// records a failure and returns 0; "forget" deletes the key and returns 0.
var backoffScript = redis.NewScript(`
if redis.replicate_commands then redis.replicate_commands() end
local op = ARGV[1]
if op == 'forget' then
  redis.call('DEL', KEYS[1])
  return 0
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local v = redis.call('HMGET', KEYS[1], 'n', 'last', 'locked')
local n = tonumber(v[1]) or 0
local last = tonumber(v[2]) or 0
local locked = tonumber(v[3]) or 0
if op == 'locked' then
  return math.max(0, locked - now)
end
local free, base, maxd, window = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
if now - last > window then n = 0 end
n = n + 1
if n >= free then
  local d = base * 2 ^ math.min(n - free, 30)
  if d > maxd then d = maxd end
  locked = math.max(locked, now + d)
end
redis.call('HSET', KEYS[1], 'n', n, 'last', string.format('%.0f', now), 'locked', string.format('%.0f', locked))
redis.call('PEXPIRE', KEYS[1], string.format('%.0f', math.ceil(math.max(window, locked - now) / 1000) + 1))
return 0
`)

// Locked implements FailureCounter, from the local table while Redis is
// unreachable.
func (r *Redis) Locked(ctx context.Context, b Backoff, key string) time.Duration {
	if !b.limited() {
		return 0
	}
	v, ok := r.backoff(ctx, "locked", b, key)
	if !ok {
		return r.local.locked(b, key)
	}
	return time.Duration(v) * time.Microsecond
}

// Fail implements FailureCounter, recording in the local table while Redis
// is unreachable.
func (r *Redis) Fail(ctx context.Context, b Backoff, key string) {
	if !b.limited() {
		return
	}
	if _, ok := r.backoff(ctx, "fail", b, key); !ok {
		r.local.fail(b, key)
	}
}

// Forget implements FailureCounter. It clears the key in the local table
// too, which may hold failures from a Redis outage.
func (r *Redis) Forget(ctx context.Context, b Backoff, key string) {
	r.local.forget(b, key)
	r.backoff(ctx, "forget", b, key)
}

// backoff runs the script within the timeout, like eval. It reports false
// when Redis did not answer (marking it down unless the caller gave up), so
// that the caller answers locally.
func (r *Redis) backoff(parent context.Context, op string, b Backoff, key string) (int64, bool) {
	if r.down.Load() || r.closed.Load() {
		return 0, false
	}
	ctx, cancel := context.WithTimeout(parent, r.timeout)
	defer cancel()
	type result struct {
		v   int64
		err error
	}
	done := make(chan result, 1)
	k := r.prefix + "fail:" + b.Name + ":" + boundKey(key)
	us := func(d time.Duration) string { return strconv.FormatInt(max(1, d.Microseconds()), 10) }
	args := []any{op, b.Free, us(b.Base), us(b.Max), us(b.Window)}
	go func() {
		v, err := backoffScript.Run(ctx, r.client, []string{k}, args...).Int64()
		done <- result{v, err}
	}()
	var res result
	select {
	case res = <-done:
	case <-ctx.Done():
		res.err = ctx.Err()
	}
	if res.err != nil {
		// A caller that gave up (a client gone away) says nothing about
		// Redis.
		if parent.Err() == nil {
			r.markDown(res.err)
		}
		return 0, false
	}
	return res.v, true
}
