package ratelimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestRedisURLEnv names the environment variable holding the URL of the Redis
// server for tests, such as redis://127.0.0.1:6379/0.
const TestRedisURLEnv = "MONBAN_TEST_REDIS_URL"

// testRedisURL returns the test server's URL. Without the variable the test
// is skipped; with it, a server that does not answer fails the test, so that
// a run meant to cover Redis cannot pass without it.
func testRedisURL(t testing.TB) string {
	t.Helper()
	if os.Getenv(TestRedisURLEnv) == "" {
		t.Skip("set " + TestRedisURLEnv + " to run the tests against Redis")
	}
	u, err := redisReachable()
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// redisReachable pings the test server once per run, so that a missing
// server costs one timeout, not one per test.
var redisReachable = sync.OnceValues(func() (string, error) {
	u := os.Getenv(TestRedisURLEnv)
	o, err := redis.ParseURL(u)
	if err != nil {
		return "", fmt.Errorf("%s: %w", TestRedisURLEnv, err)
	}
	c := redis.NewClient(o)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		return "", fmt.Errorf("%s is set but Redis at %s does not answer: %v", TestRedisURLEnv, u, err)
	}
	return u, nil
})

// testPrefix returns a key prefix of its own for the test, and removes its
// keys when the test ends, so that parallel runs do not collide.
func testPrefix(t testing.TB, url string) string {
	t.Helper()
	var b [8]byte
	rand.Read(b[:])
	prefix := "monban:rl:test:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		o, _ := redis.ParseURL(url)
		c := redis.NewClient(o)
		defer c.Close()
		ctx := context.Background()
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
	})
	return prefix
}

func newTestRedis(t testing.TB, url, prefix string, logger *slog.Logger, opts ...RedisOption) *Redis {
	t.Helper()
	// A timeout far above DefaultTimeout: on a loaded machine a slow
	// answer would otherwise switch to the local buckets and break the
	// counts; the tests of the timeout set their own.
	r, err := NewRedisURL(url, nil, logger, append([]RedisOption{WithKeyPrefix(prefix), WithTimeout(5 * time.Second)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// unreachableRedis is a Redis limiter whose server does not answer
// (nothing listens on port 1), closed when the test ends. It waits timeout
// for an answer and does not try Redis again within the test.
func unreachableRedis(t *testing.T, logger *slog.Logger, timeout time.Duration) *Redis {
	t.Helper()
	r, err := NewRedisURL("redis://127.0.0.1:1/0", nil, logger, WithTimeout(timeout), WithRetryInterval(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// logCounter counts the log records by message, from several goroutines.
type logCounter struct {
	mu   sync.Mutex
	msgs map[string]int
}

func (b *logCounter) Enabled(context.Context, slog.Level) bool { return true }

func (b *logCounter) Handle(_ context.Context, r slog.Record) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.msgs == nil {
		b.msgs = map[string]int{}
	}
	b.msgs[r.Message]++
	return nil
}

func (b *logCounter) WithAttrs([]slog.Attr) slog.Handler { return b }
func (b *logCounter) WithGroup(string) slog.Handler      { return b }

// count is how many records had the message msg.
func (b *logCounter) count(msg string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.msgs[msg]
}

func (b *logCounter) logger() *slog.Logger { return slog.New(b) }

const (
	msgLocal  = "rate limits are local: Redis unreachable"
	msgShared = "rate limits shared again"
)

func TestRedisSharedBetweenInstances(t *testing.T) {
	url := testRedisURL(t)
	prefix := testPrefix(t, url)
	a := newTestRedis(t, url, prefix, nil)
	b := newTestRedis(t, url, prefix, nil)
	rule := Rule{Name: "token", Rate: 0.1, Burst: 5} // slow enough for the test's duration not to refill

	take(t, a, rule, "client", 1, true, 4)
	take(t, b, rule, "client", 1, true, 3)
	take(t, a, rule, "client", 2, true, 1)
	d := take(t, b, rule, "client", 2, false, 1)
	if d.RetryAfter < 9*time.Second || d.RetryAfter > 10*time.Second {
		t.Fatalf("RetryAfter = %v, want about 10s (one token missing at 0.1/s)", d.RetryAfter)
	}
	take(t, b, rule, "client", 1, true, 0)
	take(t, a, rule, "client", 1, false, 0)
	// Another key, another rule: other buckets.
	take(t, a, rule, "other", 1, true, 4)
	take(t, a, Rule{Name: "management", Rate: 0.1, Burst: 5}, "client", 1, true, 4)

	if a.InFallback() || b.InFallback() {
		t.Fatal("a limiter fell back to local buckets")
	}
	if got := a.Rejections()["token"] + b.Rejections()["token"]; got != 2 {
		t.Fatalf("rejections = %d, want 2", got)
	}
	// Each instance's local fallback stayed untouched.
	if a.local.Len() != 0 || b.local.Len() != 0 {
		t.Fatal("local buckets were used")
	}
}

func TestRedisRefillAndExpiry(t *testing.T) {
	url := testRedisURL(t)
	prefix := testPrefix(t, url)
	r := newTestRedis(t, url, prefix, nil)
	rule := Rule{Name: "token", Rate: 20, Burst: 2}

	take(t, r, rule, "k", 1, true, 1)
	take(t, r, rule, "k", 1, true, 0)
	d := take(t, r, rule, "k", 1, false, 0)
	if d.RetryAfter <= 0 || d.RetryAfter > 50*time.Millisecond {
		t.Fatalf("RetryAfter = %v, want at most 50ms", d.RetryAfter)
	}
	time.Sleep(d.RetryAfter + 5*time.Millisecond)
	if d := r.Take(context.Background(), rule, "k", 1); !d.Allowed {
		t.Fatalf("after RetryAfter: %+v", d)
	}

	// The key lives only until the bucket has refilled.
	o, _ := redis.ParseURL(url)
	c := redis.NewClient(o)
	defer c.Close()
	ttl, err := c.PTTL(context.Background(), prefix+"token:k").Result()
	if err != nil || ttl <= 0 || ttl > 100*time.Millisecond {
		t.Fatalf("PTTL = %v, %v; want within the 100ms a refill takes", ttl, err)
	}
	time.Sleep(ttl + 20*time.Millisecond)
	if n, _ := c.Exists(context.Background(), prefix+"token:k").Result(); n != 0 {
		t.Fatal("the bucket's key outlived its refill")
	}
	take(t, r, rule, "k", 1, true, 1)
}

func TestRedisConcurrentInstances(t *testing.T) {
	url := testRedisURL(t)
	prefix := testPrefix(t, url)
	limiters := []*Redis{newTestRedis(t, url, prefix, nil), newTestRedis(t, url, prefix, nil)}
	rule := Rule{Name: "token", Rate: 0.01, Burst: 40}
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for range 25 {
				if limiters[g%2].Take(context.Background(), rule, "shared", 1).Allowed {
					allowed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if n := allowed.Load(); n != 40 {
		t.Fatalf("%d of 200 takes allowed from a shared bucket of 40", n)
	}
	for _, l := range limiters {
		if l.InFallback() {
			t.Fatal("fell back to local buckets")
		}
	}
}

func TestRedisLongKey(t *testing.T) {
	url := testRedisURL(t)
	r := newTestRedis(t, url, testPrefix(t, url), nil)
	rule := Rule{Name: "token", Rate: 0.1, Burst: 1}
	long := strings.Repeat("k", 10_000)
	take(t, r, rule, long+"a", 1, true, 0)
	take(t, r, rule, long+"b", 1, true, 0)
	take(t, r, rule, long+"a", 1, false, 0)
}

// countingScripter counts the script calls that reach Redis.
type countingScripter struct {
	redis.Scripter
	n atomic.Int64
}

func (c *countingScripter) EvalSha(ctx context.Context, sha1 string, keys []string, args ...any) *redis.Cmd {
	c.n.Add(1)
	return c.Scripter.EvalSha(ctx, sha1, keys, args...)
}

func (c *countingScripter) Eval(ctx context.Context, script string, keys []string, args ...any) *redis.Cmd {
	c.n.Add(1)
	return c.Scripter.Eval(ctx, script, keys, args...)
}

func TestRedisFallbackClosedPort(t *testing.T) {
	var logs logCounter
	// Long enough that no busy machine takes it to be refused.
	const timeout = 500 * time.Millisecond
	r := unreachableRedis(t, logs.logger(), timeout)
	calls := &countingScripter{Scripter: r.client}
	r.client = calls
	rule := Rule{Name: "token", Rate: 0.1, Burst: 3}

	start := time.Now()
	take(t, r, rule, "k", 1, true, 2)
	// A refused connection is an answer: no need to wait for the timeout.
	if el := time.Since(start); el > timeout {
		t.Fatalf("first take took %v, above the %v timeout", el, timeout)
	}
	if !r.InFallback() {
		t.Fatal("InFallback = false after Redis failed")
	}
	// Later takes go straight to the local buckets.
	take(t, r, rule, "k", 1, true, 1)
	take(t, r, rule, "k", 1, true, 0)
	take(t, r, rule, "k", 1, false, 0)
	for range 1000 {
		r.Take(context.Background(), rule, "other", 1)
	}
	if n := calls.n.Load(); n != 1 {
		t.Fatalf("Redis was called %d times for 1004 takes, want once", n)
	}
	if got := r.Rejections()["token"]; got != 998 {
		t.Fatalf("rejections = %d, want 998", got)
	}
	if n := logs.count(msgLocal); n != 1 {
		t.Fatalf("logged %q %d times, want once", msgLocal, n)
	}
}

// TestRedisFallbackHungServer points the limiter at a server that accepts
// connections and never answers, the worst case for a timeout.
func TestRedisFallbackHungServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	accepted := make(chan struct{})
	go func() {
		defer close(accepted)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // read nothing, answer nothing
			mu.Unlock()
		}
	}()
	defer func() {
		ln.Close()
		<-accepted
		for _, c := range conns {
			c.Close()
		}
	}()

	const timeout = 50 * time.Millisecond
	url := "redis://" + ln.Addr().String() + "/0"
	// Once with the client this package makes, once with one that does
	// not pass deadlines to the socket, as a caller might hand over.
	o, _ := redis.ParseURL(url)
	o.ContextTimeoutEnabled = false
	plain := redis.NewClient(o)
	defer plain.Close()
	owned, err := NewRedisURL(url, nil, nil, WithTimeout(timeout))
	if err != nil {
		t.Fatal(err)
	}
	defer owned.Close()
	for name, r := range map[string]*Redis{
		"NewRedisURL": owned,
		"NewRedis":    NewRedis(plain, nil, nil, WithTimeout(timeout)),
	} {
		t.Run(name, func(t *testing.T) {
			defer r.Close()
			start := time.Now()
			take(t, r, Rule{Name: "token", Rate: 1, Burst: 2}, "k", 1, true, 1)
			el := time.Since(start)
			// Bounded by the timeout, not by the hung server; the upper
			// margin leaves room for a loaded machine.
			if el < timeout-5*time.Millisecond || el > 10*timeout {
				t.Fatalf("take took %v, want about the %v timeout", el, timeout)
			}
			if !r.InFallback() {
				t.Fatal("InFallback = false after a timeout")
			}
		})
	}
}

func TestRedisCallerCancelDoesNotFallBack(t *testing.T) {
	url := testRedisURL(t)
	r := newTestRedis(t, url, testPrefix(t, url), nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d := r.Take(ctx, Rule{Name: "token", Rate: 1, Burst: 2}, "k", 1)
	if !d.Allowed {
		t.Fatalf("%+v", d)
	}
	if r.InFallback() {
		t.Fatal("a caller's cancellation was taken for a Redis failure")
	}
}

// flakyProxy forwards TCP connections to a Redis server until broken.
type flakyProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	broken bool
	conns  map[net.Conn]struct{}
}

func newFlakyProxy(t *testing.T, target string) *flakyProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &flakyProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	go p.serve()
	t.Cleanup(func() { ln.Close(); p.setBroken(true) })
	return p
}

func (p *flakyProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.broken {
			p.mu.Unlock()
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns[c], p.conns[up] = struct{}{}, struct{}{}
		p.mu.Unlock()
		go func() { io.Copy(up, c); up.Close() }()
		go func() { io.Copy(c, up); c.Close() }()
	}
}

// setBroken refuses new connections and cuts the open ones, or stops doing so.
func (p *flakyProxy) setBroken(b bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.broken = b
	if b {
		for c := range p.conns {
			c.Close()
		}
		clear(p.conns)
	}
}

func TestRedisFallbackAndRecovery(t *testing.T) {
	url := testRedisURL(t)
	prefix := testPrefix(t, url)
	o, _ := redis.ParseURL(url)
	proxy := newFlakyProxy(t, o.Addr)
	proxied := strings.Replace(url, o.Addr, proxy.ln.Addr().String(), 1)
	if proxied == url {
		t.Fatalf("cannot point %s at the proxy", url)
	}

	var logs logCounter
	r := newTestRedis(t, proxied, prefix, logs.logger(), WithRetryInterval(50*time.Millisecond))
	direct := newTestRedis(t, url, prefix, nil)
	rule := Rule{Name: "token", Rate: 0.1, Burst: 4}

	take(t, r, rule, "k", 1, true, 3)
	take(t, direct, rule, "k", 1, true, 2) // one bucket

	proxy.setBroken(true)
	take(t, r, rule, "k", 1, true, 3) // a fresh local bucket
	if !r.InFallback() {
		t.Fatal("InFallback = false with Redis cut off")
	}
	// Let a few probes fail: still one log line.
	time.Sleep(200 * time.Millisecond)
	take(t, r, rule, "k", 1, true, 2)
	if n := logs.count(msgLocal); n != 1 {
		t.Fatalf("logged %q %d times, want once", msgLocal, n)
	}

	proxy.setBroken(false)
	deadline := time.Now().Add(5 * time.Second)
	for r.InFallback() {
		if time.Now().After(deadline) {
			t.Fatal("still in fallback 5s after Redis came back")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Back on the shared bucket, which the outage did not touch.
	take(t, r, rule, "k", 1, true, 1)
	take(t, direct, rule, "k", 1, true, 0)
	if n := logs.count(msgShared); n != 1 {
		t.Fatalf("logged %q %d times, want once", msgShared, n)
	}

	// A second outage is reported again.
	proxy.setBroken(true)
	r.Take(context.Background(), rule, "k", 1)
	if !r.InFallback() || logs.count(msgLocal) != 2 {
		t.Fatalf("second outage: InFallback %v, %d log lines", r.InFallback(), logs.count(msgLocal))
	}
}

func TestRedisClosed(t *testing.T) {
	var logs logCounter
	r, err := NewRedisURL("redis://127.0.0.1:1/0", nil, logs.logger())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	take(t, r, Rule{Name: "token", Rate: 1, Burst: 1}, "k", 1, true, 0)
	if logs.count(msgLocal) != 0 {
		t.Fatal("a closed limiter reported Redis unreachable")
	}
}

func TestNewRedisURLInvalid(t *testing.T) {
	if _, err := NewRedisURL("http://127.0.0.1:6379", nil, nil); err == nil {
		t.Fatal("accepted an http URL")
	}
}

func TestRedisScriptReloaded(t *testing.T) {
	// After SCRIPT FLUSH (a restarted server), EVALSHA fails with
	// NOSCRIPT and the script must be sent again, not counted as an
	// outage.
	url := testRedisURL(t)
	r := newTestRedis(t, url, testPrefix(t, url), nil)
	rule := Rule{Name: "token", Rate: 0.1, Burst: 2}
	take(t, r, rule, "k", 1, true, 1)
	o, _ := redis.ParseURL(url)
	c := redis.NewClient(o)
	defer c.Close()
	if err := c.ScriptFlush(context.Background()).Err(); err != nil {
		t.Skip("SCRIPT FLUSH refused:", err)
	}
	take(t, r, rule, "k", 1, true, 0)
	if r.InFallback() {
		t.Fatal("fell back after SCRIPT FLUSH")
	}
}

func BenchmarkRedisTake(b *testing.B) {
	url := testRedisURL(b)
	r := newTestRedis(b, url, testPrefix(b, url), nil)
	rule := Rule{Name: "token", Rate: 1e6, Burst: 1000}
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r.Take(ctx, rule, "203.0.113.9", 1)
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				r.Take(ctx, rule, "203.0.113.9", 1)
			}
		})
	})
	if r.InFallback() {
		b.Fatal("fell back to local buckets during the benchmark")
	}
}
