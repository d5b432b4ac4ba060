package claims

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// attackTimeout keeps the tests that run into the deadline short.
const attackTimeout = 400 * time.Millisecond

const normalScript = `const getCustomJwtClaims = async ({ token, context, environmentVariables }) => {
  return { normal: true, app: context.application && context.application.name, env: environmentVariables.NAME };
};`

var normalInput = Input{
	Token:                map[string]any{"jti": "j1", "kind": "AccessToken"},
	Context:              map[string]any{"application": map[string]any{"name": "Console"}},
	EnvironmentVariables: map[string]string{"NAME": "value"},
}

// script wraps body in an async getCustomJwtClaims; body starts on line 2.
func script(body string) string {
	return "const getCustomJwtClaims = async ({ token, context, environmentVariables, api }) => {\n" + body + "\n};"
}

func newTestRunner(t *testing.T, opts Options) *Runner {
	t.Helper()
	if opts.Limits.Timeout == 0 {
		opts.Limits.Timeout = attackTimeout
	}
	if opts.Limits.FetchTimeout == 0 {
		opts.Limits.FetchTimeout = 250 * time.Millisecond
	}
	// The runtime is compiled once per process, within the first run's
	// time limit; on a busy machine that takes much of a test's short one.
	if _, err := runtimeCode(); err != nil {
		t.Fatal(err)
	}
	// Zero fetches and redirects are meaningful: tests that leave them
	// unset get the defaults, as the server configures them.
	if opts.Limits.MaxFetches == 0 {
		opts.Limits.MaxFetches = DefaultMaxFetches
	}
	if opts.Policy.MaxRedirects == 0 {
		opts.Policy.MaxRedirects = DefaultMaxRedirects
	}
	r := NewRunner(opts)
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// allowLoopbackLiteral opens only URLs whose host is literally 127.0.0.1
// (httptest servers); "localhost" still resolves to a refused address.
var allowLoopbackLiteral = Policy{AllowHosts: []string{"127.0.0.1"}}

func run(t *testing.T, r *Runner, src string, in Input) (Result, error) {
	t.Helper()
	return r.Run(context.Background(), "test", src, in)
}

func mustRun(t *testing.T, r *Runner, src string, in Input) map[string]any {
	t.Helper()
	res, err := run(t, r, src, in)
	if err != nil {
		t.Fatalf("run failed: %v\nlogs: %v", err, res.Logs)
	}
	return res.Claims
}

// checkNormal asserts that an ordinary script runs fine on r.
func checkNormal(t *testing.T, r *Runner) {
	t.Helper()
	start := time.Now()
	res, err := r.Run(context.Background(), "normal", normalScript, normalInput)
	if err != nil {
		t.Fatalf("normal script failed: %v", err)
	}
	if res.Claims["normal"] != true || res.Claims["app"] != "Console" || res.Claims["env"] != "value" {
		t.Fatalf("normal script returned %v", res.Claims)
	}
	// Only a hang: on a busy machine an ordinary run can take as long as
	// one stuck behind an attack would. contained tells the two apart by
	// counting the ordinary runs that complete during the attack.
	if d := time.Since(start); d > time.Second {
		t.Fatalf("normal script took %v", d)
	}
}

// contained runs an attack while ordinary runs go on next to it on the same
// runner, then checks the attack's outcome and that the runner still works.
func contained(t *testing.T, r *Runner, src string, in Input, check func(t *testing.T, res Result, err error)) {
	t.Helper()
	type outcome struct {
		res Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := r.Run(context.Background(), "attack", src, in)
		done <- outcome{res, err}
	}()
	var o outcome
	normal := 0
wait:
	for {
		select {
		case o = <-done:
			break wait
		default:
			checkNormal(t, r)
			normal++
			time.Sleep(5 * time.Millisecond)
		}
	}
	check(t, o.res, o.err)
	checkNormal(t, r)
	if o.res.Duration > r.limits.Timeout+300*time.Millisecond {
		t.Errorf("attack ran for %v, limit %v", o.res.Duration, r.limits.Timeout)
	}
	if o.res.Duration >= r.limits.Timeout && normal < 2 {
		t.Errorf("only %d ordinary runs completed during a %v attack", normal, o.res.Duration)
	}
	t.Logf("%v after %v; %d ordinary runs meanwhile", Outcome(o.err), o.res.Duration.Round(time.Millisecond), normal)
}

func wantTimeout(t *testing.T, _ Result, err error) {
	t.Helper()
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("want ErrTimeout, got %v", err)
	}
}

func wantFailure(t *testing.T, res Result, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("want an error, got claims %v", res.Claims)
	}
}

func wantMemory(t *testing.T, _ Result, err error) {
	t.Helper()
	if !errors.Is(err, ErrMemoryLimit) {
		t.Fatalf("want ErrMemoryLimit, got %v", err)
	}
}

func wantLimit(l Limit) func(t *testing.T, _ Result, err error) {
	return func(t *testing.T, _ Result, err error) {
		t.Helper()
		var le *LimitError
		if !errors.As(err, &le) || le.Limit != l {
			t.Fatalf("want %s LimitError, got %v", l, err)
		}
	}
}

// wantScriptError checks a ScriptError whose message contains substr.
func wantScriptError(substr string) func(t *testing.T, _ Result, err error) {
	return func(t *testing.T, _ Result, err error) {
		t.Helper()
		var se *ScriptError
		if !errors.As(err, &se) {
			t.Fatalf("want ScriptError, got %v", err)
		}
		if !strings.Contains(se.Message, substr) {
			t.Fatalf("want a message containing %q, got %q", substr, se.Message)
		}
	}
}

func wantClaims(want map[string]any) func(t *testing.T, res Result, err error) {
	return func(t *testing.T, res Result, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("run failed: %v (logs %v)", err, res.Logs)
		}
		got, _ := json.Marshal(res.Claims)
		exp, _ := json.Marshal(want)
		if string(got) != string(exp) {
			t.Fatalf("claims = %s, want %s", got, exp)
		}
	}
}

// testServer serves the endpoints the fetch tests use, on 127.0.0.1.
func testServer(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Test", "yes")
		fmt.Fprint(w, `{"hello":"world","n":42}`)
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{
			"method":        r.Method,
			"authorization": r.Header.Get("Authorization"),
			"contentType":   r.Header.Get("Content-Type"),
			"userAgent":     r.Header.Get("User-Agent"),
			"body":          string(b),
			"query":         r.URL.RawQuery,
		})
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(3 * time.Second):
		}
	})
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("x", 64<<10))
		for range 32 { // 2 MiB
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/binary", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte{0xff, 0xfe, 0x00, 0x41})
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
	})
	mux.HandleFunc("/status/418", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		fmt.Fprint(w, "teapot")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Fatalf("test server at %s, want 127.0.0.1", srv.URL)
	}
	return srv
}
