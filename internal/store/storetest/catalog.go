package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/monban/monban/internal/store"
)

// catalogCases are the conformance tests of store.CatalogStore.
var catalogCases = []testCase{{"LoadCatalog", testLoadCatalog}}

func sortedLinks[T store.RoleScope | store.RoleApplication](in []T) []T {
	return sortedBy(in, func(v T) string { return fmt.Sprint(v) })
}

// byID sorts a copy of list by id; the catalog's order is not specified.
func byID[T any](list []T) []T {
	return sortedBy(list, func(v T) string { return fmt.Sprint(ids([]T{v})) })
}

// createAll creates each of items with create, as a test's setup.
func createAll[T any](t *testing.T, create func(context.Context, T) error, items []T) {
	t.Helper()
	for _, v := range items {
		must(t, create(t.Context(), v))
	}
}

// sortedBy returns a copy of in sorted by key.
func sortedBy[T any](in []T, key func(T) string) []T {
	out := slices.Clone(in)
	slices.SortFunc(out, func(a, b T) int { return strings.Compare(key(a), key(b)) })
	return out
}

func testLoadCatalog(t *testing.T, s store.Store) {
	ctx := t.Context()
	cat, err := s.LoadCatalog(ctx)
	ok(t, err, "LoadCatalog empty")
	if cat == nil {
		t.Fatal("LoadCatalog returned nil")
	}
	if n := len(cat.Applications) + len(cat.Secrets) + len(cat.Resources) + len(cat.Scopes) + len(cat.Roles) +
		len(cat.RoleScopes) + len(cat.RoleApplications) + len(cat.SigningKeys); n != 0 {
		t.Errorf("LoadCatalog on an empty store has %d items", n)
	}

	apps := []store.Application{app("a2", 2), app("a1", 1)}
	apps[1].Type = store.AppTraditional
	secrets := []store.AppSecret{
		{AppID: "a1", Name: "s", Hash: []byte("h1"), CreatedAt: at(3)},
		{AppID: "a2", Name: "s", Hash: []byte("h2"), CreatedAt: at(4), ExpiresAt: at(1000)},
	}
	resources := []store.Resource{resource("r1", 1), resource("r2", 2)}
	resources[1].IsDefault = true
	scopes := []store.Scope{scope("s1", "r1", 1), scope("s2", "r2", 2), scope("s3", "r2", 3)}
	roles := []store.Role{role("ro1", 1), role("ro2", 2)}
	roles[1].Type = store.RoleUser
	keys := []store.SigningKey{signingKey("k1", store.KeyCurrent, 1), signingKey("k2", store.KeyNext, 2)}

	createAll(t, s.CreateApplication, apps)
	createAll(t, s.CreateAppSecret, secrets)
	createAll(t, s.CreateResource, resources)
	createAll(t, s.CreateScope, scopes)
	createAll(t, s.CreateRole, roles)
	createAll(t, s.CreateSigningKey, keys)
	must(t, s.AddRoleScopes(ctx, "ro1", []string{"s1", "s3"}))
	must(t, s.AddRoleScopes(ctx, "ro2", []string{"s2"}))
	must(t, s.AddRoleApplications(ctx, "ro1", []string{"a1", "a2"}))

	cat, err = s.LoadCatalog(ctx)
	ok(t, err, "LoadCatalog")
	same(t, "catalog applications", byID(cat.Applications), byID(apps))
	secs := sortedBy(cat.Secrets, func(v store.AppSecret) string { return v.AppID + "/" + v.Name })
	same(t, "catalog secrets", secs, secrets)
	same(t, "catalog resources", byID(cat.Resources), byID(resources))
	same(t, "catalog scopes", byID(cat.Scopes), byID(scopes))
	same(t, "catalog roles", byID(cat.Roles), byID(roles))
	same(t, "catalog role scopes", sortedLinks(cat.RoleScopes), []store.RoleScope{
		{RoleID: "ro1", ScopeID: "s1"}, {RoleID: "ro1", ScopeID: "s3"}, {RoleID: "ro2", ScopeID: "s2"}})
	same(t, "catalog role applications", sortedLinks(cat.RoleApplications), []store.RoleApplication{
		{RoleID: "ro1", AppID: "a1"}, {RoleID: "ro1", AppID: "a2"}})
	same(t, "catalog signing keys", byID(cat.SigningKeys), byID(keys))
}
