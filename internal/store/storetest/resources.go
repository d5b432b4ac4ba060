package storetest

import (
	"context"
	"strings"
	"testing"

	"github.com/monban/monban/internal/store"
)

// resourceCases are the conformance tests of store.ResourceStore.
var resourceCases = []testCase{
	{"Resources", testResources},
	{"DefaultResource", testDefaultResource},
}

// scopeCases are the conformance tests of store.ScopeStore.
var scopeCases = []testCase{{"Scopes", testScopes}}

func testResources(t *testing.T, s store.Store) {
	ctx := t.Context()
	r := resource("r1", 1)
	ok(t, s.CreateResource(ctx, r), "CreateResource")
	got, err := s.GetResource(ctx, "r1")
	ok(t, err, "GetResource")
	same(t, "GetResource", got, r)

	sameIndicator := resource("r2", 2)
	sameIndicator.Indicator = r.Indicator
	wantErr(t, s.CreateResource(ctx, sameIndicator), store.ErrConflict, "CreateResource with a used indicator")
	sameID := resource("r1", 3)
	sameID.Indicator = "https://other.example.com"
	wantErr(t, s.CreateResource(ctx, sameID), store.ErrConflict, "CreateResource with a used id")

	_, err = s.GetResource(ctx, "missing")
	wantErr(t, err, store.ErrNotFound, "GetResource missing")

	// Only the name, token lifetime and Auth0's two settings change.
	upd := store.Resource{ID: "r1", Name: "renamed", Indicator: "https://changed.example.com",
		AccessTokenTTL: 60, IsDefault: true, RBACDisabled: true, PermissionsClaim: true, CreatedAt: at(9)}
	ok(t, s.UpdateResource(ctx, upd), "UpdateResource")
	got, err = s.GetResource(ctx, "r1")
	ok(t, err, "GetResource after update")
	want := r
	want.Name, want.AccessTokenTTL, want.RBACDisabled, want.PermissionsClaim = "renamed", 60, true, true
	same(t, "GetResource after update", got, want)
	wantErr(t, s.UpdateResource(ctx, resource("missing", 1)), store.ErrNotFound, "UpdateResource missing")

	for i, id := range []string{"r3", "r2", "r4"} {
		must(t, s.CreateResource(ctx, resource(id, 10+i)))
	}
	list, total, err := s.ListResources(ctx, store.Page{})
	ok(t, err, "ListResources")
	same(t, "ListResources ids", ids(list), []string{"r1", "r3", "r2", "r4"})
	if total != 4 {
		t.Errorf("ListResources total = %d, want 4", total)
	}
	list, total, err = s.ListResources(ctx, store.Page{Offset: 1, Limit: 2})
	ok(t, err, "ListResources page")
	same(t, "ListResources page ids", ids(list), []string{"r3", "r2"})
	if total != 4 {
		t.Errorf("ListResources page total = %d, want 4", total)
	}

	ok(t, s.DeleteResource(ctx, "r1"), "DeleteResource")
	_, err = s.GetResource(ctx, "r1")
	wantErr(t, err, store.ErrNotFound, "GetResource after delete")
	wantErr(t, s.DeleteResource(ctx, "r1"), store.ErrNotFound, "DeleteResource twice")
	// The indicator is free again.
	ok(t, s.CreateResource(ctx, r), "CreateResource after delete")
}

// defaults returns the ids of the default resources.
func defaults(t *testing.T, ctx context.Context, s store.Store) []string {
	t.Helper()
	list, _, err := s.ListResources(ctx, store.Page{})
	ok(t, err, "ListResources")
	out := []string{}
	for _, r := range list {
		if r.IsDefault {
			out = append(out, r.ID)
		}
	}
	return out
}

func testDefaultResource(t *testing.T, s store.Store) {
	ctx := t.Context()
	for i, id := range []string{"r1", "r2", "r3"} {
		must(t, s.CreateResource(ctx, resource(id, i)))
	}
	same(t, "defaults at first", defaults(t, ctx, s), []string{})

	ok(t, s.SetDefaultResource(ctx, "r1", true), "SetDefaultResource r1")
	same(t, "defaults", defaults(t, ctx, s), []string{"r1"})
	got, err := s.GetResource(ctx, "r1")
	ok(t, err, "GetResource")
	if !got.IsDefault {
		t.Errorf("GetResource: IsDefault = false after SetDefaultResource")
	}
	ok(t, s.SetDefaultResource(ctx, "r1", true), "SetDefaultResource r1 again")
	same(t, "defaults after setting again", defaults(t, ctx, s), []string{"r1"})

	ok(t, s.SetDefaultResource(ctx, "r2", true), "SetDefaultResource r2")
	same(t, "defaults after moving", defaults(t, ctx, s), []string{"r2"})

	// A missing id changes nothing, not even the other default.
	wantErr(t, s.SetDefaultResource(ctx, "missing", true), store.ErrNotFound, "SetDefaultResource missing")
	same(t, "defaults after a missing id", defaults(t, ctx, s), []string{"r2"})
	wantErr(t, s.SetDefaultResource(ctx, "missing", false), store.ErrNotFound, "SetDefaultResource missing, false")

	// Clearing a resource that is not the default leaves the default.
	ok(t, s.SetDefaultResource(ctx, "r3", false), "SetDefaultResource r3 false")
	same(t, "defaults after clearing another", defaults(t, ctx, s), []string{"r2"})
	ok(t, s.SetDefaultResource(ctx, "r2", false), "SetDefaultResource r2 false")
	same(t, "defaults after clearing", defaults(t, ctx, s), []string{})

	// A resource created as the default is the only one.
	ok(t, s.SetDefaultResource(ctx, "r1", true), "SetDefaultResource r1")
	r4 := resource("r4", 4)
	r4.IsDefault = true
	ok(t, s.CreateResource(ctx, r4), "CreateResource as default")
	same(t, "defaults after creating a default", defaults(t, ctx, s), []string{"r4"})

	// UpdateResource does not touch the flag.
	r4.IsDefault = false
	ok(t, s.UpdateResource(ctx, r4), "UpdateResource")
	same(t, "defaults after UpdateResource", defaults(t, ctx, s), []string{"r4"})

	// Deleting the default leaves none.
	ok(t, s.DeleteResource(ctx, "r4"), "DeleteResource default")
	same(t, "defaults after deleting the default", defaults(t, ctx, s), []string{})
}

func testScopes(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.CreateResource(ctx, resource("r1", 1)))
	must(t, s.CreateResource(ctx, resource("r2", 2)))

	wantErr(t, s.CreateScope(ctx, scope("s0", "missing", 1)), store.ErrNotFound, "CreateScope for a missing resource")

	sc := scope("s1", "r1", 3)
	ok(t, s.CreateScope(ctx, sc), "CreateScope")
	got, err := s.GetScope(ctx, "s1")
	ok(t, err, "GetScope")
	same(t, "GetScope", got, sc)
	_, err = s.GetScope(ctx, "missing")
	wantErr(t, err, store.ErrNotFound, "GetScope missing")

	sameName := scope("s2", "r1", 4)
	sameName.Name = sc.Name
	wantErr(t, s.CreateScope(ctx, sameName), store.ErrConflict, "CreateScope with a used name")
	sameName.ResourceID = "r2"
	ok(t, s.CreateScope(ctx, sameName), "CreateScope same name, other resource")
	wantErr(t, s.CreateScope(ctx, scope("s1", "r2", 5)), store.ErrConflict, "CreateScope with a used id")

	for i, id := range []string{"s5", "s3", "s4"} {
		must(t, s.CreateScope(ctx, scope(id, "r1", 10+i)))
	}
	list, total, err := s.ListScopes(ctx, "r1", store.Page{})
	ok(t, err, "ListScopes")
	same(t, "ListScopes ids", ids(list), []string{"s1", "s5", "s3", "s4"})
	if total != 4 {
		t.Errorf("ListScopes total = %d, want 4", total)
	}
	list, total, err = s.ListScopes(ctx, "r1", store.Page{Offset: 1, Limit: 2})
	ok(t, err, "ListScopes page")
	same(t, "ListScopes page", list, []store.Scope{scope("s5", "r1", 10), scope("s3", "r1", 11)})
	if total != 4 {
		t.Errorf("ListScopes page total = %d, want 4", total)
	}
	list, total, err = s.ListScopes(ctx, "r2", store.Page{})
	ok(t, err, "ListScopes r2")
	same(t, "ListScopes r2", list, []store.Scope{sameName})
	if total != 1 {
		t.Errorf("ListScopes r2 total = %d, want 1", total)
	}
	_, _, err = s.ListScopes(ctx, "missing", store.Page{})
	wantErr(t, err, store.ErrNotFound, "ListScopes for a missing resource")
	_, _, err = s.ListScopes(ctx, "", store.Page{})
	wantErr(t, err, store.ErrNotFound, "ListScopes without a resource")

	// Only the name and description change.
	upd := store.Scope{ID: "s1", ResourceID: "r2", Name: "read", Description: "reads", CreatedAt: at(20)}
	ok(t, s.UpdateScope(ctx, upd), "UpdateScope")
	got, err = s.GetScope(ctx, "s1")
	ok(t, err, "GetScope after update")
	want := sc
	want.Name, want.Description = "read", "reads"
	same(t, "GetScope after update", got, want)
	upd = scope("s3", "r1", 11)
	upd.Name = "read"
	wantErr(t, s.UpdateScope(ctx, upd), store.ErrConflict, "UpdateScope to a used name")
	upd.Name = sameName.Name // used in r2 only
	ok(t, s.UpdateScope(ctx, upd), "UpdateScope to a name used by another resource")
	wantErr(t, s.UpdateScope(ctx, scope("missing", "r1", 1)), store.ErrNotFound, "UpdateScope missing")

	ok(t, s.DeleteScope(ctx, "s1"), "DeleteScope")
	_, err = s.GetScope(ctx, "s1")
	wantErr(t, err, store.ErrNotFound, "GetScope after delete")
	wantErr(t, s.DeleteScope(ctx, "s1"), store.ErrNotFound, "DeleteScope twice")
	// SearchScopes narrows by Logto's search.
	all, _, err := s.ListScopes(ctx, "r1", store.Page{})
	ok(t, err, "ListScopes")
	if len(all) == 0 {
		t.Fatal("no scopes to search")
	}
	first := all[0]
	found, total, err := s.SearchScopes(ctx, "r1", store.Search{Matches: []store.Match{{Field: "name", Exact: true, Values: []string{strings.ToUpper(first.Name)}}}}, store.Page{})
	ok(t, err, "SearchScopes exact name")
	if total != 1 || len(found) != 1 || found[0].ID != first.ID {
		t.Errorf("SearchScopes exact %q: %v (total %d)", first.Name, found, total)
	}
	found, total, err = s.SearchScopes(ctx, "r1", store.Search{Matches: []store.Match{like("", "%")}}, store.Page{Limit: 1})
	ok(t, err, "SearchScopes %")
	if total != len(all) || len(found) != 1 {
		t.Errorf("SearchScopes %%: %d of %d, want 1 of %d", len(found), total, len(all))
	}
	found, total, err = s.SearchScopes(ctx, "r1", store.Search{Matches: []store.Match{like("description", "no such scope")}}, store.Page{})
	ok(t, err, "SearchScopes none")
	if total != 0 || len(found) != 0 {
		t.Errorf("SearchScopes none: %v", found)
	}
	_, _, err = s.SearchScopes(ctx, "missing", store.Search{Matches: []store.Match{like("", "%")}}, store.Page{})
	wantErr(t, err, store.ErrNotFound, "SearchScopes of a missing resource")
}
