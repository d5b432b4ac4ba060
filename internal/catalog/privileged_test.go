package catalog

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/store/sqlite"
	"github.com/monban/monban/internal/store/storetest"
)

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Standing follows the store after each Reload: apps through their M2M
// roles, users through their User roles and suspension, and a user's token
// through the app it was issued to.
func TestStanding(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "m.db"))
	must(t, err)
	defer st.Close()
	storetest.Unlock(t, st, storetest.NewKey(t))
	now := time.Now()
	const api = "https://monban.test/api"
	must(t, st.CreateResource(ctx, store.Resource{ID: "mgmt", Name: "Management API", Indicator: api, AccessTokenTTL: 3600, CreatedAt: now}))
	must(t, st.CreateScope(ctx, store.Scope{ID: "all", ResourceID: "mgmt", Name: "all", CreatedAt: now}))
	// Another resource with a scope of the same name grants nothing here.
	must(t, st.CreateResource(ctx, store.Resource{ID: "shop", Name: "Shop", Indicator: "https://shop.test", AccessTokenTTL: 3600, CreatedAt: now}))
	must(t, st.CreateScope(ctx, store.Scope{ID: "shop-all", ResourceID: "shop", Name: "all", CreatedAt: now}))
	for _, r := range []store.Role{
		{ID: "m2m-admin", Name: "m2m admin", Type: store.RoleMachineToMachine, CreatedAt: now},
		{ID: "admin", Name: "admin", Type: store.RoleUser, CreatedAt: now},
		{ID: "shopper", Name: "shopper", Type: store.RoleUser, CreatedAt: now},
	} {
		must(t, st.CreateRole(ctx, r))
	}
	must(t, st.AddRoleScopes(ctx, "m2m-admin", []string{"all"}))
	must(t, st.AddRoleScopes(ctx, "admin", []string{"all"}))
	must(t, st.AddRoleScopes(ctx, "shopper", []string{"shop-all"}))
	for _, a := range []store.Application{
		{ID: "robot", Name: "robot", Type: store.AppMachineToMachine, CreatedAt: now},
		{ID: "other-robot", Name: "other", Type: store.AppMachineToMachine, CreatedAt: now},
		{ID: "console", Name: "console", Type: store.AppSPA, CreatedAt: now},
	} {
		must(t, st.CreateApplication(ctx, a))
	}
	must(t, st.AddRoleApplications(ctx, "m2m-admin", []string{"robot"}))
	for _, id := range []string{"ann", "bob", "cid"} {
		must(t, st.CreateUser(ctx, store.User{ID: id, Username: id, CreatedAt: now, UpdatedAt: now}))
	}
	must(t, st.AddUserRoles(ctx, "ann", []string{"admin"}))
	must(t, st.AddUserRoles(ctx, "bob", []string{"shopper"}))
	must(t, st.AddUserRoles(ctx, "cid", []string{"admin"}))
	must(t, st.SetUserSuspended(ctx, "cid", true, now))

	c, err := New(ctx, st, slog.New(slog.NewTextHandler(io.Discard, nil)), 0, nil)
	must(t, err)
	defer c.Close()
	p := Privilege{Indicator: api, Scope: "all"}
	// Before Protect, no user holds it: fail closed.
	if got := c.Load().Standing(p, "ann", "console"); got != Lacks {
		t.Errorf("ann before Protect: %v", got)
	}
	must(t, c.Protect(ctx, p))

	check := func(when string, want map[[2]string]Standing) {
		t.Helper()
		snap := c.Load()
		for k, w := range want {
			if got := snap.Standing(p, k[0], k[1]); got != w {
				t.Errorf("%s: sub %q client %q: %v, want %v", when, k[0], k[1], got, w)
			}
		}
	}
	check("at first", map[[2]string]Standing{
		{"robot", "robot"}:             Holds,
		{"other-robot", "other-robot"}: Lacks,
		{"gone-robot", "gone-robot"}:   Gone,
		{"ann", "console"}:             Holds,
		{"ann", "gone-app"}:            Gone,
		{"ann", ""}:                    Gone,
		{"bob", "console"}:             Lacks, // "all" of another resource
		{"cid", "console"}:             Gone,  // suspended
		{"nobody", "console"}:          Lacks,
		{"", "robot"}:                  Gone,
	})
	// Zero value refuses.
	var zero Standing
	if zero == Holds {
		t.Error("the zero Standing is Holds")
	}

	must(t, st.RemoveRoleApplication(ctx, "m2m-admin", "robot"))
	must(t, st.RemoveUserRole(ctx, "ann", "admin"))
	must(t, st.SetUserSuspended(ctx, "cid", false, now))
	must(t, st.DeleteApplication(ctx, "console"))
	check("before the reload (a snapshot is immutable)", map[[2]string]Standing{
		{"robot", "robot"}: Holds, {"ann", "console"}: Holds,
	})
	must(t, c.Reload(ctx))
	check("after the changes", map[[2]string]Standing{
		{"robot", "robot"}: Lacks,
		{"ann", "console"}: Gone, // the app is gone
		{"cid", "console"}: Gone,
	})
	must(t, st.CreateApplication(ctx, store.Application{ID: "console", Name: "console", Type: store.AppSPA, CreatedAt: now}))
	must(t, st.DeleteApplication(ctx, "robot"))
	must(t, c.Reload(ctx))
	check("after the app is back", map[[2]string]Standing{
		{"robot", "robot"}: Gone,
		{"ann", "console"}: Lacks,
		{"cid", "console"}: Holds,
	})
	// A role deleted since: its holders lose it.
	must(t, st.DeleteRole(ctx, "admin"))
	must(t, c.Reload(ctx))
	check("after the role is deleted", map[[2]string]Standing{{"cid", "console"}: Lacks})
}
