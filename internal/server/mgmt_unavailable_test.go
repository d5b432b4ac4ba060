package server_test

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/monban/monban/internal/server"
	"github.com/monban/monban/internal/store/postgres"
	"github.com/monban/monban/internal/store/storetest"
)

// When its database is gone, the Management API answers 503 with
// Retry-After and Logto's error shape, so that clients retry; a client's
// own mistakes keep their 4xx.
func TestManagementAPIDatabaseUnavailable(t *testing.T) {
	dbURL := postgres.NewTestDatabase(t)
	ts := &testServer{t: t, dbPath: filepath.Join(t.TempDir(), "unused.db"), port: newPort(t), Logs: &syncBuffer{}}
	ts.edit = func(c *server.Config) { c.DatabaseURL, c.SecretKey = dbURL, storetest.NewKey(t) }
	ts.start()
	t.Cleanup(ts.stop)
	tok := ts.managementToken()
	ts.mustAPI(tok, "GET", "/api/applications", nil, 200)

	// Drop the database under the running server: its connections are
	// terminated and new ones refused.
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open("pgx", os.Getenv(postgres.TestURLEnv))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(context.Background(), "DROP DATABASE "+strings.TrimPrefix(u.Path, "/")+" WITH (FORCE)"); err != nil {
		t.Fatal(err)
	}

	for _, rq := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/applications", nil},
		{"GET", "/api/applications/some-id", nil},
		{"POST", "/api/applications", map[string]any{"name": "x", "type": "MachineToMachine"}},
		{"GET", "/api/users", nil},
		{"GET", "/api/configs/oidc/private-keys", nil},
	} {
		r := ts.api(tok, rq.method, rq.path, rq.body)
		if r.Status != 503 || r.Header.Get("Retry-After") != "5" {
			t.Errorf("%s %s: %d, Retry-After %q: %s", rq.method, rq.path, r.Status, r.Header.Get("Retry-After"), r.Body)
			continue
		}
		if m := r.json(t); m["code"] != "database.unavailable" || m["message"] == "" || len(m) != 2 {
			t.Errorf("%s %s: body %s, want Logto's {code, message}", rq.method, rq.path, r.Body)
		}
	}
	// Client mistakes are still theirs.
	if r := ts.api(tok, "POST", "/api/applications", map[string]any{"name": "x", "type": "Robot"}); r.Status != 400 {
		t.Errorf("invalid body: %d %s", r.Status, r.Body)
	}
	if r := ts.do("GET", "/api/applications", nil, nil); r.Status != 401 {
		t.Errorf("no token: %d %s", r.Status, r.Body)
	}
	if !strings.Contains(ts.Logs.String(), "database unavailable") {
		t.Error("the outage is not logged")
	}
}
