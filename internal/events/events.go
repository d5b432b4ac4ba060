// Package events follows the outbox: the durable, ordered record of
// changes that the store appends in the same transaction as each change
// (see store.Events). A Follower reads it from a cursor and hands each batch
// of new events, in order, to its subscribers: this instance's catalog and
// revocation list today, webhooks later. Another instance's change reaches
// it the same way: a wake-up (PostgreSQL's NOTIFY through the change feed,
// or this process's own writes) makes it read at once, and polling makes up
// for a wake-up lost in transit.
package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/monban/monban/internal/clock"
	"github.com/monban/monban/internal/store"
)

// Handler takes a batch of events, oldest first. The follower moves on
// whatever it returns, so a handler that cannot apply an event falls back
// on its own (the catalog reloads everything); its error is reported.
type Handler func(ctx context.Context, evs []store.Event) error

// batchSize bounds the events read at once.
const batchSize = 500

// Follower reads the outbox from a cursor and delivers what it reads.
type Follower struct {
	src    store.Events
	logger *slog.Logger
	poll   time.Duration

	mu       sync.Mutex // serialises Sync, and guards cursor and handlers
	cursor   int64
	handlers []named

	wake chan struct{}
}

type named struct {
	name string
	fn   Handler
}

// New returns a follower whose cursor is the newest event now, so that it
// delivers the changes committed from now on: its subscribers load what
// came before by themselves, after New. poll is how often Run reads
// without a wake-up (0: only when woken).
func New(ctx context.Context, src store.Events, logger *slog.Logger, poll time.Duration) (*Follower, error) {
	last, err := src.LastEventSeq(ctx)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	return &Follower{src: src, logger: logger, poll: poll, cursor: last, wake: make(chan struct{}, 1)}, nil
}

// Subscribe adds a handler (named for the logs); each later batch goes to
// the handlers in the order they subscribed.
func (f *Follower) Subscribe(name string, h Handler) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.handlers = append(f.handlers, named{name, h})
}

// Cursor returns the sequence number of the last event delivered.
func (f *Follower) Cursor() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cursor
}

// Sync reads every event after the cursor and delivers it before it
// returns, so that a caller that committed a change sees it applied. It
// returns a failure to read the outbox (the events stay unread, and the
// next Sync tries again) and the handlers' failures (the events count as
// delivered: a handler falls back on its own).
func (f *Follower) Sync(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var failed []error
	for {
		evs, err := f.src.ReadEvents(ctx, f.cursor, batchSize)
		if err != nil {
			return errors.Join(append(failed, fmt.Errorf("events: %w", err))...)
		}
		if len(evs) == 0 {
			return errors.Join(failed...)
		}
		for _, h := range f.handlers {
			if err := h.fn(ctx, evs); err != nil {
				failed = append(failed, fmt.Errorf("%s: %w", h.name, err))
			}
		}
		f.cursor = evs[len(evs)-1].Seq
		if len(evs) < batchSize {
			return errors.Join(failed...)
		}
	}
}

// Wake makes Run read the outbox at once. It never blocks.
func (f *Follower) Wake() {
	select {
	case f.wake <- struct{}{}:
	default: // a wake-up is pending already
	}
}

// Run reads the outbox each time it is woken and every poll interval,
// until ctx ends.
func (f *Follower) Run(ctx context.Context) {
	var tick <-chan time.Time
	if f.poll > 0 {
		t := time.NewTicker(f.poll)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-f.wake:
		case <-tick:
		}
		if err := f.Sync(ctx); err != nil && ctx.Err() == nil {
			f.logger.Warn("following the outbox failed; the next wake-up or poll reads on", "err", err)
		}
	}
}

// Prune deletes the events older than keep every interval, until ctx ends.
// Readers more than keep behind miss events: the caches' periodic full
// reload makes up for that.
func Prune(ctx context.Context, src store.Events, interval, keep time.Duration, logger *slog.Logger) {
	clock.Every(ctx, interval, func(ctx context.Context) {
		if _, err := src.PruneEvents(ctx, time.Now().Add(-keep)); err != nil && ctx.Err() == nil {
			logger.Warn("pruning the outbox failed", "err", err)
		}
	})
}
