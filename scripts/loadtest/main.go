// Command loadtest measures the token endpoint under load: it builds and
// starts real Monban servers on a fresh database, creates an API resource,
// an M2M role and app through the Management API, then drives
// POST /oidc/token (client_credentials, Basic auth) with wrk at each
// concurrency for a fixed time, and prints tokens/s, latency percentiles,
// errors and the servers' peak RSS and CPU.
//
//	go run ./scripts/loadtest -duration 20s -conc 16,64
//	go run ./scripts/loadtest -database-url postgres://postgres@127.0.0.1:5432/postgres -instances 2
//	go run ./scripts/loadtest -script scripts/loadtest/trivial.js
//	go run ./scripts/loadtest -script scripts/loadtest/jti.js   # runs at every issuance
//
// wrk comes from Debian's package of the same name. With several instances
// the connections are split evenly between them, one wrk per instance,
// running at the same time; tokens/s is their sum and the latencies are the
// worst instance's.
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/monban/monban/scripts/internal/harness"
)

type options struct {
	duration, warmup time.Duration
	concs            string
	threads          int
	instances        int
	dbURL            string
	script           string
	keep             bool
}

func main() {
	var o options
	flag.DurationVar(&o.duration, "duration", 20*time.Second, "length of each measured run")
	flag.DurationVar(&o.warmup, "warmup", 3*time.Second, "unmeasured run before the first measurement")
	flag.StringVar(&o.concs, "conc", "16,64", "comma-separated concurrency levels (connections in all)")
	flag.IntVar(&o.threads, "threads", 2, "wrk threads in all (split between instances)")
	flag.IntVar(&o.instances, "instances", 1, "servers to start on the one database (more than one needs PostgreSQL)")
	flag.StringVar(&o.dbURL, "database-url", "", "database for the servers: default a fresh SQLite file; for postgres://… a fresh database is created on that server and dropped afterwards")
	flag.StringVar(&o.script, "script", "", "a custom JWT claims script file saved for client-credentials tokens before the runs")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary directory (server logs)")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if _, err := exec.LookPath("wrk"); err != nil {
		return fmt.Errorf("wrk is not installed (apt-get install wrk)")
	}
	dir, err := os.MkdirTemp("", "monban-loadtest-")
	if err != nil {
		return err
	}
	if !o.keep {
		defer os.RemoveAll(dir)
	}
	bin, err := harness.Build(dir)
	if err != nil {
		return err
	}
	dbURL, engine, drop, err := harness.Database(o.dbURL, dir)
	if err != nil {
		return err
	}
	defer drop()
	if o.instances > 1 && engine != "postgres" {
		return fmt.Errorf("several instances need a PostgreSQL -database-url")
	}
	// Every instance answers for the same issuer, as behind a load balancer.
	endpoint := "http://monban.loadtest"
	var servers []*exec.Cmd
	var urls []string
	defer func() {
		for _, srv := range servers {
			_ = srv.Process.Signal(os.Interrupt)
			_ = srv.Wait()
		}
	}()
	for i := range o.instances {
		srv, err := harness.Start(bin, endpoint, dbURL, filepath.Join(dir, fmt.Sprintf("server%d.log", i)),
			// The limits stay on (their cost is measured) but far above the load.
			"MONBAN_RATE_LIMIT_TOKEN_CLIENT=10000000:10000000",
			"MONBAN_RATE_LIMIT_TOKEN_IP=10000000:10000000",
		)
		if err != nil {
			return err
		}
		servers = append(servers, srv.Cmd)
		urls = append(urls, srv.URL)
	}
	appID, secret, err := harness.SetUp(urls[0], endpoint, o.script)
	if err != nil {
		return fmt.Errorf("set-up through the Management API: %w", err)
	}
	if o.script != "" || o.instances > 1 {
		time.Sleep(500 * time.Millisecond) // let every instance see the set-up
	}
	lua, err := filepath.Abs("scripts/loadtest/token.lua")
	if err != nil {
		return err
	}
	body := "grant_type=client_credentials&resource=" + url.QueryEscape(harness.Indicator) + "&scope=" + url.QueryEscape(harness.Scope)
	env := append(os.Environ(), "CLIENT_ID="+appID, "CLIENT_SECRET="+secret, "TOKEN_BODY="+body)

	label := engine
	if o.script != "" {
		label += "+script"
	}
	fmt.Printf("# monban %s, %d cores, %d instance(s) on %s, wrk -t%d in all, %s per run\n",
		time.Now().UTC().Format(time.RFC3339), harness.NumCPU(), o.instances, engine, o.threads, o.duration)
	if _, err := wrkAll(env, urls, o.threads, 16, o.warmup, lua); err != nil {
		return err
	}
	for _, c := range strings.Split(o.concs, ",") {
		conc, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || conc < o.instances {
			return fmt.Errorf("bad concurrency %q", c)
		}
		cpu0 := 0
		for _, srv := range servers {
			cpu0 += harness.CPUTicks(srv.Process.Pid)
		}
		start := time.Now()
		r, err := wrkAll(env, urls, o.threads, conc, o.duration, lua)
		if err != nil {
			return err
		}
		cpu1, rss := 0, 0
		for _, srv := range servers {
			cpu1 += harness.CPUTicks(srv.Process.Pid)
			rss = max(rss, harness.PeakRSSKiB(srv.Process.Pid))
		}
		cpu := float64(cpu1-cpu0) / 100 / time.Since(start).Seconds()
		fmt.Printf("monban-%s x%d c=%-3d tokens/s=%-8.0f p50=%.2fms p90=%.2fms p99=%.2fms max=%.1fms requests=%d errors=%d peakRSS=%.1fMiB serverCPU=%.2f cores\n",
			label, o.instances, conc, r.rps, r.p50/1000, r.p90/1000, r.p99/1000, r.max/1000, r.requests, r.errors, float64(rss)/1024, cpu)
	}
	return nil
}

type result struct {
	requests, errors   int
	rps                float64
	p50, p90, p99, max float64 // microseconds
}

// wrkAll runs one wrk per URL at the same time, conc split between them.
func wrkAll(env []string, urls []string, threads, conc int, d time.Duration, lua string) (result, error) {
	results := make([]result, len(urls))
	errs := make([]error, len(urls))
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = wrk(env, u+"/oidc/token", max(1, threads/len(urls)), conc/len(urls), d, lua)
		}()
	}
	wg.Wait()
	var sum result
	for i, r := range results {
		if errs[i] != nil {
			return sum, errs[i]
		}
		sum.requests += r.requests
		sum.errors += r.errors
		sum.rps += r.rps
		sum.p50, sum.p90, sum.p99, sum.max = max(sum.p50, r.p50), max(sum.p90, r.p90), max(sum.p99, r.p99), max(sum.max, r.max)
	}
	return sum, nil
}

// wrk runs one measurement and parses the line the Lua script prints.
func wrk(env []string, target string, threads, conc int, d time.Duration, lua string) (result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "wrk", "-t"+strconv.Itoa(min(threads, conc)), "-c"+strconv.Itoa(conc),
		"-d"+strconv.Itoa(int(d.Seconds()))+"s", "--timeout", "5s", "--latency", "-s", lua, target)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return result{}, fmt.Errorf("wrk: %w\n%s", err, out)
	}
	var r result
	sc := bufio.NewScanner(bytes.NewReader(out))
	found := false
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "Non-2xx") {
			f := strings.Fields(line)
			n, _ := strconv.Atoi(f[len(f)-1])
			r.errors += n
		}
		if !strings.HasPrefix(line, "RESULT ") {
			continue
		}
		var ec, er, ew, es, et int
		_, err := fmt.Sscanf(line, "RESULT %d %f %d %d %d %d %d %f %f %f %f", &r.requests, &r.rps, &ec, &er, &ew, &es, &et, &r.p50, &r.p90, &r.p99, &r.max)
		if err != nil {
			return r, fmt.Errorf("parse wrk output %q: %w", line, err)
		}
		r.errors += ec + er + ew + et
		found = true
	}
	if !found {
		return r, fmt.Errorf("wrk printed no result:\n%s", out)
	}
	return r, nil
}
