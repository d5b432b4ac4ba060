package server_test

import (
	"encoding/json"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/server"
	"github.com/monban/monban/internal/store/postgres"
	"github.com/monban/monban/internal/store/storetest"
)

// roleID returns the id of the role named name, through the API.
func roleID(t *testing.T, ts *testServer, tok, typ, name string) string {
	t.Helper()
	r := ts.api(tok, "GET", "/api/roles?type="+typ+"&page_size=100", nil)
	if r.Status != 200 {
		t.Fatalf("list roles: %d %s", r.Status, r.Body)
	}
	for _, m := range decodeList(t, r) {
		if m["name"] == name {
			return m["id"].(string)
		}
	}
	t.Fatalf("no %s role %q", typ, name)
	return ""
}

func decodeList(t *testing.T, r response) []map[string]any {
	t.Helper()
	var list []map[string]any
	if err := json.Unmarshal(r.Body, &list); err != nil {
		t.Fatalf("%d %q: %v", r.Status, r.Body, err)
	}
	return list
}

// wantRefused checks a refusal: status, the RFC 6750 error and Logto's code.
func wantRefused(t *testing.T, r response, status int, rfcErr string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if www := r.Header.Get("WWW-Authenticate"); !strings.Contains(www, `error="`+rfcErr+`"`) {
		t.Errorf("WWW-Authenticate %q, want error %q", www, rfcErr)
	}
	code := map[int]string{401: "auth.unauthorized", 403: "auth.forbidden"}[status]
	if m := r.json(t); m["code"] != code || m["error"] != rfcErr {
		t.Errorf("body %s, want code %q and error %q", r.Body, code, rfcErr)
	}
}

// An M2M app's Management API token stops working as soon as its role is
// taken away (403) and works again when it is given back; once the app is
// deleted, its token is refused (401) and cannot create an app.
func TestManagementTokenOfAppFollowsItsRoleAndExistence(t *testing.T) {
	ts := startServer(t)
	admin := ts.managementToken()
	role := roleID(t, ts, admin, "MachineToMachine", server.ManagementRoleName)
	app := ts.mustAPI(admin, "POST", "/api/applications", map[string]any{"name": "Ops robot", "type": "MachineToMachine"}, 200)
	id, secret := app["id"].(string), app["secret"].(string)
	ts.mustAPI(admin, "POST", "/api/applications/"+id+"/roles", map[string]any{"roleIds": []string{role}}, 201)
	tr := ts.tokenForm(id, secret, url.Values{"grant_type": {"client_credentials"}, "resource": {ts.Mgmt}, "scope": {"all"}})
	if tr.Status != 200 {
		t.Fatalf("token: %d %s", tr.Status, tr.Body)
	}
	tok := tr.json(t)["access_token"].(string)
	ts.mustAPI(tok, "GET", "/api/applications", nil, 200)

	if r := ts.api(admin, "DELETE", "/api/applications/"+id+"/roles/"+role, nil); r.Status != 204 {
		t.Fatalf("remove role: %d %s", r.Status, r.Body)
	}
	wantRefused(t, ts.api(tok, "GET", "/api/applications", nil), 403, "insufficient_scope")
	if !strings.Contains(ts.Logs.String(), "management request refused: the caller no longer holds the permission") {
		t.Error("the refusal is not logged")
	}

	ts.mustAPI(admin, "POST", "/api/applications/"+id+"/roles", map[string]any{"roleIds": []string{role}}, 201)
	ts.mustAPI(tok, "GET", "/api/applications", nil, 200)

	if r := ts.api(admin, "DELETE", "/api/applications/"+id, nil); r.Status != 204 {
		t.Fatalf("delete app: %d %s", r.Status, r.Body)
	}
	wantRefused(t, ts.api(tok, "GET", "/api/applications", nil), 401, "invalid_token")
	before := len(decodeList(t, ts.api(admin, "GET", "/api/applications?page_size=100", nil)))
	wantRefused(t, ts.api(tok, "POST", "/api/applications", map[string]any{"name": "backdoor", "type": "MachineToMachine"}), 401, "invalid_token")
	if after := len(decodeList(t, ts.api(admin, "GET", "/api/applications?page_size=100", nil))); after != before {
		t.Errorf("%d apps after the deleted app's POST, %d before", after, before)
	}
	if !strings.Contains(ts.Logs.String(), "management request refused: the caller no longer exists") {
		t.Error("the refusal is not logged")
	}
	if strings.Contains(ts.Logs.String(), tok) {
		t.Error("the token is logged")
	}
}

// A user's Management API token (the console's) stops working when the
// user's Admin role is taken away (403), works again when it is given back,
// and is refused once the user is suspended or deleted (401).
func TestManagementTokenOfUserFollowsTheirRole(t *testing.T) {
	ts := startUserServer(t, nil)
	admin := ts.managementToken()
	role := roleID(t, ts, admin, "User", server.AdminRoleName)
	const pw = "ops-Passw0rd-long-enough"
	user := ts.mustAPI(admin, "POST", "/api/users", map[string]any{"username": "ops", "password": pw}, 200)["id"].(string)
	ts.mustAPI(admin, "POST", "/api/users/"+user+"/roles", map[string]any{"roleIds": []string{role}}, 201)
	tr := consoleSignIn(t, ts, "ops", pw)
	if tr.Status != 200 {
		t.Fatalf("sign-in: %d %s", tr.Status, tr.Body)
	}
	tok := tr.json(t)["access_token"].(string)
	ts.mustAPI(tok, "GET", "/api/users", nil, 200)

	if r := ts.api(admin, "DELETE", "/api/users/"+user+"/roles/"+role, nil); r.Status != 204 {
		t.Fatalf("remove role: %d %s", r.Status, r.Body)
	}
	wantRefused(t, ts.api(tok, "GET", "/api/users", nil), 403, "insufficient_scope")
	wantRefused(t, ts.api(tok, "POST", "/api/users/"+user+"/roles", map[string]any{"roleIds": []string{role}}), 403, "insufficient_scope")

	ts.mustAPI(admin, "POST", "/api/users/"+user+"/roles", map[string]any{"roleIds": []string{role}}, 201)
	ts.mustAPI(tok, "GET", "/api/users", nil, 200)

	ts.mustAPI(admin, "PATCH", "/api/users/"+user+"/is-suspended", map[string]any{"isSuspended": true}, 200)
	wantRefused(t, ts.api(tok, "GET", "/api/users", nil), 401, "invalid_token")
}

// Another instance on the same PostgreSQL database learns of the change
// through the change feed: the token is refused there too, well before
// the catalog's periodic refresh.
func TestManagementTokenRefusedOnEveryInstance(t *testing.T) {
	dbURL := postgres.NewTestDatabase(t)
	const endpoint = "http://monban.test"
	key := storetest.NewKey(t) // one key, shared by the instances
	start := func() *testServer {
		ts := &testServer{t: t, dbPath: filepath.Join(t.TempDir(), "unused.db"), port: newPort(t), Logs: &syncBuffer{}}
		ts.edit = func(c *server.Config) {
			c.DatabaseURL, c.Endpoint, c.ManagementIndicator = dbURL, endpoint, endpoint+"/api"
			c.SecretKey = key
			c.RefreshInterval = time.Hour // only the change feed can tell
		}
		ts.start()
		t.Cleanup(ts.stop)
		return ts
	}
	a, b := start(), start()
	tokenFrom := func(id, secret string) string {
		t.Helper()
		r := a.tokenForm(id, secret, url.Values{"grant_type": {"client_credentials"}, "resource": {endpoint + "/api"}, "scope": {"all"}})
		if r.Status != 200 {
			t.Fatalf("token: %d %s", r.Status, r.Body)
		}
		return r.json(t)["access_token"].(string)
	}
	admin := tokenFrom(bootID, bootSecret)
	role := roleID(t, a, admin, "MachineToMachine", server.ManagementRoleName)
	app := a.mustAPI(admin, "POST", "/api/applications", map[string]any{"name": "Ops robot", "type": "MachineToMachine"}, 200)
	id := app["id"].(string)
	a.mustAPI(admin, "POST", "/api/applications/"+id+"/roles", map[string]any{"roleIds": []string{role}}, 201)
	tok := tokenFrom(id, app["secret"].(string))
	// until polls b with tok until it answers want, failing on any status
	// not in from or after a generous deadline.
	until := func(want int, from ...int) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			r := b.api(tok, "GET", "/api/applications", nil)
			if r.Status == want {
				return
			}
			if !slices.Contains(from, r.Status) || time.Now().After(deadline) {
				t.Fatalf("the other instance answers %d, want %d: %s", r.Status, want, r.Body)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	until(200, 401, 403) // the app, then its role, reach the other instance
	if r := a.api(admin, "DELETE", "/api/applications/"+id+"/roles/"+role, nil); r.Status != 204 {
		t.Fatalf("remove role: %d %s", r.Status, r.Body)
	}
	until(403, 200)
	if r := a.api(admin, "DELETE", "/api/applications/"+id, nil); r.Status != 204 {
		t.Fatalf("delete app: %d %s", r.Status, r.Body)
	}
	until(401, 403)
}
