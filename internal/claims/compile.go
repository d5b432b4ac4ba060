package claims

import (
	_ "embed"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"modernc.org/quickjs"
)

// bootstrapJS is the runtime every VM evaluates first. It is generated: the
// modules in js/src are bundled into bootstrap.js by "npm run build" in js/.
//
//go:embed bootstrap.js
var bootstrapJS string

// The script is wrapped in a function so that each run evaluates its top
// level in a fresh scope: nothing a run declares survives into the next. The
// prefix stays on the script's first line so line numbers are unchanged.
// The outer function gives the script the exports and module of a CommonJS
// module, where an Auth0 Action puts its function; the inner one is the
// script's own scope, so that a script may declare those names itself.
const (
	wrapPrefix = "(function(exports,module){return(function(){"
	wrapSuffix = "\n;return typeof getCustomJwtClaims === \"function\" ? getCustomJwtClaims : undefined;})();})"
)

// The Auth0 Actions triggers a script may export a function for, named as
// Auth0 names the exported function.
const (
	TriggerPostLogin           = "onExecutePostLogin"
	TriggerCredentialsExchange = "onExecuteCredentialsExchange"
)

// IsAction reports whether script is an Auth0 Action rather than a
// getCustomJwtClaims script: it names an Actions trigger's function
// (exports.onExecutePostLogin, exports.onExecuteCredentialsExchange) and
// never getCustomJwtClaims. The decision is the script's text alone, so it
// is the same at every run and in every test run.
func IsAction(script string) bool {
	if strings.Contains(script, "getCustomJwtClaims") {
		return false
	}
	return strings.Contains(script, TriggerPostLogin) || strings.Contains(script, TriggerCredentialsExchange)
}

// runtimeLineOffset is the number of blank lines before the runtime's code.
// Scripts and the runtime are both named <eval> in stack traces; a frame
// below this line is the script's. Scripts are at most 1 MiB, so fewer lines.
const runtimeLineOffset = 1 << 21

// compileTimeout bounds the parser (a script is at most 1 MiB).
const compileTimeout = 5 * time.Second

// Compile checks that script is a valid custom claims script, with the
// default limits. It returns a *SyntaxError with the position of the first
// error. It does not run the script.
func Compile(script string) error {
	_, err := compileScript(script, Limits{}.withDefaults())
	return err
}

// compileScript validates script and returns the bytecode of its wrapped
// form, which evaluates to the factory of getCustomJwtClaims.
func compileScript(script string, limits Limits) ([]byte, error) {
	if len(script) > limits.MaxScriptBytes {
		return nil, &SyntaxError{Message: fmt.Sprintf("script is larger than %d bytes", limits.MaxScriptBytes)}
	}
	if !utf8.ValidString(script) {
		return nil, &SyntaxError{Message: "script is not valid UTF-8"}
	}
	if i := strings.IndexByte(script, 0); i >= 0 {
		line, col := position(script, i)
		return nil, &SyntaxError{Line: line, Column: col, Message: "NUL character"}
	}
	vm, err := quickjs.NewVM()
	if err != nil {
		return nil, fmt.Errorf("claims: %w", err)
	}
	defer vm.Close()
	vm.SetMemoryLimit(uintptr(max(limits.MemoryBytes, 64<<20)))
	if err := vm.SetEvalTimeout(compileTimeout); err != nil {
		return nil, err
	}
	// The script must parse on its own: then its tokens are balanced and the
	// wrapper cannot be closed early from inside it.
	if _, err := vm.Compile(script, quickjs.EvalGlobal); err != nil {
		return nil, syntaxError(err, 0)
	}
	bc, err := vm.Compile(wrapPrefix+script+wrapSuffix, quickjs.EvalGlobal)
	if err != nil {
		return nil, syntaxError(err, len(wrapPrefix))
	}
	if !strings.Contains(script, "getCustomJwtClaims") && !IsAction(script) {
		return nil, &SyntaxError{Message: "the script must define a function named getCustomJwtClaims, " +
			"or be an Auth0 Action that assigns exports.onExecutePostLogin or exports.onExecuteCredentialsExchange"}
	}
	return bc, nil
}

// position returns the 1-based line and column (in characters) of byte i.
func position(s string, i int) (line, col int) {
	line = 1 + strings.Count(s[:i], "\n")
	start := strings.LastIndexByte(s[:i], '\n') + 1
	return line, 1 + utf8.RuneCountInString(s[start:i])
}

func syntaxError(err error, firstLineShift int) error {
	var qe *quickjs.Error
	if !errors.As(err, &qe) {
		return &SyntaxError{Message: err.Error()}
	}
	msg := qe.Message
	if msg == "" {
		msg = qe.Error()
	}
	col := qe.ColumnNumber
	if qe.LineNumber == 1 {
		col = max(col-firstLineShift, 1)
	}
	return &SyntaxError{Line: qe.LineNumber, Column: col, Message: msg}
}

var evalFrame = regexp.MustCompile(`<eval>:(\d+):(\d+)`)

// scriptPosition returns the innermost position in the script named by a
// stack trace, or zeros.
func scriptPosition(stack string) (line, col int) {
	for _, m := range evalFrame.FindAllStringSubmatch(stack, -1) {
		l, err1 := strconv.Atoi(m[1])
		c, err2 := strconv.Atoi(m[2])
		if err1 != nil || err2 != nil || l >= runtimeLineOffset {
			continue
		}
		if l == 1 {
			c = max(c-len(wrapPrefix), 1)
		}
		return l, c
	}
	return 0, 0
}

// runtimeCode is the compiled runtime, made once per process: a first
// compilation plans the lockdown, a second one includes it.
var runtimeCode = sync.OnceValues(func() (*compiledRuntime, error) {
	vm, err := quickjs.NewVM()
	if err != nil {
		return nil, err
	}
	defer vm.Close()
	if err := registerHostStubs(vm); err != nil {
		return nil, err
	}
	prefix := strings.Repeat("\n", runtimeLineOffset)
	bc, err := vm.Compile(prefix+bootstrapJS, quickjs.EvalGlobal)
	if err != nil {
		return nil, fmt.Errorf("claims: compiling the runtime: %w", err)
	}
	h, err := vm.EvalBytecodeValue(bc)
	if err != nil {
		return nil, fmt.Errorf("claims: evaluating the runtime: %w", err)
	}
	defer h.Free()
	plan, err := h.Call(quickjs.UndefinedValue, opPlan)
	if err != nil {
		return nil, fmt.Errorf("claims: planning the lockdown: %w", err)
	}
	body, ok := plan.(string)
	if !ok || !strings.Contains(bootstrapJS, lockdownMarker) {
		return nil, errors.New("claims: cannot plan the lockdown")
	}
	// The plan goes on the marker's line so that line numbers do not move.
	src := prefix + strings.Replace(bootstrapJS, lockdownMarker, strings.ReplaceAll(body, "\n", " "), 1)
	if bc, err = vm.Compile(src, quickjs.EvalGlobal); err != nil {
		return nil, fmt.Errorf("claims: compiling the runtime: %w", err)
	}
	return &compiledRuntime{bytecode: bc}, nil
})

// lockdownMarker is where the plan goes in the runtime: a comment the bundler
// keeps (it starts with "/*!"), in lockdownObjects (js/src/lockdown.js).
const lockdownMarker = "/*!@LOCKDOWN@*/"

type compiledRuntime struct {
	bytecode []byte
}

// Operations of the harness function the runtime evaluates to.
const (
	opSetup    = 0
	opRun      = 1
	opDeliver  = 2
	opLockdown = 3
	opPlan     = 4
)

// registerHostStubs gives the runtime its host functions where it is only
// evaluated to plan the lockdown.
func registerHostStubs(vm *quickjs.VM) error {
	for _, name := range hostFuncNames {
		if err := vm.RegisterHostFunc(name, func([]any) (any, error) { return nil, errors.New("unavailable") }); err != nil {
			return err
		}
	}
	return nil
}

var hostFuncNames = [...]string{"__mbDone", "__mbLog", "__mbFetch", "__mbTimer", "__mbCancel", "__mbRandom"}
