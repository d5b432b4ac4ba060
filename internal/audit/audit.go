// Package audit writes audit log entries to the store asynchronously, in
// batches, so that no request waits for a database write. The buffer is
// bounded: when the store cannot keep up, token events are dropped and
// counted rather than slowing the token endpoint down. Entries queued with
// Keep (Management API changes) are never dropped: a full buffer makes
// their caller wait for room instead.
//
// A batch whose write fails is retried with a growing back-off, a bounded
// number of times; entries still unwritten then, or beyond the bound on
// what waits for a retry, are counted as failed. The store skips an entry
// whose id it holds already, so a retry after a write that did commit
// stores nothing twice.
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
	// MaxAttempts bounds the writes of one batch, the first included;
	// default 6. 1 never retries.
	MaxAttempts int
	// RetryBackoff is the wait before the first retry, doubled for each
	// next one up to MaxRetryBackoff; defaults 1 s and 30 s. At most
	// Buffer entries wait for a retry; beyond that the oldest are lost.
	RetryBackoff    time.Duration
	MaxRetryBackoff time.Duration
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
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 6
	}
	if o.RetryBackoff <= 0 {
		o.RetryBackoff = time.Second
	}
	if o.MaxRetryBackoff <= 0 {
		o.MaxRetryBackoff = 30 * time.Second
	}
	return o
}

// event is a queued entry. Details, when set, become the payload at flush
// time (built and marshalled once per stored entry, not per event).
type event struct {
	entry    store.LogEntry
	details  func() map[string]any
	mergeKey string
}

// Writer buffers events and writes them in the background.
type Writer struct {
	store store.AuditStore
	opts  Options
	log   *slog.Logger
	ch    chan event
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
	// mu guards closed: Keep sends under the read lock, so once Close has
	// set closed no kept entry can reach ch after run's final drain.
	mu      sync.RWMutex
	closed  bool
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
// from what details returns, called at flush time on the writer's goroutine
// for the first event of each merged entry only, so that an event merged
// into another costs no map.
func (w *Writer) LogMergeable(mergeKey string, e store.LogEntry, details func() map[string]any) {
	w.queue(event{entry: e, details: details, mergeKey: mergeKey})
}

// Keep queues an entry that must not be dropped (a Management API
// change). When the buffer is full it waits for room: the writer frees it
// within one batch write. After Close it writes the entry at once.
func (w *Writer) Keep(e store.LogEntry) {
	if e.CreatedAt.IsZero() {
		e.CreatedAt = time.Now()
	}
	w.mu.RLock()
	defer w.mu.RUnlock()
	if !w.closed {
		w.ch <- event{entry: e} // run drains ch until closed is set
		return
	}
	if e.ID == "" {
		e.ID = NewID(e.CreatedAt)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.store.InsertLogs(ctx, []store.LogEntry{e}); err != nil {
		w.failed.Add(1)
		w.log.Error("writing an audit log entry after close failed", "key", e.Key, "err", err)
		return
	}
	w.written.Add(1)
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
	w.once.Do(func() {
		go func() {
			// Waits for Keep calls in flight, which run's draining ends.
			w.mu.Lock()
			w.closed = true
			w.mu.Unlock()
			close(w.stop)
		}()
	})
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

// retry is a batch whose write failed, waiting for its next attempt.
type retry struct {
	entries  []store.LogEntry
	attempts int // made so far
	next     time.Time
}

// retries are the failed batches, oldest first, holding at most max
// entries in all.
type retries struct {
	list    []*retry
	entries int
}

func (w *Writer) run() {
	defer close(w.done)
	flush := time.NewTicker(w.opts.FlushInterval)
	defer flush.Stop()
	prune := time.NewTicker(w.opts.PruneInterval)
	defer prune.Stop()
	p := &pending{byKey: map[string]*merge{}}
	r := &retries{}
	for {
		select {
		case ev := <-w.ch:
			p.add(ev)
			// Unmergeable events would otherwise pile up without bound
			// between flushes.
			if len(p.order) >= w.opts.BatchSize {
				w.write(p, r)
			}
		case <-flush.C:
			w.retryDue(r, time.Now(), false)
			w.write(p, r)
		case <-prune.C:
			w.prune()
		case <-w.stop:
			for {
				select {
				case ev := <-w.ch:
					p.add(ev)
				default:
					w.write(p, r)
					// Last chance for what waits for a retry.
					w.retryDue(r, time.Now(), true)
					return
				}
			}
		}
	}
}

// write stores what is pending, in batches; a batch that fails waits for
// a retry.
func (w *Writer) write(p *pending, r *retries) {
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
			d := m.ev.details()
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
		if err := w.insert(chunk); err != nil {
			w.log.Error("writing audit logs failed; retrying later", "entries", len(chunk), "err", err)
			w.later(r, &retry{entries: chunk, attempts: 1}, time.Now())
		}
	}
}

// insert makes one attempt at writing entries.
func (w *Writer) insert(entries []store.LogEntry) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.store.InsertLogs(ctx, entries); err != nil {
		return err
	}
	w.written.Add(uint64(len(entries)))
	return nil
}

// later queues a failed batch for another attempt, or counts it lost when
// it had its attempts. Beyond the bound on waiting entries, the oldest
// batches are lost.
func (w *Writer) later(r *retries, b *retry, now time.Time) {
	if b.attempts >= w.opts.MaxAttempts {
		w.lose(b, "no attempts left")
		return
	}
	backoff := w.opts.RetryBackoff
	for i := 1; i < b.attempts && backoff < w.opts.MaxRetryBackoff; i++ {
		backoff *= 2
	}
	b.next = now.Add(min(backoff, w.opts.MaxRetryBackoff))
	r.list = append(r.list, b)
	r.entries += len(b.entries)
	for r.entries > w.opts.Buffer && len(r.list) > 1 {
		w.lose(r.list[0], "too many entries waiting for a retry")
		r.entries -= len(r.list[0].entries)
		r.list = r.list[1:]
	}
}

// retryDue retries the batches whose back-off has passed, or all of them
// when last is set (counting those that fail again as lost).
func (w *Writer) retryDue(r *retries, now time.Time, last bool) {
	if len(r.list) == 0 {
		return
	}
	waiting := r.list
	r.list, r.entries = nil, 0
	for _, b := range waiting {
		if !last && now.Before(b.next) {
			r.list = append(r.list, b)
			r.entries += len(b.entries)
			continue
		}
		b.attempts++
		if err := w.insert(b.entries); err != nil {
			if last {
				w.lose(b, "closing")
				continue
			}
			w.log.Warn("retrying audit logs failed", "entries", len(b.entries), "attempt", b.attempts, "err", err)
			w.later(r, b, now)
		}
	}
}

// lose counts a batch that will not be written.
func (w *Writer) lose(b *retry, why string) {
	w.failed.Add(uint64(len(b.entries)))
	w.log.Error("audit log entries lost", "entries", len(b.entries), "attempts", b.attempts, "reason", why)
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
