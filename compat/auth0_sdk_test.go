package compat_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/monban/monban/compat/monbantest"
)

// auth0Env is the server the Auth0 clients run against: HTTPS with a
// certificate made for the test (MONBAN_TLS_CERT_FILE and _KEY_FILE),
// so Auth0's SDKs, which insist on https://{domain}, run unchanged with
// the domain 127.0.0.1:{port}; and RS256 keys (MONBAN_SIGNING_ALG=RS256),
// as Auth0's quickstarts verify RS256 only.
type auth0Env struct {
	srv    *monbantest.Server
	domain string // 127.0.0.1:port
	root   string // https://127.0.0.1:port/, the Auth0 face's issuer
}

func startAuth0Env(t *testing.T) *auth0Env {
	srv := monbantest.Start(t, monbantest.Options{TLS: true, SigningAlgorithm: "RS256"})
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return &auth0Env{srv: srv, domain: u.Host, root: srv.URL + "/"}
}

// nodeEnv is the environment of a script run against e: the process
// trusts the server's certificate.
func (e *auth0Env) nodeEnv(vars map[string]string) map[string]string {
	env := map[string]string{"NODE_EXTRA_CA_CERTS": e.srv.CertFile, "MONBAN_DOMAIN": e.domain}
	for k, v := range vars {
		env[k] = v
	}
	return env
}

// runSteps runs a script that reports {passed, failed} (compat/node/
// steps.mjs) and requires every one of the steps by name.
func runSteps(t *testing.T, client, script string, env map[string]string, required []string) map[string]any {
	t.Helper()
	requireNode(t)
	f := newFlow(t, client)
	f.Step(script)
	m, code := runNode(f, script, env)
	var report struct {
		Passed []string
		Failed []struct{ Step, Detail string }
	}
	b, _ := json.Marshal(m)
	if err := json.Unmarshal(b, &report); err != nil {
		f.Fatalf("report %v: %v", m, err)
	}
	for _, x := range report.Failed {
		f.Errorf("%s: %s", x.Step, x.Detail)
	}
	if code != 0 && len(report.Failed) == 0 {
		f.Fatalf("exit code %d: %v", code, m)
	}
	passed := map[string]bool{}
	for _, s := range report.Passed {
		passed[s] = true
	}
	for _, s := range required {
		if !passed[s] {
			f.Errorf("step %q did not pass", s)
		}
	}
	if len(report.Passed) != len(required) {
		f.Errorf("passed %q, want exactly %q", report.Passed, required)
	}
	return m
}

// The steps of auth0-management.mjs.
var auth0ManagementSteps = []string{
	"token: clientId and clientSecret at /oauth/token",
	"users: create, list with q, get, update, by e-mail",
	"resource servers: create with scopes, get, update, list",
	"clients: create, get, update, list, rotate secret",
	"client grants: create, list, update, delete, as /oauth/token sees them",
	"client grants: a narrow grant to /api/v2/ is enforced",
	"roles: create, permissions, users; a user's roles and permissions",
	"connections and logs",
	"errors: a missing user is ManagementError 404",
	"clean-up: delete role, grant, clients, resource server, user",
}

// Auth0's own clients, unchanged, against Monban's Auth0 face and its
// Management API v2 (see docs/compat.md, "The Auth0 run").
func TestAuth0NodeSDK(t *testing.T) {
	requireNode(t)
	e := startAuth0Env(t)

	// auth0 7's ManagementClient with clientId and clientSecret: it gets
	// its own token (audience https://{domain}/api/v2/, no scope) for the
	// bootstrap app, which holds every v2 permission.
	t.Run("node:auth0", func(t *testing.T) {
		runSteps(t, "auth0 ManagementClient (Node.js)", "auth0-management.mjs", e.nodeEnv(map[string]string{
			"CLIENT_ID": monbantest.AdminID, "CLIENT_SECRET": monbantest.AdminSecret,
		}), auth0ManagementSteps)
	})
	_ = strings.TrimSpace
}
