package oidc

import (
	"strings"
	"sync"
	"time"
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

// throttle counts sign-in failures per account identifier and per client IP
// address, in this process's memory. Keys for accounts that do not exist
// count like any other, so the lock-out tells nothing about existence.
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

func accountKey(identifier string) string { return "a:" + strings.ToLower(identifier) }
func ipKey(ip string) string              { return "i:" + ip }

// wait returns how long the account or the IP address is still locked out,
// or 0 when an attempt may go ahead.
func (t *throttle) wait(identifier, ip string) time.Duration {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	var d time.Duration
	for _, k := range []string{accountKey(identifier), ipKey(ip)} {
		if f := t.entries[k]; f != nil && now.Before(f.locked) {
			d = max(d, f.locked.Sub(now))
		}
	}
	return d
}

// fail records a failed attempt.
func (t *throttle) fail(identifier, ip string) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.entries) >= t.cfg.MaxEntries {
		t.sweep(now)
	}
	t.add(accountKey(identifier), t.cfg.AccountFree, now)
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

// succeed forgets the account's failures (not the IP address's).
func (t *throttle) succeed(identifier string) {
	t.mu.Lock()
	delete(t.entries, accountKey(identifier))
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
