// Command writelatency measures Management API write latency with a large
// catalog: it builds (or takes, with -bin) a monban binary, starts it on a
// fresh database, creates -resources API resources through the Management
// API, then has -conc clients create -writes applications in all and
// prints the latency percentiles of those writes. Every write must be
// applied to the token endpoint's catalog before its response goes out,
// so this is what that costs with a catalog of that size.
//
//	go run ./scripts/writelatency
//	go run ./scripts/writelatency -resources 3000 -writes 200 -conc 8
//	go run ./scripts/writelatency -bin /path/to/an/older/monban
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/monban/monban/scripts/internal/harness"
)

func main() {
	bin := flag.String("bin", "", "monban binary to run (default: build this tree's)")
	resources := flag.Int("resources", 3000, "API resources to create before measuring")
	writes := flag.Int("writes", 200, "measured writes (applications created), in all")
	conc := flag.Int("conc", 8, "clients writing at once")
	dbBase := flag.String("database-url", "", "database: default a fresh SQLite file; for postgres://… a fresh database on that server")
	flag.Parse()
	if err := run(*bin, *dbBase, *resources, *writes, *conc); err != nil {
		fmt.Fprintln(os.Stderr, "writelatency:", err)
		os.Exit(1)
	}
}

func run(bin, dbBase string, resources, writes, conc int) error {
	dir, err := os.MkdirTemp("", "monban-writelatency-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if bin == "" {
		if bin, err = harness.Build(dir); err != nil {
			return err
		}
	}
	dbURL, engine, drop, err := harness.Database(dbBase, dir)
	if err != nil {
		return err
	}
	defer drop()
	const endpoint = "http://monban.test"
	srv, err := harness.Start(bin, endpoint, dbURL, filepath.Join(dir, "server.log"),
		"MONBAN_RATE_LIMIT_MANAGEMENT=0", "MONBAN_RATE_LIMIT_TOKEN_CLIENT=0", "MONBAN_RATE_LIMIT_TOKEN_IP=0")
	if err != nil {
		return err
	}
	defer srv.Stop()
	tok, err := harness.ManagementToken(srv.URL, endpoint)
	if err != nil {
		return err
	}
	start := time.Now()
	if _, err := parallel(resources, conc, func(i int) error {
		return harness.API(srv.URL, tok, "POST", "/api/resources",
			map[string]any{"name": fmt.Sprint("r", i), "indicator": fmt.Sprintf("https://api%d.test", i)}, nil)
	}); err != nil {
		return fmt.Errorf("create resources: %w", err)
	}
	fmt.Printf("%s: %d resources created in %v\n", engine, resources, time.Since(start).Round(time.Millisecond))
	lat, err := parallel(writes, conc, func(i int) error {
		return harness.API(srv.URL, tok, "POST", "/api/applications",
			map[string]any{"name": fmt.Sprint("app", i), "type": "MachineToMachine"}, nil)
	})
	if err != nil {
		return fmt.Errorf("create applications: %w", err)
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	fmt.Printf("%s resources=%d writes=%d conc=%d p50=%v p90=%v p99=%v max=%v\n", engine, resources, writes, conc,
		pct(0.5).Round(100*time.Microsecond), pct(0.9).Round(100*time.Microsecond),
		pct(0.99).Round(100*time.Microsecond), lat[len(lat)-1].Round(100*time.Microsecond))
	return nil
}

// parallel runs do(0..n-1) on conc goroutines and returns each call's
// duration, or the first error.
func parallel(n, conc int, do func(i int) error) ([]time.Duration, error) {
	var (
		next     atomic.Int64
		mu       sync.Mutex
		lat      []time.Duration
		firstErr error
		wg       sync.WaitGroup
	)
	for range conc {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t := time.Now()
				err := do(i)
				d := time.Since(t)
				mu.Lock()
				lat = append(lat, d)
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	return lat, firstErr
}
