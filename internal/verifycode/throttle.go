package verifycode

import (
	"context"
	"fmt"
	"time"

	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
)

// admit records a send for req and refuses it (removing the record again)
// when it would exceed the throttle. The send is recorded before the
// limits are counted, so of two concurrent sends neither can miss the
// other: at worst both are refused.
func (s *Service) admit(ctx context.Context, req Request) error {
	t := s.throttle
	span := max(t.Window, t.Interval)
	if span <= 0 {
		return nil
	}
	now := s.now()
	rec := store.CodeSend{ID: randid.ID(), Target: hashOf("target", string(req.Channel), req.To),
		CreatedAt: now, ExpiresAt: now.Add(span)}
	if req.ClientIP != "" {
		rec.ClientIP = hashOf("client", req.ClientIP)
	}
	if err := s.st.RecordCodeSend(ctx, rec); err != nil {
		return fmt.Errorf("verifycode: record the send: %w", err)
	}
	times, err := s.st.CodeSends(ctx, rec.Target, rec.ClientIP, now.Add(-span))
	if err == nil {
		if wait := t.wait(now, times); wait > 0 {
			err = &ThrottledError{RetryAfter: wait}
		}
	}
	if err != nil {
		if derr := s.st.DeleteCodeSend(context.WithoutCancel(ctx), rec.ID); derr != nil {
			return fmt.Errorf("verifycode: %w (and removing the send record: %v)", err, derr)
		}
	}
	return err
}

// wait is how long until a send at now is within the limits, given the
// recorded sends (which include the one at now); 0 when it is.
func (t Throttle) wait(now time.Time, times store.CodeSendTimes) time.Duration {
	var wait time.Duration
	later := func(d time.Duration) { wait = max(wait, d, time.Second) }
	if t.Interval > 0 {
		recent := since(times.Target, now.Add(-t.Interval))
		if len(recent) > 1 {
			later(recent[len(recent)-2].Add(t.Interval).Sub(now))
		}
	}
	if t.Window > 0 {
		for _, lim := range []struct {
			n     int
			times []time.Time
		}{{t.PerTarget, times.Target}, {t.PerClient, times.Client}} {
			in := since(lim.times, now.Add(-t.Window))
			if lim.n > 0 && len(in) > lim.n {
				later(in[len(in)-1-lim.n].Add(t.Window).Sub(now))
			}
		}
	}
	return wait
}

// since returns the times after from (times are oldest first).
func since(times []time.Time, from time.Time) []time.Time {
	for i, at := range times {
		if at.After(from) {
			return times[i:]
		}
	}
	return nil
}
