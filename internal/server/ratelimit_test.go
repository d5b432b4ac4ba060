package server_test

import (
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/monban/monban/internal/ratelimit"
	"github.com/monban/monban/internal/server"
)

// startLimited starts a test server with limits.
func startLimited(t *testing.T, limits server.RateLimits) *testServer {
	t.Helper()
	ts := startServer(t)
	ts.restartWith(func(cfg *server.Config) { cfg.RateLimits = &limits })
	return ts
}

func TestRateLimits(t *testing.T) {
	ts := startLimited(t, server.RateLimits{
		TokenClient:    ratelimit.Rule{Rate: 0.01, Burst: 3},
		TokenIP:        ratelimit.Rule{Rate: 0.01, Burst: 30},
		FailedAuthCost: 10,
		Management:     ratelimit.Rule{Rate: 0.01, Burst: 5},
	})
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {ts.Mgmt}, "scope": {"all"}}
	var mt string
	for i := range 3 {
		r := ts.tokenForm(bootID, bootSecret, form)
		if r.Status != 200 {
			t.Fatalf("request %d: %d %s", i, r.Status, r.Body)
		}
		mt = r.json(t)["access_token"].(string)
	}
	r := ts.tokenForm(bootID, bootSecret, form)
	if r.Status != 429 || r.json(t)["error"] != "too_many_requests" {
		t.Fatalf("4th request: %d %s", r.Status, r.Body)
	}
	if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 {
		t.Errorf("Retry-After = %q", r.Header.Get("Retry-After"))
	}
	// The limit is per client: the same one in the body counts too.
	r = ts.do("POST", "/oidc/token", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
		strings.NewReader(form.Encode()+"&client_id="+bootID+"&client_secret="+bootSecret))
	if r.Status != 429 {
		t.Errorf("same client in the body: %d", r.Status)
	}

	// Failed authentications cost 10 from the address's bucket of 30.
	other := 0
	for i := range 4 {
		r := ts.tokenForm("guesser", "wrong", form)
		if r.Status == 429 {
			other = i
			break
		}
	}
	if other == 0 || other > 3 {
		t.Errorf("a guesser was refused only after %d failed attempts", other)
	}

	// Management API: 5 per caller.
	got := 0
	for range 8 {
		if ts.api(mt, "GET", "/api/applications", nil).Status == 200 {
			got++
		}
	}
	r = ts.api(mt, "GET", "/api/applications", nil)
	if got != 5 || r.Status != 429 || r.Header.Get("Retry-After") == "" {
		t.Errorf("management: %d allowed, then %d", got, r.Status)
	}
	m := string(ts.do("GET", "/metrics", nil, nil).Body)
	for _, want := range []string{`monban_rate_limit_rejections_total{limit="token_client"}`, `monban_rate_limit_rejections_total{limit="management"}`, "monban_rate_limit_redis_fallback 0"} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// A failed client authentication is charged in full even from a bucket
// short of it: the guesser is refused sooner, and the right secret waits
// until the debt has refilled.
func TestFailedAuthPenaltyIntoDebt(t *testing.T) {
	ts := startLimited(t, server.RateLimits{
		// 100 s a token: nothing refills during the test.
		TokenClient:    ratelimit.Rule{Rate: 0.01, Burst: 25},
		TokenIP:        ratelimit.Rule{Rate: 0.01, Burst: 1000},
		FailedAuthCost: 10,
	})
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {ts.Mgmt}}
	var statuses []int
	for range 8 {
		statuses = append(statuses, ts.tokenForm(bootID, "wrong secret", form).Status)
	}
	// 25 tokens at 10 a failure: three failures, the third into debt.
	if want := []int{401, 401, 401, 429, 429, 429, 429, 429}; !slices.Equal(statuses, want) {
		t.Fatalf("statuses %v, want %v", statuses, want)
	}
	r := ts.tokenForm(bootID, bootSecret, form)
	if r.Status != 429 {
		t.Fatalf("the right secret during the debt: %d %s", r.Status, r.Body)
	}
	// Five tokens of debt and the one to take, at 100 s each.
	if s, _ := strconv.Atoi(r.Header.Get("Retry-After")); s < 590 || s > 600 {
		t.Errorf("Retry-After = %q, want about 600", r.Header.Get("Retry-After"))
	}
}

// X-Forwarded-For counts only from a trusted proxy.
func TestTrustedProxies(t *testing.T) {
	ts := startServer(t)
	ts.managementToken()
	h := http.Header{"X-Forwarded-For": {"203.0.113.7"}}
	ts.do("GET", "/healthz", h, nil)
	if strings.Contains(ts.Logs.String(), "203.0.113.7") {
		t.Error("X-Forwarded-For from an untrusted peer was believed")
	}
	ts.restartWith(func(cfg *server.Config) {
		cfg.TrustedProxies, _ = ratelimit.ParsePrefixes("127.0.0.1")
	})
	ts.do("GET", "/healthz", h, nil)
	if !strings.Contains(ts.Logs.String(), "client_ip=203.0.113.7") {
		t.Error("X-Forwarded-For from a trusted proxy was ignored")
	}
}

// With Redis, instances share one budget.
func TestRateLimitsSharedThroughRedis(t *testing.T) {
	redisURL := os.Getenv("MONBAN_TEST_REDIS_URL")
	if redisURL == "" {
		t.Skip("set MONBAN_TEST_REDIS_URL to test shared rate limits")
	}
	limits := &server.RateLimits{TokenClient: ratelimit.Rule{Rate: 0.01, Burst: 4}, FailedAuthCost: 1}
	a, b := startServer(t), startServer(t)
	// An instance whose Redis answer is late (a loaded machine) limits
	// locally for a while, by design; such a round proves nothing about
	// sharing and is played again on fresh instances.
	const local = "rate limits are local: Redis unreachable"
	for round := range 5 {
		// A client id of its own per round, so runs never share a bucket.
		appID := "shared-" + strconv.FormatInt(nowMillis(), 36) + "-" + strconv.Itoa(round)
		setup := func(cfg *server.Config) {
			cfg.RateLimits, cfg.RedisURL = limits, redisURL
			cfg.BootstrapAppID = appID
		}
		a.restartWith(setup)
		b.restartWith(setup)
		before := strings.Count(a.Logs.String(), local) + strings.Count(b.Logs.String(), local)
		ok := 0
		for i := range 8 {
			ts := a
			if i%2 == 1 {
				ts = b
			}
			r := ts.tokenForm(appID, bootSecret, url.Values{"grant_type": {"client_credentials"}, "resource": {ts.Mgmt}})
			switch r.Status {
			case 200:
				ok++
			case 429:
			default:
				t.Fatalf("%d %s", r.Status, r.Body)
			}
		}
		if strings.Count(a.Logs.String(), local)+strings.Count(b.Logs.String(), local) != before {
			t.Logf("round %d: an instance limited locally while Redis was slow; again", round)
			continue
		}
		if ok != 4 {
			t.Errorf("%d of 8 requests across two instances passed a shared limit of 4", ok)
		}
		return
	}
	t.Fatal("Redis was too slow to answer in five rounds")
}

// The Management API limit is keyed on the verified caller: random or
// forged bearer tokens from one address share that address's bucket, a new
// token of the same caller shares the caller's bucket, and a valid caller
// is not refused for what others sent from its address.
func TestManagementRateLimitKeyedOnVerifiedCaller(t *testing.T) {
	limits := server.DefaultRateLimits
	limits.Management = ratelimit.Rule{Rate: 0.01, Burst: 5}
	ts := startLimited(t, limits)
	first := ts.managementToken()
	parts := strings.Split(first, ".")
	statuses := map[int]int{}
	for i := range 10 {
		tok := "random-" + strconv.Itoa(i) + "-" + strings.Repeat("x", i)
		if i%2 == 1 { // a well-formed token whose signature does not verify
			sig := []byte(parts[2])
			for j := range i { // change each of the first i characters
				if sig[j] == 'A' {
					sig[j] = 'B'
				} else {
					sig[j] = 'A'
				}
			}
			tok = parts[0] + "." + parts[1] + "." + string(sig)
		}
		statuses[ts.api(tok, "GET", "/api/applications", nil).Status]++
	}
	if statuses[401] != 5 || statuses[429] != 5 {
		t.Errorf("10 different unverified tokens from one address: %v, want 5 × 401 then 5 × 429", statuses)
	}
	// The address's bucket is spent; a verified caller has its own.
	for i := range 5 {
		if r := ts.api(first, "GET", "/api/applications", nil); r.Status != 200 {
			t.Fatalf("valid caller, request %d: %d %s", i, r.Status, r.Body)
		}
	}
	// A fresh token of the same caller gets no fresh bucket.
	if r := ts.api(ts.managementToken(), "GET", "/api/applications", nil); r.Status != 429 {
		t.Errorf("a new token of a limited caller: %d, want 429", r.Status)
	}
	if r := ts.do("GET", "/api/applications", nil, nil); r.Status != 429 {
		t.Errorf("no token, from the spent address: %d, want 429", r.Status)
	}
}

// Authorization requests and the sign-in page may each store a sign-in
// interaction, so they share one limit per address; other pages do not
// count against it.
func TestSignInRateLimit(t *testing.T) {
	ts := startLimited(t, server.RateLimits{SignIn: ratelimit.Rule{Rate: 0.01, Burst: 3}})
	for i, path := range []string{"/oidc/auth?client_id=x", "/sign-in?interaction=x", "/oidc/auth"} {
		if r := ts.do("GET", path, nil, nil); r.Status == 429 {
			t.Fatalf("request %d (%s) limited", i, path)
		}
	}
	for _, c := range []struct{ method, path string }{{"GET", "/oidc/auth"}, {"POST", "/oidc/auth"}, {"POST", "/sign-in"}} {
		r := ts.do(c.method, c.path, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, strings.NewReader(""))
		if r.Status != 429 || r.json(t)["error"] != "too_many_requests" || r.Header.Get("Retry-After") == "" {
			t.Errorf("%s %s past the burst: %d %s", c.method, c.path, r.Status, r.Body)
		}
	}
	for _, path := range []string{"/oidc/.well-known/openid-configuration", "/oidc/jwks"} {
		if r := ts.do("GET", path, nil, nil); r.Status != 200 {
			t.Errorf("GET %s: %d", path, r.Status)
		}
	}
}
