package ratelimit

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults of a Redis limiter.
const (
	DefaultKeyPrefix = "monban:rl:"
	// DefaultTimeout bounds one Take's wait for Redis; past it the request
	// is answered locally.
	DefaultTimeout = 50 * time.Millisecond
	// DefaultRetryInterval is how long Redis is left alone after a failure
	// before it is tried again.
	DefaultRetryInterval = time.Second
	// probeTimeout bounds the background attempt to reach Redis again. It
	// is longer than a Take's budget so that a connection needing several
	// round trips (TLS to a distant server) can still be made; no request
	// waits for it.
	probeTimeout = 2 * time.Second
)

// gcraScript is the bucket of gcra, run atomically in Redis. The clock is
// Redis's, so that instances with skewed clocks agree. A bucket is one
// string, the theoretical arrival time in microseconds, expiring when the
// bucket has refilled: an absent key is a full bucket.
//
// KEYS[1] the bucket; ARGV: microseconds per token, burst, cost (already
// clamped to [1, burst]), and "1" to charge (take the cost into debt, as
// charge does) rather than take. Returns {allowed 0|1, remaining, retry
// after in µs}; a charge returns {1, 0, 0}.
// replicate_commands lets a script that read TIME write before Redis 5,
// where scripts were replicated as code rather than as their effects.
var gcraScript = redis.NewScript(`
if redis.replicate_commands then redis.replicate_commands() end
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local tau = interval * burst
local nxt = tat + interval * cost
if ARGV[4] == '1' then
  local limit = now + tau + tau * burst
  if nxt > limit then nxt = math.max(tat, limit) end
  redis.call('SET', KEYS[1], string.format('%.0f', nxt), 'PX', string.format('%.0f', math.ceil((nxt - now) / 1000)))
  return {1, 0, 0}
end
if nxt - now > tau then
  return {0, math.max(0, math.floor((tau - (tat - now)) / interval)), nxt - now - tau}
end
redis.call('SET', KEYS[1], string.format('%.0f', nxt), 'PX', string.format('%.0f', math.ceil((nxt - now) / 1000)))
return {1, math.floor((tau - (nxt - now)) / interval), 0}
`)

// Redis is a Limiter whose buckets live in Redis, shared by every instance
// using the same server and key prefix. It is safe for concurrent use.
//
// When Redis fails or is slower than the timeout, Take answers from a Local
// instead, logs the change once, and stops asking Redis; a background probe
// tries again every retry interval and, once Redis answers, logs that the
// limits are shared again. While local, each instance applies every limit
// on its own, so the overall limit is multiplied by the number of instances.
type Redis struct {
	client   redis.Scripter
	owned    redis.UniversalClient // closed by Close, when made by NewRedisURL
	local    *Local
	logger   *slog.Logger
	prefix   string
	timeout  time.Duration
	retry    time.Duration
	rejected counters

	down      atomic.Bool // answering locally; a probe is running
	closed    atomic.Bool
	done      chan struct{}
	closeOnce sync.Once
}

// RedisOption configures a Redis limiter.
type RedisOption func(*Redis)

// WithKeyPrefix sets the prefix of the Redis keys (DefaultKeyPrefix
// otherwise).
func WithKeyPrefix(p string) RedisOption { return func(r *Redis) { r.prefix = p } }

// WithTimeout sets how long a Take waits for Redis (DefaultTimeout
// otherwise).
func WithTimeout(d time.Duration) RedisOption {
	return func(r *Redis) {
		if d > 0 {
			r.timeout = d
		}
	}
}

// WithRetryInterval sets how long Redis is left alone after a failure
// (DefaultRetryInterval otherwise).
func WithRetryInterval(d time.Duration) RedisOption {
	return func(r *Redis) {
		if d > 0 {
			r.retry = d
		}
	}
}

// NewRedis returns a Limiter keeping its buckets in Redis through client,
// under keys "<prefix><rule name>:<key>", answering from fallback (a new
// Local when nil) while Redis is unreachable. The client stays the caller's
// to close; it should have MaxRetries -1 and ContextTimeoutEnabled set, as
// NewRedisURL does, or calls that time out keep running in the background
// (the Take itself returns in time either way). A nil logger discards.
func NewRedis(client redis.Scripter, fallback *Local, logger *slog.Logger, opts ...RedisOption) *Redis {
	if fallback == nil {
		fallback = NewLocal()
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	r := &Redis{
		client:  client,
		local:   fallback,
		logger:  logger,
		prefix:  DefaultKeyPrefix,
		timeout: DefaultTimeout,
		retry:   DefaultRetryInterval,
		done:    make(chan struct{}),
	}
	for _, o := range opts {
		o(r)
	}
	return r
}

// NewRedisURL is NewRedis with a client of its own for the server at rawURL,
// such as redis://127.0.0.1:6379/0 or rediss://user:pass@host:6380/1 (see
// redis.ParseURL). Close closes the client.
func NewRedisURL(rawURL string, fallback *Local, logger *slog.Logger, opts ...RedisOption) (*Redis, error) {
	o, err := redis.ParseURL(rawURL)
	if err != nil {
		// Not the parser's words: they may repeat the URL, password and all.
		return nil, errors.New("the Redis URL is not one such as redis://127.0.0.1:6379/0 or rediss://user:password@host:6380/1")
	}
	// Let the per-call deadline reach the socket, and do not retry
	// commands or dials: a retry would not fit in the deadline, and the
	// local answer is the better one.
	o.ContextTimeoutEnabled = true
	o.MaxRetries = -1
	o.DialerRetries = 1
	if o.PoolTimeout == 0 {
		o.PoolTimeout = probeTimeout
	}
	client := redis.NewClient(o)
	r := NewRedis(client, fallback, logger, opts...)
	r.owned = client
	return r, nil
}

var (
	_ Limiter = (*Redis)(nil)
	_ Limiter = (*Local)(nil)
)

// Take implements Limiter. It waits for Redis at most the timeout and never
// fails: when Redis does not answer in time, the local limiter decides.
func (r *Redis) Take(ctx context.Context, rule Rule, key string, cost int) Decision {
	d := r.take(ctx, rule, key, cost)
	if !d.Allowed {
		r.rejected.reject(rule.Name)
	}
	return d
}

// Charge implements Limiter. Like Take, it waits for Redis at most the
// timeout and charges the local bucket instead when Redis does not answer.
func (r *Redis) Charge(ctx context.Context, rule Rule, key string, cost int) {
	if !rule.limited() {
		return
	}
	if r.down.Load() || r.closed.Load() {
		r.local.charge(rule, key, cost)
		return
	}
	if _, err := r.eval(ctx, rule, key, cost, true); err != nil {
		if ctx.Err() == nil {
			r.markDown(err)
		}
		r.local.charge(rule, key, cost)
	}
}

func (r *Redis) take(ctx context.Context, rule Rule, key string, cost int) Decision {
	if !rule.limited() {
		return unlimited
	}
	if r.down.Load() || r.closed.Load() {
		return r.local.take(rule, key, cost)
	}
	res, err := r.eval(ctx, rule, key, cost, false)
	if err != nil {
		// A caller that gave up (a client gone away) says nothing about
		// Redis.
		if ctx.Err() == nil {
			r.markDown(err)
		}
		return r.local.take(rule, key, cost)
	}
	return res
}

// eval runs the script, returning within the timeout even should the
// client ignore deadlines (a client given to NewRedis without
// ContextTimeoutEnabled): the call then finishes on its own goroutine.
func (r *Redis) eval(ctx context.Context, rule Rule, key string, cost int, charge bool) (Decision, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	type result struct {
		v   []int64
		err error
	}
	done := make(chan result, 1)
	k := r.prefix + rule.Name + ":" + boundKey(key)
	mode := "0"
	if charge {
		mode = "1"
	}
	args := []any{rule.interval(1e6), rule.Burst, clampCost(cost, rule.Burst), mode}
	go func() {
		v, err := gcraScript.Run(ctx, r.client, []string{k}, args...).Int64Slice()
		done <- result{v, err}
	}()
	var res result
	select {
	case res = <-done:
	case <-ctx.Done():
		return Decision{}, ctx.Err()
	}
	if res.err != nil {
		return Decision{}, res.err
	}
	if len(res.v) != 3 {
		return Decision{}, errors.New("ratelimit: unexpected script reply of " + strconv.Itoa(len(res.v)) + " values")
	}
	return Decision{
		Allowed:    res.v[0] == 1,
		Remaining:  int(res.v[1]),
		RetryAfter: time.Duration(res.v[2]) * time.Microsecond,
	}, nil
}

// markDown switches to local answers and starts the probe that will switch
// back, unless that has happened already.
func (r *Redis) markDown(err error) {
	if r.closed.Load() || !r.down.CompareAndSwap(false, true) {
		return
	}
	r.logger.Warn("rate limits are local: Redis unreachable", "error", err)
	go r.probe()
}

// probe tries Redis every retry interval until it answers, loading the
// script on the way (so the next EVALSHA finds it), then switches back to
// shared buckets.
func (r *Redis) probe() {
	t := time.NewTimer(r.retry)
	defer t.Stop()
	for {
		select {
		case <-r.done:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
		err := gcraScript.Load(ctx, r.client).Err()
		cancel()
		if err == nil {
			r.down.Store(false)
			r.logger.Info("rate limits shared again")
			return
		}
		t.Reset(r.retry)
	}
}

// InFallback reports whether Take currently answers from the local limiter
// because Redis is unreachable.
func (r *Redis) InFallback() bool { return r.down.Load() }

// Rejections returns the number of denied takes per rule name since the
// limiter was made, whether Redis or the fallback decided.
func (r *Redis) Rejections() map[string]uint64 { return r.rejected.snapshot() }

// Close stops the background probe and, for a limiter made by NewRedisURL,
// closes its client. Later takes are answered locally.
func (r *Redis) Close() error {
	var err error
	r.closeOnce.Do(func() {
		r.closed.Store(true)
		close(r.done)
		if r.owned != nil {
			err = r.owned.Close()
		}
	})
	return err
}
