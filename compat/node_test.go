package compat_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// skipNodeVar, set to 1, skips the Node clients (with a visible message)
// when their packages are not installed. CI installs them.
const skipNodeVar = "MONBAN_SKIP_NODE_COMPAT"

var nodeCheck = sync.OnceValue(func() string {
	if _, err := exec.LookPath("node"); err != nil {
		return "node (Node.js 20 or later) is not installed"
	}
	if _, err := os.Stat(filepath.Join("node", "node_modules", "openid-client", "package.json")); err != nil {
		return "compat/node/node_modules is missing: run `npm ci` in compat/node (CI installs them)"
	}
	for _, pkg := range []string{"jose", "auth0", "@logto/api", "bcryptjs", "hash-wasm", "axios", "express", "express-oauth2-jwt-bearer", "jsonwebtoken", "jwks-rsa"} {
		if _, err := os.Stat(filepath.Join("node", "node_modules", pkg, "package.json")); err != nil {
			return "compat/node/node_modules is incomplete: run `npm ci` in compat/node (CI installs them)"
		}
	}
	return ""
})

// requireNode fails the test when the Node clients cannot run, unless
// MONBAN_SKIP_NODE_COMPAT=1 asks to skip them.
func requireNode(t *testing.T) {
	t.Helper()
	problem := nodeCheck()
	if problem == "" {
		return
	}
	if os.Getenv(skipNodeVar) == "1" {
		t.Skipf("SKIPPED Node.js clients (%s=1): %s", skipNodeVar, problem)
	}
	t.Fatalf("%s; or set %s=1 to skip the Node.js clients", problem, skipNodeVar)
}

// runNode runs a script of compat/node with env added to the environment.
// It returns the JSON object the script printed last and its exit code.
// stepReport is what a script of steps reports (compat/node/steps.mjs).
type stepReport struct {
	Passed  []string
	Failed  []struct{ Step, Detail string }
	Skipped []struct{ Step, Reason string }
}

// runReport runs a script of steps with env and reads its report: each
// failed step is an error, and a failing exit that names none is fatal.
// It returns the script's output too.
func runReport(f *flow, script string, env map[string]string) (map[string]any, stepReport) {
	m, code := runNode(f, script, env)
	var report stepReport
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
	return m, report
}

func runNode(f *flow, script string, env map[string]string) (map[string]any, int) {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", script)
	cmd.Dir = "node"
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			f.Fatalf("node %s: %v", script, err)
		}
		code = ee.ExitCode()
	}
	out := strings.TrimSpace(stdout.String())
	if i := strings.LastIndexByte(out, '\n'); i >= 0 {
		out = out[i+1:]
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		f.Fatalf("node %s exited with %d and printed no JSON object:\nstdout: %s\nstderr: %s", script, code, stdout.String(), stderr.String())
	}
	if code != 0 && stderr.Len() > 0 {
		f.t.Logf("node %s stderr: %s", script, stderr.String())
	}
	return m, code
}

// openid-client v6: discovery, then client_credentials with resource and
// scope, by client_secret_basic and client_secret_post; a wrong secret is
// invalid_client.
func (e *env) nodeOpenIDClient(t *testing.T) {
	requireNode(t)
	f := newFlow(t, "openid-client (Node.js)")
	for _, auth := range []string{"basic", "post"} {
		f.Step("discovery + clientCredentialsGrant, client_secret_" + auth)
		m, code := runNode(f, "openid-client.mjs", map[string]string{
			"ISSUER": e.srv.Issuer, "APP_ID": e.writer.ID, "APP_SECRET": e.writer.Secret,
			"RESOURCE": shopAPI, "SCOPE": "read:products write:products", "AUTH": auth,
		})
		if code != 0 {
			f.Fatalf("exit code %d: %v", code, m)
		}
		if m["issuer"] != e.srv.Issuer || m["token_endpoint"] != e.srv.Issuer+"/token" || m["jwks_uri"] != e.srv.Issuer+"/jwks" {
			f.Errorf("metadata %v", m)
		}
		if !strings.EqualFold(m["token_type"].(string), "bearer") || m["expires_in"] != 3600.0 || m["scope"] != "read:products write:products" {
			f.Errorf("token response %v", m)
		}
		claims := e.verifyToken(f, m["access_token"].(string), shopAPI)
		if claims["client_id"] != e.writer.ID || claims["scope"] != "read:products write:products" {
			f.Errorf("claims %v", claims)
		}
	}

	// Auth0's face: discovery from the root issuer, {endpoint}/, and a
	// token of that issuer under the app's client grant.
	f.Step("discovery at the root issuer + clientCredentialsGrant")
	root := e.srv.URL + "/"
	m, code := runNode(f, "openid-client.mjs", map[string]string{
		"ISSUER": root, "APP_ID": e.writer.ID, "APP_SECRET": e.writer.Secret,
		"RESOURCE": shopAPI, "SCOPE": "read:products", "AUTH": "post",
	})
	if code != 0 {
		f.Fatalf("exit code %d: %v", code, m)
	}
	if m["issuer"] != root || m["token_endpoint"] != e.srv.URL+"/oauth/token" || m["jwks_uri"] != e.srv.URL+"/.well-known/jwks.json" || m["scope"] != "read:products" {
		f.Errorf("root issuer: %v", m)
	}
	if claims := e.verifyTokenOf(f, m["access_token"].(string), shopAPI, root); claims["sub"] != e.writer.ID+"@clients" {
		f.Errorf("claims %v", claims)
	}

	// With Basic credentials the 401 carries a Basic challenge (RFC 6749
	// §5.2), which openid-client reports as WWWAuthenticateChallengeError;
	// with client_secret_post there is none, and it is a ResponseBodyError.
	for auth, challenge := range map[string]any{"basic": "basic", "post": nil} {
		f.Step("wrong secret, client_secret_" + auth)
		m, code := runNode(f, "openid-client.mjs", map[string]string{
			"ISSUER": e.srv.Issuer, "APP_ID": e.writer.ID, "APP_SECRET": "wrong", "RESOURCE": shopAPI, "SCOPE": "read:products", "AUTH": auth,
		})
		if code != 1 || m["error"] != "invalid_client" || m["status"] != 401.0 || m["challenge"] != challenge {
			f.Errorf("exit code %d, %v; want invalid_client, 401, challenge %v", code, m, challenge)
		}
	}
}

// jose v6 as Logto's "Protect your API" guide uses it, then with RFC 9068's
// checks; a token for another API is refused on aud.
func (e *env) nodeJose(t *testing.T) {
	requireNode(t)
	f := newFlow(t, "jose (Node.js)")
	f.Step("createRemoteJWKSet + jwtVerify")
	tok := e.srv.Token(t, e.reader, shopAPI, "read:products")["access_token"].(string)
	other := e.srv.Token(t, e.admin, e.srv.ManagementIndicator, "all")["access_token"].(string)
	m, code := runNode(f, "jose-verify.mjs", map[string]string{
		"LOGTO_ENDPOINT": e.srv.URL, "TOKEN": tok, "AUDIENCE": shopAPI, "REQUIRED_SCOPE": "read:products", "OTHER_TOKEN": other,
	})
	if code != 0 {
		f.Fatalf("exit code %d: %v", code, m)
	}
	if m["sub"] != e.reader.ID || m["client_id"] != e.reader.ID || m["scope"] != "read:products" || m["typ"] != "at+jwt" || m["kid"] == "" {
		f.Errorf("verified %v", m)
	}
	if m["other_audience"] != "ERR_JWT_CLAIM_VALIDATION_FAILED aud" {
		f.Errorf("token for another API: %v, want ERR_JWT_CLAIM_VALIDATION_FAILED aud", m["other_audience"])
	}
}

// The seed guide's fetch code: a Management API token with Basic
// credentials and a URLSearchParams body, then GET /api/applications.
func (e *env) nodeSeedFetch(t *testing.T) {
	requireNode(t)
	f := newFlow(t, "Logto guide's fetch code (Node.js)")
	f.Step("fetchAccessToken, then fetchLogtoApplications")
	m, code := runNode(f, "seed-fetch.mjs", map[string]string{
		"LOGTO_ENDPOINT": e.srv.URL, "APP_ID": e.admin.ID, "APP_SECRET": e.admin.Secret, "TENANT_ID": tenant,
	})
	if code != 0 {
		f.Fatalf("exit code %d: %v", code, m)
	}
	tok, _ := m["token"].(map[string]any)
	if m["token_status"] != 200.0 || tok["token_type"] != "Bearer" || tok["scope"] != "all" || tok["expires_in"] != 3600.0 {
		f.Fatalf("token response: %v", m)
	}
	claims := e.verifyToken(f, tok["access_token"].(string), "https://"+tenant+".logto.app/api")
	if claims["sub"] != e.admin.ID {
		f.Errorf("sub %v, want the App ID", claims["sub"])
	}
	// Unpaginated, as in Logto: every application and no Total-Number.
	apps, _ := m["applications"].([]any)
	if m["applications_status"] != 200.0 || len(apps) < 4 || m["applications_total"] != nil {
		f.Errorf("GET /api/applications: %v", m)
	}
	for _, a := range apps {
		if a, _ := a.(map[string]any); a["id"] == e.admin.ID && a["type"] != "MachineToMachine" {
			f.Errorf("the app's type is %v", a["type"])
		}
	}
}

// The steps of logto-api.mjs that must pass (each is named by the script);
// the password imports and hooks are counted apart.
var logtoAPISteps = []string{
	"client credentials token",
	"applications: create",
	"applications: list filtered by search, types, isThirdParty",
	"applications: pagination, Total-Number and Link",
	"applications: get, read-modify-write PATCH, custom-data PATCH",
	"applications: delete",
	"resources: create with scopes, includeScopes",
	"resources and scopes: read-modify-write PATCH",
	"scopes: search",
	"roles: create, isDefault, type, search",
	"applications: roles given to an M2M app",
	"users: create gets the default role",
	"users: search.primaryEmail with mode exact, joint, excludeRoleId",
	"roles: counts, featured users, excludeUserId",
	"users: profile PATCH, has-password, password verify",
	"users: read-modify-write PATCH",
	"users: identities PUT, GET, DELETE",
	"applications: secrets",
	"roles: scopes, applications and users linked and unlinked",
	"users: roles replaced, custom data, password, suspension",
	"logs, signing keys, status",
	"jwt-customizer: test run answers the claims",
	"unknown query parameter is 400 request.invalid_input",
	"clean-up: delete users, roles, resource, applications",
}

// The steps of logto-api-hooks.mjs, required once the server serves
// /api/hooks (until then the script reports the group as skipped).
// logtoAPIOrganizationSteps are the steps of logto-api-orgs.mjs, each of
// which must pass.
var logtoAPIOrganizationSteps = []string{
	"organizations: template of scopes and roles",
	"organizations: create, get, search, update",
	"organizations: members and their roles",
	"organizations: just-in-time provisioning by e-mail domain",
	"organization tokens: refresh_token grant with organization_id (getOrganizationToken)",
	"organization tokens: client_credentials with organization_id",
	"organizations: clean-up",
}

var logtoAPIHookSteps = []string{
	"hooks: create, list, get, update",
	"hooks: test delivery is signed",
	"hooks: new signing key, a real event delivered and signed",
	"hooks: recent logs",
	"hooks: delete",
}

// @logto/api, Logto's own Management API client, unchanged: an M2M app's
// credentials through createManagementApi, then every Management API group
// a migration script uses, with the answers checked by the script (see
// docs/compat.md). Password digests made by bcryptjs and hash-wasm (the
// committed fixtures and fresh ones) are imported, verified and re-hashed.
// Webhooks are skipped, with a message, while /api/hooks answers 404.
func (e *env) nodeLogtoAPI(t *testing.T) {
	requireNode(t)
	f := newFlow(t, "@logto/api (Node.js)")
	f.Step("createManagementApi, then the Management API's routes")
	_, report := runReport(f, "logto-api.mjs", map[string]string{
		"LOGTO_ENDPOINT": e.srv.URL, "APP_ID": e.admin.ID, "APP_SECRET": e.admin.Secret, "TENANT_ID": tenant,
	})
	for _, s := range report.Skipped {
		t.Logf("SKIPPED %s: %s", s.Step, s.Reason)
	}
	passed := map[string]bool{}
	imports := map[string]int{}
	count := func(step string) {
		for _, set := range []string{"committed", "fresh"} {
			if strings.HasPrefix(step, "password import ("+set+")") {
				imports[set]++
			}
		}
	}
	for _, s := range report.Passed {
		passed[s] = true
		count(s)
	}
	skipped := map[string]bool{}
	for _, s := range report.Skipped {
		skipped[s.Step] = true
		if strings.Contains(s.Step, "Argon2d") { // refused at import until the server verifies Argon2d
			count(s.Step)
		}
	}
	required := logtoAPISteps
	if !skipped["hooks"] {
		required = slices.Concat(logtoAPISteps, logtoAPIHookSteps)
	}
	for _, step := range required {
		if !passed[step] {
			f.Errorf("step %q did not pass", step)
		}
	}
	fixtures := readDigests(t, "node/testdata/digests.json")
	for _, set := range []string{"committed", "fresh"} {
		if imports[set] != len(fixtures) {
			f.Errorf("%d %s digests imported and verified (or Argon2d refused), want %d", imports[set], set, len(fixtures))
		}
	}
}

// @logto/api drives Logto's organizations, and openid-client gets
// organization tokens as @logto/node's getOrganizationToken asks for them
// (logto-api-orgs.mjs).
func (e *env) nodeLogtoAPIOrganizations(t *testing.T) {
	requireNode(t)
	f := newFlow(t, "@logto/api organizations and organization tokens (Node.js)")
	f.Step("organizations, members, roles, just-in-time provisioning, organization tokens")
	_, report := runReport(f, "logto-api-orgs.mjs", map[string]string{
		"LOGTO_ENDPOINT": e.srv.URL, "APP_ID": e.admin.ID, "APP_SECRET": e.admin.Secret, "TENANT_ID": tenant,
	})
	for _, step := range logtoAPIOrganizationSteps {
		if !slices.Contains(report.Passed, step) {
			f.Errorf("step %q did not pass", step)
		}
	}
}
