package directory

import (
	"context"
	"fmt"

	"github.com/monban/monban/internal/store"
)

// Who may hold which role. The role-type rule itself is
// store.RoleType.GivenTo; this file is the one place it is enforced when
// a role is given.

// holderNames names the holders in messages: singular, plural.
var holderNames = map[store.Holder][2]string{
	store.HolderUser:        {"user", "users"},
	store.HolderApplication: {"application", "applications"},
}

// heldType is the role type a holder may hold, for messages.
func heldType(h store.Holder) store.RoleType {
	if store.RoleUser.GivenTo(h) {
		return store.RoleUser
	}
	return store.RoleMachineToMachine
}

// givable loads every role named and checks that each exists (NotFound)
// and may be given to h (Invalid, ReasonUserRoleType or
// ReasonApplicationRoleType).
func (d *Directory) givable(ctx context.Context, h store.Holder, ids []string) error {
	for _, id := range ids {
		role, err := d.st.GetRole(ctx, id)
		if err != nil {
			return orNotFound(err, fmt.Sprintf("role %q not found", id))
		}
		if !role.Type.GivenTo(h) {
			reason := ReasonUserRoleType
			if h == store.HolderApplication {
				reason = ReasonApplicationRoleType
			}
			return &Error{Kind: Invalid, Reason: reason, Message: fmt.Sprintf("role %q is a %s role; %s can hold %s roles only",
				id, role.Type, holderNames[h][1], heldType(h))}
		}
	}
	return nil
}

// withIDs validates ids named field (CheckIDs), then loads with load the
// row they are to be linked with.
func withIDs[T any](field string, ids []string, load func() (T, error)) ([]string, T, error) {
	checked, err := CheckIDs(field, ids)
	if err != nil {
		var zero T
		return nil, zero, err
	}
	v, err := load()
	return checked, v, err
}

// givableRole loads the role with id and checks that it may be given to h
// (Invalid, ReasonRoleType).
func (d *Directory) givableRole(ctx context.Context, id string, h store.Holder) (store.Role, error) {
	role, err := d.Role(ctx, id)
	if err == nil && !role.Type.GivenTo(h) {
		err = &Error{Kind: Invalid, Reason: ReasonRoleType,
			Message: fmt.Sprintf("only %s roles can be given to %s", heldType(h), holderNames[h][1])}
	}
	return role, err
}

// roleHolder loads the application with id and checks that it can hold
// roles: only machine-to-machine applications can.
func (d *Directory) roleHolder(ctx context.Context, id string) (store.Application, error) {
	app, err := d.Application(ctx, id)
	if err == nil && app.Type != store.AppMachineToMachine {
		err = &Error{Kind: Invalid, Reason: ReasonApplicationType, Message: "only MachineToMachine applications can be given roles"}
	}
	return app, err
}

// ApplicationRoles lists one page of an application's roles that match
// (see RoleMatch) and their total.
func (d *Directory) ApplicationRoles(ctx context.Context, appID string, match store.Search, page store.Page) ([]store.Role, int, error) {
	return listFor(ctx, appID, "application", exists(d.Application), func(ctx context.Context, id string, page store.Page) ([]store.Role, int, error) {
		return d.st.ListRoles(ctx, store.RoleFilter{ApplicationID: id, Match: match}, page)
	}, page)
}

// applicationRoleIDs returns the ids of every role the application holds.
func (d *Directory) applicationRoleIDs(ctx context.Context, appID string) (map[string]bool, error) {
	roles, _, err := d.st.ListApplicationRoles(ctx, appID, store.Page{})
	if err != nil {
		return nil, err
	}
	held := make(map[string]bool, len(roles))
	for _, role := range roles {
		held[role.ID] = true
	}
	return held, nil
}

// giveApplication gives each role of ids that the application does not
// hold yet, and returns those it gave.
func (d *Directory) giveApplication(ctx context.Context, appID string, ids []string, held map[string]bool) ([]string, error) {
	added := []string{}
	for _, id := range ids {
		if held[id] {
			continue
		}
		if err := d.st.AddRoleApplications(ctx, id, []string{appID}); err != nil {
			return added, orNotFound(err, fmt.Sprintf("role %q or the application no longer exists", id))
		}
		added = append(added, id)
	}
	return added, nil
}

// checkedApplicationRoles is the start of every change to an
// application's roles: the application can hold roles and each role may
// be given to it. It returns the roles the application holds.
func (d *Directory) checkedApplicationRoles(ctx context.Context, appID string, ids []string) (store.Application, map[string]bool, error) {
	app, err := d.roleHolder(ctx, appID)
	if err != nil {
		return app, nil, err
	}
	if err := d.givable(ctx, store.HolderApplication, ids); err != nil {
		return app, nil, err
	}
	held, err := d.applicationRoleIDs(ctx, app.ID)
	return app, held, err
}

// AssignApplicationRoles gives roles to an application. It returns the
// ids asked for, without repeats, and those the application did not hold
// before (what it gave, also when it fails part way).
func (d *Directory) AssignApplicationRoles(ctx context.Context, appID string, roleIDs []string) (ids, added []string, err error) {
	if ids, err = CheckIDs("roleIds", roleIDs); err != nil {
		return nil, nil, err
	}
	app, held, err := d.checkedApplicationRoles(ctx, appID, ids)
	if err != nil {
		return ids, nil, err
	}
	added, err = d.giveApplication(ctx, app.ID, ids, held)
	return ids, added, err
}

// ReplaceApplicationRoles makes roleIDs the application's exact set of
// roles (nil is refused; empty removes every role). New roles are added
// before stale ones are removed, so a failure half way never leaves the
// application with fewer grants than both the old and the new set. wrote
// says whether anything changed.
func (d *Directory) ReplaceApplicationRoles(ctx context.Context, appID string, roleIDs []string) (wrote bool, err error) {
	ids, err := checkSet("roleIds", roleIDs)
	if err != nil {
		return false, err
	}
	app, held, err := d.checkedApplicationRoles(ctx, appID, ids)
	if err != nil {
		return false, err
	}
	added, err := d.giveApplication(ctx, app.ID, ids, held)
	if err != nil {
		return false, err
	}
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	wrote = len(added) > 0
	for id := range held {
		if want[id] {
			continue
		}
		if err := d.st.RemoveRoleApplication(ctx, id, app.ID); err != nil && !isNotFound(err) {
			return false, err
		}
		wrote = true
	}
	return wrote, nil
}

// RemoveApplicationRole takes a role from an application.
func (d *Directory) RemoveApplicationRole(ctx context.Context, appID, roleID string) error {
	app, err := d.roleHolder(ctx, appID)
	if err != nil {
		return err
	}
	if !ValidID(roleID) {
		return notFound("role not found")
	}
	return orNotFound(d.st.RemoveRoleApplication(ctx, roleID, app.ID), "the application does not hold this role")
}

// RoleApplications lists one page of the applications holding a role that
// match (see ApplicationMatch) and their total.
func (d *Directory) RoleApplications(ctx context.Context, roleID string, match store.Search, page store.Page) ([]store.Application, int, error) {
	return listFor(ctx, roleID, "role", exists(d.Role), func(ctx context.Context, id string, page store.Page) ([]store.Application, int, error) {
		return d.st.ListApplications(ctx, store.ApplicationFilter{RoleID: id, Match: match}, page)
	}, page)
}

// AssignRoleApplications gives a role to applications.
func (d *Directory) AssignRoleApplications(ctx context.Context, roleID string, appIDs []string) error {
	ids, role, err := withIDs("applicationIds", appIDs, func() (store.Role, error) {
		return d.givableRole(ctx, roleID, store.HolderApplication)
	})
	if err != nil {
		return err
	}
	for _, id := range ids {
		app, err := d.st.GetApplication(ctx, id)
		if err != nil {
			return orNotFound(err, fmt.Sprintf("application %q not found", id))
		}
		if app.Type != store.AppMachineToMachine {
			return &Error{Kind: Invalid, Reason: ReasonApplicationType,
				Message: fmt.Sprintf("application %q is of type %s; only MachineToMachine applications can hold roles", id, app.Type)}
		}
	}
	return orNotFound(d.st.AddRoleApplications(ctx, role.ID, ids), "the role or one of the applications no longer exists")
}

// RemoveRoleApplication takes a role from an application.
func (d *Directory) RemoveRoleApplication(ctx context.Context, roleID, appID string) error {
	return unlink(roleID, "role", appID, "application", func() error { return d.st.RemoveRoleApplication(ctx, roleID, appID) },
		"the application does not hold this role")
}
