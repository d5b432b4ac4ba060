package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/monban/monban/internal/console"
	"github.com/monban/monban/internal/server"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/store/postgres"
	"github.com/monban/monban/internal/store/storetest"
)

// consoleSignIn signs in at the hosted sign-in page as the console does
// (authorization code + PKCE, client monban-console, the Management API as
// the resource) and returns the token response.
func consoleSignIn(t *testing.T, ts *testServer, username, pw string) response {
	t.Helper()
	b := newBrowser(t, ts)
	// The console's redirect URI is on the server itself: stop there, as
	// the console's callback page would take over.
	b.c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), ts.URL+"/") && !strings.HasPrefix(req.URL.Path, "/console/") {
			return nil
		}
		return http.ErrUseLastResponse
	}
	redirect := console.RedirectURI(ts.URL)
	verifier, challenge := pkce()
	q := url.Values{"response_type": {"code"}, "client_id": {console.DefaultClientID}, "redirect_uri": {redirect},
		"scope": {"openid profile offline_access all"}, "state": {"st"}, "nonce": {"nn"}, "resource": {ts.Mgmt},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	p := b.signIn(b.get(ts.Issuer+"/auth?"+q.Encode()), username, pw)
	if p.Status != http.StatusSeeOther {
		return response{Status: p.Status, Header: p.Header, Body: []byte(p.Body)}
	}
	code := p.redirected(t, redirect).Get("code")
	if code == "" {
		t.Fatalf("no code in %s", p.Header.Get("Location"))
	}
	return ts.tokenForm("", "", url.Values{"grant_type": {"authorization_code"}, "client_id": {console.DefaultClientID},
		"code": {code}, "redirect_uri": {redirect}, "code_verifier": {verifier}, "resource": {ts.Mgmt}})
}

// mustConsoleSignIn signs in and checks the token opens the Management API.
func mustConsoleSignIn(t *testing.T, ts *testServer, username, pw string) {
	t.Helper()
	r := consoleSignIn(t, ts, username, pw)
	if r.Status != 200 {
		t.Fatalf("sign-in as %s: %d %.300s", username, r.Status, r.Body)
	}
	tok := r.json(t)
	if tok["scope"] != "all" {
		t.Fatalf("scope = %v, want all", tok["scope"])
	}
	if got := ts.api(tok["access_token"].(string), "GET", "/api/users", nil); got.Status != 200 {
		t.Fatalf("Management API with the admin's token: %d %s", got.Status, got.Body)
	}
}

var firstAdminRe = regexp.MustCompile(`Username:\s+(\S+)\s+Password:\s+(\S+)`)

// A first start with no administrator creates one, prints the credentials
// once on stderr (never in the log) and the administrator can sign in to the
// console; a restart prints nothing.
func TestFirstAdmin(t *testing.T) {
	stderr := &syncBuffer{}
	ts := startUserServer(t, func(c *server.Config) { c.Stderr = stderr })
	m := firstAdminRe.FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("no administrator printed:\n%s", stderr.String())
	}
	username, pw := m[1], m[2]
	if username != "admin" || len(pw) < 20 {
		t.Errorf("username %q, password of %d characters", username, len(pw))
	}
	for _, want := range []string{ts.URL + "/console", "change this password"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if strings.Contains(ts.Logs.String(), pw) {
		t.Error("the password reached the log")
	}
	mustConsoleSignIn(t, ts, username, pw)

	// The seeded role is an ordinary user role, holding "all".
	mt := ts.managementToken()
	roles := ts.api(mt, "GET", "/api/roles?type=User", nil)
	if !bytes.Contains(roles.Body, []byte(`"name":"Admin"`)) {
		t.Fatalf("no Admin role: %s", roles.Body)
	}

	stderr = &syncBuffer{}
	ts.restart()
	if stderr.String() != "" {
		t.Errorf("a restart printed:\n%s", stderr.String())
	}
	if r := ts.api(mt, "GET", "/api/users", nil); r.Header.Get("Total-Number") != "1" {
		t.Errorf("users after a restart: %s", r.Body)
	}
	mustConsoleSignIn(t, ts, username, pw)
}

// Once every administrator is gone, the next start creates one again; while
// one exists, a start leaves things alone even if "admin" is someone else.
func TestFirstAdminAgain(t *testing.T) {
	stderr := &syncBuffer{}
	ts := startUserServer(t, func(c *server.Config) { c.Stderr = stderr })
	mt := ts.managementToken()
	m := firstAdminRe.FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatal("no administrator printed")
	}
	mustConsoleSignIn(t, ts, m[1], m[2])
	users := ts.api(mt, "GET", "/api/users?search=admin", nil)
	id := regexp.MustCompile(`"id":"(\w+)"`).FindSubmatch(users.Body)[1]
	// Keep the user "admin", without the role: nobody can use the console.
	rm := regexp.MustCompile(`"id":"(\w+)","name":"Admin"`).FindSubmatch(ts.api(mt, "GET", "/api/roles?type=User", nil).Body)
	if rm == nil {
		t.Fatal("no Admin role")
	}
	ts.mustAPI(mt, "DELETE", "/api/users/"+string(id)+"/roles/"+string(rm[1]), nil, 204)

	stderr = &syncBuffer{}
	ts.restart()
	m2 := firstAdminRe.FindStringSubmatch(stderr.String())
	if m2 == nil {
		t.Fatalf("no new administrator printed:\n%s", stderr.String())
	}
	if m2[1] == "admin" || !strings.HasPrefix(m2[1], "admin_") {
		t.Errorf("new administrator %q: the name admin is taken", m2[1])
	}
	mustConsoleSignIn(t, ts, m2[1], m2[2])
	if r := consoleSignIn(t, ts, "admin", m[2]); r.Status == 200 && r.json(t)["scope"] == "all" {
		t.Error("the old admin, without the role, still got the Management API")
	}
}

// MONBAN_ADMIN_USERNAME and MONBAN_ADMIN_PASSWORD: the user is created with
// the Admin role, nothing is printed, and restarts are idempotent; a changed
// password replaces the old one; an existing user is given the role.
func TestAdminFromConfig(t *testing.T) {
	stderr := &syncBuffer{}
	const user, pw = "ops_lead", "first-Passw0rd-of-ops"
	ts := startUserServer(t, func(c *server.Config) {
		c.Stderr = stderr
		c.AdminUsername, c.AdminPassword = user, pw
	})
	if strings.Contains(stderr.String(), "Username:") {
		t.Errorf("printed an administrator:\n%s", stderr.String())
	}
	mustConsoleSignIn(t, ts, user, pw)
	mt := ts.managementToken()
	list := ts.api(mt, "GET", "/api/users", nil)
	if list.Header.Get("Total-Number") != "1" {
		t.Fatalf("users: %s", list.Body)
	}
	id := string(regexp.MustCompile(`"id":"(\w+)"`).FindSubmatch(list.Body)[1])
	before := ts.api(mt, "GET", "/api/users/"+id, nil).json(t)["updatedAt"]

	// Idempotent: same user, same password hash, one role.
	ts.restart()
	list = ts.api(mt, "GET", "/api/users", nil)
	if list.Header.Get("Total-Number") != "1" {
		t.Fatalf("users after a restart: %s", list.Body)
	}
	if after := ts.api(mt, "GET", "/api/users/"+id, nil).json(t)["updatedAt"]; after != before {
		t.Errorf("a restart rewrote the user: updatedAt %v -> %v", before, after)
	}
	if r := ts.api(mt, "GET", "/api/users/"+id+"/roles", nil); r.Header.Get("Total-Number") != "1" || !bytes.Contains(r.Body, []byte(`"name":"Admin"`)) {
		t.Errorf("roles after a restart: %s", r.Body)
	}
	mustConsoleSignIn(t, ts, user, pw)

	// A changed password replaces the old one.
	const pw2 = "second-Passw0rd-of-ops"
	ts.restartWith(func(c *server.Config) {
		c.Users.PasswordParams = fastPasswords
		c.Stderr = stderr
		c.AdminUsername, c.AdminPassword = user, pw2
	})
	if r := consoleSignIn(t, ts, user, pw); r.Status != http.StatusUnauthorized {
		t.Error("the old password still signs in")
	}
	mustConsoleSignIn(t, ts, user, pw2)
	if strings.Contains(ts.Logs.String(), pw2) || strings.Contains(stderr.String(), pw2) {
		t.Error("the password was written out")
	}

	// An existing user without access is given the Admin role; their
	// profile is left alone.
	mt = ts.managementToken()
	ts.mustAPI(mt, "POST", "/api/users", map[string]any{"username": "grace", "name": "Grace Hopper", "password": "grace-Passw0rd-1"}, 200)
	ts.restartWith(func(c *server.Config) {
		c.Users.PasswordParams = fastPasswords
		c.AdminUsername, c.AdminPassword = "grace", "grace-new-Passw0rd"
	})
	mustConsoleSignIn(t, ts, "grace", "grace-new-Passw0rd")
	list = ts.api(mt, "GET", "/api/users?search=grace", nil)
	if !bytes.Contains(list.Body, []byte(`"name":"Grace Hopper"`)) || list.Header.Get("Total-Number") != "1" {
		t.Errorf("grace after the restart: %s", list.Body)
	}
}

// Instances starting at once on a fresh PostgreSQL database create one
// first administrator between them, and print it once.
func TestFirstAdminConcurrentStarts(t *testing.T) {
	dbURL := postgres.NewTestDatabase(t)
	secretKey := storetest.NewKey(t)
	const n = 3
	outs := make([]*syncBuffer, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		outs[i] = &syncBuffer{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			cfg := server.Config{DatabaseURL: dbURL, Endpoint: "http://monban.test", ManagementIndicator: "http://monban.test/api",
				BootstrapAppID: bootID, BootstrapAppSecret: bootSecret, Stderr: outs[i], SecretKey: secretKey,
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
			cfg.Users.PasswordParams = fastPasswords
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				errs[i] = err
				return
			}
			cfg.Listener = ln
			s, err := server.New(context.Background(), cfg)
			if err == nil {
				err = s.Listen() // prints what this instance created
				s.Close()
			}
			ln.Close()
			errs[i] = err
		}()
	}
	wg.Wait()
	printed := 0
	for i := range n {
		if errs[i] != nil {
			t.Errorf("instance %d: %v", i, errs[i])
		}
		if firstAdminRe.MatchString(outs[i].String()) {
			printed++
		}
	}
	if printed != 1 {
		t.Errorf("%d instances printed an administrator", printed)
	}
	st, _, err := server.OpenStore(context.Background(), dbURL, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	storetest.Unlock(t, st, secretKey)
	users, total, err := st.ListUsers(context.Background(), store.UserFilter{}, store.Page{})
	if err != nil || total != 1 {
		t.Fatalf("users: %v %v", users, err)
	}
	roles, _, err := st.ListUserRoles(context.Background(), users[0].ID, store.Page{})
	if err != nil || len(roles) != 1 || roles[0].Name != "Admin" {
		t.Errorf("roles of %s: %v %v", users[0].Username, roles, err)
	}
}

// A change made in the console (a user's token, through the console's
// app) names the user as the actor, by id and name, the console's app as
// the application, and the user changed as the target.
func TestAuditLogNamesConsoleUser(t *testing.T) {
	stderr := &syncBuffer{}
	ts := startUserServer(t, func(c *server.Config) { c.Stderr = stderr })
	m := firstAdminRe.FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatal("no administrator printed")
	}
	r := consoleSignIn(t, ts, m[1], m[2])
	if r.Status != 200 {
		t.Fatalf("sign-in: %d %s", r.Status, r.Body)
	}
	tok := r.json(t)["access_token"].(string)
	created := ts.mustAPI(tok, "POST", "/api/users", map[string]any{"username": "grace"}, 200)
	admins := ts.api(tok, "GET", "/api/users?search=admin", nil)
	adminID := regexp.MustCompile(`"id":"(\w+)"`).FindSubmatch(admins.Body)[1]

	var entries []map[string]any
	deadline := time.Now().Add(5 * time.Second)
	for len(entries) == 0 && time.Now().Before(deadline) {
		res := ts.api(tok, "GET", "/api/logs?logKey="+url.QueryEscape("ManagementApi.POST /api/users"), nil)
		if err := json.Unmarshal(res.Body, &entries); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(entries) != 1 {
		t.Fatalf("entries: %v", entries)
	}
	p := entries[0]["payload"].(map[string]any)
	if p["userId"] != string(adminID) || p["applicationId"] != console.DefaultClientID {
		t.Errorf("userId %v, applicationId %v", p["userId"], p["applicationId"])
	}
	if a, _ := p["actor"].(map[string]any); a["type"] != "user" || a["id"] != string(adminID) || a["name"] != m[1] {
		t.Errorf("actor = %v", p["actor"])
	}
	if tg, _ := p["target"].(map[string]any); tg["type"] != "user" || tg["id"] != created["id"] {
		t.Errorf("target = %v", p["target"])
	}
}

// The only administrator cannot be deleted through the Management API: the
// console would be locked out until a restart.
func TestLastAdminDeleteRefused(t *testing.T) {
	stderr := &syncBuffer{}
	ts := startUserServer(t, func(c *server.Config) { c.Stderr = stderr })
	m := firstAdminRe.FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatal("no administrator printed")
	}
	mt := ts.managementToken()
	users := ts.api(mt, "GET", "/api/users?search=admin", nil)
	id := regexp.MustCompile(`"id":"(\w+)"`).FindSubmatch(users.Body)[1]
	r := ts.api(mt, "DELETE", "/api/users/"+string(id), nil)
	if r.Status != 400 || !bytes.Contains(r.Body, []byte(`"code":"user.cannot_delete_last_admin"`)) {
		t.Fatalf("deleting the last administrator: %d %s", r.Status, r.Body)
	}
	mustConsoleSignIn(t, ts, m[1], m[2])
}
