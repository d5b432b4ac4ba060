package catalog

import (
	"crypto/sha256"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/monban/monban/internal/store"
)

// BenchmarkCatalogMemory reports what the catalog keeps in memory for each
// application, API resource and role: the rows it was built from (which
// Apply changes a copy of) and the snapshot built from them, measured as
// the live heap (runtime.MemStats after a collection) of a catalog with n
// of one kind more than a base catalog, over n. Shapes as the loader and
// the seeding script make them: an M2M app with one secret and one role, a
// web app with two redirect URIs, a resource with three scopes, a role
// with three scopes.
//
//	go test -run X -bench CatalogMemory -benchtime 1x ./internal/catalog
func BenchmarkCatalogMemory(b *testing.B) {
	const n = 10000
	for _, kind := range []string{"m2m-app", "web-app", "resource", "role"} {
		b.Run(kind, func(b *testing.B) {
			var per float64
			for b.Loop() {
				base := liveHeap(b, func() *store.Catalog { return memoryCatalog(kind, 0) })
				full := liveHeap(b, func() *store.Catalog { return memoryCatalog(kind, n) })
				per = float64(full-base) / n
			}
			b.ReportMetric(per, "B/"+kind)
		})
	}
}

// liveHeap builds a catalog and its snapshot and returns the live heap
// while both are held.
func liveHeap(b *testing.B, make func() *store.Catalog) uint64 {
	b.Helper()
	runtime.GC()
	cat := make()
	snap, err := Build(cat, origin, 0)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	runtime.KeepAlive(cat)
	runtime.KeepAlive(snap)
	return m.HeapAlloc
}

// memoryCatalog is a catalog with one resource, one scope and one role of
// each type, and n more of kind.
func memoryCatalog(kind string, n int) *store.Catalog {
	created := origin.Add(-time.Hour)
	id := func(prefix string, i int) string { return fmt.Sprintf("%s%016d", prefix, i) } // ids are 21 characters
	cat := &store.Catalog{
		Resources: []store.Resource{{ID: id("r", 0), Name: "Shop", Indicator: "https://shop.example/api", AccessTokenTTL: 3600, CreatedAt: created}},
		Scopes:    []store.Scope{{ID: id("s", 0), ResourceID: id("r", 0), Name: "read:products", Description: "Read products", CreatedAt: created}},
		Roles: []store.Role{
			{ID: id("m", 0), Name: "Shop reader", Type: store.RoleMachineToMachine, CreatedAt: created},
			{ID: id("u", 0), Name: "Shopper", Type: store.RoleUser, CreatedAt: created},
		},
		RoleScopes: []store.RoleScope{{RoleID: id("m", 0), ScopeID: id("s", 0)}, {RoleID: id("u", 0), ScopeID: id("s", 0)}},
	}
	for i := 1; i <= n; i++ {
		switch kind {
		case "m2m-app":
			app := store.Application{ID: id("a", i), Name: fmt.Sprintf("Service %d", i), Type: store.AppMachineToMachine, CreatedAt: created}
			sum := sha256.Sum256([]byte(app.ID))
			cat.Applications = append(cat.Applications, app)
			cat.Secrets = append(cat.Secrets, store.AppSecret{AppID: app.ID, Name: "default", Hash: sum[:], CreatedAt: created})
			cat.RoleApplications = append(cat.RoleApplications, store.RoleApplication{RoleID: id("m", 0), AppID: app.ID})
		case "web-app":
			cat.Applications = append(cat.Applications, store.Application{ID: id("w", i), Name: fmt.Sprintf("Web app %d", i), Type: store.AppTraditional, CreatedAt: created,
				RedirectURIs: []string{fmt.Sprintf("https://app%d.example/callback", i), fmt.Sprintf("https://app%d.example/silent", i)}})
		case "resource":
			r := store.Resource{ID: id("r", i), Name: fmt.Sprintf("API %d", i), Indicator: fmt.Sprintf("https://api%d.example", i), AccessTokenTTL: 3600, CreatedAt: created}
			cat.Resources = append(cat.Resources, r)
			for j, name := range []string{"read", "write", "admin"} {
				cat.Scopes = append(cat.Scopes, store.Scope{ID: id(fmt.Sprintf("s%d", j), i), ResourceID: r.ID, Name: name, Description: "Can " + name, CreatedAt: created})
			}
		case "role":
			r := store.Role{ID: id("o", i), Name: fmt.Sprintf("Role %d", i), Description: "A role", Type: store.RoleUser, CreatedAt: created}
			cat.Roles = append(cat.Roles, r)
			for j := range 3 {
				cat.Scopes = append(cat.Scopes, store.Scope{ID: id(fmt.Sprintf("t%d", j), i), ResourceID: id("r", 0), Name: fmt.Sprintf("scope:%d:%d", i, j), CreatedAt: created})
				cat.RoleScopes = append(cat.RoleScopes, store.RoleScope{RoleID: r.ID, ScopeID: id(fmt.Sprintf("t%d", j), i)})
			}
		}
	}
	return cat
}
