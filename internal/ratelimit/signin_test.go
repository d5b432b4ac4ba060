package ratelimit

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"
)

func TestThrottle(t *testing.T) {
	now := time.Unix(1000, 0)
	ctx := context.Background()
	th := NewSignIn(SignInPolicy{AccountFree: 2, IPFree: 5, Base: time.Second, Max: 4 * time.Second, Window: time.Minute, MaxEntries: 10},
		nil, func() time.Time { return now })
	a := AccountKeys("", "a")
	if th.Wait(ctx, a, "ip") != 0 {
		t.Fatal("locked from the start")
	}
	th.Fail(ctx, a, "ip")
	if th.Wait(ctx, a, "ip") != 0 {
		t.Fatal("locked after one failure")
	}
	th.Fail(ctx, AccountKeys("", "A"), "ip") // identifiers match regardless of case
	if d := th.Wait(ctx, a, "ip"); d != time.Second {
		t.Fatalf("wait after two failures = %v", d)
	}
	for range 4 {
		th.Fail(ctx, a, "ip")
	}
	if d := th.Wait(ctx, a, "other-ip"); d != 4*time.Second {
		t.Fatalf("wait is capped at Max, got %v", d)
	}
	if d := th.Wait(ctx, AccountKeys("", "b"), "ip"); d != 2*time.Second { // 6 failures, 5 free
		t.Fatalf("the IP address is locked too, got %v", d)
	}
	now = now.Add(5 * time.Second)
	if th.Wait(ctx, a, "ip") != 0 {
		t.Fatal("still locked after the lock expired")
	}
	th.Succeed(ctx, a)
	th.Fail(ctx, a, "ip2")
	if th.Wait(ctx, a, "ip2") != 0 {
		t.Fatal("success did not reset the account")
	}
	// The counts stay bounded whatever keys come.
	for i := range 100 {
		th.Fail(ctx, AccountKeys("", string(rune('k'+i))), "ip3")
	}
	if n := th.counts.(*Local).Failures(); n > 10 {
		t.Errorf("%d keys for a bound of 10", n)
	}
}

// countingFailures counts the calls reaching a real FailureCounter.
type countingFailures struct {
	FailureCounter
	calls int
}

func (c *countingFailures) Locked(ctx context.Context, b Backoff, key string) time.Duration {
	c.calls++
	return c.FailureCounter.Locked(ctx, b, key)
}

func (c *countingFailures) Fail(ctx context.Context, b Backoff, key string) {
	c.calls++
	c.FailureCounter.Fail(ctx, b, key)
}

// A known and an unknown account cost the back-off the same calls (with
// Redis, the same round trips), so its timing tells nothing either.
func TestThrottleSameWorkForUnknownAccounts(t *testing.T) {
	calls := func(keys []string) int {
		c := &countingFailures{FailureCounter: NewLocal()}
		th := NewSignIn(SignInPolicy{}, c, time.Now)
		th.Wait(context.Background(), keys, "192.0.2.1")
		th.Fail(context.Background(), keys, "192.0.2.1")
		return c.calls
	}
	if known, unknown := calls(AccountKeys("u1", "jane")), calls(AccountKeys("", "nobody")); known != unknown {
		t.Fatalf("%d calls for a known account, %d for an unknown one", known, unknown)
	}
}

// IPv6 clients are counted per /64, as at the token endpoint (L2).
func TestThrottleIPv6PerNetwork(t *testing.T) {
	now := time.Unix(1000, 0)
	ctx := context.Background()
	th := NewSignIn(SignInPolicy{IPFree: 3, Base: time.Minute}, nil, func() time.Time { return now })
	for i := range 3 {
		th.Fail(ctx, AccountKeys("", "user"+strconv.Itoa(i)), "2001:db8:1:2::"+strconv.Itoa(i+1))
	}
	if d := th.Wait(ctx, AccountKeys("", "other"), "2001:db8:1:2:ffff::9"); d != time.Minute {
		t.Fatalf("another address of the /64: wait %v, want 1m", d)
	}
	if d := th.Wait(ctx, AccountKeys("", "other"), "2001:db8:1:3::1"); d != 0 {
		t.Fatalf("the next /64: wait %v, want 0", d)
	}
	// IPv4, and IPv4 mapped into IPv6, count per address.
	for range 3 {
		th.Fail(ctx, AccountKeys("", "x"), "::ffff:192.0.2.1")
	}
	if th.Wait(ctx, nil, "192.0.2.1") == 0 || th.Wait(ctx, nil, "192.0.2.2") != 0 {
		t.Fatal("IPv4 is not counted per address")
	}
}

// The back-off keys of an account include its user id, whatever identifier
// named it, and the identifier typed, in any case.
func TestAccountKeys(t *testing.T) {
	user, mail := AccountKeys("u1", "jane"), AccountKeys("u1", "Jane@Example.com")
	if !slices.Contains(mail, user[1]) || user[0] == mail[0] {
		t.Errorf("keys %v and %v: want the account's key shared, the identifiers' apart", user, mail)
	}
	unknown := AccountKeys("", "JANE")
	if unknown[0] != user[0] {
		t.Errorf("an identifier's key depends on its case: %v, %v", unknown, user)
	}
	// An unknown identifier has as many keys as a known one, and none of
	// them can pose as an account's.
	if len(unknown) != len(user) || slices.Contains(AccountKeys("", "u:u1"), user[1]) {
		t.Errorf("unknown identifier keys %v, account keys %v", unknown, user)
	}
	// A success clears the account and both its identifiers.
	got := SuccessKeys("u1", "jane", "Jane@Example.com")
	for _, k := range append(user, mail...) {
		if !slices.Contains(got, k) {
			t.Errorf("success keys %v lack %s", got, k)
		}
	}
}

// Zero or negative settings of the back-off take the defaults; set ones
// are kept, and reach the account's and the address's counts.
func TestThrottleDefaults(t *testing.T) {
	want := SignInPolicy{AccountFree: 5, IPFree: 20, Base: time.Second, Max: 15 * time.Minute, Window: 15 * time.Minute, MaxEntries: 100_000}
	for _, c := range []SignInPolicy{{}, {AccountFree: -1, IPFree: -1, Base: -1, Max: -1, Window: -1, MaxEntries: -1}} {
		c = c.WithDefaults()
		if c != want {
			t.Errorf("defaults %+v, want %+v", c, want)
		}
	}
	set := SignInPolicy{AccountFree: 1, IPFree: 2, Base: 3, Max: 4, Window: 5, MaxEntries: 6}
	if c := set.WithDefaults(); c != set {
		t.Errorf("set values %+v changed to %+v", set, c)
	}
	th := NewSignIn(set, NewLocal(), time.Now)
	if a, ip := th.account, th.client; a.Free != 1 || ip.Free != 2 || a.Base != 3 || ip.Base != 3 ||
		a.Max != 4 || ip.Max != 4 || a.Window != 5 || ip.Window != 5 || a.Name == ip.Name {
		t.Errorf("account back-off %+v, address back-off %+v", a, ip)
	}
}

// Failures older than the window are forgotten; within it, each failure
// past the free ones doubles the lock-out, up to Max.
func TestThrottleWindowAndGrowth(t *testing.T) {
	now := time.Unix(1000, 0)
	ctx := context.Background()
	th := NewSignIn(SignInPolicy{AccountFree: 2, IPFree: 100, Base: time.Second, Max: 8 * time.Second, Window: time.Minute},
		nil, func() time.Time { return now })
	a := AccountKeys("", "a")
	th.Fail(ctx, a, "ip")
	now = now.Add(time.Minute + time.Second)
	th.Fail(ctx, a, "ip")
	if d := th.Wait(ctx, a, "ip"); d != 0 {
		t.Fatalf("a failure outside the window still counts: wait %v", d)
	}
	now = now.Add(30 * time.Second)
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second} {
		th.Fail(ctx, a, "ip")
		if d := th.Wait(ctx, a, "ip"); d != want {
			t.Fatalf("failure %d within the window: wait %v, want %v", i+2, d, want)
		}
	}
}
