package directory

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/monban/monban/internal/authz"
	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
)

// Client grants are Auth0's authorization of an application for an API
// (client, audience, scopes). Which (application, API) pairs hold one,
// with which scopes, is authz's rule (authz.Index.ClientGrant), the one the
// token endpoint follows: an application holds a grant for an API when a
// role it holds grants it a scope of that API, or when it holds the
// grant's own role (authz.GrantRoleName). This file lists those grants and
// edits them through the grant's own role, never through a role that
// other grants or applications may share:
//
//   - creating a grant creates its own role with the grant's scopes, and
//     is refused when the pair holds a grant already (from any role);
//   - changing a grant's scopes replaces the scopes of its own role
//     (creating the role when the grant came from other roles only), and
//     is refused when it would leave out a scope another role gives;
//   - deleting a grant deletes its own role, and is refused while another
//     role still gives scopes of the API.
//
// A grant is addressed by an id derived from the pair (ClientGrantID), so
// it stays the same whichever roles make it.

// ClientGrant is an application's authorization for an API.
type ClientGrant struct {
	ID         string // ClientGrantID(ClientID, ResourceID)
	ClientID   string
	ResourceID string
	Audience   string   // the resource's indicator
	Scopes     []string // every scope the application's roles grant there, sorted
	// RoleID is the grant's own role, "" when the grant comes from other
	// roles only.
	RoleID string
}

// ClientGrantFilter narrows a client grant listing; "" matches any.
type ClientGrantFilter struct {
	ClientID string
	Audience string
}

// ClientGrantID is the id of the client grant of application appID for
// resource resID: "cgr_" and 32 hexadecimal digits, the same for as long
// as the pair holds a grant.
func ClientGrantID(appID, resID string) string {
	sum := sha256.Sum256([]byte(appID + "\x00" + resID))
	return "cgr_" + hex.EncodeToString(sum[:16])
}

// clientGrantsOf reads the client grants in cat, sorted by client id and
// audience.
func clientGrantsOf(cat *store.Catalog) []ClientGrant {
	ix := authz.Build(cat)
	resources := make(map[string]store.Resource, len(cat.Resources))
	for _, r := range cat.Resources {
		resources[r.ID] = r
	}
	var out []ClientGrant
	for _, app := range cat.Applications {
		for resID, set := range ix.ClientGrants(app.ID) {
			res, ok := resources[resID]
			if !ok {
				continue
			}
			out = append(out, ClientGrant{ID: ClientGrantID(app.ID, resID), ClientID: app.ID, ResourceID: resID,
				Audience: res.Indicator, Scopes: set.Names(), RoleID: ix.ClientGrantSources(app.ID, resID).Own})
		}
	}
	slices.SortFunc(out, func(a, b ClientGrant) int {
		return cmp.Or(cmp.Compare(a.ClientID, b.ClientID), cmp.Compare(a.Audience, b.Audience))
	})
	return out
}

// ClientGrants lists the client grants filter matches, by client id and
// audience.
func (d *Directory) ClientGrants(ctx context.Context, filter ClientGrantFilter) ([]ClientGrant, error) {
	cat, err := d.st.LoadCatalog(ctx)
	if err != nil {
		return nil, err
	}
	var out []ClientGrant
	for _, g := range clientGrantsOf(cat) {
		if (filter.ClientID == "" || g.ClientID == filter.ClientID) && (filter.Audience == "" || g.Audience == filter.Audience) {
			out = append(out, g)
		}
	}
	return out, nil
}

var errNoClientGrant = notFound("client grant not found")

// ClientGrant returns the client grant with id.
func (d *Directory) ClientGrant(ctx context.Context, id string) (ClientGrant, error) {
	cat, err := d.st.LoadCatalog(ctx)
	if err != nil {
		return ClientGrant{}, err
	}
	return clientGrantIn(cat, id)
}

func clientGrantIn(cat *store.Catalog, id string) (ClientGrant, error) {
	if !strings.HasPrefix(id, "cgr_") {
		return ClientGrant{}, errNoClientGrant
	}
	for _, g := range clientGrantsOf(cat) {
		if g.ID == id {
			return g, nil
		}
	}
	return ClientGrant{}, errNoClientGrant
}

// Reasons for refusing a change of a client grant.
const (
	// ReasonClientGrantExists: the application has a grant for this API
	// already.
	ReasonClientGrantExists Reason = "client_grant_exists"
	// ReasonClientGrantSharedRole: the change would need another role
	// than the grant's own one changed.
	ReasonClientGrantSharedRole Reason = "client_grant_shared_role"
)

// grantScopeIDs returns the ids of the scopes of res named in names, each
// of which must exist.
func grantScopeIDs(cat *store.Catalog, resID string, names []string) ([]string, error) {
	if len(names) > MaxIDsPerRequest {
		return nil, invalid(fmt.Sprintf("scope may name at most %d permissions", MaxIDsPerRequest))
	}
	ids := make([]string, 0, len(names))
	seen := map[string]bool{}
	for _, name := range names {
		if seen[name] {
			continue
		}
		seen[name] = true
		i := slices.IndexFunc(cat.Scopes, func(s store.Scope) bool { return s.ResourceID == resID && s.Name == name })
		if i < 0 {
			return nil, invalid(fmt.Sprintf("the API has no permission %q", name))
		}
		ids = append(ids, cat.Scopes[i].ID)
	}
	return ids, nil
}

// CreateClientGrant authorizes the machine-to-machine application clientID
// for the API whose indicator is audience, with scopes (permission names
// of that API; none is allowed: the grant then authorizes tokens with no
// scopes). It is refused (Conflict, ReasonClientGrantExists) when the
// application holds a grant for the API already, whichever role makes it.
func (d *Directory) CreateClientGrant(ctx context.Context, clientID, audience string, scopes []string) (ClientGrant, error) {
	app, err := d.Application(ctx, clientID)
	if err != nil {
		return ClientGrant{}, err
	}
	if app.Type != store.AppMachineToMachine {
		return ClientGrant{}, &Error{Kind: Invalid, Reason: ReasonApplicationType,
			Message: "only machine-to-machine applications can be granted an API"}
	}
	cat, err := d.st.LoadCatalog(ctx)
	if err != nil {
		return ClientGrant{}, err
	}
	i := slices.IndexFunc(cat.Resources, func(r store.Resource) bool { return r.Indicator == audience })
	if i < 0 {
		return ClientGrant{}, notFound("no API has this identifier")
	}
	res := cat.Resources[i]
	scopeIDs, err := grantScopeIDs(cat, res.ID, scopes)
	if err != nil {
		return ClientGrant{}, err
	}
	if _, held := authz.Build(cat).ClientGrant(app.ID, res.ID); held {
		return ClientGrant{}, &Error{Kind: Conflict, Reason: ReasonClientGrantExists,
			Message: "the application has a grant for this API already: change its scopes instead"}
	}
	if err := d.createGrantRole(ctx, app, res, scopeIDs); err != nil {
		return ClientGrant{}, err
	}
	return d.ClientGrant(ctx, ClientGrantID(app.ID, res.ID))
}

// createGrantRole creates app's own grant role for res with scopeIDs.
func (d *Directory) createGrantRole(ctx context.Context, app store.Application, res store.Resource, scopeIDs []string) error {
	role := store.Role{ID: randid.ID(), Name: authz.GrantRoleName(app.ID, res.ID), Type: store.RoleMachineToMachine, CreatedAt: d.now(),
		Description: "Client grant: " + app.Name + " may call " + res.Indicator}
	if err := d.createRoleWithScopes(ctx, role, scopeIDs); err != nil {
		return orConflictFor(orNotFound(err, "a permission was removed while the grant was being changed"),
			ReasonClientGrantExists, "a role named "+role.Name+" exists already and is not this grant's own role: rename it")
	}
	if err := d.st.AddRoleApplications(ctx, role.ID, []string{app.ID}); err != nil {
		if derr := d.st.DeleteRole(ctx, role.ID); derr != nil {
			err = fmt.Errorf("%w (and removing the role again failed: %v)", err, derr)
		}
		return orNotFound(err, "application not found")
	}
	return nil
}

// sharedRoles describes, for a refusal, the roles other than a grant's own
// that give the scopes in names (all of their scopes of the API when names
// is nil).
func sharedRoles(cat *store.Catalog, others map[string][]string, names []string) string {
	var parts []string
	for roleID, scopes := range others {
		var give []string
		for _, s := range scopes {
			if names == nil || slices.Contains(names, s) {
				give = append(give, s)
			}
		}
		if len(give) == 0 {
			continue
		}
		name := roleID
		if i := slices.IndexFunc(cat.Roles, func(r store.Role) bool { return r.ID == roleID }); i >= 0 {
			name = cat.Roles[i].Name
		}
		parts = append(parts, fmt.Sprintf("role %q (id %s) gives %s", name, roleID, strings.Join(give, ", ")))
	}
	slices.Sort(parts)
	return strings.Join(parts, "; ")
}

// UpdateClientGrant makes scopes the scopes of a client grant: they become
// exactly the permissions of the grant's own role on the API (the role is
// created when the grant came from other roles only). Scopes another role
// of the application gives cannot be left out (Conflict,
// ReasonClientGrantSharedRole, naming the role): take them from that role,
// or that role from the application, through the Logto Management API or
// the console.
func (d *Directory) UpdateClientGrant(ctx context.Context, id string, scopes []string) (ClientGrant, error) {
	cat, err := d.st.LoadCatalog(ctx)
	if err != nil {
		return ClientGrant{}, err
	}
	g, err := clientGrantIn(cat, id)
	if err != nil {
		return g, err
	}
	want, err := grantScopeIDs(cat, g.ResourceID, scopes)
	if err != nil {
		return g, err
	}
	src := authz.Build(cat).ClientGrantSources(g.ClientID, g.ResourceID)
	var kept []string
	for _, names := range src.Others {
		for _, n := range names {
			if !slices.Contains(scopes, n) && !slices.Contains(kept, n) {
				kept = append(kept, n)
			}
		}
	}
	if len(kept) > 0 {
		slices.Sort(kept)
		return g, &Error{Kind: Conflict, Reason: ReasonClientGrantSharedRole,
			Message: "the grant's scopes " + strings.Join(kept, ", ") + " come from roles other than the grant's own (" +
				sharedRoles(cat, src.Others, kept) + "); take the permission from that role, or the role from the application, to remove them"}
	}
	if src.Own == "" {
		app, err := d.Application(ctx, g.ClientID)
		if err != nil {
			return g, err
		}
		i := slices.IndexFunc(cat.Resources, func(r store.Resource) bool { return r.ID == g.ResourceID })
		if err := d.createGrantRole(ctx, app, cat.Resources[i], want); err != nil {
			return g, err
		}
		return d.ClientGrant(ctx, id)
	}
	held := ownScopes(cat, src.Own, g.ResourceID)
	var add []string
	for _, s := range want {
		if !slices.Contains(held, s) {
			add = append(add, s)
		}
	}
	if len(add) > 0 {
		if err := d.st.AddRoleScopes(ctx, src.Own, add); err != nil {
			return g, orNotFound(err, "client grant not found")
		}
	}
	for _, s := range held {
		if !slices.Contains(want, s) {
			if err := d.st.RemoveRoleScope(ctx, src.Own, s); err != nil && !errors.Is(err, store.ErrNotFound) {
				return g, err
			}
		}
	}
	return d.ClientGrant(ctx, id)
}

// ownScopes returns the ids of the scopes of resID that roleID grants.
func ownScopes(cat *store.Catalog, roleID, resID string) []string {
	ofRes := make(map[string]bool)
	for _, sc := range cat.Scopes {
		if sc.ResourceID == resID {
			ofRes[sc.ID] = true
		}
	}
	var out []string
	for _, rs := range cat.RoleScopes {
		if rs.RoleID == roleID && ofRes[rs.ScopeID] {
			out = append(out, rs.ScopeID)
		}
	}
	return out
}

// DeleteClientGrant removes a client grant: its own role. While another
// role of the application gives scopes of the API, or the own role grants
// permissions of other APIs too (given to it through the Logto API), the
// grant cannot go (Conflict, ReasonClientGrantSharedRole, naming the
// role).
func (d *Directory) DeleteClientGrant(ctx context.Context, id string) error {
	cat, err := d.st.LoadCatalog(ctx)
	if err != nil {
		return err
	}
	g, err := clientGrantIn(cat, id)
	if err != nil {
		return err
	}
	src := authz.Build(cat).ClientGrantSources(g.ClientID, g.ResourceID)
	if len(src.Others) > 0 {
		return &Error{Kind: Conflict, Reason: ReasonClientGrantSharedRole,
			Message: "the grant comes from roles other than its own (" + sharedRoles(cat, src.Others, nil) +
				"); take the permissions from that role, or the role from the application, to remove it"}
	}
	if len(ownScopes(cat, src.Own, g.ResourceID)) != len(slices.DeleteFunc(slices.Clone(cat.RoleScopes), func(rs store.RoleScope) bool { return rs.RoleID != src.Own })) {
		return &Error{Kind: Conflict, Reason: ReasonClientGrantSharedRole,
			Message: "the grant's own role (id " + src.Own + ") grants permissions of other APIs too; take them from it, or delete the role, to remove the grant"}
	}
	return orNotFound(d.st.DeleteRole(ctx, src.Own), "client grant not found")
}
