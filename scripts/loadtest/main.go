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
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

const (
	bootID     = "loadtest-admin"
	bootSecret = "loadtest-admin-secret-0123456789abcdef012345"
	indicator  = "https://shopping.api"
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
	bin := filepath.Join(dir, "monban")
	fmt.Fprintln(os.Stderr, "building monban…")
	build := exec.Command("go", "build", "-o", bin, "./cmd/monban")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if err := build.Run(); err != nil {
		return fmt.Errorf("build: %w", err)
	}
	engine := "sqlite"
	dbURL := o.dbURL
	switch {
	case dbURL == "":
		dbURL = "sqlite://" + filepath.Join(dir, "monban.db")
	case strings.HasPrefix(dbURL, "postgres"):
		engine = "postgres"
		fresh, drop, err := freshDatabase(dbURL)
		if err != nil {
			return err
		}
		defer drop()
		dbURL = fresh
	}
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
		srv := exec.Command(bin, "serve")
		// Each server binds a port of its own choosing and logs it (at
		// info, once): a port found free here could be taken before the
		// server binds it.
		srv.Env = append(os.Environ(),
			"MONBAN_ADDR=127.0.0.1:0",
			"MONBAN_ENDPOINT="+endpoint,
			"MONBAN_DATABASE_URL="+dbURL,
			"MONBAN_BOOTSTRAP_APP_ID="+bootID,
			"MONBAN_BOOTSTRAP_APP_SECRET="+bootSecret,
			"MONBAN_LOG_LEVEL=info", "MONBAN_LOG_FORMAT=text",
			// The limits stay on (their cost is measured) but far above the load.
			"MONBAN_RATE_LIMIT_TOKEN_CLIENT=10000000:10000000",
			"MONBAN_RATE_LIMIT_TOKEN_IP=10000000:10000000",
		)
		logPath := filepath.Join(dir, fmt.Sprintf("server%d.log", i))
		logFile, err := os.Create(logPath)
		if err != nil {
			return err
		}
		srv.Stdout, srv.Stderr = logFile, logFile
		if err := srv.Start(); err != nil {
			return err
		}
		servers = append(servers, srv)
		addr, err := listenAddr(logPath)
		if err != nil {
			return err
		}
		u := "http://" + addr
		urls = append(urls, u)
		if err := waitReady(u + "/readyz"); err != nil {
			return err
		}
	}
	appID, secret, err := setUp(urls[0], endpoint, o.script)
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
	body := "grant_type=client_credentials&resource=" + url.QueryEscape(indicator) + "&scope=read%3Aproducts"
	env := append(os.Environ(), "CLIENT_ID="+appID, "CLIENT_SECRET="+secret, "TOKEN_BODY="+body)

	label := engine
	if o.script != "" {
		label += "+script"
	}
	fmt.Printf("# monban %s, %d cores, %d instance(s) on %s, wrk -t%d in all, %s per run\n",
		time.Now().UTC().Format(time.RFC3339), numCPU(), o.instances, engine, o.threads, o.duration)
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
			cpu0 += cpuTicks(srv.Process.Pid)
		}
		start := time.Now()
		r, err := wrkAll(env, urls, o.threads, conc, o.duration, lua)
		if err != nil {
			return err
		}
		cpu1, rss := 0, 0
		for _, srv := range servers {
			cpu1 += cpuTicks(srv.Process.Pid)
			rss = max(rss, peakRSSKiB(srv.Process.Pid))
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

// freshDatabase creates an empty database on the server of base and
// returns its URL and a function that drops it.
func freshDatabase(base string) (string, func(), error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, fmt.Errorf("bad -database-url")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, err
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "monban_load_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("create database: %w", err)
	}
	u.Path = "/" + name
	return u.String(), func() {
		_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		admin.Close()
	}, nil
}

func setUp(base, endpoint, scriptFile string) (appID, secret string, err error) {
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {endpoint + "/api"}, "scope": {"all"}}
	req, _ := http.NewRequest("POST", base+"/oidc/token", strings.NewReader(form.Encode()))
	req.SetBasicAuth(bootID, bootSecret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := doJSON(req, 200, &tok); err != nil {
		return "", "", err
	}
	api := func(method, path string, body any, out any) error {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		req.Header.Set("Content-Type", "application/json")
		want := 201
		if method == "PUT" || method == "PATCH" {
			want = 0
		}
		return doJSON(req, want, out)
	}
	var res, scope, role, app struct {
		ID     string `json:"id"`
		Secret string `json:"secret"`
	}
	if err := api("POST", "/api/resources", map[string]any{"name": "Shopping", "indicator": indicator}, &res); err != nil {
		return "", "", err
	}
	if err := api("POST", "/api/resources/"+res.ID+"/scopes", map[string]any{"name": "read:products", "description": "Read products"}, &scope); err != nil {
		return "", "", err
	}
	if err := api("POST", "/api/roles", map[string]any{"name": "Shop reader", "description": "Reads products", "type": "MachineToMachine", "scopeIds": []string{scope.ID}}, &role); err != nil {
		return "", "", err
	}
	if err := api("POST", "/api/applications", map[string]any{"name": "Load test", "type": "MachineToMachine"}, &app); err != nil {
		return "", "", err
	}
	if err := api("POST", "/api/applications/"+app.ID+"/roles", map[string]any{"roleIds": []string{role.ID}}, nil); err != nil {
		return "", "", err
	}
	if scriptFile != "" {
		src, err := os.ReadFile(scriptFile)
		if err != nil {
			return "", "", err
		}
		if err := api("PUT", "/api/configs/jwt-customizer/client-credentials", map[string]any{"script": string(src)}, nil); err != nil {
			return "", "", err
		}
	}
	return app.ID, app.Secret, nil
}

func doJSON(req *http.Request, want int, out any) error {
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if (want != 0 && res.StatusCode != want) || res.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", req.Method, req.URL.Path, res.StatusCode, b)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}

func waitReady(u string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get(u); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("the server did not become ready")
}

// readyLine is the start-up line of `monban serve`, with its address.
var readyLine = regexp.MustCompile(`msg="monban is ready".* addr=(\S+)`)

// listenAddr waits for a server's start-up line in its log and returns the
// address it listens on.
func listenAddr(logPath string) (string, error) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(logPath)
		if err != nil {
			return "", err
		}
		if m := readyLine.FindSubmatch(b); m != nil {
			return string(m[1]), nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return "", fmt.Errorf("the server did not log its address; see %s", logPath)
}

// peakRSSKiB reads the process's high-water resident set size.
func peakRSSKiB(pid int) int {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return 0
}

// cpuTicks returns the process's user+system CPU time in clock ticks (1/100 s).
func cpuTicks(pid int) int {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.Atoi(f[11])
	st, _ := strconv.Atoi(f[12])
	return u + st
}

func numCPU() int {
	b, _ := os.ReadFile("/proc/cpuinfo")
	return strings.Count(string(b), "processor\t:")
}
