package doctest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// root is the repository's root, from this package's directory.
const root = "../.."

// documents are the Markdown files whose walk-throughs run: the README and
// every page of docs/.
func documents(t *testing.T) []string {
	t.Helper()
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{filepath.Join(root, "README.md")}, docs...)
}

// TestDocsCheck checks every document's code blocks for what running them
// would not show (unknown info words, clobbered shell variables).
func TestDocsCheck(t *testing.T) {
	for _, path := range documents(t) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		blocks, err := Blocks(string(b))
		if err != nil {
			t.Errorf("%s: %v", rel(path), err)
			continue
		}
		for _, p := range Check(blocks) {
			t.Errorf("%s:%s", rel(path), strings.TrimPrefix(p, "line "))
		}
	}
}

// TestDocs runs the walk-throughs: for each document with runnable shell
// blocks, its steps in order, in one bash process with `set -euo
// pipefail`, in a fresh temporary directory (so `./monban-data/` is new),
// with the server the document starts itself (`go run ./cmd/monban`
// becomes the binary built once) on a free port in place of 3001.
func TestDocs(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the documents' walk-throughs need %s, which is not installed (CI installs it)", tool)
		}
	}
	for _, path := range documents(t) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		blocks, err := Blocks(string(b))
		if err != nil {
			t.Fatalf("%s: %v", rel(path), err)
		}
		var steps []Step
		for _, b := range blocks {
			if b.Runs() {
				steps = append(steps, Steps(b)...)
			}
		}
		if len(steps) == 0 {
			continue
		}
		t.Run(rel(path), func(t *testing.T) {
			t.Parallel()
			runDocument(t, steps)
		})
	}
}

// binDir holds the binary buildMonban builds; TestMain removes it.
var binDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// buildMonban builds the monban binary once.
var buildMonban = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "monban-doctest-")
	if err != nil {
		return "", err
	}
	binDir = dir
	bin := filepath.Join(dir, "monban")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/monban/monban/cmd/monban").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// runDocument runs a document's steps. The server the document starts
// must bind a port known before it starts, since the document's URLs name
// it: a free port is picked and released, and if another process took it
// meanwhile (the server then fails to bind) the document runs again on
// another.
func runDocument(t *testing.T, steps []Step) {
	bin, err := buildMonban()
	if err != nil {
		t.Fatal(err)
	}
	for attempt := 1; ; attempt++ {
		port := freePort(t)
		res := runSteps(t, bin, port, steps)
		// A server that could not bind leaves the document talking to
		// whatever took the port: whether or not the script failed, run it
		// again.
		if strings.Contains(res.stderr, "address already in use") && attempt < 3 {
			t.Logf("port %d was taken before the server bound it; again on another", port)
			continue
		}
		res.report(t, steps)
		return
	}
}

// marker ends each step's output on stdout.
func marker(i int) string { return fmt.Sprintf("@@doctest-step-%d@@", i) }

type result struct {
	outputs []string // of the steps that finished
	stderr  string
	err     error
	port    int
}

func runSteps(t *testing.T, bin string, port int, steps []Step) result {
	t.Helper()
	dir := t.TempDir()
	var script strings.Builder
	script.WriteString("set -euo pipefail\n")
	for i, s := range steps {
		script.WriteString(substitute(s.Code, bin, port))
		fmt.Fprintf(&script, "\nprintf '\\n%%s\\n' '%s'\n", marker(i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script.String())
	cmd.Dir = dir
	cmd.Env = append(environment(),
		"MONBAN_ADDR=127.0.0.1:"+strconv.Itoa(port),
		"MONBAN_ENDPOINT=http://localhost:"+strconv.Itoa(port),
		// The first script run also compiles the sandbox's runtime, which
		// can take longer than the default 2 s on a loaded test machine.
		"MONBAN_SCRIPT_TIMEOUT=10s",
		// curl must reach the server, whatever proxy the machine has.
		"NO_PROXY=localhost,127.0.0.1", "no_proxy=localhost,127.0.0.1")
	// The server runs in the background of the script: stop the whole
	// process group, whenever the script ends.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	// Files, not pipes: the server keeps its copy open after bash exits.
	stdout, err := os.Create(filepath.Join(dir, ".doctest-stdout"))
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := os.Create(filepath.Join(dir, ".doctest-stderr"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	runErr := cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		waitGone(-cmd.Process.Pid, 10*time.Second)
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	if ctx.Err() != nil {
		runErr = fmt.Errorf("still running after 4 minutes: %v", runErr)
	}
	stdout.Close()
	stderr.Close()
	out, _ := os.ReadFile(stdout.Name())
	errOut, _ := os.ReadFile(stderr.Name())
	res := result{stderr: string(errOut), err: runErr, port: port}
	rest := string(out)
	for i := range steps {
		before, after, found := strings.Cut(rest, "\n"+marker(i)+"\n")
		if !found {
			res.outputs = append(res.outputs, rest) // the step that failed, so far
			break
		}
		res.outputs = append(res.outputs, before)
		rest = after
	}
	return res
}

// report fails t at the first step whose output does not match, or at the
// step where the script stopped.
func (r result) report(t *testing.T, steps []Step) {
	t.Helper()
	for i, s := range steps {
		if i >= len(r.outputs) {
			break
		}
		finished := i < len(r.outputs)-1 || (r.err == nil && len(r.outputs) == len(steps))
		if !finished {
			t.Fatalf("line %d: the step stopped the walk-through (%v):\n%s\noutput:\n%s\nstderr (the server's log too):\n%s",
				s.Line, r.err, indent(s.Code), indent(r.outputs[i]), indent(tail(r.stderr, 8000)))
		}
		want := substitute(s.Want, "", r.port)
		if s.HasWant && !Match(want, r.outputs[i]) {
			t.Fatalf("line %d: the step printed what the document does not say:\n%s\nwant (… is any text):\n%s\ngot:\n%s\nstderr:\n%s",
				s.Line, indent(s.Code), indent(want), indent(r.outputs[i]), indent(tail(r.stderr, 4000)))
		}
	}
	if r.err != nil {
		t.Fatalf("the walk-through failed: %v\nstderr:\n%s", r.err, indent(tail(r.stderr, 8000)))
	}
}

// substitute points a step at the test's server: the port, and the binary
// built once for `go run ./cmd/monban`.
func substitute(s, bin string, port int) string {
	s = strings.ReplaceAll(s, "localhost:3001", "localhost:"+strconv.Itoa(port))
	if bin != "" {
		s = strings.ReplaceAll(s, "go run ./cmd/monban", bin)
	}
	return s
}

// environment is the test's environment without Monban's settings, which
// would change the server the documents start.
func environment() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MONBAN_") {
			env = append(env, kv)
		}
	}
	return env
}

// handedOut are the ports freePort gave, never given twice (the documents
// run in parallel).
var handedOut = struct {
	sync.Mutex
	ports map[int]bool
}{ports: map[int]bool{}}

func freePort(t *testing.T) int {
	t.Helper()
	handedOut.Lock()
	defer handedOut.Unlock()
	for {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if !handedOut.ports[port] {
			handedOut.ports[port] = true
			return port
		}
	}
}

// waitGone waits until no process of the group is left, or for d.
func waitGone(pgid int, d time.Duration) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if err := syscall.Kill(pgid, 0); err != nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func rel(path string) string {
	r, err := filepath.Rel(root, path)
	if err != nil {
		return path
	}
	return r
}

func indent(s string) string {
	var b bytes.Buffer
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString("    " + l + "\n")
	}
	return b.String()
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
