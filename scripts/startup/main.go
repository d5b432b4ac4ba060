// Command startup measures how long `monban serve` takes to be ready on an
// existing SQLite database: it builds (or takes, with -bin) a monban
// binary, makes the database with a first start (or takes -database-url),
// then starts the server -n times and prints, for each start and as
// medians, the time from starting the process to its "monban is ready"
// line (the listener bound, the signing keys and the catalog loaded) and
// the CPU time the process spent until then.
//
//	go run ./scripts/startup
//	go run ./scripts/startup -n 30 -bin /path/to/an/older/monban
//	go run ./scripts/fill -database-url sqlite:///tmp/big.db && go run ./scripts/startup -database-url sqlite:///tmp/big.db
//
// The servers get one key for the secrets at rest, made by this run: a
// database whose secrets another key sealed (one a server has started on
// before) cannot be opened.
//
// The wall-clock time depends on what else the machine runs; the CPU time
// (the sum over the process's threads of their time on a CPU, from
// /proc/PID/task/*/schedstat, in nanoseconds) much less so.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/monban/monban/scripts/internal/harness"
)

func main() {
	bin := flag.String("bin", "", "monban binary to run (default: build this tree's)")
	n := flag.Int("n", 15, "measured starts")
	dbURL := flag.String("database-url", "", "a SQLite database no server has started on yet, e.g. one scripts/fill made (default: a fresh one)")
	flag.Parse()
	if err := run(*bin, *dbURL, *n); err != nil {
		fmt.Fprintln(os.Stderr, "startup:", err)
		os.Exit(1)
	}
}

func run(bin, dbURL string, n int) error {
	if n < 1 {
		return errors.New("-n must be at least 1")
	}
	dir, err := os.MkdirTemp("", "monban-startup-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if bin == "" {
		if bin, err = harness.Build(dir); err != nil {
			return err
		}
	}
	if dbURL == "" {
		dbURL = "sqlite://" + filepath.Join(dir, "monban.db")
	}
	// An unmeasured first start creates and seeds the database if need be
	// (a database made by `go run ./scripts/fill`), and brings its file
	// into the OS's cache as any later start finds it.
	if _, err := start(bin, dbURL); err != nil {
		return fmt.Errorf("first start: %w", err)
	}
	var walls, cpus []time.Duration
	for i := range n {
		m, err := start(bin, dbURL)
		if err != nil {
			return err
		}
		fmt.Printf("start %2d: ready %6.1f ms, CPU %6.1f ms\n", i+1, ms(m.wall), ms(m.cpu))
		walls, cpus = append(walls, m.wall), append(cpus, m.cpu)
	}
	fmt.Printf("median of %d starts: ready %.1f ms, CPU %.1f ms (min %.1f / %.1f ms); load average %s\n",
		n, ms(median(walls)), ms(median(cpus)), ms(slices.Min(walls)), ms(slices.Min(cpus)), loadAverage())
	return nil
}

type measure struct{ wall, cpu time.Duration }

// start runs `monban serve` on dbURL until its ready line, measures, and
// stops it.
func start(bin, dbURL string) (measure, error) {
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(),
		"MONBAN_ADDR=127.0.0.1:0",
		"MONBAN_ENDPOINT=http://monban.startup",
		"MONBAN_DATABASE_URL="+dbURL,
		"MONBAN_SECRET_KEY="+harness.SecretKey,
		"MONBAN_BOOTSTRAP_APP_ID="+harness.BootID,
		"MONBAN_BOOTSTRAP_APP_SECRET="+harness.BootSecret,
		"MONBAN_LOG_LEVEL=info", "MONBAN_LOG_FORMAT=text",
	)
	out, err := cmd.StderrPipe()
	if err != nil {
		return measure{}, err
	}
	cmd.Stdout = io.Discard
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return measure{}, err
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}()
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if strings.Contains(sc.Text(), `msg="monban is ready"`) {
			m := measure{wall: time.Since(t0), cpu: cpuTime(cmd.Process.Pid)}
			go func() { _, _ = io.Copy(io.Discard, out) }()
			return m, nil
		}
	}
	return measure{}, errors.New("the server exited before it was ready")
}

// cpuTime sums the time on a CPU of every thread of the process.
func cpuTime(pid int) time.Duration {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	var sum time.Duration
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		f := strings.Fields(string(b))
		if len(f) == 0 {
			continue
		}
		ns, _ := strconv.ParseInt(f[0], 10, 64)
		sum += time.Duration(ns)
	}
	return sum
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func loadAverage() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
