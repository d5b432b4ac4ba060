package claims

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/monban/monban/internal/egress"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/monban/monban/internal/token"
)

// Runner runs custom claims scripts. It keeps, per script, the compiled code
// and a bounded pool of ready VMs; it is safe for concurrent use.
type Runner struct {
	limits     Limits
	egress     *egress.Guard
	client     *http.Client
	transport  *http.Transport
	issue      *budget // runs at issuance
	test       *budget // test runs (Input.Test)
	grace      time.Duration
	maxIdle    int
	maxScripts int

	mu     sync.Mutex
	pools  map[string]*pool // by script source
	kinds  map[string]*kindState
	closed bool
	tick   uint64 // for least-recently-used pools

	vmsCreated atomic.Uint64
	vmsReused  atomic.Uint64
	vmsClosed  atomic.Uint64
	freeing    sync.WaitGroup // discarded VMs being freed

	runsAbandoned    atomic.Uint64 // by the watchdog
	abandonedRunning atomic.Int64  // of those, still going

	// testStall, when set, is called by console.log: tests hold a run
	// inside the engine with it.
	testStall func()
}

// pool is one script version: its bytecode and its ready VMs.
type pool struct {
	script   string
	once     sync.Once
	bytecode []byte
	err      error

	memo memo

	// guarded by Runner.mu
	idle     []*jsvm
	evicted  bool
	lastUsed uint64
}

// kindState is what a token type (the kind passed to Run) currently runs,
// and its counters.
type kindState struct {
	pool  *pool
	stats kindCounters
}

type kindCounters struct {
	outcomes [numOutcomes]atomic.Uint64
	reused   atomic.Uint64 // ok outcomes answered from the memo
	total    atomic.Int64  // nanoseconds
	max      atomic.Int64
}

func (c *kindCounters) record(o outcome, d time.Duration) {
	c.outcomes[o].Add(1)
	c.total.Add(int64(d))
	for {
		m := c.max.Load()
		if int64(d) <= m || c.max.CompareAndSwap(m, int64(d)) {
			return
		}
	}
}

// NewRunner returns a Runner with opts (zero fields take their defaults).
func NewRunner(opts Options) *Runner {
	opts = opts.withDefaults()
	e := egress.New(opts.Policy)
	client, transport := newHTTPClient(e, opts.Policy.MaxRedirects)
	return &Runner{
		limits:     opts.Limits,
		egress:     e,
		client:     client,
		transport:  transport,
		issue:      newBudget(opts.MaxConcurrent, opts.MaxExecuting),
		test:       newBudget(opts.MaxTestConcurrent, opts.MaxTestExecuting),
		grace:      defaultGrace,
		maxIdle:    opts.MaxIdleVMs,
		maxScripts: opts.MaxScripts,
		pools:      make(map[string]*pool),
		kinds:      make(map[string]*kindState),
	}
}

// Limits returns the limits in effect, defaults applied.
func (r *Runner) Limits() Limits { return r.limits }

// Warm compiles the runtime in the background, so that the first run does
// not wait for it (tens of milliseconds, once per process). A process that
// never runs a script never compiles it, nor holds its memory.
func (r *Runner) Warm() {
	go func() { _, _ = runtimeCode() }()
}

// Compile checks script with the runner's limits, see Compile. A script is
// about to run, so it also warms the runtime.
func (r *Runner) Compile(script string) error {
	r.Warm()
	_, err := compileScript(script, r.limits)
	return err
}

// Run runs script's getCustomJwtClaims with in and returns the claims to add.
//
// kind names the token type ("access-token", "client-credentials", a test
// run, ...): counters are kept per kind, and when a kind's script changes
// the VMs of its previous script are released.
//
// Errors: *SyntaxError, *ScriptError, *DeniedError, *LimitError, ErrTimeout,
// an error wrapping the context's when it is canceled, ErrClosed. Outcome
// names them for metrics.
//
// Run returns by the run's deadline and a short grace whatever the script
// does: a run still in the engine then is abandoned (ErrTimeout, no logs),
// see Stats.RunsAbandoned.
func (r *Runner) Run(ctx context.Context, kind, script string, in Input) (res Result, err error) {
	start := time.Now()
	deadline := start.Add(r.limits.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	p, ks, stale := r.lookup(kind, script)
	closeVMs(stale)
	defer func() {
		res.Duration = time.Since(start)
		if ks != nil {
			ks.stats.record(outcomeOf(err), res.Duration)
		}
	}()
	if p == nil {
		return res, ErrClosed
	}
	p.once.Do(func() { p.bytecode, p.err = compileScript(script, r.limits) })
	if p.err != nil {
		return res, p.err
	}
	input, err := encodeInput(in)
	if err != nil {
		return res, err
	}
	if in.Memoize {
		if e, ok := p.memo.lookup(input); ok {
			ks.stats.reused.Add(1)
			res.Claims, res.IDClaims, res.Dropped = e.claims, e.idClaims, e.dropped
			return res, nil
		}
	}
	if ctx.Err() != nil {
		// Before taking a VM, which a run that ends this way would discard.
		return res, ctxError(ctx)
	}
	b := r.issue
	if in.Test {
		b = r.test
	}
	if err := acquire(ctx, b.slots, deadline); err != nil {
		return res, err
	}
	j := &runJob{b: b, done: make(chan struct{}), slot: true}
	go r.work(ctx, j, p, deadline, input, in.Memoize)
	// The watchdog: the engine checks its deadline only now and then, and a
	// script can make that rare; the caller is answered anyway.
	wd := time.NewTimer(time.Until(deadline) + r.grace)
	defer wd.Stop()
	select {
	case <-j.done:
	case <-wd.C:
		if r.abandon(j) {
			return res, ErrTimeout
		}
		<-j.done
	}
	res.Claims, res.IDClaims, res.Dropped, res.Logs = j.res.Claims, j.res.IDClaims, j.res.Dropped, j.res.Logs
	return res, j.err
}

// work executes a run on a goroutine of its own, so that the watchdog can
// answer the caller of Run even when the engine does not return. When it
// has, work gives the run's VM back to the pool or discards it, and its
// slot and place back to the budget, unless the run was abandoned.
func (r *Runner) work(ctx context.Context, j *runJob, p *pool, deadline time.Time, input encodedInput, memoize bool) {
	rs := &runState{ctx: ctx, deadline: deadline, job: j}
	var (
		v        *jsvm
		res      Result
		err      error
		reusable bool
	)
	func() {
		defer func() {
			if x := recover(); x != nil {
				err = fmt.Errorf("claims: internal error: %v", x)
				reusable = false
			}
		}()
		// The VM is taken while executing, so that runs that only compute
		// use no more VMs than may execute at once.
		if err = rs.resume(); err != nil {
			return
		}
		if v, err = r.get(p, deadline); err != nil {
			return
		}
		j.setVM(v)
		v.cur = rs
		defer rs.finish()
		if err = v.exec(ctx, rs, input); err != nil {
			return
		}
		var claims map[string]any
		claims, err = v.outcome(rs)
		if claims != nil && rs.kind == "action" {
			res.Claims, res.IDClaims, res.Dropped = actionResult(claims)
		} else if claims != nil {
			res.Claims, res.Dropped = dropReserved(claims)
		}
		_, denied := err.(*DeniedError)
		reusable = err == nil || denied
	}()
	if j.finish() {
		r.endAbandoned(j, v)
		return
	}
	res.Logs = rs.logs
	if err == nil && memoize && memoizable(rs.flags) {
		p.memo.store(uint8(rs.flags&readParts), input, memoEntry{claims: res.Claims, idClaims: res.IDClaims, dropped: res.Dropped}, len(rs.payload))
	}
	rs.pause()
	if v == nil || r.keep(v, reusable) {
		j.releaseSlot()
	} else {
		r.discard(v, j)
	}
	j.res, j.err = res, err
	close(j.done)
}

// encodedInput is Input as the JSON texts the harness parses on demand,
// and the jti.
type encodedInput struct {
	token, context, env string
	jti                 string
	trigger             string // Input.Trigger
}

func encodeInput(in Input) (encodedInput, error) {
	e := encodedInput{jti: in.JTI, trigger: in.Trigger}
	var err error
	if e.token, err = encodePart(in.Token); err != nil {
		return e, err
	}
	if e.context, err = encodePart(in.Context); err != nil {
		return e, err
	}
	if len(in.EnvironmentVariables) == 0 {
		e.env = "{}"
	} else if e.env, err = encodePart(in.EnvironmentVariables); err != nil {
		return e, err
	}
	return e, nil
}

// encodePart marshals one part of the input; nil is an empty object and a
// json.RawMessage, already encoded by the caller, is taken as it is.
func encodePart(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "{}", nil
	case json.RawMessage:
		if len(x) == 0 {
			return "{}", nil
		}
		return string(x), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("claims: encoding the input: %w", err)
	}
	return string(b), nil
}

// actionResult splits an Auth0 Action's claims into the access token's and
// the ID token's, each without reserved claims; the ID token's dropped
// names are prefixed with "idToken.".
func actionResult(claims map[string]any) (access, id map[string]any, dropped []string) {
	access, _ = claims["accessToken"].(map[string]any)
	id, _ = claims["idToken"].(map[string]any)
	if access == nil {
		access = map[string]any{}
	}
	if id == nil {
		id = map[string]any{}
	}
	access, dropped = dropReserved(access)
	id, idDropped := dropReserved(id)
	for _, d := range idDropped {
		dropped = append(dropped, "idToken."+d)
	}
	sort.Strings(dropped)
	return access, id, dropped
}

// dropReserved removes the reserved claims and, at any depth, the names a
// consumer's naive merge could turn into prototype pollution; it returns
// what it removed, nested names as a path ("a.b.__proto__", "list.0.constructor").
func dropReserved(claims map[string]any) (map[string]any, []string) {
	var dropped []string
	for k, v := range claims {
		if token.Reserved(k) || prototypeNames[k] {
			dropped = append(dropped, k)
			delete(claims, k)
			continue
		}
		dropped = dropPrototypeNames(v, k, dropped)
	}
	sort.Strings(dropped)
	return claims, dropped
}

// lookup returns the pool of script for kind. When kind's script changed,
// the previous pool is evicted unless another kind uses it; its idle VMs are
// returned for closing outside the lock.
func (r *Runner) lookup(kind, script string) (*pool, *kindState, []*jsvm) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ks := r.kinds[kind]
	if ks == nil {
		ks = &kindState{}
		r.kinds[kind] = ks
	}
	if r.closed {
		return nil, ks, nil
	}
	r.tick++
	// Comparing the source is cheap (often the same string), cheaper than
	// hashing it on every run.
	if ks.pool != nil && !ks.pool.evicted && ks.pool.script == script {
		ks.pool.lastUsed = r.tick
		return ks.pool, ks, nil
	}
	var stale []*jsvm
	p := r.pools[script]
	if p == nil {
		p = &pool{script: script}
		r.pools[script] = p
	}
	old := ks.pool
	ks.pool = p
	p.lastUsed = r.tick
	if old != nil && old != p && !r.inUseLocked(old) {
		stale = append(stale, r.evictLocked(old)...)
	}
	for len(r.pools) > r.maxScripts {
		victim := r.lruLocked()
		if victim == nil {
			break
		}
		stale = append(stale, r.evictLocked(victim)...)
	}
	return p, ks, stale
}

func (r *Runner) inUseLocked(p *pool) bool {
	for _, ks := range r.kinds {
		if ks.pool == p {
			return true
		}
	}
	return false
}

// lruLocked returns the least recently used pool no kind is using.
func (r *Runner) lruLocked() *pool {
	var victim *pool
	for _, p := range r.pools {
		if r.inUseLocked(p) {
			continue
		}
		if victim == nil || p.lastUsed < victim.lastUsed {
			victim = p
		}
	}
	return victim
}

func (r *Runner) evictLocked(p *pool) []*jsvm {
	delete(r.pools, p.script)
	p.evicted = true
	idle := p.idle
	p.idle = nil
	return idle
}

func closeVMs(vms []*jsvm) {
	for _, v := range vms {
		v.close()
		v.r.vmsClosed.Add(1)
	}
}

// acquire waits for a place in sem until the deadline.
func acquire(ctx context.Context, sem chan struct{}, deadline time.Time) error {
	select {
	case sem <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case sem <- struct{}{}:
		return nil
	case <-t.C:
		return ErrTimeout
	case <-ctx.Done():
		return ctxError(ctx)
	}
}

// get takes a ready VM of p, or prepares one.
func (r *Runner) get(p *pool, deadline time.Time) (*jsvm, error) {
	r.mu.Lock()
	if n := len(p.idle); n > 0 {
		v := p.idle[n-1]
		p.idle = p.idle[:n-1]
		r.mu.Unlock()
		r.vmsReused.Add(1)
		return v, nil
	}
	r.mu.Unlock()
	v, err := r.newVM(p, deadline)
	if err != nil {
		return nil, err
	}
	r.vmsCreated.Add(1)
	return v, nil
}

// keep returns v to its pool and reports true, or reports false when v is
// to be closed: after a failed run (interrupted, out of memory, thrown) a VM
// is never reused.
func (r *Runner) keep(v *jsvm, reusable bool) bool {
	v.cur = nil
	v.uses++
	if reusable && v.uses < maxVMUses {
		r.mu.Lock()
		defer r.mu.Unlock()
		if !r.closed && !v.pool.evicted && len(v.pool.idle) < r.maxIdle {
			v.pool.idle = append(v.pool.idle, v)
			return true
		}
	}
	return false
}

// discard closes v and then gives up its run's slot. Freeing the heap a
// script filled takes tens of milliseconds, so it is done off the caller's
// path; the slot is held until then, so that VMs being freed count against
// MaxConcurrent as live ones do.
func (r *Runner) discard(v *jsvm, j *runJob) {
	r.vmsClosed.Add(1)
	r.mu.Lock()
	closed := r.closed
	if !closed {
		r.freeing.Add(1) // before Close's Wait, which comes after closed is set
	}
	r.mu.Unlock()
	if closed {
		v.close()
		j.releaseSlot()
		return
	}
	go func() {
		defer r.freeing.Done()
		v.close()
		j.releaseSlot()
	}()
}

// Close releases the idle VMs and connections, and waits until discarded
// VMs are freed. Runs in progress finish; later runs fail with ErrClosed.
// Abandoned runs still going are not waited for: each closes its VM when
// the engine returns.
func (r *Runner) Close() error {
	r.mu.Lock()
	r.closed = true
	var stale []*jsvm
	for _, p := range r.pools {
		stale = append(stale, r.evictLocked(p)...)
	}
	r.mu.Unlock()
	closeVMs(stale)
	r.freeing.Wait()
	r.transport.CloseIdleConnections()
	return nil
}

// KindStats are the counters of one kind.
type KindStats struct {
	// Outcomes counts runs by Outcome name; every name is present.
	Outcomes map[string]uint64
	// Runs is the sum of Outcomes.
	Runs uint64
	// Reused counts the ok outcomes answered from an earlier run's result
	// (see Input.Memoize), without running the script.
	Reused uint64
	// TotalDuration and MaxDuration of the runs.
	TotalDuration time.Duration
	MaxDuration   time.Duration
}

// Stats is a snapshot of a Runner's counters.
type Stats struct {
	Kinds map[string]KindStats
	// VMsCreated counts VMs prepared, VMsReused runs on a pooled VM,
	// VMsClosed VMs closed (after failures, evictions, recycling).
	VMsCreated, VMsReused, VMsClosed uint64
	// IdleVMs is the number of ready VMs now.
	IdleVMs int
	// RunsAbandoned counts the runs the watchdog answered with a timeout
	// because they had not returned shortly after their deadline (counted
	// in the timeout outcomes too); AbandonedRunning is how many of them
	// have not returned yet.
	RunsAbandoned    uint64
	AbandonedRunning int64
}

// Stats returns a snapshot of the counters, for a metrics endpoint.
func (r *Runner) Stats() Stats {
	s := Stats{
		Kinds:      make(map[string]KindStats),
		VMsCreated: r.vmsCreated.Load(),
		VMsReused:  r.vmsReused.Load(),
		VMsClosed:  r.vmsClosed.Load(),

		RunsAbandoned:    r.runsAbandoned.Load(),
		AbandonedRunning: r.abandonedRunning.Load(),
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.pools {
		s.IdleVMs += len(p.idle)
	}
	for kind, ks := range r.kinds {
		k := KindStats{
			Outcomes:      make(map[string]uint64, numOutcomes),
			Reused:        ks.stats.reused.Load(),
			TotalDuration: time.Duration(ks.stats.total.Load()),
			MaxDuration:   time.Duration(ks.stats.max.Load()),
		}
		for o := range numOutcomes {
			n := ks.stats.outcomes[o].Load()
			k.Outcomes[o.String()] = n
			k.Runs += n
		}
		s.Kinds[kind] = k
	}
	return s
}
