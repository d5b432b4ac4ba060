package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// escapingScript catches each stack overflow and recurses again; it once
// ran for minutes past its time limit.
const escapingScript = `const getCustomJwtClaims = () => { const f=(n)=>{try{return f(n+1)}catch(e){return f(n+1)}}; return {x:f(0)} }`

// escapeBound is the default script time limit, 2 s, and a margin for the
// watchdog's grace and a loaded machine.
const escapeBound = 3500 * time.Millisecond

// Test runs of a script that escapes its time limit are answered with a
// timeout, and meanwhile tokens are issued with their claims; the same
// script saved for issuance fails within its limit too.
func TestEscapingScriptsEndAtTheirDeadline(t *testing.T) {
	ts := startServer(t)
	mt := ts.managementToken()
	ts.mustAPI(mt, "POST", "/api/resources", map[string]any{"name": "Shopping", "indicator": "https://shopping.api"}, 201)
	app := ts.mustAPI(mt, "POST", "/api/applications", map[string]any{"name": "Order sync", "type": "MachineToMachine"}, 200)
	id, secret := app["id"].(string), app["secret"].(string)
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {"https://shopping.api"}}
	path := "/api/configs/jwt-customizer/client-credentials"
	ts.mustAPI(mt, "PUT", path, map[string]any{"script": `const getCustomJwtClaims = ({ token }) => ({ tier: 'gold', j: token.jti.length })`}, 201)

	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			start := time.Now()
			r := ts.api(mt, "POST", "/api/configs/jwt-customizer/test", map[string]any{
				"tokenType": "client-credentials", "script": escapingScript, "token": map[string]any{"jti": "j"}})
			d := time.Since(start)
			if m := r.json(t); r.Status != 422 || m["kind"] != "timeout" || d > escapeBound {
				t.Errorf("escaping test run: %d %v after %v", r.Status, m, d)
			}
		})
	}
	time.Sleep(300 * time.Millisecond) // the test runs are under way
	for i := range 5 {
		r := ts.tokenForm(id, secret, form)
		if r.Status != 200 {
			t.Fatalf("token %d: %d %s", i, r.Status, r.Body)
		}
		if claims, _ := verifyWithJWKS(t, ts, r.json(t)["access_token"].(string)); claims["tier"] != "gold" {
			t.Errorf("token %d issued during escaping test runs lacks its claims: %v", i, claims)
		}
	}
	wg.Wait()

	// Saved for issuance: the token is refused (blocking) or issued without
	// claims, within the limit.
	ts.mustAPI(mt, "PUT", path, map[string]any{"script": escapingScript, "blockIssuanceOnError": true}, 200)
	start := time.Now()
	r := ts.tokenForm(id, secret, form)
	if m := r.json(t); r.Status != 400 || m["error"] != "invalid_request" || time.Since(start) > escapeBound {
		t.Errorf("blocking escaping script: %d %v after %v", r.Status, m, time.Since(start))
	}
	ts.mustAPI(mt, "PATCH", path, map[string]any{"blockIssuanceOnError": false}, 200)
	start = time.Now()
	r = ts.tokenForm(id, secret, form)
	if r.Status != 200 || time.Since(start) > escapeBound {
		t.Fatalf("escaping script failing open: %d %s after %v", r.Status, r.Body, time.Since(start))
	}
	if claims, _ := verifyWithJWKS(t, ts, r.json(t)["access_token"].(string)); claims["x"] != nil {
		t.Errorf("claims of a timed-out script: %v", claims)
	}
	m := string(ts.do("GET", "/metrics", nil, nil).Body)
	for _, want := range []string{
		`monban_custom_jwt_runs_total{outcome="timeout",token_type="client-credentials"} 2`,
		`monban_custom_jwt_runs_total{outcome="timeout",token_type="test:client-credentials"} 4`,
		"monban_custom_jwt_runs_abandoned_total ",
		"monban_custom_jwt_runs_abandoned_running ",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// Whether the watchdog or the engine's own interrupt ends a run first
	// depends on the machine's speed; TestWatchdogAbandonsStuckRun in
	// internal/claims makes the watchdog act, deterministically.
}

// A server stopped while a test run of an escaping script is in progress
// answers it, shuts down within its deadline and flushes the audit log.
func TestShutdownDuringEscapingRun(t *testing.T) {
	ts := startServer(t)
	mt := ts.managementToken()
	body, _ := json.Marshal(map[string]any{"tokenType": "client-credentials", "script": escapingScript, "token": map[string]any{"jti": "j"}})
	status := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("POST", ts.URL+"/api/configs/jwt-customizer/test", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+mt)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			status <- 0
			return
		}
		res.Body.Close()
		status <- res.StatusCode
	}()
	time.Sleep(300 * time.Millisecond) // the run is under way
	start := time.Now()
	ts.stop() // fails the test if Serve returns an error
	if d := time.Since(start); d > escapeBound {
		t.Errorf("shutdown took %v", d)
	}
	if s := <-status; s != 422 {
		t.Errorf("the test run in progress was answered %d, want 422", s)
	}
	if logs := ts.Logs.String(); strings.Contains(logs, "did not finish") || strings.Contains(logs, "stopped with an error") {
		t.Errorf("shutdown:\n%s", logs)
	}
}
