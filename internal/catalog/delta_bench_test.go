package catalog

import (
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/monban/monban/internal/events"
	"github.com/monban/monban/internal/store"
)

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
