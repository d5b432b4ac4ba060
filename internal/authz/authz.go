// Package authz resolves which scopes a subject may be granted on an API
// resource from the roles it holds. It is the one place scope resolution
// lives: the token endpoint (client credentials and user tokens) and the
// check of callers of the APIs Monban serves itself ask it, and the
// role-type rule (store.RoleType.GivenTo) is applied here and nowhere else
// on that path.
//
// An Index is built from a store.Catalog when the catalog snapshot is
// rebuilt, and is immutable: it is read without locks.
package authz

import (
	"slices"
	"strings"

	"github.com/monban/monban/internal/store"
)

// Set is a set of scope names.
type Set map[string]struct{}

// Subject is who scopes are resolved for: an application (the subject of a
// client_credentials token) or a user.
type Subject struct {
	Holder store.Holder
	ID     string
	// RoleIDs are the roles a user holds, read from the store: the
	// catalog does not hold users' roles. Ignored for an application,
	// whose roles the index holds.
	RoleIDs []string
	// Membership is what the subject holds in the organization a token
	// is asked for, read from the store; nil outside any organization.
	Membership *Membership
}

// App is the application appID as a subject.
func App(appID string) Subject {
	return Subject{Holder: store.HolderApplication, ID: appID}
}

// User is the user userID, holding roleIDs, as a subject.
func User(userID string, roleIDs []string) Subject {
	return Subject{Holder: store.HolderUser, ID: userID, RoleIDs: roleIDs}
}

// Index answers which scopes a subject's roles grant on a resource.
type Index struct {
	roles map[string]*store.Role
	// scopes are the scopes each role grants, links to a scope that no
	// longer exists left out.
	scopes map[string][]*store.Scope
	// apps is application → resource → the scope names its roles grant,
	// computed ahead for the client_credentials hot path.
	apps map[string]map[string]Set
	// defined is resource → the scope names it defines.
	defined map[string]Set
	// appRoles is application → the roles it holds that grant scopes to
	// applications, sorted.
	appRoles map[string][]string
	// grantRoles is application → resource → the id of the
	// application's own client grant role for it (see GrantRoleName).
	grantRoles map[string]map[string]string
}

// Build indexes the roles of c, the scopes they grant and the roles the
// applications hold.
func Build(c *store.Catalog) *Index {
	ix := &Index{
		roles:      make(map[string]*store.Role, len(c.Roles)),
		scopes:     make(map[string][]*store.Scope),
		apps:       make(map[string]map[string]Set),
		defined:    make(map[string]Set),
		appRoles:   make(map[string][]string),
		grantRoles: make(map[string]map[string]string),
	}
	resources := make(map[string]bool, len(c.Resources))
	for _, r := range c.Resources {
		resources[r.ID] = true
	}
	holders := make(map[string]int, len(c.Roles))
	for _, ra := range c.RoleApplications {
		holders[ra.RoleID]++
	}
	for i := range c.Roles {
		ix.roles[c.Roles[i].ID] = &c.Roles[i]
	}
	byID := make(map[string]*store.Scope, len(c.Scopes))
	for i := range c.Scopes {
		sc := &c.Scopes[i]
		byID[sc.ID] = sc
		if ix.defined[sc.ResourceID] == nil {
			ix.defined[sc.ResourceID] = make(Set)
		}
		ix.defined[sc.ResourceID][sc.Name] = struct{}{}
	}
	for _, rs := range c.RoleScopes {
		if sc := byID[rs.ScopeID]; sc != nil {
			ix.scopes[rs.RoleID] = append(ix.scopes[rs.RoleID], sc)
		}
	}
	for _, ra := range c.RoleApplications {
		if !ix.grants(ra.RoleID, store.HolderApplication) {
			continue
		}
		ix.appRoles[ra.AppID] = append(ix.appRoles[ra.AppID], ra.RoleID)
		if resID, ok := grantRoleResource(ix.roles[ra.RoleID].Name, ra.AppID); ok && resources[resID] && holders[ra.RoleID] == 1 {
			if ix.grantRoles[ra.AppID] == nil {
				ix.grantRoles[ra.AppID] = make(map[string]string)
			}
			ix.grantRoles[ra.AppID][resID] = ra.RoleID
		}
		byRes := ix.apps[ra.AppID]
		if byRes == nil {
			byRes = make(map[string]Set)
			ix.apps[ra.AppID] = byRes
		}
		for _, sc := range ix.scopes[ra.RoleID] {
			set := byRes[sc.ResourceID]
			if set == nil {
				set = make(Set)
				byRes[sc.ResourceID] = set
			}
			set[sc.Name] = struct{}{}
		}
	}
	for _, roles := range ix.appRoles {
		slices.Sort(roles)
	}
	return ix
}

// grants reports whether roleID exists and its type lets it grant scopes
// to a holder of kind h.
func (ix *Index) grants(roleID string, h store.Holder) bool {
	r := ix.roles[roleID]
	return r != nil && r.Type.GivenTo(h)
}

// Scopes returns the scope names that s's roles grant on resourceID within
// org. A role grants only the kind of holder its type is given to (see
// store.RoleType.GivenTo); an unknown role, resource or subject grants
// nothing. org is "" outside any organization; within one, only the
// organization roles of the subject's Membership there grant scopes (its
// own roles grant nothing there). The result may be shared and must not
// be modified.
func (ix *Index) Scopes(s Subject, org, resourceID string) Set {
	if org != "" {
		if s.Membership == nil || s.Membership.Organization != org {
			return nil
		}
		return s.Membership.resourceScopes(s.Holder, resourceID)
	}
	switch s.Holder {
	case store.HolderApplication:
		return ix.apps[s.ID][resourceID]
	case store.HolderUser:
		set := Set{}
		for _, id := range s.RoleIDs {
			if !ix.grants(id, store.HolderUser) {
				continue
			}
			for _, sc := range ix.scopes[id] {
				if sc.ResourceID == resourceID {
					set[sc.Name] = struct{}{}
				}
			}
		}
		return set
	}
	return nil
}

// UserScopes returns the scopes a user may be granted on res: those the
// user's roles grant (Scopes), or, when the resource has Auth0's "Enable
// RBAC" off (store.Resource.RBACDisabled), every scope the resource
// defines. The result may be shared and must not be modified.
func (ix *Index) UserScopes(s Subject, org string, res *store.Resource) Set {
	if res.RBACDisabled && s.Holder == store.HolderUser && org == "" {
		return ix.defined[res.ID]
	}
	return ix.Scopes(s, org, res.ID)
}

// RolesGranting returns, sorted, the roles that grant the scope named
// scope on resourceID to a holder of kind h: those whose holders of that
// kind hold it (see store.RoleType.GivenTo).
func (ix *Index) RolesGranting(h store.Holder, resourceID, scope string) []string {
	var out []string
	for id, scopes := range ix.scopes {
		if !ix.grants(id, h) {
			continue
		}
		for _, sc := range scopes {
			if sc.ResourceID == resourceID && sc.Name == scope {
				out = append(out, id)
				break
			}
		}
	}
	slices.Sort(out)
	return out
}

// Role returns the role roleID, or nil when the catalog has none.
func (ix *Index) Role(roleID string) *store.Role { return ix.roles[roleID] }

// RoleScopes returns the scopes roleID grants, whatever its type, on every
// resource (for describing a role, as a claims script sees it; use Scopes
// to decide what a subject is granted). The slice must not be modified.
func (ix *Index) RoleScopes(roleID string) []*store.Scope { return ix.scopes[roleID] }

// Grant returns the requested scopes that allowed contains, in request
// order and without repeats. Scopes not allowed are dropped silently, as
// Logto does; an empty request is granted nothing.
func Grant(requested []string, allowed Set) []string {
	var out []string
	for i, s := range requested {
		if _, ok := allowed[s]; !ok {
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

// Client grants are Auth0's authorization of an application for an API
// (client, audience, scopes), and this is the one rule that decides them,
// for the token endpoint and for the Management API v2 alike: an
// application holds a client grant for a resource when a role it holds
// grants it a scope of that resource, or when it holds the grant's own
// role for that resource (GrantRoleName; such a grant may have no scopes,
// and then authorizes a token with none). The grant's scopes are every
// scope of the resource that the application's roles grant. There is no
// other record of client grants, so the same authorization is seen and
// changed through the Logto Management API, the console and Auth0's
// client-grants routes.

// GrantRolePrefix begins the name of a client grant's own role.
const GrantRolePrefix = "client-grant:"

// GrantRoleName is the name of the role that is application appID's own
// client grant for resourceID: a machine-to-machine role of that name,
// held by that application alone, is where the Management API v2 keeps
// the scopes given to the grant.
func GrantRoleName(appID, resourceID string) string {
	return GrantRolePrefix + appID + ":" + resourceID
}

// grantRoleResource returns the resource a role named name is appID's own
// grant role for.
func grantRoleResource(name, appID string) (string, bool) {
	res, ok := strings.CutPrefix(name, GrantRoleName(appID, ""))
	return res, ok && res != ""
}

// ClientGrant returns the scopes of appID's client grant for resourceID,
// and false when the application holds none. The set may be shared and
// must not be modified.
func (ix *Index) ClientGrant(appID, resourceID string) (Set, bool) {
	set := ix.apps[appID][resourceID]
	if len(set) > 0 {
		return set, true
	}
	if _, own := ix.grantRoles[appID][resourceID]; own {
		return Set{}, true
	}
	return nil, false
}

// ClientGrants returns every client grant of appID: resource id → its
// scopes (see ClientGrant). The sets may be shared and must not be
// modified.
func (ix *Index) ClientGrants(appID string) map[string]Set {
	out := make(map[string]Set, len(ix.apps[appID])+len(ix.grantRoles[appID]))
	for res, set := range ix.apps[appID] {
		if len(set) > 0 {
			out[res] = set
		}
	}
	for res := range ix.grantRoles[appID] {
		if out[res] == nil {
			out[res] = Set{}
		}
	}
	return out
}

// GrantSources says where the scopes of a client grant come from.
type GrantSources struct {
	// Own is the id of the grant's own role (GrantRoleName), "" when the
	// application holds none.
	Own string
	// Others maps every other role the application holds that grants a
	// scope of the resource to those scope names, sorted.
	Others map[string][]string
}

// ClientGrantSources returns the roles that make appID's client grant for
// resourceID.
func (ix *Index) ClientGrantSources(appID, resourceID string) GrantSources {
	src := GrantSources{Own: ix.grantRoles[appID][resourceID], Others: map[string][]string{}}
	for _, roleID := range ix.appRoles[appID] {
		if roleID == src.Own {
			continue
		}
		for _, sc := range ix.scopes[roleID] {
			if sc.ResourceID == resourceID && !slices.Contains(src.Others[roleID], sc.Name) {
				src.Others[roleID] = append(src.Others[roleID], sc.Name)
			}
		}
		slices.Sort(src.Others[roleID])
	}
	return src
}

// Missing returns the requested scopes that allowed lacks, in request
// order and without repeats (for a refusal that names them, as Auth0's
// client grants do).
func Missing(requested []string, allowed Set) []string {
	var out []string
	for _, s := range requested {
		if _, ok := allowed[s]; !ok && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// Names returns the scope names of set, sorted.
func (s Set) Names() []string {
	out := make([]string, 0, len(s))
	for k := range s {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Auth0Subject is the sub of an M2M token on Auth0's face:
// "{client_id}@clients". On Logto's face the sub is the client id itself.
func Auth0Subject(clientID string) string { return clientID + "@clients" }

// IsAppSubject reports whether an access token's subject is its client
// itself (an M2M token) in either face's spelling: the client id (Logto)
// or "{client_id}@clients" (Auth0). User ids never hold an '@'.
func IsAppSubject(subject, clientID string) bool {
	return clientID != "" && (subject == clientID || subject == Auth0Subject(clientID))
}
