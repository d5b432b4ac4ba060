package claims

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// issue runs src as at issuance: jti apart from the token, memoized.
func issue(t *testing.T, r *Runner, src, jti string, appName string, env map[string]string) (Result, error) {
	t.Helper()
	return r.Run(context.Background(), "client-credentials", src, Input{
		Token:                map[string]any{"jti": "", "aud": "https://api.example", "kind": "ClientCredentials"},
		Context:              map[string]any{"application": map[string]any{"name": appName}},
		EnvironmentVariables: env,
		JTI:                  jti,
		Memoize:              true,
	})
}

func reusedRuns(r *Runner) uint64 { return r.Stats().Kinds["client-credentials"].Reused }

// TestMemoReusesWhatDependsOnTheInputAlone: a run that read only parts of
// its input is answered again for the same parts, and only for them.
func TestMemoReusesWhatDependsOnTheInputAlone(t *testing.T) {
	r := newTestRunner(t, Options{})
	src := script(`return { app: context.application.name, audience: token.aud, n: environmentVariables.N };`)
	env := map[string]string{"N": "1"}
	for i, c := range []struct {
		app    string
		env    map[string]string
		want   string
		reused uint64
	}{
		{"A", env, "A/1", 0},
		{"A", env, "A/1", 1}, // same parts, another jti: reused
		{"B", env, "B/1", 1}, // another application: run
		{"B", env, "B/1", 2},
		{"A", map[string]string{"N": "2"}, "A/2", 2}, // other variables: run
		{"A", env, "A/1", 3},
	} {
		res, err := issue(t, r, src, fmt.Sprintf("jti-%d", i), c.app, c.env)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if got := fmt.Sprintf("%v/%v", res.Claims["app"], res.Claims["n"]); got != c.want || res.Claims["audience"] != "https://api.example" {
			t.Fatalf("%d: claims %v, want %s", i, res.Claims, c.want)
		}
		if got := reusedRuns(r); got != c.reused {
			t.Fatalf("%d: %d reused runs, want %d", i, got, c.reused)
		}
	}
	// A reused result is the caller's to change.
	res, err := issue(t, r, src, "x", "A", env)
	if err != nil {
		t.Fatal(err)
	}
	res.Claims["app"] = "changed"
	if res, err := issue(t, r, src, "y", "A", env); err != nil || res.Claims["app"] != "A" {
		t.Fatalf("the memo kept a caller's change: %v, %v", res.Claims, err)
	}
}

// TestMemoFollowsWhatEachRunRead: the parts read may depend on the values
// read; each run is kept under its own read set. (Destructuring the
// argument, as Logto's signature does, reads every part it names.)
func TestMemoFollowsWhatEachRunRead(t *testing.T) {
	r := newTestRunner(t, Options{})
	src := `const getCustomJwtClaims = async (arg) =>
  arg.context.application.name === 'A' ? { v: arg.environmentVariables.V } : { v: 'none' };`
	for i, c := range []struct {
		app, v, want string
	}{
		{"A", "1", "1"}, {"B", "1", "none"}, {"B", "2", "none"}, {"A", "2", "2"}, {"A", "1", "1"}, {"B", "3", "none"},
	} {
		res, err := issue(t, r, src, fmt.Sprint(i), c.app, map[string]string{"V": c.v})
		if err != nil || res.Claims["v"] != c.want {
			t.Fatalf("%d: %v %v, want v=%s", i, res.Claims, err, c.want)
		}
	}
	// B with 2 reused B's result with 1 (the variables were not read), A
	// with 1 the first A's, B with 3 again B's.
	if got := reusedRuns(r); got != 3 {
		t.Fatalf("%d reused runs, want 3", got)
	}
}

// TestMemoNeverReusesWhatChanges: a run that read the jti, the clock or
// random numbers, or that used timers or fetch, runs at every issuance.
func TestMemoNeverReusesWhatChanges(t *testing.T) {
	srv := testServer(t)
	for name, body := range map[string]string{
		"jti":             `return { ref: token.jti };`,
		"token spread":    `return { ...token };`,
		"token JSON":      `return { t: JSON.stringify(token) };`,
		"Date.now":        `return { t: Date.now() > 0 };`,
		"new Date()":      `return { t: new Date().getFullYear() > 2000 };`,
		"Date()":          `return { t: typeof Date() };`,
		"subclass":        `class D extends Date {}; return { t: new D().getTime() > 0 };`,
		"Reflect":         `return { t: Reflect.construct(Date, []).getTime() > 0 };`,
		"Math.random":     `return { t: Math.random() < 1 };`,
		"randomUUID":      `return { t: crypto.randomUUID().length };`,
		"getRandomValues": `return { t: crypto.getRandomValues(new Uint8Array(4)).length };`,
		"setTimeout":      `await new Promise((ok) => setTimeout(ok, 1)); return { t: 1 };`,
		"AbortSignal":     `AbortSignal.timeout(1000); return { t: 1 };`,
		"fetch":           `const r = await fetch('` + srv.URL + `/json'); return { t: r.status };`,
		"Function":        `return { t: Function('return Date.now()')() > 0 };`,
		"argument JSON":   `return { t: JSON.stringify(arguments[0]).length };`,
	} {
		body = "const getCustomJwtClaims = async function ({ token }) {\n" + body + "\n};"

		t.Run(name, func(t *testing.T) {
			r := newTestRunner(t, Options{Policy: allowLoopbackLiteral})
			for i := range 3 {
				if _, err := issue(t, r, body, fmt.Sprint(i), "A", nil); err != nil {
					t.Fatalf("run %d: %v", i, err)
				}
			}
			if got := reusedRuns(r); got != 0 {
				t.Fatalf("%d runs reused", got)
			}
		})
	}
}

// TestMemoKeepsScriptsWorking: the instrumented globals behave as the
// engine's; a fixed date reads no clock, so it is reused.
func TestMemoKeepsScriptsWorking(t *testing.T) {
	r := newTestRunner(t, Options{})
	src := script(`const d = new Date(0);
class D extends Date {}
const e = new D(86400000);
return {
  iso: d.toISOString(), instance: d instanceof Date && e instanceof Date && e instanceof D,
  ctor: d.constructor === Date && Object.getPrototypeOf(e) === D.prototype, utc: Date.UTC(1970, 0, 2),
  parse: Date.parse('1970-01-01T00:00:01Z'), length: Date.length, name: Date.name, tag: Object.prototype.toString.call(d),
  kind: token.kind, has: 'jti' in token, keys: Object.keys(token).join(),
};`)
	want := map[string]any{
		"iso": "1970-01-01T00:00:00.000Z", "instance": true, "ctor": true, "utc": jsonNumber("86400000"),
		"parse": jsonNumber("1000"), "length": jsonNumber("7"), "name": "Date", "tag": "[object Date]",
		"kind": "ClientCredentials", "has": true, "keys": "aud,jti,kind",
	}
	for i := range 2 {
		res, err := issue(t, r, src, "j", "A", nil)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(res.Claims, want) {
			t.Fatalf("claims %v\nwant   %v", res.Claims, want)
		}
		if got := reusedRuns(r); got != uint64(i) {
			t.Fatalf("run %d: %d reused", i, got)
		}
	}
	// The jti is the one given apart; writing it is no read.
	res, err := issue(t, r, script(`const a = token.jti; token.jti = 'mine'; return { a, b: token.jti };`), "given", "A", nil)
	if err != nil || res.Claims["a"] != "given" || res.Claims["b"] != "mine" {
		t.Fatalf("jti: %v %v", res.Claims, err)
	}
}

// TestMemoOnlyWhenAsked: test runs and failures always run.
func TestMemoOnlyWhenAsked(t *testing.T) {
	r := newTestRunner(t, Options{})
	src := script(`console.log('ran'); return { a: 1 };`)
	for range 3 {
		res, err := run(t, r, src, normalInput)
		if err != nil || len(res.Logs) != 1 {
			t.Fatalf("test run: %v %v", res.Logs, err)
		}
	}
	deny := script(`api.denyAccess('no');`)
	throw := script(`throw new Error('bad');`)
	for range 3 {
		if _, err := issue(t, r, deny, "j", "A", nil); err == nil || !strings.Contains(err.Error(), "no") {
			t.Fatalf("denial: %v", err)
		}
		if _, err := issue(t, r, throw, "j", "A", nil); err == nil {
			t.Fatal("a thrown error was reused as a success")
		}
	}
	st := r.Stats()
	if n := st.Kinds["test"].Reused + st.Kinds["client-credentials"].Reused; n != 0 {
		t.Fatalf("%d runs reused", n)
	}
	if n := st.Kinds["client-credentials"].Outcomes["denied"]; n != 3 {
		t.Fatalf("%d denials counted, want 3", n)
	}
}

// TestMemoBounded: the memo of a script holds at most memoBudget bytes,
// however many different inputs it sees.
func TestMemoBounded(t *testing.T) {
	var m memo
	big := strings.Repeat("x", 4096)
	for i := range 2000 {
		in := encodedInput{context: fmt.Sprintf(`{"i":%d,"pad":%q}`, i, big)}
		m.store(readContext, in, memoEntry{claims: map[string]any{"i": i}}, 10)
		if m.bytes > memoBudget {
			t.Fatalf("after %d entries the memo holds %d bytes", i+1, m.bytes)
		}
	}
	if len(m.entries) < 100 {
		t.Fatalf("only %d entries kept", len(m.entries))
	}
	// Too large to keep at all.
	huge := encodedInput{context: strings.Repeat("y", memoBudget)}
	m.store(readContext, huge, memoEntry{claims: map[string]any{}}, 2)
	if _, ok := m.lookup(huge); ok {
		t.Fatal("an entry over the budget was kept")
	}
	// Read sets are bounded too.
	var n memo
	for reads := range uint8(8) {
		n.store(reads, encodedInput{}, memoEntry{claims: map[string]any{}}, 2)
	}
	if len(n.sets) != maxReadSets {
		t.Fatalf("%d read sets kept", len(n.sets))
	}
}
