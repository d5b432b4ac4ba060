package claims

import (
	"container/heap"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"modernc.org/quickjs"
)

// maxVMUses recycles a VM after this many runs, bounding whatever a long
// life could accumulate in the engine (atoms, fragmentation).
const maxVMUses = 5000

// jsvm is one QuickJS VM prepared for one script. It is used by one run at a
// time and never shared between scripts.
type jsvm struct {
	r       *Runner
	pool    *pool
	js      *quickjs.VM
	harness quickjs.Value
	cur     *runState // nil between runs
	uses    int
}

// newVM creates a VM, installs the runtime, freezes the built-ins and
// evaluates the script's factory.
func (r *Runner) newVM(p *pool, deadline time.Time) (_ *jsvm, err error) {
	rt, err := runtimeCode()
	if err != nil {
		return nil, err
	}
	js, err := quickjs.NewVM()
	if err != nil {
		return nil, fmt.Errorf("claims: %w", err)
	}
	v := &jsvm{r: r, pool: p, js: js}
	defer func() {
		if x := recover(); x != nil {
			err = fmt.Errorf("claims: preparing a VM: %v", x)
		}
		if err != nil {
			v.close()
		}
	}()
	js.SetMemoryLimit(uintptr(r.limits.MemoryBytes))
	js.SetMaxStackSize(maxStackSlots)
	remain := time.Until(deadline)
	if remain <= 0 {
		return nil, ErrTimeout
	}
	if err := js.SetEvalTimeout(remain); err != nil {
		return nil, err
	}
	funcs := [len(hostFuncNames)]quickjs.HostFunc{v.hostDone, v.hostLog, v.hostFetch, v.hostTimer, v.hostCancel, v.hostRandom}
	for i, name := range hostFuncNames {
		if err := js.RegisterHostFunc(name, guard(funcs[i])); err != nil {
			return nil, fmt.Errorf("claims: %w", err)
		}
	}
	h, err := js.EvalBytecodeValue(rt.bytecode)
	if err != nil {
		return nil, v.setupError(err, deadline)
	}
	v.harness = h
	if _, err := h.Call(quickjs.UndefinedValue, opLockdown); err != nil {
		return nil, v.setupError(err, deadline)
	}
	factory, err := js.EvalBytecodeValue(p.bytecode)
	if err != nil {
		return nil, v.setupError(err, deadline)
	}
	defer factory.Free()
	if _, err := h.Call(quickjs.UndefinedValue, opSetup, factory, r.limits.MaxOutputBytes, r.limits.MaxLogBytes); err != nil {
		return nil, v.setupError(err, deadline)
	}
	return v, nil
}

func (v *jsvm) setupError(err error, deadline time.Time) error {
	if !time.Now().Before(deadline) {
		return ErrTimeout
	}
	if isOOM(err) {
		return &LimitError{Limit: LimitMemory, Detail: "while preparing the VM"}
	}
	return fmt.Errorf("claims: preparing a VM: %w", err)
}

// close releases the VM. An engine a panic went through may panic again; it
// is gone either way.
func (v *jsvm) close() {
	func() {
		defer func() { _ = recover() }()
		if v.harness.VM() != nil {
			v.harness.Free()
		}
	}()
	defer func() { _ = recover() }()
	v.js.Close()
}

// guard keeps a panic in a host function from unwinding through the engine,
// which would leave the VM unusable.
func guard(f quickjs.HostFunc) quickjs.HostFunc {
	return func(args []any) (res any, err error) {
		defer func() {
			if p := recover(); p != nil {
				res, err = nil, errors.New("internal error in host function")
			}
		}()
		return f(args)
	}
}

func argString(args []any, i int) string {
	if i < len(args) {
		if s, ok := args[i].(string); ok {
			return s
		}
	}
	return ""
}

func argInt(args []any, i int) int {
	if i < len(args) {
		switch x := args[i].(type) {
		case int:
			return x
		case float64:
			if x >= -1<<53 && x <= 1<<53 {
				return int(x)
			}
		}
	}
	return 0
}

func argBool(args []any, i int) bool {
	if i < len(args) {
		b, _ := args[i].(bool)
		return b
	}
	return false
}

var errNoRun = errors.New("no script is running")

// runState is the host side of one run. Only the goroutine running the VM
// touches it; fetch workers talk to it through events.
type runState struct {
	ctx      context.Context
	deadline time.Time

	job *runJob // its slot and place among the executing runs

	done    bool
	kind    string // ok, denied, error, output
	payload string
	flags   int // what the run read and used: read* bits and runVolatile

	limit       Limit // a limit a call hit, reported if the run then fails
	limitDetail string

	logs        []string
	logBytes    int
	logsDropped bool

	fetches     int
	inflight    int
	events      chan fetchEvent
	fetchCtx    context.Context
	fetchCancel context.CancelFunc
	cancels     map[int]context.CancelFunc

	timers timerQueue
	active map[int]uint64 // timer id -> seq of its queued entry
	seq    uint64
}

func (rs *runState) hitLimit(l Limit, detail string) {
	if rs.limit == "" {
		rs.limit, rs.limitDetail = l, detail
	}
}

// resume takes a place among the runs executing JavaScript, waiting until
// the deadline; pause gives it up, while the run awaits a fetch or a timer.
func (rs *runState) resume() error { return rs.job.resume(rs.ctx, rs.deadline) }

func (rs *runState) pause() { rs.job.pause() }

func (rs *runState) finish() {
	if rs.fetchCancel != nil {
		rs.fetchCancel()
	}
}

func (v *jsvm) hostDone(args []any) (any, error) {
	rs := v.cur
	if rs == nil {
		return nil, errNoRun
	}
	if !rs.done {
		rs.done = true
		rs.kind = argString(args, 0)
		rs.payload = argString(args, 1)
		rs.flags |= argInt(args, 2)
	}
	return nil, nil
}

var logPrefixes = [...]string{"", "info: ", "warn: ", "error: "}

// hostLog keeps a console line; it returns false once the log is full, so
// the script stops sending.
func (v *jsvm) hostLog(args []any) (any, error) {
	if v.r.testStall != nil {
		v.r.testStall()
	}
	rs := v.cur
	if rs == nil || rs.logsDropped {
		return false, nil
	}
	level := argInt(args, 0)
	if level < 0 || level >= len(logPrefixes) {
		level = 0
	}
	line := logPrefixes[level] + argString(args, 1)
	max := v.r.limits.MaxLogBytes
	if rs.logBytes+len(line) > max {
		if room := max - rs.logBytes; room > 0 {
			rs.logs = append(rs.logs, truncateUTF8(line, room))
		}
		rs.logs = append(rs.logs, "[log truncated]")
		rs.logsDropped = true
		return false, nil
	}
	rs.logs = append(rs.logs, line)
	rs.logBytes += len(line)
	return true, nil
}

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xc0 == 0x80 {
		n--
	}
	return s[:n]
}

// hostFetch starts a fetch: fetch(id, method, url, headersJSON, body, binary, redirect).
func (v *jsvm) hostFetch(args []any) (any, error) {
	rs := v.cur
	if rs == nil || rs.done {
		return nil, errNoRun
	}
	lim := v.r.limits
	if rs.fetches >= lim.MaxFetches {
		detail := fmt.Sprintf("at most %d fetch calls per run", lim.MaxFetches)
		rs.hitLimit(LimitFetches, detail)
		return nil, errors.New("fetch limit exceeded: " + detail)
	}
	rs.fetches++
	rs.flags |= runVolatile
	job, err := v.r.newFetchJob(argInt(args, 0), argString(args, 1), argString(args, 2), argString(args, 3), argString(args, 4), argBool(args, 5), argString(args, 6))
	if err != nil {
		return nil, err
	}
	if rs.events == nil {
		// Buffered for every fetch the run may start, so a worker never
		// blocks, even after the run is over.
		rs.events = make(chan fetchEvent, lim.MaxFetches)
		rs.fetchCtx, rs.fetchCancel = context.WithDeadline(rs.ctx, rs.deadline)
		rs.cancels = make(map[int]context.CancelFunc, lim.MaxFetches)
	}
	ctx, cancel := context.WithTimeout(rs.fetchCtx, lim.FetchTimeout)
	rs.cancels[job.id] = cancel
	rs.inflight++
	events := rs.events
	go func() {
		defer cancel()
		events <- v.r.fetch(ctx, job)
	}()
	return nil, nil
}

// hostTimer queues timer id to fire in ms milliseconds.
func (v *jsvm) hostTimer(args []any) (any, error) {
	rs := v.cur
	if rs == nil || rs.done {
		return nil, errNoRun
	}
	id, ms := argInt(args, 0), argInt(args, 1)
	if rs.active == nil {
		rs.active = make(map[int]uint64)
	}
	if _, ok := rs.active[id]; !ok && len(rs.active) >= v.r.limits.MaxTimers {
		detail := fmt.Sprintf("at most %d pending timers", v.r.limits.MaxTimers)
		rs.hitLimit(LimitTimers, detail)
		return nil, errors.New("timer limit exceeded: " + detail)
	}
	rs.flags |= runVolatile
	rs.seq++
	rs.active[id] = rs.seq
	heap.Push(&rs.timers, timerEntry{due: time.Now().Add(time.Duration(ms) * time.Millisecond), seq: rs.seq, id: id})
	return nil, nil
}

// hostCancel cancels a timer or aborts a fetch.
func (v *jsvm) hostCancel(args []any) (any, error) {
	rs := v.cur
	if rs == nil {
		return nil, nil
	}
	id := argInt(args, 0)
	delete(rs.active, id) // its queue entry is skipped when it comes up
	if cancel := rs.cancels[id]; cancel != nil {
		cancel()
	}
	return nil, nil
}

// hostRandom returns n random bytes, hex-encoded.
func (v *jsvm) hostRandom(args []any) (any, error) {
	n := argInt(args, 0)
	if n < 0 || n > 65536 {
		return nil, errors.New("invalid length")
	}
	if rs := v.cur; rs != nil {
		rs.flags |= runVolatile
	}
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b), nil
}

// exec runs the script once: it calls the harness, then turns the event
// loop (microtasks, timers, fetch completions) until the script's promise
// settles, the deadline passes or the context ends.
func (v *jsvm) exec(ctx context.Context, rs *runState, in encodedInput) error {
	if ctx.Done() != nil {
		// The eval timeout covers the deadline; this covers cancellation.
		stop := context.AfterFunc(ctx, v.js.Interrupt)
		defer stop()
	}
	if err := v.enter(ctx, rs, func() error {
		_, err := v.harness.Call(quickjs.UndefinedValue, opRun, in.token, in.context, in.env, in.jti, in.trigger)
		return err
	}); err != nil {
		return err
	}
	var wake *time.Timer
	defer func() {
		if wake != nil {
			wake.Stop()
		}
	}()
	for {
		if err := v.enter(ctx, rs, func() error {
			_, err := v.js.ExecutePendingJobs()
			return err
		}); err != nil {
			return err
		}
		if rs.done {
			return nil
		}
		id, due, ok := rs.nextTimer()
		if rs.inflight == 0 && !ok {
			if !time.Now().Before(rs.deadline) {
				// An interrupt that broke a job chain looks like this too.
				return ErrTimeout
			}
			return &ScriptError{Message: "getCustomJwtClaims returned a promise that never settles"}
		}
		now := time.Now()
		if ok && !due.After(now) {
			heap.Pop(&rs.timers)
			delete(rs.active, id)
			if err := v.deliver(ctx, rs, id, 1, "", ""); err != nil {
				return err
			}
			continue
		}
		wait := rs.deadline.Sub(now)
		if ok {
			wait = min(wait, due.Sub(now))
		}
		if wait <= 0 {
			return ErrTimeout
		}
		if wake == nil {
			wake = time.NewTimer(wait)
		} else {
			wake.Reset(wait)
		}
		var ev fetchEvent
		fetched := false
		rs.pause()
		select {
		case ev = <-rs.events:
			fetched = true
		case <-wake.C:
		case <-ctx.Done():
			return ctxError(ctx)
		}
		if err := rs.resume(); err != nil {
			return err
		}
		if fetched {
			rs.inflight--
			delete(rs.cancels, ev.id)
			kind, meta := 2, ev.meta
			if ev.err != "" {
				kind, meta = 3, ev.err
				if ev.limit != "" {
					rs.hitLimit(ev.limit, ev.err)
				}
			}
			if err := v.deliver(ctx, rs, ev.id, kind, meta, ev.body); err != nil {
				return err
			}
		}
	}
}

func (v *jsvm) deliver(ctx context.Context, rs *runState, id, kind int, meta, body string) error {
	return v.enter(ctx, rs, func() error {
		_, err := v.harness.Call(quickjs.UndefinedValue, opDeliver, id, kind, meta, body)
		return err
	})
}

// enter calls into the engine with the eval timeout set to what is left of
// the run: the engine re-arms its timeout on each entry from Go.
func (v *jsvm) enter(ctx context.Context, rs *runState, f func() error) error {
	if ctx.Err() != nil {
		return ctxError(ctx)
	}
	remain := time.Until(rs.deadline)
	if remain <= 0 {
		return ErrTimeout
	}
	if err := v.js.SetEvalTimeout(remain); err != nil {
		return err
	}
	err := f()
	if err == nil {
		return nil
	}
	// An interrupt can surface as any error (or as a rejection the script
	// sees), so the clock decides first.
	if ctx.Err() != nil {
		return ctxError(ctx)
	}
	if !time.Now().Before(rs.deadline) {
		return ErrTimeout
	}
	if isOOM(err) {
		return &LimitError{Limit: LimitMemory}
	}
	return &ScriptError{Message: err.Error()}
}

func ctxError(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return ErrTimeout
	}
	return fmt.Errorf("%w: %w", errCanceled, ctx.Err())
}

// isOOM recognizes the engine running out of memory: an InternalError, or
// null thrown when not even that could be allocated.
func isOOM(err error) bool {
	var qe *quickjs.Error
	if errors.As(err, &qe) {
		return strings.Contains(qe.Error(), "out of memory") || qe.Error() == "null"
	}
	return false
}

// scriptFailure is the payload of an "error" outcome.
type scriptFailure struct {
	Message    string `json:"message"`
	Stack      string `json:"stack"`
	ThrownNull bool   `json:"thrownNull"`
}

// outcome turns the settled run into claims or an error.
func (v *jsvm) outcome(rs *runState) (map[string]any, error) {
	switch rs.kind {
	case "ok":
		if len(rs.payload) > v.r.limits.MaxOutputBytes {
			return nil, &LimitError{Limit: LimitOutput, Detail: fmt.Sprintf("%d bytes returned, at most %d", len(rs.payload), v.r.limits.MaxOutputBytes)}
		}
		dec := json.NewDecoder(strings.NewReader(rs.payload))
		dec.UseNumber()
		var claims map[string]any
		if err := dec.Decode(&claims); err != nil || claims == nil {
			return nil, &ScriptError{Message: "getCustomJwtClaims must return a plain object"}
		}
		return claims, nil
	case "action":
		// An Auth0 Action's claims: {"accessToken": {...}, "idToken": {...}}
		// (see actionResult).
		if len(rs.payload) > v.r.limits.MaxOutputBytes {
			return nil, &LimitError{Limit: LimitOutput, Detail: fmt.Sprintf("%d bytes of claims set, at most %d", len(rs.payload), v.r.limits.MaxOutputBytes)}
		}
		dec := json.NewDecoder(strings.NewReader(rs.payload))
		dec.UseNumber()
		var claims map[string]any
		if err := dec.Decode(&claims); err != nil || claims == nil {
			return nil, &ScriptError{Message: "the Action's claims could not be read"}
		}
		return claims, nil
	case "denied":
		return nil, &DeniedError{Message: rs.payload}
	case "deniedCode":
		var d struct{ Code, Message string }
		if err := json.Unmarshal([]byte(rs.payload), &d); err != nil {
			return nil, &DeniedError{Code: "access_denied"}
		}
		return nil, &DeniedError{Code: d.Code, Message: d.Message}
	case "output":
		return nil, &LimitError{Limit: LimitOutput, Detail: fmt.Sprintf("%s characters returned, at most %d bytes", rs.payload, v.r.limits.MaxOutputBytes)}
	case "error":
		if !time.Now().Before(rs.deadline) {
			return nil, ErrTimeout
		}
		var f scriptFailure
		if err := json.Unmarshal([]byte(rs.payload), &f); err != nil {
			f.Message = rs.payload
		}
		if f.ThrownNull || strings.Contains(f.Message, "out of memory") {
			return nil, &LimitError{Limit: LimitMemory}
		}
		if rs.limit != "" {
			return nil, &LimitError{Limit: rs.limit, Detail: rs.limitDetail}
		}
		line, col := scriptPosition(f.Stack)
		return nil, &ScriptError{Message: f.Message, Line: line, Column: col, Stack: scriptStack(f.Stack)}
	}
	return nil, fmt.Errorf("claims: unexpected outcome %q", rs.kind)
}

// scriptStack keeps the frames of the script, dropping the runtime's.
func scriptStack(stack string) string {
	var b strings.Builder
	for _, line := range strings.Split(stack, "\n") {
		if m := evalFrame.FindStringSubmatch(line); m != nil {
			if l, c := scriptPosition(line); l > 0 {
				line = strings.Replace(line, m[0], fmt.Sprintf("script:%d:%d", l, c), 1)
			} else {
				continue
			}
		} else if strings.TrimSpace(line) == "" {
			continue
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// timerQueue orders timers by due time, then by creation.
type timerQueue []timerEntry

type timerEntry struct {
	due time.Time
	seq uint64
	id  int
}

func (q timerQueue) Len() int { return len(q) }
func (q timerQueue) Less(i, j int) bool {
	if !q[i].due.Equal(q[j].due) {
		return q[i].due.Before(q[j].due)
	}
	return q[i].seq < q[j].seq
}
func (q timerQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *timerQueue) Push(x any)   { *q = append(*q, x.(timerEntry)) }
func (q *timerQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// nextTimer returns the next live timer, dropping cancelled entries.
func (rs *runState) nextTimer() (id int, due time.Time, ok bool) {
	for rs.timers.Len() > 0 {
		e := rs.timers[0]
		if seq, live := rs.active[e.id]; live && seq == e.seq {
			return e.id, e.due, true
		}
		heap.Pop(&rs.timers)
	}
	return 0, time.Time{}, false
}
