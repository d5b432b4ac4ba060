// Package rbac resolves which scopes a subject may be granted on a resource
// from the roles it holds.
package rbac

import "github.com/monban/monban/internal/store"

// Set is a set of scope names.
type Set map[string]struct{}

// Index maps application → resource → the scope names its M2M roles give.
type Index struct {
	apps map[string]map[string]Set
}

// Build indexes the M2M role grants of every application in c.
func Build(c *store.Catalog) *Index {
	scopes := make(map[string]store.Scope, len(c.Scopes))
	for _, s := range c.Scopes {
		scopes[s.ID] = s
	}
	m2m := make(map[string]bool, len(c.Roles))
	for _, r := range c.Roles {
		m2m[r.ID] = r.Type == store.RoleMachineToMachine
	}
	roleScopes := make(map[string][]store.Scope)
	for _, rs := range c.RoleScopes {
		if s, ok := scopes[rs.ScopeID]; ok {
			roleScopes[rs.RoleID] = append(roleScopes[rs.RoleID], s)
		}
	}
	ix := &Index{apps: make(map[string]map[string]Set)}
	for _, ra := range c.RoleApplications {
		if !m2m[ra.RoleID] {
			continue // only M2M roles grant scopes to applications
		}
		byRes := ix.apps[ra.AppID]
		if byRes == nil {
			byRes = make(map[string]Set)
			ix.apps[ra.AppID] = byRes
		}
		for _, s := range roleScopes[ra.RoleID] {
			set := byRes[s.ResourceID]
			if set == nil {
				set = make(Set)
				byRes[s.ResourceID] = set
			}
			set[s.Name] = struct{}{}
		}
	}
	return ix
}

// AppScopes returns the scopes that appID's roles give on resourceID.
func (ix *Index) AppScopes(appID, resourceID string) Set {
	return ix.apps[appID][resourceID]
}

// Grant returns the requested scopes that held contains, in request order and
// without repeats. Scopes not held are dropped silently, as Logto does.
func Grant(requested []string, held Set) []string {
	var out []string
	for i, s := range requested {
		if _, ok := held[s]; !ok {
			continue
		}
		dup := false
		for _, prev := range requested[:i] {
			if prev == s {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, s)
		}
	}
	return out
}
