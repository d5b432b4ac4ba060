package claims

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"modernc.org/quickjs"
)

// TestAttacksContained runs hostile scripts next to ordinary ones: each must
// end with the expected error within its limits while the runner keeps
// serving.
func TestAttacksContained(t *testing.T) {
	srv := testServer(t)
	port := strings.TrimPrefix(srv.URL, "http://127.0.0.1:")
	deny := newTestRunner(t, Options{})
	// Memory attacks get a smaller heap and more time, so that they end by
	// the memory limit even on a loaded machine.
	mem := newTestRunner(t, Options{Limits: Limits{MemoryBytes: 8 << 20, Timeout: 3 * time.Second}})
	allow := newTestRunner(t, Options{Policy: allowLoopbackLiteral, Limits: Limits{FetchTimeout: 150 * time.Millisecond}})

	tests := []struct {
		name   string
		runner *Runner
		body   string
		check  func(t *testing.T, res Result, err error)
	}{
		{"infinite loop", deny, `while (true) {}`, wantTimeout},
		{"infinite loop after await", deny, `await null; while (true) {}`, wantTimeout},
		{"infinite loop in a timer", deny, `await new Promise((resolve) => setTimeout(() => { for (;;) {} }, 1)); return {};`, wantTimeout},
		{"infinite microtask chain", deny, `const f = () => { Promise.resolve().then(f); }; f(); await new Promise(() => {}); return {};`, wantTimeout},
		// Each promise here waits on the next, so the chain also grows until
		// memory or time runs out; either way the run fails.
		{"growing promise chain", deny, `const f = () => Promise.resolve().then(f); f(); await new Promise(() => {}); return {};`, wantFailure},
		{"catastrophic regex", deny, `return { m: /(a+)+$/.test('a'.repeat(40) + 'b') };`, wantTimeout},
		{"array growth", mem, `const a = []; while (true) a.push({ n: a.length }); return {};`, wantMemory},
		{"flat string doubling", mem, `let s = 'x'; while (true) s = s.repeat(2); return {};`, wantMemory},
		{"rope string doubling", deny, `let s = 'x'; while (true) s += s; return {};`, wantScriptError("string too long")},
		{"huge repeat", deny, `return { s: 'x'.repeat(2 ** 40) };`, wantScriptError("RangeError")},
		{"huge array buffer", deny, `return { b: new ArrayBuffer(2 ** 31).byteLength };`, func(t *testing.T, res Result, err error) {
			var se *ScriptError
			if !errors.Is(err, ErrMemoryLimit) && !errors.As(err, &se) {
				t.Fatalf("want memory or script error, got %v", err)
			}
		}},
		{"deep recursion", deny, `function f(n) { return f(n + 1) + 1; } return { n: f(0) };`, wantScriptError("stack overflow")},
		{"getter that throws", deny, `return { get x() { throw new Error('getter'); } };`, wantScriptError("getter")},
		{"getter that loops", deny, `return { get x() { for (;;) {} } };`, wantTimeout},
		{"toJSON that loops", deny, `return { toJSON() { for (;;) {} } };`, wantTimeout},
		{"promise that never settles", deny, `await new Promise(() => {}); return {};`, wantScriptError("never settles")},
		{"1 MB return", deny, `return { big: 'x'.repeat(1 << 20) };`, wantLimit(LimitOutput)},
		{"many timers", deny, `for (let i = 0; i < 5000; i++) setTimeout(() => {}, 10000); return {};`, wantLimit(LimitTimers)},
		{"fetch 127.0.0.1", deny, `await fetch('http://127.0.0.1:` + port + `/json'); return {};`, wantScriptError("not allowed by the egress policy")},
		{"fetch [::1]", deny, `await fetch('http://[::1]:` + port + `/json'); return {};`, wantScriptError("not allowed by the egress policy")},
		{"fetch IPv4-mapped loopback", deny, `await fetch('http://[::ffff:127.0.0.1]:` + port + `/json'); return {};`, wantScriptError("not allowed by the egress policy")},
		{"fetch decimal loopback", deny, `await fetch('http://2130706433:` + port + `/json'); return {};`, wantScriptError("not allowed by the egress policy")},
		{"fetch cloud metadata", deny, `await fetch('http://169.254.169.254/latest/meta-data/'); return {};`, wantScriptError("not allowed by the egress policy")},
		{"fetch localhost (checked after DNS)", allow, `await fetch('http://localhost:` + port + `/json'); return {};`, wantScriptError("not allowed by the egress policy")},
		{"fetch file URL", allow, `await fetch('file:///etc/passwd'); return {};`, wantScriptError("only http and https")},
		{"redirect to localhost", allow, `await fetch('` + srv.URL + `/redirect?to=` + "http://localhost:" + port + `/json'); return {};`, wantScriptError("not allowed by the egress policy")},
		{"redirect to [::1]", allow, `await fetch('` + srv.URL + `/redirect?to=` + "http://[::1]:" + port + `/json'); return {};`, wantScriptError("not allowed by the egress policy")},
		{"redirect to metadata", allow, `await fetch('` + srv.URL + `/redirect?to=http://169.254.169.254/'); return {};`, wantScriptError("not allowed by the egress policy")},
		{"slow server", allow, `await fetch('` + srv.URL + `/slow'); return {};`, wantScriptError("timed out")},
		{"huge response", allow, `const r = await fetch('` + srv.URL + `/huge'); return { n: (await r.text()).length };`, wantLimit(LimitResponse)},
		{"huge response caught", allow, `try { await fetch('` + srv.URL + `/huge'); } catch (e) { return { caught: e.message.includes('exceeds the limit') }; } return {};`,
			wantClaims(map[string]any{"caught": true})},
		{"six fetches", allow, `const out = []; for (let i = 0; i < 6; i++) { await fetch('` + srv.URL + `/json'); out.push(i); } return { out };`, wantLimit(LimitFetches)},
		{"six fetches caught", allow, `let ok = 0; let err = ''; for (let i = 0; i < 6; i++) { try { await fetch('` + srv.URL + `/json'); ok++; } catch (e) { err = e.message; } } return { ok, err };`,
			wantClaims(map[string]any{"ok": 5, "err": "fetch limit exceeded: at most 5 fetch calls per run"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			contained(t, tt.runner, script(tt.body), Input{}, tt.check)
		})
	}
}

// TestHostIsolation: nothing of the host is reachable from a script.
func TestHostIsolation(t *testing.T) {
	r := newTestRunner(t, Options{})
	claims := mustRun(t, r, script(`
    const globals = Object.getOwnPropertyNames(globalThis);
    let imported = 'not attempted';
    try { await import('fs'); imported = 'loaded'; } catch (e) { imported = 'refused'; }
    let fnRequire = 'none';
    try { fnRequire = Function('return typeof require')(); } catch (e) { fnRequire = 'threw'; }
    return {
      require: typeof require, process: typeof process, module: typeof module, std: typeof std, os: typeof os,
      print: typeof print, hostFunctions: globals.filter((n) => n.startsWith('__')), imported, fnRequire,
      weakRef: typeof WeakRef, globalFrozen: Object.isFrozen(globalThis),
    };`), Input{})
	want := map[string]any{
		"require": "undefined", "process": "undefined", "module": "undefined", "std": "undefined", "os": "undefined",
		"print": "undefined", "imported": "refused", "fnRequire": "undefined", "weakRef": "undefined", "globalFrozen": true,
	}
	for k, v := range want {
		if claims[k] != v {
			t.Errorf("%s = %v, want %v", k, claims[k], v)
		}
	}
	if hf, _ := claims["hostFunctions"].([]any); len(hf) != 0 {
		t.Errorf("host functions visible: %v", hf)
	}
}

// TestStateDoesNotLeakBetweenRuns tampers with built-ins and globals in one
// run; the next run on the same VM must see none of it, nor must the host's
// decoding of the result.
func TestStateDoesNotLeakBetweenRuns(t *testing.T) {
	r := newTestRunner(t, Options{})
	src := `'use strict';
let calls = 0;
var topVar = (typeof topVar === 'number' ? topVar : 0) + 1;
function topFunction() {}
topFunction.counter = (topFunction.counter || 0) + 1;
const getCustomJwtClaims = async (arg) => {
  const env = arg.environmentVariables;
  calls++;
  const seen = {
    calls, topVar, topFunction: topFunction.counter,
    polluted: ({}).polluted === undefined,
    globalLeak: typeof globalThis.leak,
    leakedVar: typeof leakedVar,
    json: JSON.stringify({ a: 1 }),
    map: typeof [].map,
    mapSecret: Map.prototype.secret === undefined,
    random: Math.random() < 1,
    errorName: new Error('x').name,
    stringProto: ''.evil === undefined,
    argProto: Object.getPrototypeOf(arg).leak === undefined,
    argToken: typeof arg.token,
    api: arg.api.leak === undefined && arg.api.denyAccess.leak === undefined,
  };
  if (env.TAMPER) {
    const attempts = [
      () => { Object.prototype.polluted = 1; },
      () => { globalThis.leak = 1; },
      () => { JSON.stringify = () => '{"sub":"evil"}'; },
      () => { Object.defineProperty(Object.prototype, 'toJSON', { value: () => ({ sub: 'evil' }) }); },
      () => { Array.prototype.map = null; },
      () => { Map.prototype.secret = 1; },
      () => { Math.random = () => 4; },
      () => { (0, eval)('var leakedVar = 1'); },
      // Sloppy code fails silently; count it as blocked when it had no effect.
      () => { (0, eval)('leakedVar = 1'); if (typeof leakedVar === 'undefined') throw new Error('blocked'); },
      () => { Function('leak = 1')(); if (typeof leak === 'undefined') throw new Error('blocked'); },
      () => { Error.prototype.name = 'Tampered'; },
      () => { Object.setPrototypeOf(Object.prototype, { evil: 1 }); },
      () => { String.prototype.evil = 1; },
      () => { delete Array.prototype.map; },
      () => { Function.prototype.call = null; },
      () => { Object.getPrototypeOf(arg).leak = 1; },
      () => { Object.defineProperty(Object.getPrototypeOf(arg), 'token', { get: () => 'evil' }); },
      () => { arg.api.leak = 1; },
      () => { arg.api.denyAccess.leak = 1; },
    ];
    let blocked = 0;
    for (const a of attempts) { try { a(); } catch (e) { blocked++; } }
    seen.blocked = blocked;
    seen.total = attempts.length;
  }
  return seen;
};`
	first, err := run(t, r, src, Input{EnvironmentVariables: map[string]string{"TAMPER": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	if first.Claims["blocked"] != first.Claims["total"] {
		t.Errorf("only %v of %v tampering attempts were blocked", first.Claims["blocked"], first.Claims["total"])
	}
	created := r.Stats().VMsCreated
	for i := 0; i < 3; i++ {
		second, err := run(t, r, src, Input{})
		if err != nil {
			t.Fatal(err)
		}
		for k, want := range map[string]any{
			"calls": "1", "topVar": "1", "topFunction": "1", "polluted": true, "globalLeak": "undefined", "leakedVar": "undefined",
			"json": `{"a":1}`, "map": "function", "mapSecret": true, "random": true, "errorName": "Error", "stringProto": true,
			"argProto": true, "argToken": "object", "api": true,
		} {
			got := second.Claims[k]
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("run %d: %s = %v, want %v", i+2, k, got, want)
			}
		}
		if _, ok := second.Claims["sub"]; ok || len(second.Dropped) != 0 {
			t.Errorf("tampered JSON reached the host: %v %v", second.Claims, second.Dropped)
		}
	}
	if got := r.Stats().VMsCreated; got != created {
		t.Fatalf("VMs created %d -> %d: the test must reuse the same VM", created, got)
	}
}

// TestOverrideOfFrozenBuiltins: assignments that freezing would break still
// work on instances.
func TestOverrideOfFrozenBuiltins(t *testing.T) {
	r := newTestRunner(t, Options{})
	claims := mustRun(t, r, script(`
    class ValidationError extends Error {
      constructor(m) { super(m); this.name = 'ValidationError'; }
    }
    const e = new ValidationError('bad');
    const o = {};
    o.toString = () => 'custom';
    function Legacy() {}
    Legacy.prototype.constructor = Legacy;
    Legacy.prototype.toString = function () { return 'legacy'; };
    return { name: e.name, text: String(e), custom: String(o), legacy: String(new Legacy()), protoName: Error.prototype.name };`), Input{})
	wantClaims(map[string]any{"custom": "custom", "legacy": "legacy", "name": "ValidationError", "protoName": "Error", "text": "ValidationError: bad"})(t, Result{Claims: claims}, nil)
}

// TestLockdownComplete walks the object graph of a prepared VM: every object
// reachable from the global object or from syntax must be frozen.
func TestLockdownComplete(t *testing.T) {
	r := newTestRunner(t, Options{})
	p := &pool{script: normalScript}
	var err error
	if p.bytecode, err = compileScript(normalScript, r.limits); err != nil {
		t.Fatal(err)
	}
	v, err := r.newVM(p, time.Now().Add(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer v.close()
	if err := v.js.SetEvalTimeout(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	res, err := v.js.Eval(`(() => {
  const roots = [globalThis, Object.getPrototypeOf(function* () {}), Object.getPrototypeOf(async function () {}),
    Object.getPrototypeOf(async function* () {}), Object.getPrototypeOf([][Symbol.iterator]()),
    Object.getPrototypeOf(new Map()[Symbol.iterator]()), Object.getPrototypeOf(new Set()[Symbol.iterator]()),
    Object.getPrototypeOf(''[Symbol.iterator]()), Object.getPrototypeOf(/x/[Symbol.matchAll]('')),
    Object.getPrototypeOf(Object.getPrototypeOf((function* () {})())),
    Object.getPrototypeOf(Object.getPrototypeOf((async function* () {})())),
    Object.getPrototypeOf(Iterator.from({ next() { return { done: true }; } })),
    Object.getPrototypeOf([].values().map((x) => x)), Object.getPrototypeOf(new URLSearchParams().entries()),
    Object.getPrototypeOf(new Headers().entries()), Object.getPrototypeOf(Promise.resolve()),
    Object.getPrototypeOf(new Response('').headers), Object.getPrototypeOf(new AbortController().signal)];
  const seen = new Set();
  const stack = roots.slice();
  const open = [];
  while (stack.length) {
    const o = stack.pop();
    if (o === null || (typeof o !== 'object' && typeof o !== 'function') || seen.has(o)) continue;
    seen.add(o);
    if (!Object.isFrozen(o)) open.push(Reflect.ownKeys(o).map(String).join('|'));
    stack.push(Object.getPrototypeOf(o));
    for (const k of Reflect.ownKeys(o)) {
      const d = Object.getOwnPropertyDescriptor(o, k);
      if ('value' in d) stack.push(d.value); else stack.push(d.get, d.set);
    }
  }
  return JSON.stringify({ count: seen.size, open });
})()`, quickjs.EvalGlobal)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := res.(string)
	if !strings.Contains(s, `"open":[]`) {
		t.Fatalf("objects left unfrozen: %s", s)
	}
	t.Log(s)
}

// TestTimeoutCoversAwaits: the deadline covers timers and fetches awaited.
func TestTimeoutCoversAwaits(t *testing.T) {
	srv := testServer(t)
	r := newTestRunner(t, Options{Policy: allowLoopbackLiteral, Limits: Limits{FetchTimeout: 10 * time.Second}})
	for name, body := range map[string]string{
		"timer": `await new Promise((resolve) => setTimeout(resolve, 60000)); return {};`,
		"fetch": `await fetch('` + srv.URL + `/slow'); return {};`,
	} {
		t.Run(name, func(t *testing.T) {
			contained(t, r, script(body), Input{}, wantTimeout)
		})
	}
}

func TestContextCancellation(t *testing.T) {
	r := newTestRunner(t, Options{Limits: Limits{Timeout: 5 * time.Second}})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := r.Run(ctx, "test", script(`while (true) {}`), Input{})
	if !errors.Is(err, context.Canceled) || Outcome(err) != "canceled" {
		t.Fatalf("want a canceled error, got %v (%s)", err, Outcome(err))
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("cancellation took %v", d)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := r.Run(ctx, "test", script(`await new Promise((r) => setTimeout(r, 10000)); return {};`), Input{}); !errors.Is(err, ErrTimeout) {
		t.Fatalf("context deadline: want ErrTimeout, got %v", err)
	}
	// Expired before a VM could be prepared.
	ctx, cancel = context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	if _, err := r.Run(ctx, "test", script(`return { fresh: 1 };`), Input{}); !errors.Is(err, ErrTimeout) {
		t.Fatalf("expired context: want ErrTimeout, got %v", err)
	}
	checkNormal(t, r)
}

// TestTooLittleMemory: a VM that cannot even be prepared fails cleanly.
func TestTooLittleMemory(t *testing.T) {
	r := newTestRunner(t, Options{Limits: Limits{MemoryBytes: 256 << 10}})
	if _, err := run(t, r, normalScript, normalInput); !errors.Is(err, ErrMemoryLimit) {
		t.Fatalf("want ErrMemoryLimit, got %v", err)
	}
	if st := r.Stats(); st.VMsCreated != 0 || st.IdleVMs != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestConcurrentRuns: many goroutines share a runner; each run gets its own VM.
func TestConcurrentRuns(t *testing.T) {
	r := newTestRunner(t, Options{Limits: Limits{Timeout: 5 * time.Second}, MaxConcurrent: 4})
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				res, err := r.Run(context.Background(), "concurrent", script(`
          let sum = 0; for (let i = 0; i < 1000; i++) sum += i;
          await new Promise((r) => setTimeout(r, 1));
          return { id: environmentVariables.ID, sum };`), Input{EnvironmentVariables: map[string]string{"ID": fmt.Sprint(g, "-", i)}})
				if err != nil {
					errs <- err
					return
				}
				if res.Claims["id"] != fmt.Sprint(g, "-", i) {
					errs <- fmt.Errorf("run %d-%d got claims %v", g, i, res.Claims)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st := r.Stats()
	if st.VMsCreated > 4 {
		t.Errorf("created %d VMs for 4 concurrent runs", st.VMsCreated)
	}
	if st.Kinds["concurrent"].Outcomes["ok"] != 160 {
		t.Errorf("stats: %+v", st.Kinds["concurrent"])
	}
}

// TestFailedVMsAreDiscarded: a VM is reused after success or denial only.
func TestFailedVMsAreDiscarded(t *testing.T) {
	r := newTestRunner(t, Options{})
	src := script(`if (environmentVariables.MODE === 'throw') throw new Error('no');
    if (environmentVariables.MODE === 'deny') api.denyAccess('no');
    return { ok: 1 };`)
	mode := func(m string) Input { return Input{EnvironmentVariables: map[string]string{"MODE": m}} }
	steps := []struct {
		mode            string
		created, closed uint64
	}{
		{"ok", 1, 0}, {"ok", 1, 0}, {"deny", 1, 0}, {"ok", 1, 0}, {"throw", 1, 1}, {"ok", 2, 1},
	}
	for i, s := range steps {
		_, _ = run(t, r, src, mode(s.mode))
		st := r.Stats()
		if st.VMsCreated != s.created || st.VMsClosed != s.closed {
			t.Fatalf("step %d (%s): created %d closed %d, want %d %d", i, s.mode, st.VMsCreated, st.VMsClosed, s.created, s.closed)
		}
	}
}

// TestDiscardedVMsAreFreed: the VM of a failed run is freed after the run
// has answered, holding the run's slot meanwhile; the next run gets the
// slot, and Close waits until every discarded VM is freed.
func TestDiscardedVMsAreFreed(t *testing.T) {
	r := NewRunner(Options{MaxConcurrent: 1, Limits: Limits{MemoryBytes: 8 << 20, Timeout: 3 * time.Second}})
	// A filled heap, so that freeing it takes a while.
	_, err := r.Run(context.Background(), "attack", script(`const a = []; while (true) a.push({ n: a.length }); return {};`), Input{})
	if !errors.Is(err, ErrMemoryLimit) {
		t.Fatalf("want the memory limit, got %v", err)
	}
	// The next run waits for the slot, then runs.
	checkNormal(t, r)
	if st := r.Stats(); st.VMsClosed != 1 {
		t.Fatalf("closed %d VMs, want 1", st.VMsClosed)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(r.issue.slots); n != 0 {
		t.Fatalf("%d slots held after Close", n)
	}
}

// TestScriptChangeEvictsVMs: when a kind's script changes, the VMs of the
// previous version are closed.
func TestScriptChangeEvictsVMs(t *testing.T) {
	r := newTestRunner(t, Options{})
	v1 := script(`return { v: 1 };`)
	v2 := script(`return { v: 2 };`)
	ctx := context.Background()
	if _, err := r.Run(ctx, "access-token", v1, Input{}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(ctx, "client-credentials", v1, Input{}); err != nil {
		t.Fatal(err)
	}
	if st := r.Stats(); st.IdleVMs != 1 {
		t.Fatalf("idle VMs %d, want 1 (one script shared by two kinds)", st.IdleVMs)
	}
	// v1 is still used by client-credentials: kept.
	res, err := r.Run(ctx, "access-token", v2, Input{})
	if err != nil || res.Claims["v"] != jsonNumber("2") {
		t.Fatalf("v2: %v %v", res.Claims, err)
	}
	if st := r.Stats(); st.IdleVMs != 2 || st.VMsClosed != 0 {
		t.Fatalf("after v2: %+v", st)
	}
	// Now nobody uses v1.
	if _, err := r.Run(ctx, "client-credentials", v2, Input{}); err != nil {
		t.Fatal(err)
	}
	if st := r.Stats(); st.IdleVMs != 1 || st.VMsClosed != 1 {
		t.Fatalf("after moving every kind to v2: idle %d closed %d", st.IdleVMs, st.VMsClosed)
	}
	// Many test scripts under one kind keep at most one pool for it.
	for i := 0; i < 20; i++ {
		if _, err := r.Run(ctx, "test", script(fmt.Sprintf(`return { i: %d };`, i)), Input{}); err != nil {
			t.Fatal(err)
		}
	}
	r.mu.Lock()
	pools := len(r.pools)
	r.mu.Unlock()
	if pools > 2 {
		t.Fatalf("%d pools kept", pools)
	}
}

func TestClose(t *testing.T) {
	r := NewRunner(Options{})
	checkNormal(t, r)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(context.Background(), "normal", normalScript, normalInput); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
	if st := r.Stats(); st.IdleVMs != 0 || st.VMsClosed != 1 {
		t.Fatalf("after Close: %+v", st)
	}
}

// TestHostFunctionPanic: a panic in a host function becomes an exception in
// the script, not a panic through the engine.
func TestHostFunctionPanic(t *testing.T) {
	f := guard(func([]any) (any, error) { panic("boom") })
	if _, err := f(nil); err == nil {
		t.Fatal("want an error")
	}
	r := newTestRunner(t, Options{})
	// Arguments of the wrong types must not reach a panic either.
	claims := mustRun(t, r, script(`
    const errs = [];
    for (const args of [[], [null], [{}, {}, {}], ['x', 'y', 'z', 'w', 1, 2, 3]]) {
      try { await fetch(...args); } catch (e) { errs.push(e.name); }
    }
    return { errs: errs.length };`), Input{})
	if claims["errs"] != jsonNumber("4") {
		t.Fatalf("claims %v", claims)
	}
}

// TestAwaitingRunsGiveUpTheirPlace: a run awaiting a fetch does not count
// among the runs executing JavaScript, so others execute meanwhile.
func TestAwaitingRunsGiveUpTheirPlace(t *testing.T) {
	arrived, release := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-release
		_, _ = io.WriteString(w, "late")
	}))
	defer srv.Close()
	defer close(release)
	r := newTestRunner(t, Options{
		Limits:        Limits{Timeout: 10 * time.Second, FetchTimeout: 10 * time.Second},
		Policy:        allowLoopbackLiteral,
		MaxConcurrent: 2, MaxExecuting: 1,
	})
	waiting := make(chan error, 1)
	go func() {
		_, err := run(t, r, script(`const res = await fetch('`+srv.URL+`'); return { body: await res.text() };`), normalInput)
		waiting <- err
	}()
	<-arrived
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := r.Run(ctx, "normal", normalScript, normalInput); err != nil {
		t.Fatalf("a run while another awaits a fetch: %v", err)
	}
	release <- struct{}{}
	if err := <-waiting; err != nil {
		t.Fatalf("the awaiting run: %v", err)
	}
}
