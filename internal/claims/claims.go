package claims

import (
	"errors"
	"fmt"
	"github.com/monban/monban/internal/egress"
	"runtime"
	"strconv"
	"time"

	"github.com/monban/monban/internal/token"
)

// Limits bound one run of a script. A zero field takes its default, except
// MaxFetches, where zero means no fetch (DefaultLimits holds every default).
type Limits struct {
	// Timeout is the wall-clock budget of a run: waiting for a free slot,
	// preparing a VM, the script and everything it awaits. Default 2s.
	Timeout time.Duration
	// MemoryBytes is the heap limit of each VM. Default 32 MiB.
	MemoryBytes int64
	// MaxFetches is the number of fetch calls allowed per run; zero
	// disables fetch. The default is DefaultMaxFetches.
	MaxFetches int
	// FetchTimeout bounds each fetch, never beyond the run's deadline.
	// Default 1.5s.
	FetchTimeout time.Duration
	// MaxResponseBytes caps each fetched body (after decompression).
	// Default 1 MiB.
	MaxResponseBytes int64
	// MaxOutputBytes caps the JSON of the returned claims. Default 16 KiB.
	MaxOutputBytes int
	// MaxLogBytes caps the console output kept per run. Default 16 KiB.
	MaxLogBytes int
	// MaxScriptBytes caps the source size. Default 256 KiB, at most 1 MiB.
	MaxScriptBytes int
	// MaxTimers caps the timers pending at once in a run. Default 1000.
	MaxTimers int
}

// Defaults of the settings where zero is a meaningful value.
const (
	DefaultMaxFetches   = 5
	DefaultMaxRedirects = 3
)

// DefaultLimits returns the default limits, DefaultMaxFetches included.
func DefaultLimits() Limits {
	return Limits{MaxFetches: DefaultMaxFetches}.withDefaults()
}

func (l Limits) withDefaults() Limits {
	if l.Timeout <= 0 {
		l.Timeout = 2 * time.Second
	}
	if l.MemoryBytes <= 0 {
		l.MemoryBytes = 32 << 20
	}
	l.MaxFetches = max(l.MaxFetches, 0)
	if l.FetchTimeout <= 0 {
		l.FetchTimeout = 1500 * time.Millisecond
	}
	if l.MaxResponseBytes <= 0 {
		l.MaxResponseBytes = 1 << 20
	}
	if l.MaxOutputBytes <= 0 {
		l.MaxOutputBytes = 16 << 10
	}
	if l.MaxLogBytes <= 0 {
		l.MaxLogBytes = 16 << 10
	}
	if l.MaxScriptBytes <= 0 {
		l.MaxScriptBytes = 256 << 10
	}
	// Line numbers of the script must stay below those of the runtime, see
	// runtimeLineOffset.
	l.MaxScriptBytes = min(l.MaxScriptBytes, 1<<20)
	if l.MaxTimers <= 0 {
		l.MaxTimers = 1000
	}
	return l
}

// Policy is the egress policy of fetch (see internal/egress). By default
// only public unicast addresses are reachable, over http and https, without
// any proxy. MaxRedirects' default is DefaultMaxRedirects.
type Policy = egress.Policy

// Options configure a Runner.
type Options struct {
	Limits Limits
	Policy Policy
	// MaxConcurrent bounds the runs in progress, those awaiting a fetch or
	// a timer included (each holds a VM of up to Limits.MemoryBytes).
	// Default 16.
	MaxConcurrent int
	// MaxExecuting bounds the runs executing JavaScript at once; a run
	// awaiting a fetch or a timer gives its place up meanwhile. Runs are
	// CPU work, and more of them at once than there are cores only contend
	// (the engine's memory allocator is one lock for the process) and need
	// more VMs than the pool keeps. Default MaxIdleVMs.
	MaxExecuting int
	// MaxIdleVMs bounds the ready VMs kept per script. Default 2×GOMAXPROCS,
	// at least 4. An idle VM holds a few hundred KiB to a few MiB.
	MaxIdleVMs int
	// MaxScripts bounds the scripts whose compiled code and VMs are kept.
	// Default 8.
	MaxScripts int
	// MaxTestConcurrent and MaxTestExecuting are MaxConcurrent and
	// MaxExecuting for test runs (Input.Test), a budget of their own, so
	// that test runs never hold up issuance. Default 2 and 1.
	MaxTestConcurrent, MaxTestExecuting int
}

func (o Options) withDefaults() Options {
	o.Limits = o.Limits.withDefaults()
	o.Policy.MaxRedirects = max(o.Policy.MaxRedirects, 0)
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = 16
	}
	if o.MaxIdleVMs <= 0 {
		o.MaxIdleVMs = max(4, 2*runtime.GOMAXPROCS(0))
	}
	if o.MaxExecuting <= 0 {
		o.MaxExecuting = o.MaxIdleVMs
	}
	if o.MaxScripts <= 0 {
		o.MaxScripts = 8
	}
	if o.MaxTestConcurrent <= 0 {
		o.MaxTestConcurrent = 2
	}
	if o.MaxTestExecuting <= 0 {
		o.MaxTestExecuting = 1
	}
	return o
}

// Input is what getCustomJwtClaims receives, besides api. Token and Context
// are marshaled with encoding/json; a json.RawMessage, which must hold a
// valid JSON value, passes through unchecked, and nil becomes an empty
// object. The script parses each part only if it reads it.
type Input struct {
	Token                any
	Context              any
	EnvironmentVariables map[string]string
	// JTI is the token's jti, given apart from Token, whose own jti should
	// be empty (it keeps the claim's place): the script reads it as
	// token.jti, and the runner knows whether it did.
	JTI string
	// Memoize lets Run answer with the claims of an earlier run of the same
	// script that read the same parts of its input and nothing that
	// changes from run to run (the jti, the clock, Math.random, random
	// bytes, timers, fetch): the script would return the same claims again.
	// The Result then has no Logs. For issuance, not for test runs.
	Memoize bool
	// Trigger, when set (TriggerPostLogin, TriggerCredentialsExchange),
	// runs the script as an Auth0 Action: the function it exports for the
	// trigger is called with (event, api), where event is Context with
	// event.secrets the EnvironmentVariables; Token is not seen. Its claims
	// for the access token are Result.Claims, for the ID token
	// Result.IDClaims.
	Trigger string
	// Test marks a test run (a script tried out in the console, say): it
	// takes its slot and place from the test budget (Options.
	// MaxTestConcurrent, MaxTestExecuting), not from issuance's.
	Test bool
}

// Result of a run. Logs and Duration are set also when Run fails.
type Result struct {
	// Claims returned by the script, without reserved claims. Numbers are
	// json.Number, so they marshal back unchanged.
	Claims map[string]any
	// Dropped lists the reserved claims the script returned, and the
	// __proto__, constructor and prototype names, at any depth (a nested one
	// as its path: "a.0.__proto__"), all dropped, sorted.
	Dropped []string
	// IDClaims are the claims an Auth0 Action set on the ID token, without
	// reserved claims (their names are in Dropped as "idToken.name").
	IDClaims map[string]any
	// Logs is the console output, one entry per call, bounded by
	// Limits.MaxLogBytes; console.info, warn and error entries start with
	// "info: ", "warn: " and "error: ".
	Logs []string
	// Duration of the run, including waiting for a slot.
	Duration time.Duration
}

// prototypeNames are never taken from a script, at any depth: a consumer
// that merges claims into an object naively (lodash merge, Object.assign
// in a loop) would change its prototypes.
var prototypeNames = map[string]bool{"__proto__": true, "constructor": true, "prototype": true}

// dropPrototypeNames removes prototypeNames from the objects in v (decoded
// JSON: maps and slices), appending the path of each to dropped.
func dropPrototypeNames(v any, path string, dropped []string) []string {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if prototypeNames[k] {
				dropped = append(dropped, path+"."+k)
				delete(x, k)
				continue
			}
			dropped = dropPrototypeNames(e, path+"."+k, dropped)
		}
	case []any:
		for i, e := range x {
			dropped = dropPrototypeNames(e, path+"."+strconv.Itoa(i), dropped)
		}
	}
	return dropped
}

// Reserved reports whether a script may not set the claim name: the
// server sets it (token.Reserved).
func Reserved(name string) bool { return token.Reserved(name) }

// ReservedClaims returns the reserved claim names, sorted.
func ReservedClaims() []string { return token.ReservedClaims() }

// ErrTimeout means the run did not finish within Limits.Timeout (or the
// context's deadline).
var ErrTimeout = errors.New("the script timed out")

// ErrMemoryLimit matches, with errors.Is, a LimitError for memory.
var ErrMemoryLimit = errors.New("the script exceeded its memory limit")

// ErrClosed is returned by Run after Close.
var ErrClosed = errors.New("claims: runner closed")

// SyntaxError is a script that does not compile. Line and Column are
// 1-based, or 0 when the problem has no position (e.g. the size).
type SyntaxError struct {
	Line, Column int
	Message      string
}

func (e *SyntaxError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("syntax error at line %d, column %d: %s", e.Line, e.Column, e.Message)
	}
	return e.Message
}

// ScriptError is a script that threw, returned a rejected promise or an
// unusable value. Line and Column locate the innermost frame in the script
// when known (0 otherwise).
type ScriptError struct {
	Message      string
	Line, Column int
	Stack        string
}

func (e *ScriptError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("script error at line %d, column %d: %s", e.Line, e.Column, e.Message)
	}
	return "script error: " + e.Message
}

// DeniedError is a script that called api.denyAccess(message?). It denies
// even if the script caught the exception denyAccess throws.
type DeniedError struct {
	Message string
	// Code is the OAuth error code an Auth0 Action denied with
	// (api.access.deny): access_denied for a post-login Action, the code
	// it named for a credentials-exchange one; empty for getCustomJwtClaims.
	Code string
}

func (e *DeniedError) Error() string {
	if e.Message == "" {
		return "access denied by the script"
	}
	return "access denied by the script: " + e.Message
}

// Limit names a limit of Limits.
type Limit string

// The limits a LimitError can report.
const (
	LimitMemory   Limit = "memory"
	LimitFetches  Limit = "fetches"
	LimitResponse Limit = "response"
	LimitOutput   Limit = "output"
	LimitTimers   Limit = "timers"
)

// LimitError is a run stopped by a limit. Fetch count, response size and
// timer count are enforced by failing the call in the script: the run fails
// with a LimitError only if the script let that failure through.
type LimitError struct {
	Limit  Limit
	Detail string
}

func (e *LimitError) Error() string {
	if e.Detail == "" {
		return fmt.Sprintf("claims: %s limit exceeded", e.Limit)
	}
	return fmt.Sprintf("claims: %s limit exceeded: %s", e.Limit, e.Detail)
}

// Is makes errors.Is(err, ErrMemoryLimit) true for the memory limit.
func (e *LimitError) Is(target error) bool {
	return target == ErrMemoryLimit && e.Limit == LimitMemory
}

// Outcome names the result of a run for metrics: "ok", "denied",
// "syntax_error", "script_error", "timeout", "limit_<limit>", "canceled" or
// "internal".
func Outcome(err error) string {
	return outcomeOf(err).String()
}

type outcome int

const (
	outOK outcome = iota
	outDenied
	outSyntax
	outScript
	outTimeout
	outMemory
	outFetches
	outResponse
	outOutput
	outTimers
	outCanceled
	outInternal
	numOutcomes
)

var outcomeNames = [numOutcomes]string{
	"ok", "denied", "syntax_error", "script_error", "timeout", "limit_memory", "limit_fetches",
	"limit_response", "limit_output", "limit_timers", "canceled", "internal",
}

func (o outcome) String() string { return outcomeNames[o] }

func outcomeOf(err error) outcome {
	if err == nil {
		return outOK // before the targets of errors.As, which escape
	}
	var (
		de *DeniedError
		se *SyntaxError
		xe *ScriptError
		le *LimitError
	)
	switch {
	case errors.As(err, &de):
		return outDenied
	case errors.As(err, &se):
		return outSyntax
	case errors.As(err, &xe):
		return outScript
	case errors.Is(err, ErrTimeout):
		return outTimeout
	case errors.As(err, &le):
		switch le.Limit {
		case LimitMemory:
			return outMemory
		case LimitFetches:
			return outFetches
		case LimitResponse:
			return outResponse
		case LimitOutput:
			return outOutput
		case LimitTimers:
			return outTimers
		}
	case errors.Is(err, errCanceled):
		return outCanceled
	}
	return outInternal
}

// errCanceled wraps context.Canceled so Outcome can tell it apart.
var errCanceled = errors.New("claims: run canceled")
