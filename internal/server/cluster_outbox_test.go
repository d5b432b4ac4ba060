package server_test

import (
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/monban/monban/internal/server"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/store/postgres"
	"github.com/monban/monban/internal/store/storetest"
)

// A catalog change reaches another instance through the outbox alone: a
// writer that sends no change notice (as if the notice were lost) makes a
// resource, and the instance, whose periodic refresh is an hour away,
// issues tokens for it once it has read the outbox.
func TestCatalogChangeReachesAnotherInstanceThroughTheOutbox(t *testing.T) {
	dbURL := postgres.NewTestDatabase(t)
	const endpoint = "http://monban.test"
	key := storetest.NewKey(t)
	b := &testServer{t: t, dbPath: filepath.Join(t.TempDir(), "unused.db"), port: newPort(t), Logs: &syncBuffer{}}
	b.edit = func(c *server.Config) {
		c.DatabaseURL, c.Endpoint, c.ManagementIndicator = dbURL, endpoint, endpoint+"/api"
		c.SecretKey = key
		c.RefreshInterval = time.Hour // only the outbox can tell
	}
	b.start()
	t.Cleanup(b.stop)

	// The bootstrap app gets tokens for the resource once B knows it.
	const indicator = "https://direct.api"
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {indicator}}
	if r := b.tokenForm(bootID, bootSecret, form); r.Status != 400 {
		t.Fatalf("a token for an unknown resource: %d %s", r.Status, r.Body)
	}

	other, err := postgres.Open(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	storetest.Unlock(t, other, key)
	if err := other.CreateResource(t.Context(), store.Resource{ID: "direct", Name: "Direct", Indicator: indicator,
		AccessTokenTTL: 600, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := b.tokenForm(bootID, bootSecret, form)
		if r.Status == 200 {
			break
		}
		if r.Status != 400 || time.Now().After(deadline) {
			t.Fatalf("the instance never learnt of the resource: %d %s", r.Status, r.Body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
