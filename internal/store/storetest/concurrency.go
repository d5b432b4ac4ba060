package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/monban/monban/internal/store"
)

// testConcurrentWriters has several goroutines write, including
// read-then-write transactions, while others read. Every call must succeed:
// the backend waits for locks rather than reporting them busy.
func testConcurrentWriters(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.CreateRole(ctx, role("shared", 0)))
	must(t, s.CreateResource(ctx, resource("r1", 0)))
	must(t, s.CreateResource(ctx, resource("r2", 1)))

	const (
		writers = 6
		readers = 2
		rounds  = 15
	)
	var (
		writing  sync.WaitGroup
		reading  sync.WaitGroup
		mu       sync.Mutex
		failures []string
		done     = make(chan struct{})
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if len(failures) < 20 {
			failures = append(failures, fmt.Sprintf(format, args...))
		}
	}
	for w := range writers {
		writing.Go(func() {
			for i := range rounds {
				id := fmt.Sprintf("w%d-%02d", w, i)
				a := app(id, w*rounds+i)
				if err := s.CreateApplication(ctx, a); err != nil {
					fail("CreateApplication %s: %v", id, err)
					continue
				}
				if err := s.CreateAppSecret(ctx, store.AppSecret{AppID: id, Name: "s", Hash: []byte(id), CreatedAt: a.CreatedAt}); err != nil {
					fail("CreateAppSecret %s: %v", id, err)
				}
				if err := s.AddRoleApplications(ctx, "shared", []string{id}); err != nil {
					fail("AddRoleApplications %s: %v", id, err)
				}
				a.Name = "renamed " + id
				if err := s.UpdateApplication(ctx, a); err != nil {
					fail("UpdateApplication %s: %v", id, err)
				}
				if err := s.SetDefaultResource(ctx, []string{"r1", "r2"}[(w+i)%2], true); err != nil {
					fail("SetDefaultResource: %v", err)
				}
				if _, err := s.EnsureSetting(ctx, fmt.Sprintf("setting-%d", i), id); err != nil {
					fail("EnsureSetting: %v", err)
				}
			}
		})
	}
	for range readers {
		reading.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				if _, err := s.LoadCatalog(ctx); err != nil {
					fail("LoadCatalog: %v", err)
					return
				}
				if _, _, err := s.ListApplications(ctx, store.Page{Limit: 10}); err != nil {
					fail("ListApplications: %v", err)
					return
				}
			}
		})
	}
	writing.Wait()
	close(done)
	reading.Wait()

	for _, f := range failures {
		t.Error(f)
	}
	if len(failures) > 0 {
		return
	}

	_, total, err := s.ListRoleApplications(ctx, "shared", store.Page{})
	ok(t, err, "ListRoleApplications")
	if total != writers*rounds {
		t.Errorf("shared role has %d applications, want %d", total, writers*rounds)
	}
	cat, err := s.LoadCatalog(ctx)
	ok(t, err, "LoadCatalog")
	if len(cat.Applications) != writers*rounds || len(cat.Secrets) != writers*rounds {
		t.Errorf("catalog has %d applications and %d secrets, want %d of each",
			len(cat.Applications), len(cat.Secrets), writers*rounds)
	}
	defaults := 0
	for _, r := range cat.Resources {
		if r.IsDefault {
			defaults++
		}
	}
	if defaults != 1 {
		t.Errorf("%d default resources, want 1", defaults)
	}
}
