package claims

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func jsonNumber(s string) json.Number { return json.Number(s) }

func TestCompile(t *testing.T) {
	tests := []struct {
		name      string
		src       string
		line, col int
		msg       string
	}{
		{"seed default", "const getCustomJwtClaims = async ({ token, context, environmentVariables }) => {\n  return {};\n};", 0, 0, ""},
		{"function declaration", "function getCustomJwtClaims({ token }) { return { a: 1 }; }", 0, 0, ""},
		{"async function declaration", "async function getCustomJwtClaims() { return {}; }", 0, 0, ""},
		{"trailing line comment", "const getCustomJwtClaims = () => ({}); // done", 0, 0, ""},
		{"missing brace", "const getCustomJwtClaims = async () => {\n  const x = 1;\n  return { x ;\n};", 3, 14, "expecting"},
		{"error on line one", "const getCustomJwtClaims = async () => { return {} ;; ) }", 1, 55, ""},
		{"breaking out of the wrapper", "}); globalThis.x = 1; (function(){ const getCustomJwtClaims = () => ({});", 1, 1, ""},
		{"top-level return", "return 1; const getCustomJwtClaims = () => ({});", 1, 1, "return"},
		{"module syntax", "export const getCustomJwtClaims = () => ({});", 1, 1, ""},
		{"no function", "const claims = () => ({});", 0, 0, "getCustomJwtClaims"},
		{"too large", "const getCustomJwtClaims = () => ({});" + strings.Repeat(" ", 300<<10), 0, 0, "larger than"},
		{"deep nesting", "const getCustomJwtClaims = () => (" + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + ");", 1, 0, "stack overflow"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Compile(tt.src)
			if tt.line == 0 && tt.msg == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("want SyntaxError, got %v", err)
			}
			if tt.line != 0 && se.Line != tt.line {
				t.Errorf("line %d, want %d (%v)", se.Line, tt.line, se)
			}
			if tt.col != 0 && se.Column != tt.col {
				t.Errorf("column %d, want %d (%v)", se.Column, tt.col, se)
			}
			if !strings.Contains(se.Message, tt.msg) {
				t.Errorf("message %q, want it to contain %q", se.Message, tt.msg)
			}
		})
	}
	r := newTestRunner(t, Options{})
	_, err := run(t, r, tests[4].src, Input{})
	var se *SyntaxError
	if !errors.As(err, &se) || se.Line != 3 || Outcome(err) != "syntax_error" {
		t.Fatalf("Run of a script with a syntax error: %v", err)
	}
}

func TestReturnValues(t *testing.T) {
	r := newTestRunner(t, Options{})
	tests := []struct {
		name  string
		src   string
		check func(t *testing.T, res Result, err error)
	}{
		{"async arrow", script(`return { a: 1, s: 'x', n: null, nested: { b: [1, 2] } };`),
			wantClaims(map[string]any{"a": 1, "n": nil, "nested": map[string]any{"b": []any{1, 2}}, "s": "x"})},
		{"plain arrow", `const getCustomJwtClaims = ({ token }) => ({ jti: token.jti, copy: token.jti });`,
			wantClaims(map[string]any{"copy": "j1"})},
		{"function declaration", `function getCustomJwtClaims({ context }) { return { app: context.application.name }; }`,
			wantClaims(map[string]any{"app": "Console"})},
		{"large integers survive", script(`return { big: 9007199254740993n.toString(), n: 12345678901234567 };`),
			wantClaims(map[string]any{"big": "9007199254740993", "n": json.Number("12345678901234568")})},
		{"class instance", script(`class C { constructor() { this.x = 1; } } return new C();`), wantClaims(map[string]any{"x": 1})},
		{"undefined values omitted", script(`return { a: undefined, b: 1 };`), wantClaims(map[string]any{"b": 1})},
		{"null", script(`return null;`), wantScriptError("returned null")},
		{"array", script(`return [1];`), wantScriptError("returned an array")},
		{"string", script(`return 'x';`), wantScriptError("returned string")},
		{"number", script(`return 1;`), wantScriptError("returned number")},
		{"undefined", script(`return;`), wantScriptError("returned undefined")},
		{"function", script(`return () => 1;`), wantScriptError("returned function")},
		{"date", script(`return new Date(0);`), wantScriptError("plain object")},
		{"toJSON to array", script(`return { toJSON() { return [1]; } };`), wantScriptError("plain object")},
		{"not a function", `const getCustomJwtClaims = 5;`, wantScriptError("must define a function named getCustomJwtClaims")},
		{"top level throws", "throw new Error('at load');\nconst getCustomJwtClaims = () => ({});", wantScriptError("at load")},
		{"thrown string", script(`throw 'plain';`), wantScriptError("Uncaught plain")},
		{"rejected promise", script(`await Promise.reject(new TypeError('rejected'));`), wantScriptError("TypeError: rejected")},
		{"uncaught in timer", script(`setTimeout(() => { throw new Error('in timer'); }, 1); await new Promise((r) => setTimeout(r, 20)); return {};`), wantScriptError("in timer")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := run(t, r, tt.src, normalInput)
			tt.check(t, res, err)
		})
	}
}

func TestScriptErrorPosition(t *testing.T) {
	r := newTestRunner(t, Options{})
	src := "const helper = (x) => {\n  return x.missing.field;\n};\nconst getCustomJwtClaims = async () => {\n  return { v: helper({}) };\n};"
	_, err := run(t, r, src, Input{})
	var se *ScriptError
	if !errors.As(err, &se) {
		t.Fatalf("want ScriptError, got %v", err)
	}
	if se.Line != 2 || !strings.Contains(se.Message, "TypeError") {
		t.Fatalf("got %+v", se)
	}
	if !strings.Contains(se.Stack, "script:2:") || !strings.Contains(se.Stack, "script:5:") || strings.Contains(se.Stack, "<eval>") {
		t.Fatalf("stack %q", se.Stack)
	}
	_, err = run(t, r, "const getCustomJwtClaims = () => { null.x; };", Input{})
	if !errors.As(err, &se) || se.Line != 1 || se.Column < 30 || se.Column > 45 {
		t.Fatalf("line one: %+v", err)
	}
}

func TestDenyAccess(t *testing.T) {
	r := newTestRunner(t, Options{})
	tests := []struct {
		name, body, want string
	}{
		{"with message", `api.denyAccess('not in the beta');`, "not in the beta"},
		{"without message", `api.denyAccess(); return { unreachable: true };`, ""},
		{"caught by the script", `try { api.denyAccess('caught'); } catch (e) {} return { a: 1 };`, "caught"},
		{"after await", `await null; api.denyAccess('later');`, "later"},
		{"first call wins", `try { api.denyAccess('one'); } catch (e) {} api.denyAccess('two');`, "one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := run(t, r, script(tt.body), Input{})
			var de *DeniedError
			if !errors.As(err, &de) {
				t.Fatalf("want DeniedError, got %v", err)
			}
			if de.Message != tt.want {
				t.Fatalf("message %q, want %q", de.Message, tt.want)
			}
			if Outcome(err) != "denied" {
				t.Fatalf("outcome %s", Outcome(err))
			}
		})
	}
}

func TestReservedClaimsDropped(t *testing.T) {
	r := newTestRunner(t, Options{})
	res, err := run(t, r, script(`return { sub: 'evil', iss: 'x', aud: 'y', exp: 1, scope: 'admin', client_id: 'c', roles: ['a'] };`), Input{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Claims) != 1 || res.Claims["roles"] == nil {
		t.Fatalf("claims %v", res.Claims)
	}
	if got := strings.Join(res.Dropped, ","); got != "aud,client_id,exp,iss,scope,sub" {
		t.Fatalf("dropped %s", got)
	}
	if !Reserved("jti") || !Reserved("act") || Reserved("roles") || len(ReservedClaims()) != 18 {
		t.Fatal("reserved list")
	}
}

// TestPrototypeNamesDropped: __proto__, constructor and prototype never
// reach a token, at the top or nested in objects and arrays, while their
// siblings and the same words as values do; the memoized result is the
// cleaned one.
func TestPrototypeNamesDropped(t *testing.T) {
	r := newTestRunner(t, Options{})
	src := script(`return JSON.parse('{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"x":1}},"prototype":1,' +
    '"profile":{"name":"n","__proto__":{"isAdmin":true},"tags":[{"constructor":{"y":2},"k":"constructor"}]},"ok":"__proto__"}');`)
	for i := range 2 {
		res, err := r.Run(context.Background(), "proto", src, Input{Memoize: true})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(res.Claims)
		if string(got) != `{"ok":"__proto__","profile":{"name":"n","tags":[{"k":"constructor"}]}}` {
			t.Fatalf("run %d: claims %s", i, got)
		}
		if d := strings.Join(res.Dropped, ","); d != "__proto__,constructor,profile.__proto__,profile.tags.0.constructor,prototype" {
			t.Fatalf("run %d: dropped %s", i, d)
		}
	}
	if s := r.Stats().Kinds["proto"]; s.Reused != 1 {
		t.Fatalf("second run not reused: %+v", s)
	}
}

func TestConsole(t *testing.T) {
	r := newTestRunner(t, Options{Limits: Limits{MaxLogBytes: 200}})
	res, err := run(t, r, script(`
    console.log('hello', 1, { a: [1, 2] }, null, undefined, 2n);
    console.warn('careful');
    console.error(new TypeError('bad'));
    const cyclic = {}; cyclic.self = cyclic;
    console.info(cyclic);
    for (let i = 0; i < 1000; i++) console.log('line ' + i);
    return { ok: true };`), Input{})
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, l := range res.Logs {
		total += len(l)
	}
	if res.Logs[0] != `hello 1 {"a":[1,2]} null undefined 2n` || res.Logs[1] != "warn: careful" ||
		!strings.HasPrefix(res.Logs[2], "error: TypeError: bad") || res.Logs[3] != "info: [object]" {
		t.Fatalf("logs %q", res.Logs)
	}
	if res.Logs[len(res.Logs)-1] != "[log truncated]" || total > 200+len("[log truncated]") {
		t.Fatalf("logs not bounded: %d bytes, %q", total, res.Logs)
	}
	_, err = run(t, r, script(`console.log('before failing'); throw new Error('x');`), Input{})
	if err == nil {
		t.Fatal("want an error")
	}
}

func TestEnvironmentAndInput(t *testing.T) {
	r := newTestRunner(t, Options{})
	claims := mustRun(t, r, script(`return { key: environmentVariables.API_KEY, missing: environmentVariables.NOPE === undefined,
      tokenId: token.jti, ctx: typeof context, keys: Object.keys(environmentVariables) };`),
		Input{Token: json.RawMessage(`{"jti":"raw"}`), EnvironmentVariables: map[string]string{"API_KEY": "secret"}})
	wantClaims(map[string]any{"ctx": "object", "key": "secret", "keys": []any{"API_KEY"}, "missing": true, "tokenId": "raw"})(t, Result{Claims: claims}, nil)
	claims = mustRun(t, r, script(`return { env: Object.keys(environmentVariables).length, token: Object.keys(token).length };`), Input{})
	wantClaims(map[string]any{"env": 0, "token": 0})(t, Result{Claims: claims}, nil)

	// The argument's parts are parsed on first read; every way of reading
	// them sees the same values, and assignments stick.
	claims = mustRun(t, r, `const getCustomJwtClaims = async (arg) => {
  const same = arg.token === arg.token && arg.context === arg.context;
  const printed = JSON.parse(JSON.stringify(arg));
  arg.context = { replaced: true };
  const { token: { jti }, context } = arg;
  return { same, tokenId: jti, replaced: context.replaced, printed: [printed.token.jti, printed.context.app, printed.environmentVariables.K],
    has: ['token', 'context', 'environmentVariables', 'api'].every((k) => k in arg), deny: typeof arg.api.denyAccess };
};`, Input{Token: map[string]any{"jti": "j1"}, Context: json.RawMessage(`{"app":"a1"}`), EnvironmentVariables: map[string]string{"K": "v"}})
	wantClaims(map[string]any{"same": true, "tokenId": "j1", "replaced": true, "printed": []any{"j1", "a1", "v"}, "has": true, "deny": "function"})(t, Result{Claims: claims}, nil)
}

func TestFetch(t *testing.T) {
	srv := testServer(t)
	r := newTestRunner(t, Options{Policy: allowLoopbackLiteral, Limits: Limits{Timeout: 2 * time.Second}})
	tests := []struct {
		name  string
		body  string
		check func(t *testing.T, res Result, err error)
	}{
		{"json", `const r = await fetch('` + srv.URL + `/json');
      return { ok: r.ok, status: r.status, statusText: r.statusText, type: r.headers.get('Content-Type'), x: r.headers.get('x-test'), data: await r.json(), used: r.bodyUsed };`,
			wantClaims(map[string]any{"data": map[string]any{"hello": "world", "n": 42}, "ok": true, "status": 200, "statusText": "OK", "type": "application/json", "used": true, "x": "yes"})},
		{"seed example", `const response = await fetch('` + srv.URL + `/echo', { headers: { Authorization: ` + "`Bearer ${environmentVariables.API_KEY}`" + ` } });
      const data = await response.json();
      return { auth: data.authorization, ua: data.userAgent };`,
			wantClaims(map[string]any{"auth": "Bearer k", "ua": "monban-claims"})},
		{"post json", `const r = await fetch(new URL('/echo?x=1', '` + srv.URL + `'), { method: 'post', headers: new Headers([['content-type', 'application/json']]), body: JSON.stringify({ a: 1 }) });
      const d = await r.json(); return { method: d.method, type: d.contentType, body: d.body, query: d.query };`,
			wantClaims(map[string]any{"body": `{"a":1}`, "method": "POST", "query": "x=1", "type": "application/json"})},
		{"form body", `const r = await fetch('` + srv.URL + `/echo', { method: 'POST', body: new URLSearchParams({ a: '1 2', b: 'é' }) });
      const d = await r.json(); return { type: d.contentType, body: d.body };`,
			wantClaims(map[string]any{"body": "a=1+2&b=%C3%A9", "type": "application/x-www-form-urlencoded;charset=UTF-8"})},
		{"binary body and response", `const r = await fetch('` + srv.URL + `/binary');
      const b = new Uint8Array(await r.arrayBuffer());
      const e = await (await fetch('` + srv.URL + `/echo', { method: 'PUT', body: new Uint8Array([104, 105]) })).json();
      return { bytes: Array.from(b), echoed: e.body };`,
			wantClaims(map[string]any{"bytes": []any{255, 254, 0, 65}, "echoed": "hi"})},
		{"error status", `const r = await fetch('` + srv.URL + `/status/418'); return { ok: r.ok, status: r.status, text: await r.text() };`,
			wantClaims(map[string]any{"ok": false, "status": 418, "text": "teapot"})},
		{"allowed redirect", `const r = await fetch('` + srv.URL + `/redirect?to=/json'); return { redirected: r.redirected, url: r.url.endsWith('/json'), data: await r.json() };`,
			wantClaims(map[string]any{"data": map[string]any{"hello": "world", "n": 42}, "redirected": true, "url": true})},
		{"manual redirect", `const r = await fetch('` + srv.URL + `/redirect?to=/json', { redirect: 'manual' }); return { status: r.status, location: r.headers.get('location') };`,
			wantClaims(map[string]any{"location": "/json", "status": 302})},
		{"body read twice", `const r = await fetch('` + srv.URL + `/json'); await r.text(); try { await r.text(); } catch (e) { return { err: e.name }; } return {};`,
			wantClaims(map[string]any{"err": "TypeError"})},
		{"AbortSignal.timeout", `const t0 = Date.now();
      try { await fetch('` + srv.URL + `/slow', { signal: AbortSignal.timeout(50) }); return { aborted: false }; }
      catch (e) { return { name: e.name, quick: Date.now() - t0 < 1000 }; }`,
			wantClaims(map[string]any{"name": "TimeoutError", "quick": true})},
		{"AbortController", `const c = new AbortController(); setTimeout(() => c.abort(), 20);
      try { await fetch('` + srv.URL + `/slow', { signal: c.signal }); } catch (e) { return { name: e.name, aborted: c.signal.aborted }; } return {};`,
			wantClaims(map[string]any{"aborted": true, "name": "AbortError"})},
		{"already aborted", `try { await fetch('` + srv.URL + `/json', { signal: AbortSignal.abort('why') }); } catch (e) { return { reason: e }; } return {};`,
			wantClaims(map[string]any{"reason": "why"})},
		{"parallel", `const rs = await Promise.all([1, 2, 3].map(() => fetch('` + srv.URL + `/json').then((r) => r.json())));
      return { n: rs.map((d) => d.n) };`,
			wantClaims(map[string]any{"n": []any{42, 42, 42}})},
		{"relative URL", `try { await fetch('/json'); } catch (e) { return { err: e.name }; } return {};`,
			wantClaims(map[string]any{"err": "TypeError"})},
		{"credentials in URL", `try { await fetch('http://u:p@127.0.0.1/'); } catch (e) { return { err: e.message }; } return {};`,
			wantClaims(map[string]any{"err": "URL must not include credentials"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := run(t, r, script(tt.body), Input{EnvironmentVariables: map[string]string{"API_KEY": "k"}})
			tt.check(t, res, err)
		})
	}
}

// TestAllowNetworks: an allowed network opens a host name resolving into it,
// judged after DNS resolution.
func TestAllowNetworks(t *testing.T) {
	srv := testServer(t)
	r := newTestRunner(t, Options{Policy: Policy{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}})
	url := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	claims := mustRun(t, r, script(`const r = await fetch('`+url+`/json'); return await r.json();`), Input{})
	if claims["hello"] != "world" {
		t.Fatalf("claims %v", claims)
	}
}

func TestTimers(t *testing.T) {
	r := newTestRunner(t, Options{Limits: Limits{Timeout: 2 * time.Second}})
	claims := mustRun(t, r, script(`
    const order = [];
    await new Promise((resolve) => {
      // Wide gaps: an interval is re-armed when it fires, so a late first
      // tick on a loaded machine delays the second.
      setTimeout(() => order.push('t60'), 60);
      setTimeout(() => order.push('t10'), 10);
      setTimeout(() => { order.push('t0a'); Promise.resolve().then(() => order.push('micro after t0a')); }, 0);
      setTimeout(() => order.push('t0b'), 0);
      const cancelled = setTimeout(() => order.push('cancelled'), 5);
      clearTimeout(cancelled);
      queueMicrotask(() => order.push('microtask'));
      let n = 0;
      const iv = setInterval(() => { order.push('iv' + ++n); if (n === 2) clearInterval(iv); }, 12);
      setTimeout(resolve, 90);
      order.push('sync');
    });
    return { order };`), Input{})
	got := fmt.Sprint(claims["order"])
	want := "[sync microtask t0a micro after t0a t0b t10 iv1 iv2 t60]"
	if got != want {
		t.Fatalf("order %s, want %s", got, want)
	}
}

// TestWebGlobals exercises the polyfilled web APIs against values Node gives.
func TestWebGlobals(t *testing.T) {
	r := newTestRunner(t, Options{Limits: Limits{Timeout: 2 * time.Second}})
	cases := map[string]string{
		`new URL('https://Example.com:443/a/b/../c?x=1 2#f g').href`:                          "https://example.com/a/c?x=1%202#f%20g",
		`new URL('../d', 'https://example.com/a/b/c').href`:                                   "https://example.com/a/d",
		`new URL('//other.com/x', 'https://example.com/').href`:                               "https://other.com/x",
		`new URL('?q=1', 'https://example.com/p').href`:                                       "https://example.com/p?q=1",
		`new URL('HTTP://EXAMPLE.COM:80').href`:                                               "http://example.com/",
		`new URL('http://[::1]:8080/').host`:                                                  "[::1]:8080",
		`new URL('http://[2001:db8:0:0:0:0:0:1]/').hostname`:                                  "[2001:db8::1]",
		`new URL('http://0x7f.1/').hostname`:                                                  "127.0.0.1",
		`new URL('http://münchen.de/').hostname`:                                              "xn--mnchen-3ya.de",
		`new URL('mailto:a@b.c').pathname`:                                                    "a@b.c",
		`new URL('http://u:p@h.com/').username + ':' + new URL('http://u:p@h.com/').password`: "u:p",
		`new URL('https://example.com:8443/x').origin`:                                        "https://example.com:8443",
		`(() => { const u = new URL('https://a.com/?x=1'); u.searchParams.set('q', 'a b&c'); u.searchParams.append('x', '2'); return u.href; })()`: "https://a.com/?x=1&q=a+b%26c&x=2",
		`(() => { const u = new URL('https://a.com/p'); u.pathname = '/x y'; u.search = 'k=v'; u.hash = 'h'; u.port = '8080'; return u.href; })()`: "https://a.com:8080/x%20y?k=v#h",
		`String(URL.canParse('nope')) + String(URL.parse('nope'))`:                                                                                 "falsenull",
		`(() => { try { new URL('nope'); } catch (e) { return e.name; } })()`:                                                                      "TypeError",
		`new URLSearchParams('a=1&b=2&a=3').getAll('a').join()`:                                                                                    "1,3",
		`new URLSearchParams('?a=%20x+y&b').toString()`:                                                                                            "a=+x+y&b=",
		`(() => { const p = new URLSearchParams('b=2&a=1&b=1'); p.sort(); p.delete('a'); return [...p].join(';'); })()`:                            "b,2;b,1",
		`new URL('https://a.com/?k=v%C3%A9').searchParams.get('k')`:                                                                                "vé",
		`JSON.stringify({ u: new URL('https://a.com') })`:                                                                                          `{"u":"https://a.com/"}`,
		`new TextDecoder().decode(new TextEncoder().encode('héllo 😀'))`:                                                                            "héllo 😀",
		`new TextDecoder().decode(new Uint8Array([0xff, 0x61, 0xe2, 0x82]))`:                                                                       "\ufffda\ufffd",
		`Array.from(new TextEncoder().encode('é€')).join()`:                                                                                        "195,169,226,130,172",
		`(() => { try { new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array([0xff])); } catch (e) { return e.name; } })()`:             "TypeError",
		`btoa('hello') + ' ' + atob('aGVsbG8=') + ' ' + atob(' aGk ')`:                                                                             "aGVsbG8= hello hi",
		`(() => { try { btoa('é€'); } catch (e) { return e.name; } })()`:                                                                           "InvalidCharacterError",
		`/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(crypto.randomUUID())`:                                        "true",
		`crypto.getRandomValues(new Uint8Array(8)).length`:                                                                                         "8",
		`typeof structuredClone + typeof Intl`:                                                                                                     "undefinedundefined",
		`new Headers({ 'X-A': '1', 'x-a': '2' }).get('X-a')`:                                                                                       "1, 2",
		`new DOMException('m', 'AbortError').code`:                                                                                                 "20",
		`(() => { const c = new AbortController(); let n = 0; c.signal.addEventListener('abort', () => n++); c.signal.onabort = () => n++; c.abort(); c.abort(); return n + ' ' + c.signal.reason.name; })()`: "2 AbortError",
		`AbortSignal.any([AbortSignal.abort('x')]).reason`: "x",
		`new Response('{"a":1}', { status: 201 }).status`:  "201",
		`typeof eval('1 + 1') + eval('1 + 1')`:             "number2",
		`new Date(0).toISOString()`:                        "1970-01-01T00:00:00.000Z",
	}
	var b strings.Builder
	b.WriteString("const results = [];\n")
	exprs := make([]string, 0, len(cases))
	for expr := range cases {
		exprs = append(exprs, expr)
		fmt.Fprintf(&b, "try { results.push(String(%s)); } catch (e) { results.push('threw ' + e); }\n", expr)
	}
	b.WriteString("return { results };")
	res, err := run(t, r, script(b.String()), Input{})
	if err != nil {
		t.Fatal(err)
	}
	results, _ := res.Claims["results"].([]any)
	if len(results) != len(exprs) {
		t.Fatalf("results %v", res.Claims)
	}
	for i, expr := range exprs {
		if results[i] != cases[expr] {
			t.Errorf("%s\n  got  %q\n  want %q", expr, results[i], cases[expr])
		}
	}
}

func TestStats(t *testing.T) {
	r := newTestRunner(t, Options{})
	_, _ = r.Run(t.Context(), "access-token", script(`return {};`), Input{})
	_, _ = r.Run(t.Context(), "access-token", script(`api.denyAccess('x');`), Input{})
	_, _ = r.Run(t.Context(), "access-token", script(`throw new Error('x');`), Input{})
	_, _ = r.Run(t.Context(), "client-credentials", script(`while (true) {}`), Input{})
	st := r.Stats()
	at := st.Kinds["access-token"]
	if at.Runs != 3 || at.Outcomes["ok"] != 1 || at.Outcomes["denied"] != 1 || at.Outcomes["script_error"] != 1 || at.TotalDuration <= 0 {
		t.Fatalf("access-token stats %+v", at)
	}
	cc := st.Kinds["client-credentials"]
	if cc.Outcomes["timeout"] != 1 || cc.MaxDuration < attackTimeout {
		t.Fatalf("client-credentials stats %+v", cc)
	}
	for _, o := range []error{nil, &DeniedError{}, &SyntaxError{}, &ScriptError{}, ErrTimeout, &LimitError{Limit: LimitMemory},
		&LimitError{Limit: LimitFetches}, &LimitError{Limit: LimitResponse}, &LimitError{Limit: LimitOutput}, &LimitError{Limit: LimitTimers},
		fmt.Errorf("%w: x", errCanceled), errors.New("other")} {
		if _, ok := at.Outcomes[Outcome(o)]; !ok {
			t.Errorf("outcome %q of %v not counted", Outcome(o), o)
		}
	}
}

// TestGlobalNames: the web globals keep their names through the bundling of
// the runtime.
func TestGlobalNames(t *testing.T) {
	r := newTestRunner(t, Options{})
	const names = "URL,URLSearchParams,Headers,Response,AbortSignal,AbortController,Event,EventTarget,DOMException,TextEncoder,TextDecoder"
	claims := mustRun(t, r, script(`return { names: [`+names+`].map((f) => f.name + (f.prototype.constructor === f ? '' : '!')).join() };`), Input{})
	if claims["names"] != names {
		t.Fatalf("names %v, want %s", claims["names"], names)
	}
}
