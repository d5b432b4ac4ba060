// Package claims runs custom JWT claims scripts (Logto's "custom JWT") in a
// sandbox.
//
// An administrator writes a JavaScript function
//
//	const getCustomJwtClaims = async ({ token, context, environmentVariables, api }) => {
//		return { ... };
//	};
//
// (an async or plain arrow function, or a function declaration), run at each
// access token issuance; the object it returns becomes extra claims.
//
// The same sandbox runs Auth0 Actions: a script that names an Actions
// trigger's function and not getCustomJwtClaims (IsAction) assigns
// exports.onExecutePostLogin or exports.onExecuteCredentialsExchange, and a
// run with Input.Trigger calls it with (event, api): the event is
// Input.Context with event.secrets the environment variables, and the
// claims it sets with api.accessToken.setCustomClaim and
// api.idToken.setCustomClaim are Result.Claims and Result.IDClaims;
// api.access.deny is a *DeniedError with its Code.
//
// # API
//
// Compile (or Runner.Compile) validates a script when it is saved and returns
// a *SyntaxError with its line and column. NewRunner builds a Runner from
// Options (Limits, egress Policy, pool sizes); Runner.Run(ctx, kind, script,
// Input) runs it and returns a Result (claims without the reserved ones, the
// reserved ones dropped, console output, duration) or a typed error:
// *DeniedError (the script called api.denyAccess), *ScriptError (it threw,
// rejected or returned something other than a plain object), *SyntaxError,
// *LimitError (memory, fetch count, response size, output size, timers;
// errors.Is(err, ErrMemoryLimit) for memory), ErrTimeout, or an error
// wrapping a canceled context. Outcome maps an error to a metrics label and
// Runner.Stats returns counters per kind (the token type the caller passes
// to Run) and outcome, with durations.
//
// Scripts see the web globals Node offers: fetch (with Headers, Response),
// AbortController, AbortSignal (timeout, any), setTimeout, setInterval,
// queueMicrotask, URL, URLSearchParams, TextEncoder, TextDecoder, atob, btoa,
// console, crypto.randomUUID and crypto.getRandomValues, DOMException, Event
// and EventTarget, besides the ECMAScript built-ins (no Intl, WeakRef or
// FinalizationRegistry). There is no require, import, process, file system
// or host environment. Values cross between Go and JavaScript as JSON.
//
// # Security model
//
// The script is untrusted code running inside the server, so:
//
//   - Each VM (a QuickJS runtime, modernc.org/quickjs) belongs to one script
//     version and runs one run at a time. Its heap is limited
//     (Limits.MemoryBytes), its call depth too (deep recursion throws), and
//     every run has a wall-clock deadline (Limits.Timeout) covering all it
//     awaits: the engine's interrupt stops loops and regular expressions, the
//     event loop stops waiting, the context cancels fetches. The engine
//     checks its interrupt only every 10,000 calls, which a script can make
//     slow, so a watchdog answers a run still going shortly after its
//     deadline with ErrTimeout and abandons it (see Stats.RunsAbandoned).
//   - Test runs (Input.Test) take their slots and places from a budget of
//     their own, so that they never hold up issuance.
//   - Before any script code runs, every built-in object reachable from the
//     global object or from syntax is frozen, including the global object.
//     The script is evaluated inside a function, anew for each run, so its
//     top-level declarations do not outlive a run either. Together, a run
//     cannot leave state for the next one on the same VM. Common assignments
//     that freezing would break (this.name = ... in an Error subclass) define
//     the property on the instance instead.
//   - A VM whose run failed (thrown error, timeout, out of memory, limit) is
//     discarded, never reused. A denial is a normal outcome and keeps it.
//   - The host functions the runtime uses are removed from the global object
//     before any script runs and never panic.
//   - fetch speaks http and https only, with no proxy from the environment.
//     The address actually dialed is checked after DNS resolution, for each
//     address tried and each redirect (at most Policy.MaxRedirects):
//     loopback, private, link-local (including cloud metadata at
//     169.254.169.254), CGNAT, unspecified, multicast, reserved ranges and
//     IPv6 forms embedding them are refused unless Policy.AllowNetworks or
//     Policy.AllowHosts lets them through. Each run has at most
//     Limits.MaxFetches calls, each with its own timeout and a cap on the
//     body size.
//   - Output (Limits.MaxOutputBytes), console output (Limits.MaxLogBytes) and
//     pending timers (Limits.MaxTimers) are bounded. Reserved claims (iss,
//     sub, aud, exp, ... see ReservedClaims) are dropped and reported.
//   - api.denyAccess denies issuance even if the script catches the
//     exception it throws.
//
// # Performance
//
// Each script version is compiled once to bytecode. Runs take a ready VM
// from a per-script pool (Options.MaxIdleVMs): a pooled run of a trivial
// script takes tens of microseconds. Preparing a VM (engine, web globals,
// freezing about a thousand built-in objects, the script) takes about 2 ms;
// it happens for the first runs of a script, after a failed run and when
// more runs are concurrent than VMs are idle. When a kind's script changes,
// the VMs of the old version are closed.
//
// A script that throws null is reported as exceeding its memory limit: the
// engine throws null when it cannot allocate an error object.
package claims
