package replay

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestMemory(t *testing.T) {
	now := time.Unix(1000, 0)
	m := NewMemory(2, func() time.Time { return now })
	ctx := context.Background()
	if err := m.UseOnce(ctx, "a", now.Add(10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := m.UseOnce(ctx, "a", now.Add(10*time.Second)); !errors.Is(err, ErrReplayed) {
		t.Fatalf("second use: %v", err)
	}
	_ = m.UseOnce(ctx, "b", now.Add(20*time.Second))
	// Full: c takes the place of a, which expires first.
	_ = m.UseOnce(ctx, "c", now.Add(30*time.Second))
	if err := m.UseOnce(ctx, "b", now.Add(20*time.Second)); !errors.Is(err, ErrReplayed) {
		t.Fatalf("b was forgotten before a: %v", err)
	}
	now = now.Add(time.Minute)
	if err := m.UseOnce(ctx, "b", now.Add(time.Second)); err != nil {
		t.Fatalf("an expired id is new again: %v", err)
	}
}

// Redis shares the record: two Caches on one Redis see each other's ids.
func TestRedis(t *testing.T) {
	u := testRedisURL(t)
	o, err := redis.ParseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(o)
	defer c.Close()
	prefix := "monban-test:jti:" + time.Now().Format(time.RFC3339Nano) + ":"
	a := Redis{Client: c, Prefix: prefix, Now: time.Now}
	b := Redis{Client: c, Prefix: prefix, Now: time.Now}
	ctx := context.Background()
	if err := a.UseOnce(ctx, "x", time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := b.UseOnce(ctx, "x", time.Now().Add(time.Minute)); !errors.Is(err, ErrReplayed) {
		t.Fatalf("the other instance: %v", err)
	}
	ttl, err := c.PTTL(ctx, prefix+"x").Result()
	if err != nil || ttl <= 0 || ttl > time.Minute {
		t.Fatalf("record kept for %v (%v)", ttl, err)
	}
}

func testRedisURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("MONBAN_TEST_REDIS_URL")
	if u == "" {
		t.Skip("MONBAN_TEST_REDIS_URL is not set")
	}
	return u
}
