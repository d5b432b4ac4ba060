package oidc

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/netip"
	"strings"
	"time"

	"github.com/monban/monban/internal/ratelimit"
	"github.com/monban/monban/internal/store"
)

// ThrottleConfig is the sign-in back-off: once an account has had
// AccountFree failures (an IP address IPFree) within Window, it is locked
// for Base, and each further failure doubles that, up to Max. Zero fields
// take the defaults.
type ThrottleConfig struct {
	AccountFree int           // default 5
	IPFree      int           // default 20
	Base        time.Duration // default 1 s
	Max         time.Duration // default 15 min
	Window      time.Duration // failures older than this are forgotten; default 15 min
	MaxEntries  int           // memory bound of the in-memory counts (without a shared store); default 100 000
}

func (c *ThrottleConfig) withDefaults() {
	if c.AccountFree <= 0 {
		c.AccountFree = 5
	}
	if c.IPFree <= 0 {
		c.IPFree = 20
	}
	if c.Base <= 0 {
		c.Base = time.Second
	}
	if c.Max <= 0 {
		c.Max = 15 * time.Minute
	}
	if c.Window <= 0 {
		c.Window = 15 * time.Minute
	}
	if c.MaxEntries <= 0 {
		c.MaxEntries = 100_000
	}
}

// throttle counts sign-in failures per account (see accountKeys) and per
// client address, in a ratelimit.FailureCounter: shared through Redis when
// the server has one, in memory otherwise.
type throttle struct {
	counts          ratelimit.FailureCounter
	account, client ratelimit.Backoff
}

func newThrottle(cfg ThrottleConfig, counts ratelimit.FailureCounter, now func() time.Time) *throttle {
	cfg.withDefaults()
	if counts == nil {
		counts = ratelimit.NewLocal(ratelimit.WithMaxKeys(cfg.MaxEntries), ratelimit.WithClock(now))
	}
	return &throttle{
		counts:  counts,
		account: ratelimit.Backoff{Name: "signin_account", Free: cfg.AccountFree, Base: cfg.Base, Max: cfg.Max, Window: cfg.Window},
		client:  ratelimit.Backoff{Name: "signin_ip", Free: cfg.IPFree, Base: cfg.Base, Max: cfg.Max, Window: cfg.Window},
	}
}

// accountKeys are the back-off keys of a sign-in attempt: the identifier
// as typed, in any case, and, when it names an account, the account's user
// id, so that the username and the e-mail address of one account share one
// count. The typed identifier counts for known accounts too: were it left
// out, an identifier that names no account only because of its case
// ("JANE" for "jane") would stay free while its lower-case twin is locked,
// telling that the twin exists. Unknown identifiers are counted and locked
// just as known ones are, under two keys as well (the second one standing
// in for the account's), so that the back-off does the same work, and with
// Redis the same round trips, whether or not the account exists.
func accountKeys(userID, identifier string) []string {
	id := identifierKey(identifier)
	if userID != "" {
		return []string{id, "u:" + userID}
	}
	return []string{id, "n" + id[1:]}
}

// identifierKey is the key of an identifier as typed: a digest, so that
// neither memory nor Redis holds what people type in the field (a password
// typed there by mistake, say).
func identifierKey(identifier string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(identifier)))
	return "a:" + base64.RawURLEncoding.EncodeToString(sum[:])
}

// successKeys are the keys a successful sign-in to user clears: the
// account's and those of its username and e-mail address.
func successKeys(user *store.User) []string {
	keys := []string{"u:" + user.ID}
	for _, id := range []string{user.Username, user.PrimaryEmail} {
		if id != "" {
			keys = append(keys, identifierKey(id))
		}
	}
	return keys
}

// ipKey is the back-off key of a client address: IPv6 addresses count per
// /64, as at the token endpoint, since one client commonly holds a whole
// /64.
func ipKey(ip string) string {
	if a, err := netip.ParseAddr(ip); err == nil {
		return ratelimit.AddrKey(a)
	}
	return ip
}

// wait returns how long any of the account keys (accountKeys) or the
// client address is still locked out, or 0 when an attempt may go ahead.
func (t *throttle) wait(ctx context.Context, accounts []string, ip string) time.Duration {
	d := t.counts.Locked(ctx, t.client, ipKey(ip))
	for _, k := range accounts {
		d = max(d, t.counts.Locked(ctx, t.account, k))
	}
	return d
}

// fail records a failed attempt against each of the account keys and the
// client address. It is recorded even if the client has gone away.
func (t *throttle) fail(ctx context.Context, accounts []string, ip string) {
	ctx = context.WithoutCancel(ctx)
	for _, k := range accounts {
		t.counts.Fail(ctx, t.account, k)
	}
	t.counts.Fail(ctx, t.client, ipKey(ip))
}

// succeed forgets the failures of the keys (successKeys; not the client
// address's).
func (t *throttle) succeed(ctx context.Context, keys []string) {
	ctx = context.WithoutCancel(ctx)
	for _, k := range keys {
		t.counts.Forget(ctx, t.account, k)
	}
}
