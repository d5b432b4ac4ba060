package oidc

import (
	"strings"
	"sync"
	"time"

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
	MaxEntries  int           // memory bound; default 100 000
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

// throttle counts sign-in failures per account (see accountKey) and per
// client IP address, in this process's memory.
type throttle struct {
	cfg     ThrottleConfig
	now     func() time.Time
	mu      sync.Mutex
	entries map[string]*failures
}

type failures struct {
	count  int
	last   time.Time
	locked time.Time // until
}

func newThrottle(cfg ThrottleConfig, now func() time.Time) *throttle {
	cfg.withDefaults()
	return &throttle{cfg: cfg, now: now, entries: make(map[string]*failures)}
}

// accountKeys are the back-off keys of a sign-in attempt: the identifier
// as typed, in any case, and, when it names an account, the account's user
// id, so that the username and the e-mail address of one account share one
// count. The typed identifier counts for known accounts too: were it left
// out, an identifier that names no account only because of its case
// ("JANE" for "jane") would stay free while its lower-case twin is locked,
// telling that the twin exists. Unknown identifiers are counted and locked
// just as known ones are.
func accountKeys(userID, identifier string) []string {
	keys := []string{"a:" + strings.ToLower(identifier)}
	if userID != "" {
		keys = append(keys, "u:"+userID)
	}
	return keys
}

// successKeys are the keys a successful sign-in to user clears: the
// account's and those of its username and e-mail address.
func successKeys(user *store.User) []string {
	keys := []string{"u:" + user.ID}
	for _, id := range []string{user.Username, user.PrimaryEmail} {
		if id != "" {
			keys = append(keys, "a:"+strings.ToLower(id))
		}
	}
	return keys
}

func ipKey(ip string) string { return "i:" + ip }

// wait returns how long any of the account keys (accountKeys) or the IP
// address is still locked out, or 0 when an attempt may go ahead.
func (t *throttle) wait(accounts []string, ip string) time.Duration {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	var d time.Duration
	for _, k := range append(accounts[:len(accounts):len(accounts)], ipKey(ip)) {
		if f := t.entries[k]; f != nil && now.Before(f.locked) {
			d = max(d, f.locked.Sub(now))
		}
	}
	return d
}

// fail records a failed attempt against each of the account keys.
func (t *throttle) fail(accounts []string, ip string) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.entries) >= t.cfg.MaxEntries {
		t.sweep(now)
	}
	for _, k := range accounts {
		t.add(k, t.cfg.AccountFree, now)
	}
	t.add(ipKey(ip), t.cfg.IPFree, now)
}

func (t *throttle) add(k string, free int, now time.Time) {
	f := t.entries[k]
	if f == nil || now.Sub(f.last) > t.cfg.Window {
		f = &failures{}
		t.entries[k] = f
	}
	f.count++
	f.last = now
	if over := f.count - free; over >= 0 {
		d := t.cfg.Base << min(over, 30)
		if d <= 0 || d > t.cfg.Max {
			d = t.cfg.Max
		}
		f.locked = now.Add(d)
	}
}

// succeed forgets the failures of the keys (successKeys; not the IP
// address's).
func (t *throttle) succeed(keys []string) {
	t.mu.Lock()
	for _, k := range keys {
		delete(t.entries, k)
	}
	t.mu.Unlock()
}

// sweep drops forgotten entries and, if that is not enough, arbitrary ones
// (map order is random), so that a flood of new keys cannot grow memory.
func (t *throttle) sweep(now time.Time) {
	for k, f := range t.entries {
		if now.Sub(f.last) > t.cfg.Window && !now.Before(f.locked) {
			delete(t.entries, k)
		}
	}
	for k := range t.entries {
		if len(t.entries) < t.cfg.MaxEntries*9/10 {
			break
		}
		delete(t.entries, k)
	}
}
