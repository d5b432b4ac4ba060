package rbac

import (
	"slices"
	"testing"

	"github.com/monban/monban/internal/store"
)

func TestBuildAndGrant(t *testing.T) {
	c := &store.Catalog{
		Scopes: []store.Scope{
			{ID: "s1", ResourceID: "shop", Name: "read:products"},
			{ID: "s2", ResourceID: "shop", Name: "write:products"},
			{ID: "s3", ResourceID: "mgmt", Name: "all"},
		},
		Roles: []store.Role{
			{ID: "reader", Type: store.RoleMachineToMachine},
			{ID: "admin", Type: store.RoleMachineToMachine},
			{ID: "user-role", Type: store.RoleUser},
		},
		RoleScopes: []store.RoleScope{
			{RoleID: "reader", ScopeID: "s1"},
			{RoleID: "admin", ScopeID: "s3"},
			{RoleID: "user-role", ScopeID: "s2"},
			{RoleID: "reader", ScopeID: "gone"},
		},
		RoleApplications: []store.RoleApplication{
			{RoleID: "reader", AppID: "app"},
			{RoleID: "admin", AppID: "app"},
			{RoleID: "user-role", AppID: "app"}, // a user role never grants an app anything
		},
	}
	ix := Build(c)
	cases := []struct {
		res       string
		requested []string
		want      []string
	}{
		{"shop", []string{"read:products", "write:products", "nope"}, []string{"read:products"}},
		{"shop", []string{"read:products", "read:products"}, []string{"read:products"}},
		{"shop", nil, nil},
		{"mgmt", []string{"all", "read:products"}, []string{"all"}},
		{"other", []string{"all"}, nil},
	}
	for _, tc := range cases {
		if got := Grant(tc.requested, ix.AppScopes("app", tc.res)); !slices.Equal(got, tc.want) {
			t.Errorf("%s %v: got %v, want %v", tc.res, tc.requested, got, tc.want)
		}
	}
	if got := Grant([]string{"read:products"}, ix.AppScopes("stranger", "shop")); got != nil {
		t.Errorf("unknown app got %v", got)
	}
}
