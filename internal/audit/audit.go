// Package audit writes audit log entries to the store asynchronously, in
// batches, so that no request waits for a database write. The buffer is
// bounded: when the store cannot keep up, entries are dropped and counted
// rather than slowing the token endpoint down.
package audit

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
)

// Options tune a Writer. Zero fields take their defaults.
type Options struct {
	Buffer        int           // entries waiting at most; default 10,000
	BatchSize     int           // entries per transaction at most; default 256
	FlushInterval time.Duration // how long an entry may wait; default 1 s
	// Retention is how long entries are kept; default 30 days, negative
	// keeps them forever. Older ones are deleted every PruneInterval.
	Retention     time.Duration
	PruneInterval time.Duration // default 1 h
}

func (o Options) withDefaults() Options {
	if o.Buffer <= 0 {
		o.Buffer = 10000
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 256
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = time.Second
	}
	if o.Retention == 0 {
		o.Retention = 30 * 24 * time.Hour
	}
	if o.PruneInterval <= 0 {
		o.PruneInterval = time.Hour
	}
	return o
}

// Writer buffers entries and writes them in the background.
type Writer struct {
	store   store.AuditStore
	opts    Options
	log     *slog.Logger
	ch      chan store.LogEntry
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
	dropped atomic.Uint64
	written atomic.Uint64
	failed  atomic.Uint64
}

// NewWriter starts a Writer. Close it to flush what is buffered.
func NewWriter(st store.AuditStore, logger *slog.Logger, opts Options) *Writer {
	w := &Writer{
		store: st, opts: opts.withDefaults(), log: logger,
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	w.ch = make(chan store.LogEntry, w.opts.Buffer)
	go w.run()
	return w
}

// Log queues an entry without blocking; it fills in the id and time when
// they are missing. A full buffer drops the entry.
func (w *Writer) Log(e store.LogEntry) {
	if e.ID == "" {
		e.ID = randid.ID()
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = time.Now()
	}
	select {
	case w.ch <- e:
	default:
		if w.dropped.Add(1) == 1 {
			w.log.Warn("audit log buffer full: entries are being dropped")
		}
	}
}

// Dropped counts entries dropped because the buffer was full.
func (w *Writer) Dropped() uint64 { return w.dropped.Load() }

// Written counts entries stored.
func (w *Writer) Written() uint64 { return w.written.Load() }

// Failed counts entries lost to failed writes.
func (w *Writer) Failed() uint64 { return w.failed.Load() }

// Close stops the writer after writing what is buffered, waiting at most
// until ctx ends.
func (w *Writer) Close(ctx context.Context) error {
	w.once.Do(func() { close(w.stop) })
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (w *Writer) run() {
	defer close(w.done)
	flush := time.NewTicker(w.opts.FlushInterval)
	defer flush.Stop()
	prune := time.NewTicker(w.opts.PruneInterval)
	defer prune.Stop()
	batch := make([]store.LogEntry, 0, w.opts.BatchSize)
	write := func() {
		if len(batch) == 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := w.store.InsertLogs(ctx, batch); err != nil {
			w.failed.Add(uint64(len(batch)))
			w.log.Error("writing audit logs failed", "entries", len(batch), "err", err)
		} else {
			w.written.Add(uint64(len(batch)))
		}
		batch = batch[:0]
	}
	for {
		select {
		case e := <-w.ch:
			batch = append(batch, e)
			if len(batch) >= w.opts.BatchSize {
				write()
			}
		case <-flush.C:
			write()
		case <-prune.C:
			w.prune()
		case <-w.stop:
			for {
				select {
				case e := <-w.ch:
					batch = append(batch, e)
					if len(batch) >= w.opts.BatchSize {
						write()
					}
				default:
					write()
					return
				}
			}
		}
	}
}

// prune deletes entries older than the retention.
func (w *Writer) prune() {
	if w.opts.Retention < 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n, err := w.store.DeleteLogsBefore(ctx, time.Now().Add(-w.opts.Retention))
	if err != nil {
		w.log.Warn("pruning audit logs failed", "err", err)
		return
	}
	if n > 0 {
		w.log.Info("pruned old audit logs", "deleted", n, "retention", w.opts.Retention)
	}
}

// Prune runs one retention pass now (start-up and tests).
func (w *Writer) Prune() { w.prune() }
