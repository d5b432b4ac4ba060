package catalog

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/monban/monban/internal/store"
)

// Apply brings the snapshot up to date with events from the outbox (see
// package events). The frequent changes (applications, their secrets,
// resources, scopes, roles and their links, who holds a role) are applied
// to a copy of the catalog the snapshot was built from, reading only the
// rows an event names, and the snapshot is rebuilt from that copy in
// memory; the result is what a full Reload would give. Any other change
// (signing keys, claims scripts, a kind this version does not know), or a
// failure to read the rows, falls back to a full Reload.
func (c *Cache) Apply(ctx context.Context, evs []store.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cat == nil {
		return c.reload(ctx)
	}
	d := delta{st: c.store, cat: *c.cat}
	for _, ev := range evs {
		applied, err := d.apply(ctx, ev)
		if err != nil || !applied {
			if err != nil {
				c.logger.Warn("applying a change to the catalog failed; reloading it whole", "kind", ev.Kind, "err", err)
			}
			return c.reload(ctx)
		}
	}
	if !d.catalog && !d.holders {
		return nil // nothing the catalog holds
	}
	now := c.clock.Now()
	prev := c.cur.Load()
	snap := &Snapshot{}
	if d.catalog {
		var err error
		if snap, err = Build(&d.cat, now, c.publishDelay); err != nil {
			return c.reload(ctx)
		}
	} else {
		*snap = *prev
	}
	snap.holders = prev.holders
	if d.holders {
		var err error
		if snap.holders, err = loadHolders(ctx, c.store, snap, c.privileges); err != nil {
			return fmt.Errorf("load privileged users: %w", err)
		}
	}
	c.cat = &d.cat
	c.deltas++
	c.cur.Store(snap)
	c.scheduleActivation(snap, now)
	return nil
}

// delta is a copy of a catalog with changes applied. The copy shares the
// lists it has not changed with the catalog it came from; a change makes a
// new list, never writing to a shared one.
type delta struct {
	st  store.Store
	cat store.Catalog
	// catalog: the lists changed; holders: who holds a privilege may have.
	catalog, holders bool
}

// apply applies one event, reading the rows it names as they are now (so
// that applying an event twice, or after later changes, is harmless). It
// reports false for a kind it cannot apply.
func (d *delta) apply(ctx context.Context, ev store.Event) (bool, error) {
	var err error
	switch ev.Kind.Aggregate() {
	case "application":
		if ev.Kind == store.EventSecretsChanged {
			err = d.secrets(ctx, ev.Entity)
		} else {
			err = d.application(ctx, ev.Entity)
		}
	case "resource":
		err = d.resource(ctx, ev.Entity)
	case "scope":
		err = d.scope(ctx, ev.Entity)
	case "role":
		switch ev.Kind {
		case store.EventRoleScopesAdded, store.EventRoleScopeRemoved:
			err = d.roleScopes(ctx, ev.Entity)
		case store.EventRoleApplicationsAdded, store.EventRoleApplicationRemoved:
			err = d.roleApplications(ctx, ev.Entity)
		case store.EventRoleUsersAdded:
			d.holders = true
		default:
			err = d.role(ctx, ev.Entity)
		}
	case "user":
		// Users are not in the catalog, but who holds a privilege is.
		d.holders = d.holders || ev.Kind != store.EventUserCreated && ev.Kind != store.EventUserUpdated && ev.Kind != store.EventUserSignedIn
	case "access_token", "grant":
		// The revocation list's concern.
	case "sign_in_experience":
		// The experience service's concern (experience.Service.Apply).
	case "organization", "organization_role", "organization_scope":
		// Read from the database when a token is issued; told for webhooks.
	default:
		return false, nil
	}
	return err == nil, err
}

// gone reports a row that no longer exists; other errors are returned.
func gone(err error) (bool, error) {
	if errors.Is(err, store.ErrNotFound) {
		return true, nil
	}
	return false, err
}

// replace returns list without the items drop reports, plus add, sorted by
// order. It never writes to list.
func replace[T any](list []T, drop func(T) bool, add []T, order func(a, b T) int) []T {
	out := make([]T, 0, len(list)+len(add))
	for _, v := range list {
		if !drop(v) {
			out = append(out, v)
		}
	}
	out = append(out, add...)
	slices.SortStableFunc(out, order)
	return out
}

// The orders LoadCatalog reads the lists in.
func byApp(a, b store.Application) int {
	return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
}
func bySecret(a, b store.AppSecret) int {
	return cmp.Or(cmp.Compare(a.AppID, b.AppID), a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.Name, b.Name))
}
func byResource(a, b store.Resource) int {
	return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
}
func byScope(a, b store.Scope) int {
	return cmp.Or(cmp.Compare(a.ResourceID, b.ResourceID), a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
}
func byRole(a, b store.Role) int {
	return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
}
func byRoleScope(a, b store.RoleScope) int {
	return cmp.Or(cmp.Compare(a.RoleID, b.RoleID), cmp.Compare(a.ScopeID, b.ScopeID))
}
func byRoleApp(a, b store.RoleApplication) int {
	return cmp.Or(cmp.Compare(a.RoleID, b.RoleID), cmp.Compare(a.AppID, b.AppID))
}

// reread reads the row id of one of d's lists again: it replaces the
// list's copy, or, gone from the store, leaves the list, and then gone is
// called (to drop what the store's cascades deleted with it).
func reread[T any](ctx context.Context, d *delta, get func(context.Context, string) (T, error), list *[]T, id string,
	idOf func(T) string, order func(a, b T) int, onGone func()) error {
	v, err := get(ctx, id)
	deleted, err := gone(err)
	if err != nil {
		return err
	}
	var add []T
	if !deleted {
		add = append(add, v)
	}
	d.catalog = true
	*list = replace(*list, func(x T) bool { return idOf(x) == id }, add, order)
	if deleted && onGone != nil {
		onGone()
	}
	return nil
}

// relink reads the links of one role again: those of list whose role is
// roleID are replaced with one per row of the role's listing.
func relink[T, L any](ctx context.Context, listing func(context.Context, string, store.Page) ([]T, int, error),
	roleID string, list []L, link func(T) L, roleOf func(L) string, order func(a, b L) int) ([]L, error) {
	rows, _, err := listing(ctx, roleID, store.Page{})
	if _, err := gone(err); err != nil {
		return nil, err
	}
	links := make([]L, 0, len(rows))
	for _, r := range rows {
		links = append(links, link(r))
	}
	return replace(list, func(l L) bool { return roleOf(l) == roleID }, links, order), nil
}

// dropRoleScopes drops the role-scope links that match, as the store's
// cascades do when a role, scope or resource is deleted.
func (d *delta) dropRoleScopes(match func(store.RoleScope) bool) {
	d.cat.RoleScopes = replace(d.cat.RoleScopes, match, nil, byRoleScope)
}

// dropRoleApps drops the role-application links that match, as the
// store's cascades do when a role or application is deleted.
func (d *delta) dropRoleApps(match func(store.RoleApplication) bool) {
	d.cat.RoleApplications = replace(d.cat.RoleApplications, match, nil, byRoleApp)
}

// application re-reads one application; a deleted one takes its secrets
// and role links with it, as in the store.
func (d *delta) application(ctx context.Context, id string) error {
	return reread(ctx, d, d.st.GetApplication, &d.cat.Applications, id, func(a store.Application) string { return a.ID }, byApp, func() {
		d.cat.Secrets = replace(d.cat.Secrets, func(s store.AppSecret) bool { return s.AppID == id }, nil, bySecret)
		d.dropRoleApps(func(ra store.RoleApplication) bool { return ra.AppID == id })
	})
}

// secrets re-reads the secrets of one application.
func (d *delta) secrets(ctx context.Context, appID string) error {
	secs, err := d.st.ListAppSecrets(ctx, appID)
	if _, err := gone(err); err != nil {
		return err
	}
	d.catalog = true
	d.cat.Secrets = replace(d.cat.Secrets, func(s store.AppSecret) bool { return s.AppID == appID }, secs, bySecret)
	return nil
}

// resource re-reads one resource and its scopes. A resource that became
// the default took that from any other, as in the store; a deleted one
// takes its scopes and their role links with it.
func (d *delta) resource(ctx context.Context, id string) error {
	deleted := false
	err := reread(ctx, d, d.st.GetResource, &d.cat.Resources, id, func(r store.Resource) string { return r.ID }, byResource,
		func() { deleted = true })
	if err != nil {
		return err
	}
	var scopes []store.Scope
	if !deleted {
		scopes, _, err = d.st.ListScopes(ctx, id, store.Page{})
		if deleted, err = gone(err); err != nil {
			return err
		}
		if deleted {
			d.cat.Resources = replace(d.cat.Resources, func(r store.Resource) bool { return r.ID == id }, nil, byResource)
		}
	}
	d.holders = true
	resources := d.cat.Resources // a new list: ours to write
	if i := slices.IndexFunc(resources, func(r store.Resource) bool { return r.ID == id }); i >= 0 && resources[i].IsDefault {
		for j := range resources {
			resources[j].IsDefault = j == i
		}
	}
	kept := make(map[string]bool, len(scopes))
	for _, sc := range scopes {
		kept[sc.ID] = true
	}
	dropped := make(map[string]bool)
	d.cat.Scopes = replace(d.cat.Scopes, func(sc store.Scope) bool {
		if sc.ResourceID != id {
			return false
		}
		if !kept[sc.ID] {
			dropped[sc.ID] = true
		}
		return true
	}, scopes, byScope)
	if len(dropped) > 0 {
		d.dropRoleScopes(func(rs store.RoleScope) bool { return dropped[rs.ScopeID] })
	}
	return nil
}

// scope re-reads one scope; a deleted one takes its role links with it.
func (d *delta) scope(ctx context.Context, id string) error {
	d.holders = true
	return reread(ctx, d, d.st.GetScope, &d.cat.Scopes, id, func(s store.Scope) string { return s.ID }, byScope, func() {
		d.dropRoleScopes(func(rs store.RoleScope) bool { return rs.ScopeID == id })
	})
}

// role re-reads one role; a deleted one takes its links with it.
func (d *delta) role(ctx context.Context, id string) error {
	d.holders = true
	return reread(ctx, d, d.st.GetRole, &d.cat.Roles, id, func(r store.Role) string { return r.ID }, byRole, func() {
		d.dropRoleScopes(func(rs store.RoleScope) bool { return rs.RoleID == id })
		d.dropRoleApps(func(ra store.RoleApplication) bool { return ra.RoleID == id })
	})
}

// roleScopes re-reads the scopes one role grants.
func (d *delta) roleScopes(ctx context.Context, roleID string) error {
	links, err := relink(ctx, d.st.ListRoleScopes, roleID, d.cat.RoleScopes,
		func(sc store.Scope) store.RoleScope { return store.RoleScope{RoleID: roleID, ScopeID: sc.ID} },
		func(rs store.RoleScope) string { return rs.RoleID }, byRoleScope)
	if err != nil {
		return err
	}
	d.catalog, d.holders = true, true
	d.cat.RoleScopes = links
	return nil
}

// roleApplications re-reads the applications holding one role.
func (d *delta) roleApplications(ctx context.Context, roleID string) error {
	links, err := relink(ctx, d.st.ListRoleApplications, roleID, d.cat.RoleApplications,
		func(a store.Application) store.RoleApplication {
			return store.RoleApplication{RoleID: roleID, AppID: a.ID}
		},
		func(ra store.RoleApplication) string { return ra.RoleID }, byRoleApp)
	if err != nil {
		return err
	}
	d.catalog = true
	d.cat.RoleApplications = links
	return nil
}
