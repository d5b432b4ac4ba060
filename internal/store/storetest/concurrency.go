package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/monban/monban/internal/store"
)

// storeCases are the conformance tests of the store as a whole: what holds
// for every aggregate.
var storeCases = []testCase{
	{"TimePrecision", testTimePrecision},
	{"ConcurrentWriters", testConcurrentWriters},
}

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
				if _, _, err := s.ListApplications(ctx, store.ApplicationFilter{}, store.Page{Limit: 10}); err != nil {
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

func testTimePrecision(t *testing.T, s store.Store) {
	ctx := t.Context()
	// Nanoseconds, a monotonic reading and a non-UTC location: what comes
	// back is the same instant cut to the millisecond.
	loc := time.FixedZone("UTC+5:30", 5*3600+1800)
	created := time.Now().In(loc).Add(123456 * time.Nanosecond)
	expires := time.Date(2031, 2, 3, 4, 5, 6, 789999999, loc)
	wantCreated, wantExpires := created.Truncate(time.Millisecond), expires.Truncate(time.Millisecond)

	a := app("a1", 0)
	a.CreatedAt = created
	must(t, s.CreateApplication(ctx, a))
	got, err := s.GetApplication(ctx, "a1")
	ok(t, err, "GetApplication")
	if !got.CreatedAt.Equal(wantCreated) {
		t.Errorf("application CreatedAt = %v, want %v", got.CreatedAt, wantCreated)
	}

	must(t, s.CreateAppSecret(ctx, store.AppSecret{AppID: "a1", Name: "s", Hash: []byte("h"), CreatedAt: created, ExpiresAt: expires}))
	secs, err := s.ListAppSecrets(ctx, "a1")
	ok(t, err, "ListAppSecrets")
	if len(secs) != 1 || !secs[0].CreatedAt.Equal(wantCreated) || !secs[0].ExpiresAt.Equal(wantExpires) {
		t.Errorf("secret times = %+v, want created %v, expires %v", secs, wantCreated, wantExpires)
	}
	if len(secs) == 1 && (secs[0].Expired(wantExpires.Add(-time.Millisecond)) || !secs[0].Expired(wantExpires)) {
		t.Errorf("secret expiry boundary moved: %v", secs[0].ExpiresAt)
	}

	must(t, s.CreateSigningKey(ctx, store.SigningKey{ID: "k1", Algorithm: "ES256", Status: store.KeyCurrent,
		PrivateKey: []byte("k"), CreatedAt: created}))
	retired := expires.Add(time.Microsecond)
	must(t, s.RotateSigningKeys(ctx, store.SigningKey{ID: "k2", Algorithm: "ES256", Status: store.KeyCurrent,
		PrivateKey: []byte("k"), CreatedAt: retired}, retired, time.Time{}))
	keys, err := s.ListSigningKeys(ctx)
	ok(t, err, "ListSigningKeys")
	if len(keys) != 2 || !keys[0].RetiredAt.Equal(retired.Truncate(time.Millisecond)) || !keys[1].RetiredAt.IsZero() {
		t.Errorf("key times = %+v, want k1 retired at %v, k2 not retired", keys, retired.Truncate(time.Millisecond))
	}

	// Times far from now survive too.
	for i, ts := range []time.Time{
		time.Date(1971, 1, 1, 0, 0, 0, 1e6, time.UTC),
		time.Date(2999, 12, 31, 23, 59, 59, 999e6, time.UTC),
	} {
		id := fmt.Sprintf("far%d", i)
		r := store.Role{ID: id, Name: id, Type: store.RoleUser, CreatedAt: ts}
		must(t, s.CreateRole(ctx, r))
		got, err := s.GetRole(ctx, id)
		ok(t, err, "GetRole")
		if !got.CreatedAt.Equal(ts) {
			t.Errorf("role CreatedAt = %v, want %v", got.CreatedAt, ts)
		}
	}
}
