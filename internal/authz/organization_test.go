package authz

import (
	"slices"
	"testing"

	"github.com/monban/monban/internal/store"
)

func TestMembershipScopes(t *testing.T) {
	ix := Build(&store.Catalog{})
	m := &Membership{
		Organization: "o1",
		Roles: []store.OrganizationRole{
			{ID: "admin", Name: "admin", Type: store.RoleUser},
			{ID: "bot", Name: "bot", Type: store.RoleMachineToMachine},
		},
		Grants: map[string]store.OrganizationRoleGrants{
			"admin": {Scopes: []store.OrganizationScope{{Name: "write:docs"}, {Name: "read:docs"}},
				ResourceScopes: []store.Scope{{ResourceID: "r1", Name: "read"}, {ResourceID: "r2", Name: "other"}}},
			"bot": {Scopes: []store.OrganizationScope{{Name: "sync"}}, ResourceScopes: []store.Scope{{ResourceID: "r1", Name: "sync"}}},
		},
	}
	if got := m.OrganizationScopes(store.HolderUser); !slices.Equal(got, []string{"read:docs", "write:docs"}) {
		t.Errorf("user's organization scopes = %v", got)
	}
	if got := m.OrganizationScopes(store.HolderApplication); !slices.Equal(got, []string{"sync"}) {
		t.Errorf("application's organization scopes = %v", got)
	}
	if got := m.RoleNames(store.HolderUser); !slices.Equal(got, []string{"admin"}) {
		t.Errorf("RoleNames = %v", got)
	}
	user := Subject{Holder: store.HolderUser, ID: "u1", Membership: m}
	if got := sorted(ix.Scopes(user, "o1", "r1")); !slices.Equal(got, []string{"read"}) {
		t.Errorf("Scopes in o1 = %v", got)
	}
	// Another organization, or none, gives nothing from this membership.
	if got := ix.Scopes(user, "o2", "r1"); len(got) != 0 {
		t.Errorf("Scopes in o2 = %v", got)
	}
	if got := ix.Scopes(Subject{Holder: store.HolderUser, ID: "u1"}, "o1", "r1"); len(got) != 0 {
		t.Errorf("Scopes without a membership = %v", got)
	}
	if got := OrganizationAudience("o1"); got != "urn:logto:organization:o1" {
		t.Errorf("OrganizationAudience = %q", got)
	}
}
