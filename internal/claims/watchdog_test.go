package claims

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"
)

// escapingScript recurses inside try/catch around a stack overflow: every
// throw builds a backtrace as deep as the stack, and the engine checks its
// deadline only every 10,000 calls.
const escapingScript = `const getCustomJwtClaims = () => { const f=(n)=>{try{return f(n+1)}catch(e){return f(n+1)}}; return {x:f(0)} }`

// margin is how far past its limit a run may answer: the watchdog's grace
// and room for a loaded machine.
const margin = 1500 * time.Millisecond

// TestEscapingScriptEndsAtDeadline: the script that catches stack overflows
// and recurses again is answered with a timeout within its limit and a
// bounded margin, as a test run and at issuance, and the runner keeps
// serving.
func TestEscapingScriptEndsAtDeadline(t *testing.T) {
	const limit = time.Second
	r := newTestRunner(t, Options{Limits: Limits{Timeout: limit}})
	for _, test := range []bool{true, false} {
		start := time.Now()
		_, err := r.Run(context.Background(), "escape", escapingScript, Input{Test: test})
		if d := time.Since(start); d > limit+margin {
			t.Errorf("test run %v: answered after %v, limit %v", test, d, limit)
		}
		if Outcome(err) != "timeout" {
			t.Errorf("test run %v: outcome %s (%v), want timeout", test, Outcome(err), err)
		}
	}
	checkNormal(t, r)
}

// stalled holds every run that calls console.log inside the engine until
// released.
type stalled struct {
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func stall(r *Runner) *stalled {
	s := &stalled{entered: make(chan struct{}, 16), release: make(chan struct{})}
	r.testStall = func() {
		s.entered <- struct{}{}
		<-s.release
	}
	return s
}

func (s *stalled) free() { s.once.Do(func() { close(s.release) }) }

const loggingScript = `const getCustomJwtClaims = () => { console.log('hi'); return { logged: true }; }`

// waitAbandonedReturned waits until every abandoned run has returned.
func waitAbandonedReturned(t *testing.T, r *Runner) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); r.Stats().AbandonedRunning != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("abandoned runs still going: %+v", r.Stats())
		}
	}
}

// TestWatchdogAbandonsStuckRun: a run that does not return from the engine
// after its deadline and grace is answered with a timeout, gives back its
// slot and place at once, and is counted. When it returns at last, its VM
// is closed, never pooled, and nothing is given back twice.
func TestWatchdogAbandonsStuckRun(t *testing.T) {
	r := newTestRunner(t, Options{MaxConcurrent: 1, MaxExecuting: 1})
	r.grace = 50 * time.Millisecond
	s := stall(r)
	defer s.free()

	start := time.Now()
	res, err := r.Run(context.Background(), "stuck", loggingScript, Input{})
	if !errors.Is(err, ErrTimeout) || res.Claims != nil {
		t.Fatalf("stuck run: %v %v", res.Claims, err)
	}
	if d := time.Since(start); d > attackTimeout+margin {
		t.Errorf("answered after %v", d)
	}
	st := r.Stats()
	if st.RunsAbandoned != 1 || st.AbandonedRunning != 1 || st.Kinds["stuck"].Outcomes["timeout"] != 1 {
		t.Fatalf("stats after abandoning: %+v", st)
	}
	if n, m := len(r.issue.slots), len(r.issue.executing); n != 0 || m != 0 {
		t.Fatalf("abandoned run still holds %d slots, %d places", n, m)
	}
	// With one slot and one place, the next run gets them.
	checkNormal(t, r)

	s.free()
	waitAbandonedReturned(t, r)
	st = r.Stats()
	if n, m := len(r.issue.slots), len(r.issue.executing); n != 0 || m != 0 || r.issue.abandoned.Load() != 0 {
		t.Fatalf("after the abandoned run returned: %d slots, %d places, %d abandoned", n, m, r.issue.abandoned.Load())
	}
	if st.RunsAbandoned != 1 || st.Kinds["stuck"].Runs != 1 {
		t.Fatalf("the abandoned run was counted again: %+v", st)
	}
	// Its VM was closed, not pooled: the script gets a new one.
	r.testStall = nil
	created := st.VMsCreated
	if res, err := r.Run(context.Background(), "stuck", loggingScript, Input{}); err != nil || res.Claims["logged"] != true {
		t.Fatalf("after the abandoned run: %v %v", res.Claims, err)
	}
	if st := r.Stats(); st.VMsCreated != created+1 || st.VMsReused != 0 {
		t.Fatalf("the abandoned run's VM was reused: %+v", st)
	}
}

// TestAbandonedRunsAreBounded: beyond MaxExecuting abandoned runs still
// going, the next one is answered all the same, but keeps its slot and
// place until it returns, so that runs that never stop cannot pile up.
func TestAbandonedRunsAreBounded(t *testing.T) {
	r := newTestRunner(t, Options{MaxConcurrent: 2, MaxExecuting: 1})
	r.grace = 50 * time.Millisecond
	s := stall(r)
	defer s.free()

	for i := range 2 {
		if _, err := r.Run(context.Background(), "stuck", loggingScript, Input{}); !errors.Is(err, ErrTimeout) {
			t.Fatalf("run %d: %v", i, err)
		}
	}
	if st := r.Stats(); st.RunsAbandoned != 2 || st.AbandonedRunning != 2 {
		t.Fatalf("stats: %+v", st)
	}
	// The first gave its slot and place back, the second holds them: the
	// place is taken, so a run that must execute times out.
	if n, m := len(r.issue.slots), len(r.issue.executing); n != 1 || m != 1 {
		t.Fatalf("%d slots, %d places held, want 1 and 1", n, m)
	}
	if _, err := r.Run(context.Background(), "normal", normalScript, normalInput); !errors.Is(err, ErrTimeout) {
		t.Fatalf("a run with every place taken: %v", err)
	}
	s.free()
	waitAbandonedReturned(t, r)
	if n, m := len(r.issue.slots), len(r.issue.executing); n != 0 || m != 0 || r.issue.abandoned.Load() != 0 {
		t.Fatalf("after they returned: %d slots, %d places, %d abandoned", n, m, r.issue.abandoned.Load())
	}
	checkNormal(t, r)
}

// TestTestRunsHaveTheirOwnBudget: test runs holding every slot and place of
// their budget leave issuance's alone, and the other way round.
func TestTestRunsHaveTheirOwnBudget(t *testing.T) {
	r := newTestRunner(t, Options{MaxConcurrent: 1, MaxExecuting: 1, MaxTestConcurrent: 1, MaxTestExecuting: 1,
		Limits: Limits{Timeout: 5 * time.Second}})
	s := stall(r)
	defer s.free()
	done := make(chan error, 1)
	go func() {
		_, err := r.Run(context.Background(), "test:access-token", loggingScript, Input{Test: true})
		done <- err
	}()
	<-s.entered
	if n, m := len(r.test.slots), len(r.test.executing); n != 1 || m != 1 {
		t.Fatalf("test budget: %d slots, %d places held", n, m)
	}
	checkNormal(t, r) // issuance: its own slot and place
	// A second test run finds the test budget taken and waits for it.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := r.Run(ctx, "test:client-credentials", normalScript, Input{Test: true}); !errors.Is(err, ErrTimeout) {
		t.Fatalf("second test run: %v", err)
	}
	s.free()
	if err := <-done; err != nil {
		t.Fatalf("stalled test run: %v", err)
	}
	if n, m := len(r.test.slots)+len(r.issue.slots), len(r.test.executing)+len(r.issue.executing); n != 0 || m != 0 {
		t.Fatalf("%d slots, %d places still held", n, m)
	}
}

// TestIssuanceKeepsItsClaimsDuringEscapingTestRuns: several test runs of
// the escaping script at once do not starve issuance runs.
func TestIssuanceKeepsItsClaimsDuringEscapingTestRuns(t *testing.T) {
	r := newTestRunner(t, Options{Limits: Limits{Timeout: 2 * time.Second}})
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			_, _ = r.Run(context.Background(), "test:client-credentials", escapingScript, Input{Test: true})
		})
	}
	time.Sleep(200 * time.Millisecond) // the test runs are under way
	for i := range 10 {
		res, err := r.Run(context.Background(), "client-credentials", `const getCustomJwtClaims = ({ token }) => ({ tier: 'gold', j: token.jti.length })`,
			Input{Token: map[string]any{"jti": ""}, JTI: "jti-" + string(rune('a'+i))})
		if err != nil || res.Claims["tier"] != "gold" {
			t.Fatalf("issuance run %d during escaping test runs: %v %v", i, res.Claims, err)
		}
	}
	wg.Wait()
}

// TestHostCallsStopAScriptPastItsDeadline: once the deadline has passed,
// a call to the host ends the run whatever the script catches, without the
// watchdog.
func TestHostCallsStopAScriptPastItsDeadline(t *testing.T) {
	r := newTestRunner(t, Options{})
	r.grace = time.Hour
	for name, body := range map[string]string{
		"console": `console.log(n)`, "random": `crypto.randomUUID()`, "timer": `clearTimeout(setTimeout(() => {}, 1))`,
	} {
		start := time.Now()
		src := `const getCustomJwtClaims = () => { const f = (n) => { try { ` + body + `; return f(n + 1); } catch (e) { return f(n + 1); } }; return { x: f(0) }; }`
		_, err := r.Run(context.Background(), name, src, Input{})
		if d := time.Since(start); Outcome(err) != "timeout" || d > attackTimeout+margin {
			t.Errorf("%s: %v after %v", name, err, d)
		}
	}
	if st := r.Stats(); st.RunsAbandoned != 0 {
		t.Errorf("abandoned %d runs", st.RunsAbandoned)
	}
}

// TestCallDepthIsSmall: the stack of a VM holds a few hundred calls, so that
// a backtrace, built at every throw, stays cheap; ordinary recursion and
// nesting still work.
func TestCallDepthIsSmall(t *testing.T) {
	r := newTestRunner(t, Options{})
	claims := mustRun(t, r, script(`
    let depth = 0;
    const g = (n) => { depth = n; return g(n + 1); };
    let overflow = '';
    try { g(0); } catch (e) { overflow = String(e); }
    const nested = JSON.parse('['.repeat(100) + ']'.repeat(100));
    const walk = (n) => (n === 0 ? 0 : 1 + walk(n - 1));
    return { depth, overflow, nested: Array.isArray(nested), walked: walk(100) };`), Input{})
	if d, _ := claims["depth"].(json.Number).Int64(); d < 150 || d > maxStackSlots {
		t.Errorf("call depth %v, want between 150 and %d", claims["depth"], maxStackSlots)
	}
	if claims["overflow"] != "InternalError: stack overflow" || claims["nested"] != true || claims["walked"] != json.Number("100") {
		t.Errorf("claims %v", claims)
	}
}
