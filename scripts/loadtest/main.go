// Command loadtest measures the token endpoint under load: it builds and
// starts real Monban servers on a fresh database, creates an API resource,
// an M2M role and app through the Management API, then drives
// POST /oidc/token (client_credentials, Basic auth) with wrk at each
// concurrency for a fixed time, and prints tokens/s, latency percentiles,
// errors, the servers' peak RSS and CPU, and their CPU time per token.
//
//	go run ./scripts/loadtest -duration 20s -conc 16,64
//	go run ./scripts/loadtest -database-url postgres://postgres@127.0.0.1:5432/postgres -instances 2
//	go run ./scripts/loadtest -script scripts/loadtest/trivial.js
//	go run ./scripts/loadtest -script scripts/loadtest/jti.js   # runs at every issuance
//	go run ./scripts/loadtest -grant refresh_token
//	go run ./scripts/loadtest -grant authorization_code
//	go run ./scripts/loadtest -conc 64 -profile cpu.pprof       # then: go tool pprof -top cpu.pprof
//
// With -grant refresh_token a user is created and signed in at the hosted
// sign-in page (as a browser does) to a Traditional web app that keeps its
// refresh tokens, and the requests send that refresh token again and again
// (Basic auth): each is a lookup, a write and a token pair signed.
//
// With -grant authorization_code the same user and app are set up, and
// before each run the user's browser makes as many authorization requests
// (with its session, so each answers at once with a code) as the run will
// redeem: the warm-up's rate times the run's length, and half as many
// again. The codes are written to a file that the wrk script reads, and
// each request redeems one (an ID token, an access token and a refresh
// token signed; a code looked up and spent, a grant read). A wrk thread
// stops when its codes are spent, so a run may end early; the rate is
// that of the time it ran. Making the codes is not measured.
//
// With -profile the first server serves Go's profiler on a metrics address
// of its own (MONBAN_PPROF), and a CPU profile of it is taken during the
// last measured run and written to the file.
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
	"io"
	"net"
	"net/http"
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
	grant            string
	profile          string
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
	flag.StringVar(&o.grant, "grant", "client_credentials", "the grant requested: client_credentials, refresh_token or authorization_code")
	flag.StringVar(&o.profile, "profile", "", "write a CPU profile of the first server, taken during the last measured run, to this file")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if o.grant != "client_credentials" && o.grant != "refresh_token" && o.grant != "authorization_code" {
		return fmt.Errorf("-grant must be client_credentials, refresh_token or authorization_code, got %q", o.grant)
	}
	if o.grant == "authorization_code" && o.instances > 1 {
		return fmt.Errorf("-grant authorization_code runs one instance")
	}
	if o.script != "" && o.grant != "client_credentials" {
		return fmt.Errorf("-script applies to client_credentials tokens only")
	}
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
	var pprofURL string
	for i := range o.instances {
		env := []string{
			// The limits stay on (their cost is measured) but far above the load.
			"MONBAN_RATE_LIMIT_TOKEN_CLIENT=10000000:10000000",
			"MONBAN_RATE_LIMIT_TOKEN_IP=10000000:10000000",
		}
		if o.grant == "authorization_code" {
			// The codes are made by authorization requests, which the
			// sign-in limit counts.
			env = append(env, "MONBAN_RATE_LIMIT_SIGN_IN=10000000:10000000")
		}
		if i == 0 && o.profile != "" {
			addr, err := freeAddr()
			if err != nil {
				return err
			}
			env = append(env, "MONBAN_METRICS_ADDR="+addr, "MONBAN_PPROF=true")
			pprofURL = "http://" + addr + "/debug/pprof/profile"
		}
		srv, err := harness.Start(bin, endpoint, dbURL, filepath.Join(dir, fmt.Sprintf("server%d.log", i)), env...)
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
	body := "grant_type=client_credentials&resource=" + url.QueryEscape(harness.Indicator) + "&scope=" + url.QueryEscape(harness.Scope)
	var user *harness.User
	if o.grant != "client_credentials" {
		u, err := harness.SetUpUser(urls[0], endpoint)
		if err != nil {
			return fmt.Errorf("set-up of a signed-in user: %w", err)
		}
		appID, secret, user = u.AppID, u.Secret, u
		body = "grant_type=refresh_token&refresh_token=" + url.QueryEscape(u.RefreshToken)
	}
	if o.grant == "authorization_code" {
		body = "grant_type=authorization_code&redirect_uri=" + url.QueryEscape(user.Redirect) + "&code="
	}
	// codes makes, for a run at conc of length d at about rate tokens/s,
	// the authorization codes it redeems, and returns the wrk script's
	// environment for them (nothing for the other grants).
	codes := func(conc int, d time.Duration, rate float64) ([]string, error) {
		if o.grant != "authorization_code" {
			return nil, nil
		}
		n := int(rate*d.Seconds()*1.5) + 2*conc
		fmt.Fprintf(os.Stderr, "making %d authorization codes…\n", n)
		list, err := user.Codes(urls[0], endpoint, n, 8)
		if err != nil {
			return nil, fmt.Errorf("authorization codes: %w", err)
		}
		file := filepath.Join(dir, "codes.txt")
		if err := os.WriteFile(file, []byte(strings.Join(list, "\n")+"\n"), 0o600); err != nil {
			return nil, err
		}
		threads := min(o.threads, conc)
		return []string{"CODES_FILE=" + file, "THREADS=" + strconv.Itoa(threads), "CONNS=" + strconv.Itoa((conc+threads-1)/threads)}, nil
	}
	if o.script != "" || o.instances > 1 {
		time.Sleep(500 * time.Millisecond) // let every instance see the set-up
	}
	lua, err := filepath.Abs("scripts/loadtest/token.lua")
	if err != nil {
		return err
	}
	env := append(os.Environ(), "CLIENT_ID="+appID, "CLIENT_SECRET="+secret, "TOKEN_BODY="+body)

	label := engine
	if o.grant != "client_credentials" {
		label += "+" + o.grant
	}
	if o.script != "" {
		label += "+script"
	}
	fmt.Printf("# monban %s, %d cores, %d instance(s) on %s, wrk -t%d in all, %s per run\n",
		time.Now().UTC().Format(time.RFC3339), harness.NumCPU(), o.instances, engine, o.threads, o.duration)
	// Before the first measure, a code's rate is not known: a guess.
	codeEnv, err := codes(16, o.warmup, 1000)
	if err != nil {
		return err
	}
	warm, err := wrkAll(append(env, codeEnv...), urls, o.threads, 16, o.warmup, lua)
	if err != nil {
		return err
	}
	concs := strings.Split(o.concs, ",")
	for i, c := range concs {
		conc, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || conc < o.instances {
			return fmt.Errorf("bad concurrency %q", c)
		}
		codeEnv, err := codes(conc, o.duration, max(warm.rps, 100))
		if err != nil {
			return err
		}
		cpu0 := 0
		for _, srv := range servers {
			cpu0 += harness.CPUTicks(srv.Process.Pid)
		}
		start := time.Now()
		var profiled chan error
		if pprofURL != "" && i == len(concs)-1 {
			profiled = make(chan error, 1)
			go func() { profiled <- fetchProfile(pprofURL, o.duration, o.profile) }()
		}
		r, err := wrkAll(append(env, codeEnv...), urls, o.threads, conc, o.duration, lua)
		if err != nil {
			return err
		}
		cpu1, rss := 0, 0
		for _, srv := range servers {
			cpu1 += harness.CPUTicks(srv.Process.Pid)
			rss = max(rss, harness.PeakRSSKiB(srv.Process.Pid))
		}
		cpuSeconds := float64(cpu1-cpu0) / 100
		cpu := cpuSeconds / time.Since(start).Seconds()
		perToken := 0.0
		if tokens := r.requests - r.errors; tokens > 0 {
			perToken = cpuSeconds / float64(tokens) * 1e6
		}
		fmt.Printf("monban-%s x%d c=%-3d tokens/s=%-8.0f p50=%.2fms p90=%.2fms p99=%.2fms max=%.1fms requests=%d errors=%d peakRSS=%.1fMiB serverCPU=%.2f cores cpu/token=%.0fµs\n",
			label, o.instances, conc, r.rps, r.p50/1000, r.p90/1000, r.p99/1000, r.max/1000, r.requests, r.errors, float64(rss)/1024, cpu, perToken)
		if profiled != nil {
			if err := <-profiled; err != nil {
				return err
			}
			fmt.Printf("# CPU profile of server 0 written to %s\n", o.profile)
		}
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

// freeAddr finds a free loopback port for the profiler's metrics address.
// (The server cannot report that address, so it is chosen here; another
// process could take it in between, and the server then fails to start.)
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// fetchProfile takes a CPU profile of a measured run of length d (less a
// second at each end, so that it covers load only) and writes it to file.
func fetchProfile(pprofURL string, d time.Duration, file string) error {
	secs := max(1, int(d.Seconds())-2)
	time.Sleep(time.Second)
	res, err := http.Get(pprofURL + "?seconds=" + strconv.Itoa(secs))
	if err != nil {
		return fmt.Errorf("CPU profile: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		return fmt.Errorf("CPU profile: %s: %.200s", res.Status, b)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, res.Body); err != nil {
		f.Close()
		return fmt.Errorf("CPU profile: %w", err)
	}
	return f.Close()
}
