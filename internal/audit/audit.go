// Package audit writes audit log entries to the store asynchronously, in
// batches, so that no request waits for a database write. The buffer is
// bounded: when the store cannot keep up, entries are dropped and counted
// rather than slowing the token endpoint down.
//
// A busy server issues thousands of tokens a second. Mergeable events (a
// successful token request is one) that are alike in everything but time
// and arrive within one flush interval become one entry with a count and
// the time of the last one, so the log keeps who got which tokens when
// without a row per token. Failures are never merged.
package audit

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/monban/monban/internal/store"
)

// Options tune a Writer. Zero fields take their defaults, except Retention.
type Options struct {
	Buffer        int           // events waiting at most; default 10,000
	BatchSize     int           // entries per transaction at most; default 256
	FlushInterval time.Duration // how long an event may wait; default 1 s
	// Retention is how long entries are kept: older ones are deleted every
	// PruneInterval. Zero keeps none past the next prune; Forever keeps
	// them all. The server's default is DefaultRetention.
	Retention     time.Duration
	PruneInterval time.Duration // default 1 h
}

// Retention settings.
const (
	// DefaultRetention is how long the server keeps audit entries unless
	// configured otherwise.
	DefaultRetention = 30 * 24 * time.Hour
	// Forever is the Retention that keeps every entry.
	Forever time.Duration = math.MaxInt64
)

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
	o.Retention = max(o.Retention, 0)
	if o.PruneInterval <= 0 {
		o.PruneInterval = time.Hour
	}
	return o
}

// event is a queued entry. Details, when set, become the payload at flush
// time (marshalled once per stored entry, not per event).
type event struct {
	entry    store.LogEntry
	details  map[string]any
	mergeKey string
}

// Writer buffers events and writes them in the background.
type Writer struct {
	store   store.AuditStore
	opts    Options
	log     *slog.Logger
	ch      chan event
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
	dropped atomic.Uint64
	written atomic.Uint64
	failed  atomic.Uint64
	merged  atomic.Uint64
}

// NewWriter starts a Writer. Close it to flush what is buffered.
func NewWriter(st store.AuditStore, logger *slog.Logger, opts Options) *Writer {
	w := &Writer{
		store: st, opts: opts.withDefaults(), log: logger,
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	w.ch = make(chan event, w.opts.Buffer)
	go w.run()
	return w
}

// Log queues an entry without blocking. A full buffer drops it.
func (w *Writer) Log(e store.LogEntry) { w.queue(event{entry: e}) }

// LogMergeable queues an event that may be merged with alike ones: those
// with the same mergeKey within one flush interval are stored as one entry
// whose details gain "count" and "lastAt" (Unix ms). e's payload is built
// from details.
func (w *Writer) LogMergeable(mergeKey string, e store.LogEntry, details map[string]any) {
	w.queue(event{entry: e, details: details, mergeKey: mergeKey})
}

func (w *Writer) queue(ev event) {
	if ev.entry.CreatedAt.IsZero() {
		ev.entry.CreatedAt = time.Now()
	}
	select {
	case w.ch <- ev:
	default:
		if w.dropped.Add(1) == 1 {
			w.log.Warn("audit log buffer full: entries are being dropped")
		}
	}
}

// Dropped counts events dropped because the buffer was full.
func (w *Writer) Dropped() uint64 { return w.dropped.Load() }

// Written counts entries stored.
func (w *Writer) Written() uint64 { return w.written.Load() }

// Failed counts entries lost to failed writes.
func (w *Writer) Failed() uint64 { return w.failed.Load() }

// Merged counts events folded into an earlier alike one.
func (w *Writer) Merged() uint64 { return w.merged.Load() }

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

// pending is what waits for the next write.
type pending struct {
	order  []*merge
	byKey  map[string]*merge
	events int
}

type merge struct {
	ev    event
	count int
	last  time.Time
}

func (p *pending) add(ev event) {
	p.events++
	if ev.mergeKey != "" {
		if m := p.byKey[ev.mergeKey]; m != nil {
			m.count++
			m.last = ev.entry.CreatedAt
			return
		}
	}
	m := &merge{ev: ev, count: 1, last: ev.entry.CreatedAt}
	p.order = append(p.order, m)
	if ev.mergeKey != "" {
		p.byKey[ev.mergeKey] = m
	}
}

func (w *Writer) run() {
	defer close(w.done)
	flush := time.NewTicker(w.opts.FlushInterval)
	defer flush.Stop()
	prune := time.NewTicker(w.opts.PruneInterval)
	defer prune.Stop()
	p := &pending{byKey: map[string]*merge{}}
	write := func() {
		if len(p.order) == 0 {
			return
		}
		w.merged.Add(uint64(p.events - len(p.order)))
		batch := make([]store.LogEntry, 0, len(p.order))
		for _, m := range p.order {
			e := m.ev.entry
			if e.ID == "" {
				e.ID = NewID(e.CreatedAt)
			}
			if m.ev.details != nil {
				d := m.ev.details
				if m.count > 1 {
					d["count"] = m.count
					d["lastAt"] = m.last.UnixMilli()
				}
				e.Payload, _ = json.Marshal(d)
			}
			batch = append(batch, e)
		}
		p.order, p.byKey, p.events = p.order[:0], map[string]*merge{}, 0
		for start := 0; start < len(batch); start += w.opts.BatchSize {
			chunk := batch[start:min(start+w.opts.BatchSize, len(batch))]
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := w.store.InsertLogs(ctx, chunk); err != nil {
				w.failed.Add(uint64(len(chunk)))
				w.log.Error("writing audit logs failed", "entries", len(chunk), "err", err)
			} else {
				w.written.Add(uint64(len(chunk)))
			}
			cancel()
		}
	}
	for {
		select {
		case ev := <-w.ch:
			p.add(ev)
			// Unmergeable events would otherwise pile up without bound
			// between flushes.
			if len(p.order) >= w.opts.BatchSize {
				write()
			}
		case <-flush.C:
			write()
		case <-prune.C:
			w.prune()
		case <-w.stop:
			for {
				select {
				case ev := <-w.ch:
					p.add(ev)
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
	if w.opts.Retention == Forever {
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

const idAlphabet = "0123456789abcdefghijklmnopqrstuvwxyz"

// NewID returns a 21-character id that sorts by time: the creation time in
// milliseconds (9 base-36 digits) and 12 random characters. Ids that grow
// with time keep inserts at the end of the table's index, which makes
// writing a busy server's log several times cheaper than random ids.
func NewID(t time.Time) string {
	ts := strconv.FormatInt(t.UnixMilli(), 36)
	for len(ts) < 9 {
		ts = "0" + ts
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	out := make([]byte, 0, 21)
	out = append(out, ts...)
	for _, c := range b {
		out = append(out, idAlphabet[int(c)%len(idAlphabet)])
	}
	return string(out)
}
