package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/monban/monban/internal/server"
	"github.com/monban/monban/internal/store/postgres"
	"github.com/monban/monban/internal/store/storetest"
	"github.com/monban/monban/internal/testwait"
)

// TestWebhooksTwoInstancesOnPostgres: two instances on one PostgreSQL
// database both run deliveries; every event is sent once, whichever
// instance made the change and whichever sends it.
func TestWebhooksTwoInstancesOnPostgres(t *testing.T) {
	dbURL := postgres.NewTestDatabase(t)
	const endpoint = "http://monban.test"
	key := storetest.NewKey(t)
	start := func() *testServer {
		ts := &testServer{t: t, dbPath: filepath.Join(t.TempDir(), "unused.db"), port: newPort(t), Logs: &syncBuffer{}}
		ts.edit = func(c *server.Config) {
			c.DatabaseURL, c.Endpoint, c.ManagementIndicator = dbURL, endpoint, endpoint+"/api"
			c.SecretKey = key
			allowLoopbackHooks(c)
			c.Webhooks.Poll = 5 * time.Millisecond
			c.Webhooks.Batch = 2 // many small claims, so the instances contend
		}
		ts.start()
		t.Cleanup(ts.stop)
		return ts
	}
	a, b := start(), start()
	a.Mgmt, b.Mgmt = endpoint+"/api", endpoint+"/api"

	var mu sync.Mutex
	seen := map[string]int{}
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p struct {
			Data struct {
				Username string `json:"username"`
			} `json:"data"`
		}
		body, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(body, &p)
		time.Sleep(2 * time.Millisecond)
		mu.Lock()
		seen[p.Data.Username]++
		mu.Unlock()
	}))
	defer rcv.Close()

	mtA, mtB := a.managementToken(), b.managementToken()
	a.mustAPI(mtA, "POST", "/api/hooks", map[string]any{"events": []string{"User.Created"}, "config": map[string]any{"url": rcv.URL}}, 201)
	const n = 30
	for i := range n {
		ts, mt := a, mtA
		if i%2 == 1 {
			ts, mt = b, mtB
		}
		ts.mustAPI(mt, "POST", "/api/users", map[string]any{"username": fmt.Sprintf("u%d", i)}, 200)
	}
	testwait.Until(t, "every user delivered", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) == n
	})
	// Both instances keep polling; a second send of any delivery would show.
	time.Sleep(300 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	for name, c := range seen {
		if c != 1 {
			t.Errorf("%s delivered %d times", name, c)
		}
	}
}
