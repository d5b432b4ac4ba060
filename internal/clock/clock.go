// Package clock is the time source of everything time-dependent in the
// server: token lifetimes, key publish delays, secret expiry, refresh
// grace, sessions. Production code uses System; tests use a Fake they
// advance by hand, so that they never sleep against wall-clock windows.
package clock

import (
	"sort"
	"sync"
	"time"
)

// Clock tells the time and runs functions after a duration of it.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f in its own goroutine once d has passed on this
	// clock (at once when d <= 0). Stop prevents a call not yet started.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc call.
type Timer interface {
	// Stop prevents the call; it reports whether it did (false: the call
	// has started or was stopped before).
	Stop() bool
}

// System is the operating system's clock.
var System Clock = systemClock{}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// Or returns c, or System when c is nil.
func Or(c Clock) Clock {
	if c == nil {
		return System
	}
	return c
}

// Fake is a clock that moves only when Advance or Set is called. It is
// safe for concurrent use.
type Fake struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
	seq    int // orders timers due at the same instant by creation
}

// NewFake returns a fake clock reading start.
func NewFake(start time.Time) *Fake { return &Fake{now: start} }

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// AfterFunc schedules fn for when the clock has advanced by d; with d <= 0
// it runs at once, in its own goroutine.
func (f *Fake) AfterFunc(d time.Duration, fn func()) Timer {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	t := &fakeTimer{clock: f, at: f.now.Add(d), fn: fn, seq: f.seq}
	if d <= 0 {
		t.fired = true
		go fn()
		return t
	}
	f.timers = append(f.timers, t)
	return t
}

// Advance moves the clock forward by d and starts, each in its own
// goroutine, every function that has become due, in order of due time.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	f.setLocked(f.now.Add(d))
}

// Set moves the clock to t (which must not be before Now) like Advance.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	f.setLocked(t)
}

// setLocked is called with f.mu held, and releases it.
func (f *Fake) setLocked(t time.Time) {
	if t.After(f.now) {
		f.now = t
	}
	var due, left []*fakeTimer
	for _, tm := range f.timers {
		if !tm.at.After(f.now) {
			tm.fired = true
			due = append(due, tm)
		} else {
			left = append(left, tm)
		}
	}
	f.timers = left
	f.mu.Unlock()
	sort.Slice(due, func(i, j int) bool {
		if !due[i].at.Equal(due[j].at) {
			return due[i].at.Before(due[j].at)
		}
		return due[i].seq < due[j].seq
	})
	for _, tm := range due {
		go tm.fn()
	}
}

// Pending returns how many AfterFunc calls wait for the clock to advance.
// A test can wait for it to grow to know that a background goroutine has
// scheduled its work.
func (f *Fake) Pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.timers)
}

type fakeTimer struct {
	clock *Fake
	at    time.Time
	fn    func()
	seq   int
	fired bool // started or stopped
}

func (t *fakeTimer) Stop() bool {
	f := t.clock
	f.mu.Lock()
	defer f.mu.Unlock()
	if t.fired {
		return false
	}
	t.fired = true
	for i, tm := range f.timers {
		if tm == t {
			f.timers = append(f.timers[:i:i], f.timers[i+1:]...)
			break
		}
	}
	return true
}
