package authz

import (
	"slices"

	"github.com/monban/monban/internal/store"
)

// OrganizationAudience is the audience of an organization token, as
// Logto names it.
func OrganizationAudience(orgID string) string { return "urn:logto:organization:" + orgID }

// Membership is what a subject holds in one organization, read from the
// store when a token is issued (the catalog holds no organizations): its
// organization roles and what each grants.
type Membership struct {
	Organization string
	Roles        []store.OrganizationRole
	Grants       map[string]store.OrganizationRoleGrants
}

// roles are the membership's roles that grant h anything: those whose
// type is given to h (store.RoleType.GivenTo).
func (m *Membership) roles(h store.Holder) []store.OrganizationRole {
	var out []store.OrganizationRole
	for _, r := range m.Roles {
		if r.Type.GivenTo(h) {
			out = append(out, r)
		}
	}
	return out
}

// OrganizationScopes returns, sorted, the names of the organization
// scopes h's roles in the organization grant.
func (m *Membership) OrganizationScopes(h store.Holder) []string {
	set := Set{}
	for _, r := range m.roles(h) {
		for _, sc := range m.Grants[r.ID].Scopes {
			set[sc.Name] = struct{}{}
		}
	}
	return sortedSet(set)
}

// RoleNames returns the names of the roles that count for h, in the
// membership's order.
func (m *Membership) RoleNames(h store.Holder) []string {
	var out []string
	for _, r := range m.roles(h) {
		out = append(out, r.Name)
	}
	return out
}

// resourceScopes is what h's organization roles grant on resourceID.
func (m *Membership) resourceScopes(h store.Holder, resourceID string) Set {
	set := Set{}
	for _, r := range m.roles(h) {
		for _, sc := range m.Grants[r.ID].ResourceScopes {
			if sc.ResourceID == resourceID {
				set[sc.Name] = struct{}{}
			}
		}
	}
	return set
}

func sortedSet(s Set) []string {
	out := make([]string, 0, len(s))
	for k := range s {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
