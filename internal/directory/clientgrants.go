package directory

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
)

// Client grants are Auth0's authorization of an application for an API
// (client, audience, scopes). Monban keeps no second record of them: a
// client grant is a machine-to-machine role named
// "client-grant:{application id}:{resource id}", held by that application
// alone and granting exactly the grant's scopes, all of that resource. So
// the Logto API and the console show and edit the same authorization as
// a role, and the token endpoint's one rule, "an application may have the
// scopes of a resource its roles grant it", decides for both faces.
//
// A grant with no scopes is a role with no permissions: it is listed, but
// authorizes nothing until a scope is added to it.

// clientGrantPrefix begins the name of a client grant's role.
const clientGrantPrefix = "client-grant:"

// ClientGrant is an application's authorization for an API.
type ClientGrant struct {
	ID         string // the role's id
	ClientID   string
	ResourceID string
	Audience   string // the resource's indicator
	Scopes     []string
	CreatedAt  time.Time
}

// ClientGrantFilter narrows a client grant listing; "" matches any.
type ClientGrantFilter struct {
	ClientID string
	Audience string
}

// clientGrantRoleName is the name of the role of app's grant for res.
func clientGrantRoleName(appID, resID string) string {
	return clientGrantPrefix + appID + ":" + resID
}

// clientGrantsOf reads the client grants in cat.
func clientGrantsOf(cat *store.Catalog) []ClientGrant {
	apps := make(map[string]bool, len(cat.Applications))
	for _, a := range cat.Applications {
		apps[a.ID] = true
	}
	resources := make(map[string]store.Resource, len(cat.Resources))
	for _, r := range cat.Resources {
		resources[r.ID] = r
	}
	scopes := make(map[string]store.Scope, len(cat.Scopes))
	for _, s := range cat.Scopes {
		scopes[s.ID] = s
	}
	held := make(map[store.RoleApplication]bool, len(cat.RoleApplications))
	for _, ra := range cat.RoleApplications {
		held[ra] = true
	}
	var out []ClientGrant
	for _, role := range cat.Roles {
		rest, ok := strings.CutPrefix(role.Name, clientGrantPrefix)
		if !ok || role.Type != store.RoleMachineToMachine {
			continue
		}
		appID, resID, ok := strings.Cut(rest, ":")
		res, known := resources[resID]
		if !ok || !known || !apps[appID] || !held[store.RoleApplication{RoleID: role.ID, AppID: appID}] {
			continue // not a grant's role, or what it named is gone
		}
		g := ClientGrant{ID: role.ID, ClientID: appID, ResourceID: resID, Audience: res.Indicator, Scopes: []string{}, CreatedAt: role.CreatedAt}
		for _, rs := range cat.RoleScopes {
			if sc, ok := scopes[rs.ScopeID]; ok && rs.RoleID == role.ID && sc.ResourceID == resID {
				g.Scopes = append(g.Scopes, sc.Name)
			}
		}
		slices.Sort(g.Scopes)
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b ClientGrant) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// ClientGrants lists the client grants filter matches, oldest first.
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
	if !ValidID(id) {
		return ClientGrant{}, errNoClientGrant
	}
	grants, err := d.ClientGrants(ctx, ClientGrantFilter{})
	if err != nil {
		return ClientGrant{}, err
	}
	for _, g := range grants {
		if g.ID == id {
			return g, nil
		}
	}
	return ClientGrant{}, errNoClientGrant
}

// ReasonClientGrantExists: the application has a grant for this API
// already.
const ReasonClientGrantExists Reason = "client_grant_exists"

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
// of that API; none is allowed, and authorizes nothing yet).
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
	role := store.Role{ID: randid.ID(), Name: clientGrantRoleName(app.ID, res.ID), Type: store.RoleMachineToMachine, CreatedAt: d.now(),
		Description: "Client grant: " + app.Name + " may call " + res.Indicator}
	if err := d.createRoleWithScopes(ctx, role, scopeIDs); err != nil {
		return ClientGrant{}, orConflictFor(orNotFound(err, "a permission was removed while the grant was being created"),
			ReasonClientGrantExists, "the application has a grant for this API already")
	}
	if err := d.st.AddRoleApplications(ctx, role.ID, []string{app.ID}); err != nil {
		if derr := d.st.DeleteRole(ctx, role.ID); derr != nil {
			err = fmt.Errorf("%w (and removing the role again failed: %v)", err, derr)
		}
		return ClientGrant{}, orNotFound(err, "application not found")
	}
	return d.ClientGrant(ctx, role.ID)
}

// UpdateClientGrant replaces the scopes of a client grant.
func (d *Directory) UpdateClientGrant(ctx context.Context, id string, scopes []string) (ClientGrant, error) {
	g, err := d.ClientGrant(ctx, id)
	if err != nil {
		return g, err
	}
	cat, err := d.st.LoadCatalog(ctx)
	if err != nil {
		return g, err
	}
	want, err := grantScopeIDs(cat, g.ResourceID, scopes)
	if err != nil {
		return g, err
	}
	var held []string
	for _, rs := range cat.RoleScopes {
		if rs.RoleID == id {
			held = append(held, rs.ScopeID)
		}
	}
	var add []string
	for _, s := range want {
		if !slices.Contains(held, s) {
			add = append(add, s)
		}
	}
	if len(add) > 0 {
		if err := d.st.AddRoleScopes(ctx, id, add); err != nil {
			return g, orNotFound(err, "client grant not found")
		}
	}
	for _, s := range held {
		if !slices.Contains(want, s) {
			if err := d.st.RemoveRoleScope(ctx, id, s); err != nil && !errors.Is(err, store.ErrNotFound) {
				return g, err
			}
		}
	}
	return d.ClientGrant(ctx, id)
}

// DeleteClientGrant removes a client grant (its role).
func (d *Directory) DeleteClientGrant(ctx context.Context, id string) error {
	if _, err := d.ClientGrant(ctx, id); err != nil {
		return err
	}
	return orNotFound(d.st.DeleteRole(ctx, id), "client grant not found")
}
