package catalog

import (
	"net/url"
	"strings"

	"github.com/monban/monban/internal/rbac"
	"github.com/monban/monban/internal/store"
)

// UserIndex is what issuing user tokens reads from the catalog: roles and the
// scopes they grant (a user's role ids come from the database, the rest from
// here), resources by id, and the browser origins apps may call from.
type UserIndex struct {
	Roles      map[string]*store.Role
	RoleScopes map[string][]*store.Scope // role id → its scopes
	Resources  map[string]*store.Resource
	// Origins are the CORS origins of every app that signs users in: its
	// corsAllowedOrigins and the origins of its redirect URIs.
	Origins map[string]bool
}

func buildUserIndex(cat *store.Catalog) *UserIndex {
	ix := &UserIndex{
		Roles:      make(map[string]*store.Role, len(cat.Roles)),
		RoleScopes: make(map[string][]*store.Scope),
		Resources:  make(map[string]*store.Resource, len(cat.Resources)),
		Origins:    make(map[string]bool),
	}
	for i := range cat.Roles {
		ix.Roles[cat.Roles[i].ID] = &cat.Roles[i]
	}
	for i := range cat.Resources {
		ix.Resources[cat.Resources[i].ID] = &cat.Resources[i]
	}
	scopes := make(map[string]*store.Scope, len(cat.Scopes))
	for i := range cat.Scopes {
		scopes[cat.Scopes[i].ID] = &cat.Scopes[i]
	}
	for _, rs := range cat.RoleScopes {
		if sc := scopes[rs.ScopeID]; sc != nil {
			ix.RoleScopes[rs.RoleID] = append(ix.RoleScopes[rs.RoleID], sc)
		}
	}
	for _, a := range cat.Applications {
		if a.Type == store.AppMachineToMachine {
			continue
		}
		for _, o := range a.CORSAllowedOrigins {
			ix.Origins[strings.TrimRight(o, "/")] = true
		}
		for _, uri := range a.RedirectURIs {
			if o := Origin(uri); o != "" {
				ix.Origins[o] = true
			}
		}
	}
	return ix
}

// Origin returns the origin (scheme://host[:port]) of an http(s) URL, or ""
// for anything else.
func Origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + strings.ToLower(u.Host)
}

// UserScopes returns the scope names that the User roles among roleIDs grant
// on resourceID. M2M roles grant users nothing.
func (ix *UserIndex) UserScopes(roleIDs []string, resourceID string) rbac.Set {
	set := rbac.Set{}
	for _, id := range roleIDs {
		if r := ix.Roles[id]; r == nil || r.Type != store.RoleUser {
			continue
		}
		for _, sc := range ix.RoleScopes[id] {
			if sc.ResourceID == resourceID {
				set[sc.Name] = struct{}{}
			}
		}
	}
	return set
}
