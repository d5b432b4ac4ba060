package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/monban/monban/internal/egress"
	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
)

// Options configure a Dispatcher. DefaultOptions gives every field its
// value; a zero field is zero, not "default".
type Options struct {
	Egress egress.Policy
	// Timeout bounds one attempt, from dial to the end of the answer.
	Timeout time.Duration
	// MaxAttempts is how many times a delivery is tried before it is
	// given up (at least 1).
	MaxAttempts int
	// BaseDelay is the wait after the first failure; each further failure
	// doubles it, up to MaxDelay.
	BaseDelay, MaxDelay time.Duration
	// Poll is how often the outbox and the due deliveries are looked at.
	Poll time.Duration
	// Batch is how many deliveries one instance claims, and sends at
	// once, per round.
	Batch int
	// Retention is how long finished deliveries and attempts are kept.
	Retention time.Duration
	Logger    *slog.Logger
	Now       func() time.Time
}

// DefaultOptions are the production settings: 10 s per attempt, 12
// attempts from 10 s to 1 h apart (about 3½ hours in all), a look every
// second, attempts kept 7 days.
func DefaultOptions() Options {
	return Options{Timeout: 10 * time.Second, MaxAttempts: 12, BaseDelay: 10 * time.Second, MaxDelay: time.Hour,
		Poll: time.Second, Batch: 16, Retention: 7 * 24 * time.Hour}
}

// IsZero reports whether o is the zero Options, which callers that build
// their configuration field by field take as "not configured".
func (o Options) IsZero() bool {
	return len(o.Egress.AllowHosts) == 0 && len(o.Egress.AllowNetworks) == 0 && o.Egress.MaxRedirects == 0 &&
		o.Timeout == 0 && o.MaxAttempts == 0 && o.BaseDelay == 0 && o.MaxDelay == 0 && o.Poll == 0 && o.Batch == 0 &&
		o.Retention == 0 && o.Logger == nil && o.Now == nil
}

// Dispatcher turns outbox events into deliveries and sends them.
type Dispatcher struct {
	st    store.Store
	opts  Options
	send  *sender
	owner string // this instance, as the holder of leases
	log   *slog.Logger
	now   func() time.Time
	wake  chan struct{}

	pruned time.Time
}

// NewDispatcher returns a Dispatcher over st.
func NewDispatcher(st store.Store, opts Options) *Dispatcher {
	d := &Dispatcher{st: st, opts: opts, send: newSender(opts.Egress, opts.Timeout), owner: randid.ID(),
		log: opts.Logger, now: opts.Now, wake: make(chan struct{}, 1)}
	if d.log == nil {
		d.log = discard
	}
	if d.now == nil {
		d.now = time.Now
	}
	d.opts.MaxAttempts = max(d.opts.MaxAttempts, 1)
	d.opts.Batch = max(d.opts.Batch, 1)
	return d
}

// lease is how long a claimed delivery stays this instance's: longer than
// any attempt can take.
func (d *Dispatcher) lease() time.Duration { return 2*d.opts.Timeout + 30*time.Second }

// Wake makes the next round start now rather than at the next poll.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run plans and sends until ctx is done. Errors are logged and retried on
// the next round.
func (d *Dispatcher) Run(ctx context.Context) {
	t := time.NewTicker(max(d.opts.Poll, time.Millisecond))
	defer t.Stop()
	for {
		d.Round(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-d.wake:
		}
	}
}

// Round plans what the outbox holds, sends what is due, and now and then
// prunes. It is Run's body, exported for tests that step it.
func (d *Dispatcher) Round(ctx context.Context) {
	for ctx.Err() == nil {
		more, err := d.plan(ctx)
		if err != nil {
			d.log.Warn("planning webhook deliveries failed", "err", err)
			break
		}
		if !more {
			break
		}
	}
	for ctx.Err() == nil {
		n, err := d.deliver(ctx)
		if err != nil {
			d.log.Warn("claiming webhook deliveries failed", "err", err)
			break
		}
		if n < d.opts.Batch {
			break
		}
	}
	if now := d.now(); ctx.Err() == nil && now.Sub(d.pruned) > time.Hour {
		if n, err := d.st.PruneWebhooks(ctx, now.Add(-d.opts.Retention)); err != nil {
			d.log.Warn("pruning webhook deliveries failed", "err", err)
		} else {
			d.pruned = now
			if n > 0 {
				d.log.Debug("pruned webhook deliveries", "rows", n)
			}
		}
	}
}

// planBatch is how many outbox events one planning step reads.
const planBatch = 200

// plan turns the next outbox events into deliveries and reports whether
// there may be more.
func (d *Dispatcher) plan(ctx context.Context) (bool, error) {
	from, err := d.st.WebhookCursor(ctx)
	if err != nil {
		return false, err
	}
	evs, err := d.st.ReadEvents(ctx, from, planBatch)
	if err != nil || len(evs) == 0 {
		return false, err
	}
	hooks, _, err := d.st.ListHooks(ctx, store.Page{})
	if err != nil {
		return false, err
	}
	apps := map[string]*store.Application{}
	app := func(id string) *store.Application {
		if a, ok := apps[id]; ok {
			return a
		}
		a, err := d.st.GetApplication(ctx, id)
		apps[id] = nil
		if err == nil {
			apps[id] = &a
		}
		return apps[id]
	}
	now := d.now()
	var ds []store.Delivery
	for _, ev := range evs {
		if len(hooks) == 0 {
			break
		}
		p, ok := planOf(ev, app)
		if !ok {
			continue
		}
		for _, h := range hooks {
			if !h.Listens(p.event) {
				continue
			}
			body, err := json.Marshal(p.payload(h.ID))
			if err != nil {
				return false, err
			}
			ds = append(ds, store.Delivery{ID: randid.ID(), HookID: h.ID, Event: p.event, Body: body,
				State: store.DeliveryPending, NextAt: now, CreatedAt: now})
		}
	}
	err = d.st.PlanDeliveries(ctx, from, evs[len(evs)-1].Seq, ds)
	if errors.Is(err, store.ErrConflict) {
		return true, nil // another instance planned these; read on from where it left off
	}
	return len(evs) == planBatch, err
}

// deliver claims due deliveries and sends them at once, and says how many
// it claimed.
func (d *Dispatcher) deliver(ctx context.Context) (int, error) {
	claimed, err := d.st.ClaimDeliveries(ctx, d.owner, d.now(), d.lease(), d.opts.Batch)
	if err != nil || len(claimed) == 0 {
		return 0, err
	}
	hooks := map[string]*store.Hook{}
	for _, dl := range claimed {
		if _, ok := hooks[dl.HookID]; !ok {
			h, err := d.st.GetHook(ctx, dl.HookID)
			hooks[dl.HookID] = nil
			if err == nil {
				hooks[dl.HookID] = &h
			}
		}
	}
	var wg sync.WaitGroup
	for _, dl := range claimed {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.attempt(ctx, dl, hooks[dl.HookID])
		}()
	}
	wg.Wait()
	return len(claimed), nil
}

// attempt sends one delivery and records the outcome. A hook disabled (or
// gone) since the delivery was planned ends it unsent.
func (d *Dispatcher) attempt(ctx context.Context, dl store.Delivery, h *store.Hook) {
	var r result
	switch {
	case h == nil:
		return // deleted: its deliveries went with it
	case !h.Enabled:
		r = result{err: errors.New("the hook is disabled")}
		dl.Attempts = d.opts.MaxAttempts - 1 // give up at once
	default:
		r = d.send.send(ctx, h.URL, h.Headers, h.SigningKey, dl.Body)
	}
	now := d.now()
	dl.Attempts++
	a := store.DeliveryAttempt{ID: randid.ID(), HookID: dl.HookID, DeliveryID: dl.ID, Event: dl.Event, Body: dl.Body,
		Status: r.status, Response: r.response, Error: r.describe(), Success: r.ok(), CreatedAt: now}
	switch {
	case ctx.Err() != nil && !r.ok():
		// Cut short by a shutdown: due again at once, for whichever
		// instance runs next.
		a.Error = "interrupted by the server's shutdown"
		dl.NextAt = now
	case r.ok():
		dl.State = store.DeliveryDelivered
	case dl.Attempts >= d.opts.MaxAttempts:
		dl.State = store.DeliveryFailed
		d.log.Warn("webhook delivery given up", "hook_id", dl.HookID, "event", dl.Event, "delivery_id", dl.ID,
			"attempts", dl.Attempts, "status", r.status, "err", a.Error)
	default:
		dl.NextAt = now.Add(d.backoff(dl.Attempts))
		d.log.Info("webhook delivery failed; will retry", "hook_id", dl.HookID, "event", dl.Event, "delivery_id", dl.ID,
			"attempt", dl.Attempts, "status", r.status, "err", a.Error, "next_at", dl.NextAt)
	}
	if err := d.st.FinishAttempt(context.WithoutCancel(ctx), d.owner, dl, a); err != nil {
		d.log.Warn("recording a webhook delivery attempt failed", "delivery_id", dl.ID, "err", err)
	}
}

// backoff is the wait after the n-th failed attempt: BaseDelay doubled for
// each earlier failure, at most MaxDelay.
func (d *Dispatcher) backoff(n int) time.Duration {
	delay := d.opts.BaseDelay
	for i := 1; i < n && delay < d.opts.MaxDelay; i++ {
		delay *= 2
	}
	return min(delay, d.opts.MaxDelay)
}
