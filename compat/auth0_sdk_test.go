package compat_test

import (
	"net/http"
	"net/url"
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
	m, report := runReport(f, script, env)
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
	"client grants: the admin app's, from its role, as /oauth/token grants them",
	"resource servers: Auth0's RBAC settings are the API's",
	"roles: create, permissions, users; a user's roles and permissions",
	"connections and logs",
	"errors: a missing user is ManagementError 404",
	"clean-up: delete role, grant, clients, resource server, user",
}

// The steps of seed-auth0.mjs.
var auth0SeedSteps = []string{"the code is the guide's", "getManagementToken", "listUsers"}

// The steps of auth0-verify.mjs.
var auth0VerifySteps = []string{
	"tokens from /oauth/token are RS256",
	"express-oauth2-jwt-bearer",
	"jsonwebtoken + jwks-rsa, algorithms RS256",
}

// The steps of auth0-code-flow.mjs.
var auth0CodeFlowSteps = []string{
	"discovery at the root issuer",
	"/authorize with PKCE and audience, the hosted sign-in page",
	"code exchange at /oauth/token",
	"/userinfo",
	"refresh, /oauth/revoke of the refresh token, then refresh fails",
	"/v2/logout with returnTo",
}

// Auth0's own clients, unchanged, against Monban's Auth0 face and its
// Management API v2 (see docs/compat.md, "The Auth0 run").
func TestAuth0NodeSDK(t *testing.T) {
	requireNode(t)
	e := startAuth0Env(t)
	srv := e.srv

	// An API with two permissions, another API, an M2M app granted
	// read:orders and write:orders of the first and read:other of the
	// second, a SPA and a user holding read:orders.
	const orders, other = "https://orders.example", "https://other.example"
	ordersAPI := srv.CreateResource(t, "Orders", orders, 0, "read:orders", "write:orders")
	otherAPI := srv.CreateResource(t, "Other", other, 0, "read:other")
	robot := srv.CreateApp(t, "Orders robot", srv.CreateRole(t, "orders-robot",
		ordersAPI.Scopes["read:orders"], ordersAPI.Scopes["write:orders"], otherAPI.Scopes["read:other"]))
	const redirect, logout = "https://spa.example/callback", "https://spa.example/"
	spa := srv.MustCall(t, "POST", "/api/applications", map[string]any{"name": "Orders SPA", "type": "SPA",
		"oidcClientMetadata": map[string]any{"redirectUris": []string{redirect}, "postLogoutRedirectUris": []string{logout}}}, 200)["id"].(string)
	const username, password = "jane", "jane-correct-horse-1"
	userID := srv.MustCall(t, "POST", "/api/users", map[string]any{"username": username, "primaryEmail": "jane@example.com", "password": password}, 200)["id"].(string)
	reader := srv.MustCall(t, "POST", "/api/roles", map[string]any{"name": "orders-reader", "description": "reads orders",
		"type": "User", "scopeIds": []string{ordersAPI.Scopes["read:orders"]}}, 200)["id"].(string)
	srv.MustCall(t, "POST", "/api/users/"+userID+"/roles", map[string]any{"roleIds": []string{reader}}, 201)

	// The seed guide's getManagementToken + listUsers, as written, with
	// the bootstrap app's credentials: the users it lists are the
	// directory's, in Auth0's shape.
	t.Run("node:auth0-seed-axios", func(t *testing.T) {
		m := runSteps(t, "the seed guide's axios code (Node.js)", "seed-auth0.mjs", e.nodeEnv(map[string]string{
			"AUTH0_M2M_CLIENT_ID": monbantest.AdminID, "AUTH0_M2M_CLIENT_SECRET": monbantest.AdminSecret,
		}), auth0SeedSteps)
		// The directory's users in Auth0's shape: jane, among those the
		// server made for itself.
		users, _ := m["users"].([]any)
		var jane map[string]any
		for _, u := range users {
			if u := u.(map[string]any); u["user_id"] == "auth0|"+userID {
				jane = u
			}
		}
		if jane["email"] != "jane@example.com" || jane["connection"] != "Username-Password-Authentication" {
			t.Errorf("listUsers: %v", users)
		}
		if tok, _ := m["token"].(string); tok == "" {
			t.Errorf("getManagementToken: %v", m["token"])
		} else if r := srv.Do(t, "GET", "/api/v2/users/auth0%7C"+userID, http.Header{"Authorization": {"Bearer " + tok}}, nil); r.Status != 200 {
			t.Errorf("the guide's token at /api/v2/users/{id}: %d %s", r.Status, r.Body)
		}
	})

	// express-oauth2-jwt-bearer and jsonwebtoken + jwks-rsa.
	t.Run("node:auth0-verifiers", func(t *testing.T) {
		runSteps(t, "express-oauth2-jwt-bearer, jsonwebtoken + jwks-rsa (Node.js)", "auth0-verify.mjs", e.nodeEnv(map[string]string{
			"CLIENT_ID": robot.ID, "CLIENT_SECRET": robot.Secret, "AUDIENCE": orders, "OTHER_AUDIENCE": other,
		}), auth0VerifySteps)
	})

	// openid-client through the code flow on Auth0's face.
	t.Run("node:auth0-code-flow", func(t *testing.T) {
		runSteps(t, "openid-client code flow on Auth0's face (Node.js)", "auth0-code-flow.mjs", e.nodeEnv(map[string]string{
			"CLIENT_ID": spa, "REDIRECT_URI": redirect, "LOGOUT_URI": logout, "AUDIENCE": orders,
			"USERNAME": username, "PASSWORD": password, "USER_ID": userID,
		}), auth0CodeFlowSteps)
	})

	// auth0 7's ManagementClient with clientId and clientSecret: it gets
	// its own token (audience https://{domain}/api/v2/, no scope) for the
	// bootstrap app, which holds every v2 permission.
	t.Run("node:auth0", func(t *testing.T) {
		runSteps(t, "auth0 ManagementClient (Node.js)", "auth0-management.mjs", e.nodeEnv(map[string]string{
			"CLIENT_ID": monbantest.AdminID, "CLIENT_SECRET": monbantest.AdminSecret,
		}), auth0ManagementSteps)
	})
	// The same, as behind a TLS-terminating proxy: a plain-HTTP listener
	// with MONBAN_ENDPOINT=https://{domain}, and the script sending every
	// request for that origin to the listener.
	t.Run("node:auth0 behind a proxy", func(t *testing.T) {
		const domain = "monban-compat.example"
		proxied := monbantest.Start(t, monbantest.Options{Endpoint: "https://" + domain})
		runSteps(t, "auth0 ManagementClient behind a proxy (Node.js)", "auth0-management.mjs", map[string]string{
			"MONBAN_DOMAIN": domain, "MONBAN_URL": proxied.URL,
			"CLIENT_ID": monbantest.AdminID, "CLIENT_SECRET": monbantest.AdminSecret,
		}, auth0ManagementSteps)
	})
}
