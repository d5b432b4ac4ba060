package catalog

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/events"
	"github.com/monban/monban/internal/store"
)

// randomWrite makes one random change through st, of the kinds the
// catalog applies in place. Many are refused (a missing row, a name in
// use): those leave no event, and are part of the test too.
func randomWrite(ctx context.Context, st store.Store, rng *rand.Rand, now time.Time) string {
	pick := func(prefix string) string { return fmt.Sprintf("%s%d", prefix, rng.IntN(6)) }
	at := now.Add(time.Duration(rng.IntN(1000)) * time.Millisecond)
	app := func(id string) store.Application {
		a := store.Application{ID: id, Name: "app " + id, Type: store.AppMachineToMachine, CreatedAt: at}
		if rng.IntN(2) == 0 {
			a.Type = store.AppSPA
			a.RedirectURIs = []string{fmt.Sprintf("https://%s-%d.example/cb", id, rng.IntN(3))}
			a.CORSAllowedOrigins = []string{fmt.Sprintf("https://cors-%d.example", rng.IntN(3))}
		}
		return a
	}
	res := func(id string) store.Resource {
		return store.Resource{ID: id, Name: "res " + id, Indicator: "https://api.test/" + id,
			AccessTokenTTL: 60 * (1 + rng.IntN(100)), IsDefault: rng.IntN(4) == 0, CreatedAt: at}
	}
	names := []string{"all", "read", "write"}
	var op string
	var err error
	switch rng.IntN(20) {
	case 0:
		op, err = "create app", st.CreateApplication(ctx, app(pick("a")))
	case 1:
		a := app(pick("a"))
		a.Name += " renamed"
		op, err = "update app", st.UpdateApplication(ctx, a)
	case 2:
		op, err = "delete app", st.DeleteApplication(ctx, pick("a"))
	case 3:
		op, err = "create secret", st.CreateAppSecret(ctx, store.AppSecret{AppID: pick("a"), Name: pick("k"), Hash: []byte{byte(rng.IntN(256))}, CreatedAt: at})
	case 4:
		op, err = "update secret", st.UpdateAppSecret(ctx, pick("a"), pick("k"), store.AppSecret{Name: pick("k"), ExpiresAt: at.Add(time.Hour)})
	case 5:
		op, err = "delete secret", st.DeleteAppSecret(ctx, pick("a"), pick("k"))
	case 6:
		op, err = "create resource", st.CreateResource(ctx, res(pick("r")))
	case 7:
		op, err = "update resource", st.UpdateResource(ctx, res(pick("r")))
	case 8:
		op, err = "set default resource", st.SetDefaultResource(ctx, pick("r"), rng.IntN(3) > 0)
	case 9:
		op, err = "delete resource", st.DeleteResource(ctx, pick("r"))
	case 10:
		op, err = "create scope", st.CreateScope(ctx, store.Scope{ID: pick("s"), ResourceID: pick("r"), Name: names[rng.IntN(3)], CreatedAt: at})
	case 11:
		op, err = "update scope", st.UpdateScope(ctx, store.Scope{ID: pick("s"), Name: names[rng.IntN(3)], Description: "changed"})
	case 12:
		op, err = "delete scope", st.DeleteScope(ctx, pick("s"))
	case 13:
		types := []store.RoleType{store.RoleUser, store.RoleMachineToMachine}
		op, err = "create role", st.CreateRole(ctx, store.Role{ID: pick("o"), Name: pick("name"), Type: types[rng.IntN(2)], CreatedAt: at})
	case 14:
		if rng.IntN(2) == 0 {
			op, err = "update role", st.UpdateRole(ctx, store.Role{ID: pick("o"), Name: pick("name"), Description: "changed"})
		} else {
			op, err = "delete role", st.DeleteRole(ctx, pick("o"))
		}
	case 15:
		op, err = "add role scopes", st.AddRoleScopes(ctx, pick("o"), []string{pick("s"), pick("s")})
	case 16:
		op, err = "remove role scope", st.RemoveRoleScope(ctx, pick("o"), pick("s"))
	case 17:
		op, err = "add role apps", st.AddRoleApplications(ctx, pick("o"), []string{pick("a")})
	case 18:
		op, err = "remove role app", st.RemoveRoleApplication(ctx, pick("o"), pick("a"))
	default:
		switch rng.IntN(3) {
		case 0:
			op, err = "add user roles", st.AddUserRoles(ctx, pick("u"), []string{pick("o")})
		case 1:
			op, err = "remove user role", st.RemoveUserRole(ctx, pick("u"), pick("o"))
		default:
			op, err = "suspend user", st.SetUserSuspended(ctx, pick("u"), rng.IntN(2) == 0, at)
		}
	}
	return fmt.Sprintf("%s (%v)", op, err)
}

// TestDeltasEqualFullRebuild applies random sequences of writes through
// the outbox and checks, after each batch, that the snapshot built from
// the events in place equals a full rebuild from the store, and that no
// full reload was needed.
func TestDeltasEqualFullRebuild(t *testing.T) {
	for seed := range uint64(3) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			ctx := t.Context()
			st := openStore(t)
			now := time.Now().Truncate(time.Millisecond)
			for i := range 6 {
				id := fmt.Sprint("u", i)
				must(t, st.CreateUser(ctx, store.User{ID: id, Username: id, CreatedAt: now, UpdatedAt: now}))
			}
			f, err := events.New(ctx, st, slog.Default(), 0)
			must(t, err)
			c, err := New(ctx, st, slog.Default(), 0, nil)
			must(t, err)
			defer c.Close()
			must(t, c.Protect(ctx, Privilege{Indicator: "https://api.test/r0", Scope: "all"}, Privilege{Indicator: "https://api.test/r1", Scope: "read"}))
			f.Subscribe("catalog", c.Apply)
			reloads := c.reloads

			rng := rand.New(rand.NewPCG(seed, 42))
			var log []string
			for step := range 150 {
				for range 1 + rng.IntN(3) {
					log = append(log, randomWrite(ctx, st, rng, now.Add(time.Duration(step)*time.Second)))
				}
				must(t, f.Sync(ctx))
				if diff := compareWithRebuild(t, c); diff != "" {
					t.Fatalf("after step %d, the snapshot differs from a full rebuild: %s\nwrites:\n%v", step, diff, log[max(0, len(log)-6):])
				}
			}
			if c.reloads != reloads {
				t.Errorf("%d full reloads, want none", c.reloads-reloads)
			}
			applied := 0
			for _, l := range log {
				if strings.HasSuffix(l, "(<nil>)") {
					applied++
				}
			}
			t.Logf("%d writes, %d of them made; %d batches applied in place", len(log), applied, c.deltas)
			if c.deltas == 0 || applied < len(log)/6 {
				t.Error("too few changes were made or applied in place")
			}
		})
	}
}

// compareWithRebuild builds a snapshot from the store as Reload would and
// says how the cache's current one differs, or "".
func compareWithRebuild(t *testing.T, c *Cache) string {
	t.Helper()
	ctx := t.Context()
	cat, err := c.store.LoadCatalog(ctx)
	must(t, err)
	got := c.Load()
	want, err := Build(cat, got.LoadedAt, c.publishDelay)
	must(t, err)
	want.holders, err = loadHolders(ctx, c.store, want, c.privileges)
	must(t, err)
	if !reflect.DeepEqual(c.cat, cat) {
		return fmt.Sprintf("catalog:\n got %+v\nwant %+v", c.cat, cat)
	}
	for name, pair := range map[string][2]any{
		"apps":        {got.Apps, want.Apps},
		"indicators":  {got.ByIndicator, want.ByIndicator},
		"default":     {got.Default, want.Default},
		"authz":       {got.Authz, want.Authz},
		"users":       {got.Users, want.Users},
		"holders":     {got.holders, want.holders},
		"customizers": {got.Customizers, want.Customizers},
	} {
		if !reflect.DeepEqual(pair[0], pair[1]) {
			return fmt.Sprintf("%s:\n got %+v\nwant %+v", name, pair[0], pair[1])
		}
	}
	return ""
}

// An event the catalog cannot apply in place, or one whose rows cannot be
// read, falls back to a full reload.
func TestApplyFallsBackToReload(t *testing.T) {
	ctx := t.Context()
	st := openStore(t)
	c, err := New(ctx, st, slog.Default(), 0, nil)
	must(t, err)
	defer c.Close()
	before := c.reloads
	must(t, c.Apply(ctx, []store.Event{{Kind: store.EventJWTCustomizerPut, Entity: "access"}}))
	must(t, c.Apply(ctx, []store.Event{{Kind: "something.new", Entity: "x"}}))
	if c.reloads != before+2 {
		t.Errorf("%d reloads, want 2", c.reloads-before)
	}
	// Events of no concern to the catalog change nothing.
	snap := c.Load()
	must(t, c.Apply(ctx, []store.Event{{Kind: store.EventAccessTokenRevoked, Entity: "j"}, {Kind: store.EventUserCreated, Entity: "u"}}))
	if c.Load() != snap || c.reloads != before+2 {
		t.Error("an event of no concern to the catalog changed the snapshot")
	}
	// A store that fails mid-way: the reload's error is returned, and the
	// previous snapshot kept.
	must(t, st.CreateApplication(ctx, store.Application{ID: "a", Name: "a", Type: store.AppMachineToMachine, CreatedAt: time.Now()}))
	must(t, st.Close())
	if err := c.Apply(ctx, []store.Event{{Kind: store.EventApplicationCreated, Entity: "a"}}); err == nil {
		t.Error("Apply on a closed store succeeded")
	}
	if c.Load() != snap {
		t.Error("a failed Apply replaced the snapshot")
	}
	if c.Load().Apps["a"] != nil {
		t.Error("a failed Apply shows the change")
	}
}

// BenchmarkWriteThenCatch measures what a Management API write costs the
// catalog, with 3,000 resources: a write (an application renamed) and then
// the catalog brought up to date, by a full reload (as before the outbox)
// or by applying the write's event in place.
//
//	go test -run '^$' -bench WriteThenCatch -benchtime 200x ./internal/catalog/
func BenchmarkWriteThenCatch(b *testing.B) {
	ctx := b.Context()
	st := openStore(b)
	now := time.Now()
	must(b, st.CreateApplication(ctx, store.Application{ID: "app", Name: "app", Type: store.AppMachineToMachine, CreatedAt: now}))
	must(b, st.CreateRole(ctx, store.Role{ID: "role", Name: "role", Type: store.RoleMachineToMachine, CreatedAt: now}))
	for i := range 3000 {
		id := fmt.Sprint("r", i)
		must(b, st.CreateResource(ctx, store.Resource{ID: id, Name: id, Indicator: "https://api.test/" + id, AccessTokenTTL: 3600, CreatedAt: now}))
		must(b, st.CreateScope(ctx, store.Scope{ID: "s" + id, ResourceID: id, Name: "read", CreatedAt: now}))
	}
	must(b, st.AddRoleScopes(ctx, "role", []string{"sr1", "sr2"}))
	must(b, st.AddRoleApplications(ctx, "role", []string{"app"}))
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, mode := range []string{"reload", "delta"} {
		b.Run(mode, func(b *testing.B) {
			c, err := New(ctx, st, logger, 0, nil)
			must(b, err)
			defer c.Close()
			f, err := events.New(ctx, st, logger, 0)
			must(b, err)
			if mode == "delta" {
				f.Subscribe("catalog", c.Apply)
			}
			i := 0
			for b.Loop() {
				i++
				must(b, st.UpdateApplication(ctx, store.Application{ID: "app", Name: fmt.Sprint("app ", i)}))
				if mode == "reload" {
					must(b, c.Reload(ctx))
				} else {
					must(b, f.Sync(ctx))
				}
			}
			if got := c.Load().Apps["app"].Name; got != fmt.Sprint("app ", i) {
				b.Fatalf("the catalog has %q", got)
			}
		})
	}
}
