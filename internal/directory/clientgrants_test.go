package directory

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/monban/monban/internal/password"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/store/sqlite"
	"github.com/monban/monban/internal/store/storetest"
)

const testV2Indicator = "https://monban.test/api/v2/"

// newV2Dir is newDir with the Management API v2 seeded too.
func newV2Dir(t *testing.T) (*Directory, store.Store) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "directory.db"))
	if err != nil {
		t.Fatal(err)
	}
	storetest.Unlock(t, st, storetest.NewKey(t))
	t.Cleanup(func() { st.Close() })
	d := New(Config{Store: st, ManagementIndicator: testIndicator, ManagementV2Indicator: testV2Indicator,
		Passwords: password.NewHasher(fast, 1), HashSecret: func(s string) []byte { return []byte("hash:" + s) }})
	ok(t, d.SeedManagementAPI(context.Background()))
	ok(t, d.SeedManagementV2(context.Background()))
	return d, st
}

// roleScopeNames is the names of the permissions role holds.
func roleScopeNames(t *testing.T, st store.Store, roleID string) []string {
	cat, err := st.LoadCatalog(context.Background())
	ok(t, err)
	var out []string
	for _, rs := range cat.RoleScopes {
		for _, sc := range cat.Scopes {
			if rs.RoleID == roleID && rs.ScopeID == sc.ID {
				out = append(out, sc.Name)
			}
		}
	}
	slices.Sort(out)
	return out
}

// The v2 resource is seeded with Auth0's scope names, given to the roles
// holding "all", read-only, and seeded again without undoing the admin's
// changes.
func TestSeedManagementV2(t *testing.T) {
	ctx := context.Background()
	d, st := newV2Dir(t)
	cat, err := st.LoadCatalog(ctx)
	ok(t, err)
	var v2 store.Resource
	for _, r := range cat.Resources {
		if r.Indicator == testV2Indicator {
			v2 = r
		}
	}
	if v2.ID == "" || !d.BuiltIn(v2) || v2.AccessTokenTTL != ManagementV2AccessTokenTTL {
		t.Fatalf("v2 resource %+v", v2)
	}
	roles, _, err := d.Roles(ctx, store.RoleFilter{}, store.Page{})
	ok(t, err)
	if len(roles) != 2 {
		t.Fatalf("roles %v", roles)
	}
	for _, r := range roles {
		if got := roleScopeNames(t, st, r.ID); len(got) != len(ManagementV2Scopes)+1 || !slices.Contains(got, "read:users") {
			t.Fatalf("role %s holds %v", r.Name, got)
		}
	}
	// Read-only to the resource's rules, like the Management API.
	_, _, err = d.UpdateResource(ctx, v2.ID, ResourceChange{Name: ptr("mine")})
	refused(t, err, Forbidden, ReasonBuiltIn)
	refused(t, d.DeleteResource(ctx, v2.ID), Forbidden, ReasonBuiltInDelete)
	_, err = d.CreateResource(ctx, NewResource{Name: ptr("x"), Indicator: ptr("HTTPS://monban.test/api/v2")})
	refused(t, err, Conflict, ReasonIndicatorLookalike)

	// A permission taken from a role stays taken; a missing one comes back
	// and is given to the roles holding "all".
	var readUsers string
	for _, sc := range cat.Scopes {
		if sc.ResourceID == v2.ID && sc.Name == "read:users" {
			readUsers = sc.ID
		}
	}
	ok(t, st.RemoveRoleScope(ctx, roles[0].ID, readUsers))
	ok(t, d.SeedManagementV2(ctx))
	if got := roleScopeNames(t, st, roles[0].ID); slices.Contains(got, "read:users") {
		t.Fatalf("a removed permission came back: %v", got)
	}
	ok(t, st.DeleteScope(ctx, readUsers))
	ok(t, d.SeedManagementV2(ctx))
	for _, r := range roles {
		if got := roleScopeNames(t, st, r.ID); !slices.Contains(got, "read:users") {
			t.Fatalf("a re-created permission was not given to %s: %v", r.Name, got)
		}
	}
	// An existing database (seeded before the v2 API existed) gets it too.
	d2 := New(Config{Store: st, ManagementIndicator: testIndicator, ManagementV2Indicator: "https://other.test/api/v2/"})
	ok(t, d2.SeedManagementV2(ctx))
	cat, _ = st.LoadCatalog(ctx)
	if n := len(cat.Resources); n != 3 {
		t.Fatalf("%d resources", n)
	}
}

func TestClientGrants(t *testing.T) {
	ctx := context.Background()
	d, st := newV2Dir(t)
	app, _, err := d.CreateApplication(ctx, NewApplication{Name: ptr("worker"), Type: ptr("MachineToMachine")})
	ok(t, err)
	spa, _, err := d.CreateApplication(ctx, NewApplication{Name: ptr("web"), Type: ptr("SPA")})
	ok(t, err)
	res, err := d.CreateResource(ctx, NewResource{Name: ptr("Orders"), Indicator: ptr("https://orders.test")})
	ok(t, err)
	for _, n := range []string{"read:orders", "write:orders"} {
		_, err := d.CreateScope(ctx, res.ID, NewScope{Name: ptr(n)})
		ok(t, err)
	}

	g, err := d.CreateClientGrant(ctx, app.ID, "https://orders.test", []string{"read:orders"})
	ok(t, err)
	if g.ID != ClientGrantID(app.ID, res.ID) || g.ClientID != app.ID || g.Audience != "https://orders.test" || !slices.Equal(g.Scopes, []string{"read:orders"}) {
		t.Fatalf("grant %+v", g)
	}
	// The same authorization is a role the app holds.
	r, err := d.Role(ctx, g.RoleID)
	ok(t, err)
	if r.Type != store.RoleMachineToMachine || !slices.Equal(roleScopeNames(t, st, r.ID), []string{"read:orders"}) {
		t.Fatalf("role %+v", r)
	}
	held, _, err := d.ApplicationRoles(ctx, app.ID, store.Search{}, store.Page{})
	ok(t, err)
	if len(held) != 1 || held[0].ID != g.RoleID {
		t.Fatalf("app roles %v", held)
	}

	_, err = d.CreateClientGrant(ctx, app.ID, "https://orders.test", nil)
	refused(t, err, Conflict, ReasonClientGrantExists)
	_, err = d.CreateClientGrant(ctx, spa.ID, "https://orders.test", nil)
	refused(t, err, Invalid, ReasonApplicationType)
	_, err = d.CreateClientGrant(ctx, app.ID, "https://nothing.test", nil)
	refused(t, err, NotFound, "")
	_, err = d.CreateClientGrant(ctx, "missing", "https://orders.test", nil)
	refused(t, err, NotFound, ReasonNoSuchID)
	_, err = d.CreateClientGrant(ctx, app.ID, testV2Indicator, []string{"read:orders"})
	refused(t, err, Invalid, "")

	// A grant with no scopes exists.
	empty, err := d.CreateClientGrant(ctx, app.ID, testV2Indicator, []string{})
	ok(t, err)
	if len(empty.Scopes) != 0 || empty.Scopes == nil {
		t.Fatalf("empty grant %+v", empty)
	}
	list, err := d.ClientGrants(ctx, ClientGrantFilter{Audience: testV2Indicator})
	ok(t, err)
	if len(list) != 1 || list[0].ID != empty.ID {
		t.Fatalf("by audience %v", list)
	}

	g, err = d.UpdateClientGrant(ctx, g.ID, []string{"write:orders", "write:orders"})
	ok(t, err)
	if !slices.Equal(g.Scopes, []string{"write:orders"}) {
		t.Fatalf("updated %+v", g)
	}
	_, err = d.UpdateClientGrant(ctx, g.ID, []string{"read:users"})
	refused(t, err, Invalid, "")
	_, err = d.UpdateClientGrant(ctx, "missing", nil)
	refused(t, err, NotFound, "")
	_, err = d.UpdateClientGrant(ctx, g.RoleID, nil)
	refused(t, err, NotFound, "")

	ok(t, d.DeleteClientGrant(ctx, g.ID))
	refused(t, d.DeleteClientGrant(ctx, g.ID), NotFound, "")
	// Deleting the app removes its grants' roles.
	ok(t, d.DeleteApplication(ctx, app.ID))
	if _, err := d.Role(ctx, empty.RoleID); err == nil {
		t.Fatal("the deleted app's grant role is left")
	}
	if list, _ := d.ClientGrants(ctx, ClientGrantFilter{}); len(list) != 0 {
		t.Fatalf("grants left %v", list)
	}
}

// A grant that a shared role makes is listed, with the union of the
// scopes, and edited only through the grant's own role.
func TestClientGrantFromSharedRole(t *testing.T) {
	ctx := context.Background()
	d, st := newV2Dir(t)
	app, _, err := d.CreateApplication(ctx, NewApplication{Name: ptr("worker"), Type: ptr("MachineToMachine")})
	ok(t, err)
	res, err := d.CreateResource(ctx, NewResource{Name: ptr("Orders"), Indicator: ptr("https://orders.test")})
	ok(t, err)
	ids := map[string]string{}
	for _, n := range []string{"read:orders", "write:orders", "admin:orders"} {
		sc, err := d.CreateScope(ctx, res.ID, NewScope{Name: ptr(n)})
		ok(t, err)
		ids[n] = sc.ID
	}
	shared, err := d.CreateRole(ctx, NewRole{Name: ptr("readers"), Description: ptr("r"), Type: ptr("MachineToMachine"), ScopeIDs: []string{ids["read:orders"]}})
	ok(t, err)
	_, _, err = d.AssignApplicationRoles(ctx, app.ID, []string{shared.ID})
	ok(t, err)

	list, err := d.ClientGrants(ctx, ClientGrantFilter{ClientID: app.ID})
	ok(t, err)
	if len(list) != 1 || list[0].ID != ClientGrantID(app.ID, res.ID) || list[0].RoleID != "" || !slices.Equal(list[0].Scopes, []string{"read:orders"}) {
		t.Fatalf("implied grant %+v", list)
	}
	id := list[0].ID
	_, err = d.CreateClientGrant(ctx, app.ID, "https://orders.test", []string{"write:orders"})
	refused(t, err, Conflict, ReasonClientGrantExists)
	// Leaving out what the shared role gives is refused, naming it.
	_, err = d.UpdateClientGrant(ctx, id, []string{"write:orders"})
	refused(t, err, Conflict, ReasonClientGrantSharedRole)
	if !strings.Contains(err.Error(), `"readers"`) || !strings.Contains(err.Error(), "read:orders") {
		t.Fatalf("refusal names %q", err)
	}
	refused(t, d.DeleteClientGrant(ctx, id), Conflict, ReasonClientGrantSharedRole)
	// A superset creates the grant's own role, holding exactly the scopes.
	g, err := d.UpdateClientGrant(ctx, id, []string{"read:orders", "write:orders"})
	ok(t, err)
	if g.ID != id || g.RoleID == "" || !slices.Equal(g.Scopes, []string{"read:orders", "write:orders"}) ||
		!slices.Equal(roleScopeNames(t, st, g.RoleID), []string{"read:orders", "write:orders"}) {
		t.Fatalf("after the change %+v", g)
	}
	if sr := roleScopeNames(t, st, shared.ID); !slices.Equal(sr, []string{"read:orders"}) {
		t.Fatalf("the shared role changed: %v", sr)
	}
	// Once the shared role is gone, the grant is its own role alone.
	ok(t, d.RemoveApplicationRole(ctx, app.ID, shared.ID))
	g, err = d.ClientGrant(ctx, id)
	ok(t, err)
	if !slices.Equal(g.Scopes, []string{"read:orders", "write:orders"}) {
		t.Fatalf("after the shared role left %+v", g)
	}
	// The own role given permissions of another API is not deleted with
	// them.
	v2, err := d.CreateResource(ctx, NewResource{Name: ptr("Other"), Indicator: ptr("https://other.test")})
	ok(t, err)
	other, err := d.CreateScope(ctx, v2.ID, NewScope{Name: ptr("x")})
	ok(t, err)
	ok(t, d.AssignRoleScopes(ctx, g.RoleID, []string{other.ID}))
	refused(t, d.DeleteClientGrant(ctx, id), Conflict, ReasonClientGrantSharedRole)
	ok(t, d.RemoveRoleScope(ctx, g.RoleID, other.ID))
	ok(t, d.DeleteClientGrant(ctx, id))
	list, err = d.ClientGrants(ctx, ClientGrantFilter{ClientID: app.ID})
	ok(t, err)
	if len(list) != 0 {
		t.Fatalf("grants left %+v", list)
	}
}
