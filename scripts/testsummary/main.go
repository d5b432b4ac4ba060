// Command testsummary runs `go test -json` with the arguments it is given
// and prints what a reader of a long run needs: one line per package (as
// go test prints it), the full output of every failed test, build errors,
// and at the end every skipped test grouped by the reason it gave, counted.
// It exits 1 when a test or a build failed, or when go test did.
//
//	go run ./scripts/testsummary -count=1 ./...
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"time"
)

func main() {
	cmd := exec.Command("go", append([]string{"test", "-json"}, os.Args[1:]...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(2)
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(2)
	}
	s := newSummary(os.Stdout, modulePath())
	if err := s.read(out); err != nil {
		fmt.Fprintln(os.Stderr, "testsummary: reading go test's output:", err)
		s.failed = true
	}
	runErr := cmd.Wait()
	s.report()
	if runErr != nil && !s.failed {
		fmt.Fprintln(os.Stdout, "FAIL: go test:", runErr)
	}
	if runErr != nil || s.failed {
		os.Exit(1)
	}
}

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Time        time.Time
	Action      string
	Package     string
	Test        string
	Elapsed     float64
	Output      string
	ImportPath  string // build-output, build-fail
	FailedBuild string
}

// skipped is one skipped test and the message it gave.
type skipped struct {
	pkg, test, reason string
}

type summary struct {
	w      io.Writer
	module string
	// output buffers each running test's lines (and the package's own,
	// under the test name "") until the test ends.
	output   map[string][]string
	skips    []skipped
	passed   int // packages
	failedPk []string
	tests    int // tests and subtests that ran or were skipped
	failed   bool
}

func newSummary(w io.Writer, module string) *summary {
	return &summary{w: w, module: module, output: map[string][]string{}}
}

func (s *summary) read(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
			// Not an event (go test writes some messages as plain lines).
			fmt.Fprintln(s.w, string(line))
			continue
		}
		s.handle(e)
	}
	return sc.Err()
}

func (s *summary) handle(e event) {
	key := e.Package + "\x00" + e.Test
	switch e.Action {
	case "build-output":
		fmt.Fprint(s.w, e.Output)
	case "build-fail":
		s.failed = true
	case "output":
		s.output[key] = append(s.output[key], e.Output)
	case "pass":
		if e.Test == "" {
			s.passed++
			s.printOkLine(key)
		} else {
			s.tests++
		}
		delete(s.output, key)
	case "skip":
		if e.Test == "" {
			// A package without tests: go test's "?" line.
			s.printOkLine(key)
		} else {
			s.tests++
			s.skips = append(s.skips, skipped{s.short(e.Package), e.Test, skipReason(s.output[key])})
		}
		delete(s.output, key)
	case "fail":
		s.failed = true
		if e.Test == "" {
			s.failedPk = append(s.failedPk, s.short(e.Package))
		} else {
			s.tests++
		}
		for _, l := range s.output[key] {
			fmt.Fprint(s.w, l)
		}
		delete(s.output, key)
	}
}

// printOkLine prints the package's "ok" or "?" line and drops the rest of
// its own output ("PASS", coverage notes go with it).
func (s *summary) printOkLine(key string) {
	for _, l := range s.output[key] {
		if strings.HasPrefix(l, "ok ") || strings.HasPrefix(l, "?   ") {
			fmt.Fprint(s.w, l)
		}
	}
}

var logLine = regexp.MustCompile(`^\s+[\w.-]+\.go:\d+: ?(.*)$`)

// skipReason is the message of the test's last log call before it was
// skipped (t.Skip's arguments), with its continuation lines.
func skipReason(lines []string) string {
	var reason []string
	for _, l := range lines {
		l = strings.TrimRight(l, "\n")
		switch {
		case strings.HasPrefix(strings.TrimSpace(l), "=== "), strings.HasPrefix(strings.TrimSpace(l), "--- "):
			continue
		}
		if m := logLine.FindStringSubmatch(l); m != nil {
			reason = []string{m[1]}
		} else if reason != nil && strings.TrimSpace(l) != "" {
			reason = append(reason, strings.TrimSpace(l))
		}
	}
	if len(reason) == 0 {
		return "(no reason given)"
	}
	return strings.Join(reason, " ")
}

func (s *summary) short(pkg string) string {
	if s.module != "" {
		if pkg == s.module {
			return "."
		}
		if rest, ok := strings.CutPrefix(pkg, s.module+"/"); ok {
			return rest
		}
	}
	return pkg
}

// report prints the skips grouped by reason, then one closing line.
func (s *summary) report() {
	if len(s.skips) > 0 {
		byReason := map[string][]skipped{}
		var reasons []string
		for _, k := range s.skips {
			if _, ok := byReason[k.reason]; !ok {
				reasons = append(reasons, k.reason)
			}
			byReason[k.reason] = append(byReason[k.reason], k)
		}
		sort.SliceStable(reasons, func(i, j int) bool {
			return len(byReason[reasons[i]]) > len(byReason[reasons[j]])
		})
		fmt.Fprintf(s.w, "\nSKIPPED %d %s, by reason:\n", len(s.skips), plural(len(s.skips), "test", "tests"))
		for _, r := range reasons {
			ks := byReason[r]
			fmt.Fprintf(s.w, "  %d × %s\n", len(ks), r)
			for _, k := range ks {
				fmt.Fprintf(s.w, "      %s %s\n", k.pkg, k.test)
			}
		}
	}
	fmt.Fprintln(s.w)
	if s.failed {
		fmt.Fprintf(s.w, "FAIL: %d %s failed (%s); %d passed; %d %s skipped\n",
			len(s.failedPk), plural(len(s.failedPk), "package", "packages"), strings.Join(s.failedPk, ", "),
			s.passed, len(s.skips), plural(len(s.skips), "test", "tests"))
		return
	}
	skips := "no test skipped"
	if len(s.skips) > 0 {
		skips = fmt.Sprintf("%d %s skipped (listed above)", len(s.skips), plural(len(s.skips), "test", "tests"))
	}
	fmt.Fprintf(s.w, "ok: %d %s passed; %s\n", s.passed, plural(s.passed, "package", "packages"), skips)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// modulePath reads the module path from go.mod in the working directory.
func modulePath() string {
	b, err := os.ReadFile("go.mod")
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(l), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}
