// Command soak runs a Monban server under steady load for a long time and
// checks that it stays flat: it builds and starts a real server on a fresh
// database, sets up an API, an M2M app and a client-credentials custom JWT
// claims script through the Management API, then for -duration drives
//
//   - client_credentials tokens (Basic auth, every one running the script)
//     from -conc closed-loop clients, i.e. as fast as the server answers;
//   - a Management API write stream: create, update and delete a role, at
//     -writes per second in all;
//
// and prints, per -window (default one minute), tokens/s, p50 and p99,
// errors, writes, the server's RSS and its goroutine count (go_goroutines
// from /metrics). At the end it compares the last window with the baseline
// taken after the warm-up: RSS may grow by at most -rss-margin (and 16 MiB)
// and goroutines by at most -goroutine-margin; and the mean p99 of the
// second half of the windows may be at most -p99-factor times that of the
// first half (plus 5 ms, for timer noise). Any error or growth beyond those
// margins makes the exit status 1.
//
//	go run ./scripts/soak                      # 10 minutes on SQLite
//	go run ./scripts/soak -duration 1m -window 15s
//	go run ./scripts/soak -database-url postgres://postgres@127.0.0.1:5432/postgres
//
// The clients run in this process, on the same machine: on a small machine
// they take a share of the CPU, so the rates are the pair's, not the
// server's alone.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/monban/monban/scripts/internal/harness"
)

type options struct {
	duration, window, warmup time.Duration
	conc                     int
	writes                   float64
	dbURL, script            string
	rssMargin, p99Factor     float64
	goroutineMargin          int
	keep                     bool
}

func main() {
	var o options
	flag.DurationVar(&o.duration, "duration", 10*time.Minute, "how long to soak (after the warm-up)")
	flag.DurationVar(&o.window, "window", time.Minute, "reporting window")
	flag.DurationVar(&o.warmup, "warmup", 10*time.Second, "unmeasured load before the first window (the baseline is taken at its end)")
	flag.IntVar(&o.conc, "conc", 16, "concurrent token clients")
	flag.Float64Var(&o.writes, "writes", 3, "Management API writes per second")
	flag.StringVar(&o.dbURL, "database-url", "", "database: default a fresh SQLite file; for postgres://… a fresh database on that server, dropped afterwards")
	flag.StringVar(&o.script, "script", "scripts/loadtest/jti.js", "client-credentials custom JWT claims script (\"\" for none)")
	flag.Float64Var(&o.rssMargin, "rss-margin", 0.25, "allowed RSS growth from the first window to the last, as a fraction (at least 16 MiB)")
	flag.IntVar(&o.goroutineMargin, "goroutine-margin", 20, "allowed growth of the goroutine count")
	flag.Float64Var(&o.p99Factor, "p99-factor", 2, "allowed ratio of the mean p99 of the second half of the windows to the first half's")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary directory (server log)")
	flag.Parse()
	ok, err := run(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

// window collects one reporting window's figures.
type window struct {
	mu        sync.Mutex
	latencies []time.Duration
	errors    int
	writes    int
	wErrors   int
}

func (w *window) token(d time.Duration, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if ok {
		w.latencies = append(w.latencies, d)
	} else {
		w.errors++
	}
}

func (w *window) write(ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if ok {
		w.writes++
	} else {
		w.wErrors++
	}
}

// row is a finished window.
type row struct {
	at                 time.Duration
	tokens, errors     int
	rate               float64
	p50, p99           time.Duration
	writes, wErrors    int
	rssKiB, goroutines int
}

func run(o options) (bool, error) {
	dir, err := os.MkdirTemp("", "monban-soak-")
	if err != nil {
		return false, err
	}
	if !o.keep {
		defer os.RemoveAll(dir)
	} else {
		fmt.Fprintln(os.Stderr, "keeping", dir)
	}
	bin, err := harness.Build(dir)
	if err != nil {
		return false, err
	}
	dbURL, engine, drop, err := harness.Database(o.dbURL, dir)
	if err != nil {
		return false, err
	}
	defer drop()
	endpoint := "http://monban.soak"
	srv, err := harness.Start(bin, endpoint, dbURL, filepath.Join(dir, "server.log"),
		"MONBAN_RATE_LIMIT_TOKEN_CLIENT=10000000:10000000",
		"MONBAN_RATE_LIMIT_TOKEN_IP=10000000:10000000",
		"MONBAN_RATE_LIMIT_MANAGEMENT=10000000:10000000",
	)
	if err != nil {
		return false, err
	}
	defer srv.Stop()
	appID, secret, err := harness.SetUp(srv.URL, endpoint, o.script)
	if err != nil {
		return false, fmt.Errorf("set-up through the Management API: %w", err)
	}
	mgmt, err := harness.ManagementToken(srv.URL, endpoint)
	if err != nil {
		return false, err
	}

	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		MaxIdleConns: o.conc + 4, MaxIdleConnsPerHost: o.conc + 4,
	}}
	body := "grant_type=client_credentials&resource=" + url.QueryEscape(harness.Indicator) + "&scope=" + url.QueryEscape(harness.Scope)
	var cur atomic.Pointer[window]
	cur.Store(&window{})
	var firstErr atomic.Pointer[string]
	noteErr := func(s string) { firstErr.CompareAndSwap(nil, &s) }
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range o.conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/oidc/token", strings.NewReader(body))
				req.SetBasicAuth(url.QueryEscape(appID), url.QueryEscape(secret))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				start := time.Now()
				res, err := client.Do(req)
				if ctx.Err() != nil {
					return
				}
				ok := err == nil && res.StatusCode == 200
				if err == nil {
					b, _ := io.ReadAll(res.Body)
					res.Body.Close()
					if !ok {
						noteErr(fmt.Sprintf("token: %d %.200s", res.StatusCode, b))
					}
				} else {
					noteErr("token: " + err.Error())
				}
				cur.Load().token(time.Since(start), ok)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		writeStream(ctx, srv.URL, mgmt, o.writes, func(ok bool, msg string) {
			if !ok {
				noteErr(msg)
			}
			cur.Load().write(ok)
		})
	}()

	fmt.Printf("# monban soak %s, %d cores, %s, %d token clients, %.1f writes/s, script %q, %s windows\n",
		time.Now().UTC().Format(time.RFC3339), harness.NumCPU(), engine, o.conc, o.writes, o.script, o.window)
	time.Sleep(o.warmup)
	pid := srv.Cmd.Process.Pid
	base := row{rssKiB: harness.RSSKiB(pid), goroutines: goroutines(srv.URL)}
	cur.Store(&window{})
	fmt.Printf("baseline after %s warm-up: rss=%.1fMiB goroutines=%d\n", o.warmup, float64(base.rssKiB)/1024, base.goroutines)
	fmt.Printf("%-7s %9s %8s %8s %7s %7s %8s %9s %10s\n", "minute", "tokens/s", "p50", "p99", "errors", "writes", "wErrors", "rss", "goroutines")
	var rows []row
	began := time.Now()
	for elapsed := time.Duration(0); elapsed < o.duration; {
		d := min(o.window, o.duration-elapsed)
		time.Sleep(d)
		w := cur.Swap(&window{})
		elapsed = time.Since(began)
		r := finish(w, d)
		r.at = elapsed
		r.rssKiB, r.goroutines = harness.RSSKiB(pid), goroutines(srv.URL)
		rows = append(rows, r)
		fmt.Printf("%-7.1f %9.0f %8s %8s %7d %7d %8d %8.1fM %10d\n", elapsed.Minutes(), r.rate, ms(r.p50), ms(r.p99),
			r.errors, r.writes, r.wErrors, float64(r.rssKiB)/1024, r.goroutines)
	}
	stop()
	wg.Wait()
	return verdict(o, base, rows, firstErr.Load()), nil
}

// writeStream creates, renames and deletes roles, rate writes a second in
// all, until ctx ends. Every write that is not acknowledged is reported.
func writeStream(ctx context.Context, base, tok string, rate float64, report func(ok bool, msg string)) {
	if rate <= 0 {
		return
	}
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	var pending []string // roles created and not yet deleted
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		var err error
		switch {
		case i%3 == 0:
			var role struct{ ID string }
			err = harness.API(base, tok, "POST", "/api/roles", map[string]any{
				"name": "soak-" + strconv.Itoa(i), "description": "soak", "type": "MachineToMachine"}, &role)
			if err == nil {
				pending = append(pending, role.ID)
			}
		case i%3 == 1 && len(pending) > 0:
			err = harness.API(base, tok, "PATCH", "/api/roles/"+pending[len(pending)-1], map[string]any{"description": "soaked " + strconv.Itoa(i)}, nil)
		case len(pending) > 0:
			err = harness.API(base, tok, "DELETE", "/api/roles/"+pending[0], nil, nil)
			if err == nil {
				pending = pending[1:]
			}
		default:
			continue
		}
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			report(false, "write: "+err.Error())
		} else {
			report(true, "")
		}
	}
}

func finish(w *window, d time.Duration) row {
	w.mu.Lock()
	defer w.mu.Unlock()
	r := row{tokens: len(w.latencies), errors: w.errors, writes: w.writes, wErrors: w.wErrors}
	r.rate = float64(r.tokens) / d.Seconds()
	if n := len(w.latencies); n > 0 {
		slices.Sort(w.latencies)
		r.p50 = w.latencies[n/2]
		r.p99 = w.latencies[min(n-1, n*99/100)]
	}
	return r
}

// verdict prints the summary and reports whether the run stayed flat.
func verdict(o options, base row, rows []row, firstErr *string) bool {
	if len(rows) == 0 {
		fmt.Println("FAIL: no window finished")
		return false
	}
	first, last := rows[0], rows[len(rows)-1]
	errs, wErrs, tokens, writes := 0, 0, 0, 0
	for _, r := range rows {
		errs += r.errors
		wErrs += r.wErrors
		tokens += r.tokens
		writes += r.writes
	}
	ok := true
	check := func(good bool, format string, args ...any) {
		verdict := "ok  "
		if !good {
			verdict, ok = "FAIL", false
		}
		fmt.Printf("%s "+format+"\n", append([]any{verdict}, args...)...)
	}
	fmt.Printf("# %d tokens, %d token errors; %d writes, %d write errors\n", tokens, errs, writes, wErrs)
	if firstErr != nil {
		fmt.Printf("# first error: %s\n", *firstErr)
	}
	check(errs == 0 && wErrs == 0, "errors: %d token, %d write", errs, wErrs)
	rssLimit := max(float64(base.rssKiB)*(1+o.rssMargin), float64(base.rssKiB)+16*1024)
	check(float64(last.rssKiB) <= rssLimit, "rss: %.1f MiB at the start, %.1f MiB at the end (limit %.1f MiB)",
		float64(base.rssKiB)/1024, float64(last.rssKiB)/1024, rssLimit/1024)
	check(last.goroutines <= base.goroutines+o.goroutineMargin, "goroutines: %d at the start, %d at the end (limit %d)",
		base.goroutines, last.goroutines, base.goroutines+o.goroutineMargin)
	// One window's p99 is noisy on a shared machine; a trend is not. The
	// windows of the second half are compared with those of the first.
	early, late := meanP99(rows[:max(1, len(rows)/2)]), meanP99(rows[len(rows)/2:])
	p99Limit := time.Duration(float64(early)*o.p99Factor) + 5*time.Millisecond
	check(late <= p99Limit, "p99: mean %s over the first half of the windows, %s over the second (limit %s); first window %s, last %s",
		ms(early), ms(late), ms(p99Limit), ms(first.p99), ms(last.p99))
	return ok
}

func meanP99(rows []row) time.Duration {
	var sum time.Duration
	for _, r := range rows {
		sum += r.p99
	}
	return sum / time.Duration(len(rows))
}

// goroutines reads go_goroutines from the server's /metrics (-1 if it
// cannot).
func goroutines(base string) int {
	res, err := http.Get(base + "/metrics")
	if err != nil {
		return -1
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
			n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err == nil {
				return int(n)
			}
		}
	}
	return -1
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }
