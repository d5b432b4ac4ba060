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

// ApplicationRoles lists one page of an application's roles and their
// total.
func (d *Directory) ApplicationRoles(ctx context.Context, appID string, page store.Page) ([]store.Role, int, error) {
	app, err := d.Application(ctx, appID)
	if err != nil {
		return nil, 0, err
	}
	roles, total, err := d.st.ListApplicationRoles(ctx, app.ID, page)
	return roles, total, orNotFound(err, "application not found")
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

// RoleApplications lists one page of the applications holding a role and
// their total.
func (d *Directory) RoleApplications(ctx context.Context, roleID string, page store.Page) ([]store.Application, int, error) {
	role, err := d.Role(ctx, roleID)
	if err != nil {
		return nil, 0, err
	}
	apps, total, err := d.st.ListRoleApplications(ctx, role.ID, page)
	return apps, total, orNotFound(err, "role not found")
}

// AssignRoleApplications gives a role to applications.
func (d *Directory) AssignRoleApplications(ctx context.Context, roleID string, appIDs []string) error {
	ids, err := CheckIDs("applicationIds", appIDs)
	if err != nil {
		return err
	}
	role, err := d.givableRole(ctx, roleID, store.HolderApplication)
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
	if err := validIDs(roleID, "role", appID, "application"); err != nil {
		return err
	}
	return orNotFound(d.st.RemoveRoleApplication(ctx, roleID, appID), "the application does not hold this role")
}

// UserRoles lists one page of a user's roles and their total.
func (d *Directory) UserRoles(ctx context.Context, userID string, page store.Page) ([]store.Role, int, error) {
	if !ValidID(userID) {
		return nil, 0, notFound("user not found")
	}
	roles, total, err := d.st.ListUserRoles(ctx, userID, page)
	return roles, total, orNotFound(err, "user not found")
}

// AssignUserRoles gives roles to a user.
func (d *Directory) AssignUserRoles(ctx context.Context, userID string, roleIDs []string) error {
	ids, err := CheckIDs("roleIds", roleIDs)
	if err != nil {
		return err
	}
	u, err := d.checkedUserRoles(ctx, userID, ids)
	if err != nil {
		return err
	}
	return d.giveUser(ctx, u.ID, ids)
}

func (d *Directory) giveUser(ctx context.Context, userID string, ids []string) error {
	return orNotFound(d.st.AddUserRoles(ctx, userID, ids), "the user or one of the roles no longer exists")
}

// checkedUserRoles loads the user and checks that each role may be given
// to users.
func (d *Directory) checkedUserRoles(ctx context.Context, userID string, ids []string) (store.User, error) {
	u, err := d.User(ctx, userID)
	if err != nil {
		return u, err
	}
	return u, d.givable(ctx, store.HolderUser, ids)
}

// ReplaceUserRoles makes roleIDs the user's exact set of roles (nil is
// refused; empty removes every role). New roles are added before stale
// ones are removed.
func (d *Directory) ReplaceUserRoles(ctx context.Context, userID string, roleIDs []string) error {
	ids, err := checkSet("roleIds", roleIDs)
	if err != nil {
		return err
	}
	u, err := d.checkedUserRoles(ctx, userID, ids)
	if err != nil {
		return err
	}
	if len(ids) > 0 {
		if err := d.giveUser(ctx, u.ID, ids); err != nil {
			return err
		}
	}
	held, _, err := d.UserRoles(ctx, u.ID, store.Page{})
	if err != nil {
		return err
	}
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	for _, role := range held {
		if !want[role.ID] {
			if err := d.st.RemoveUserRole(ctx, u.ID, role.ID); err != nil && !isNotFound(err) {
				return err
			}
		}
	}
	return nil
}

// RemoveUserRole takes a role from a user.
func (d *Directory) RemoveUserRole(ctx context.Context, userID, roleID string) error {
	if err := validIDs(userID, "user", roleID, "role"); err != nil {
		return err
	}
	return orNotFound(d.st.RemoveUserRole(ctx, userID, roleID), "the user does not hold this role")
}

// RoleUsers lists one page of the users holding a role and their total.
func (d *Directory) RoleUsers(ctx context.Context, roleID string, page store.Page) ([]store.User, int, error) {
	if !ValidID(roleID) {
		return nil, 0, notFound("role not found")
	}
	users, total, err := d.st.ListRoleUsers(ctx, roleID, page)
	return users, total, orNotFound(err, "role not found")
}

// AssignRoleUsers gives a role to users.
func (d *Directory) AssignRoleUsers(ctx context.Context, roleID string, userIDs []string) error {
	ids, err := CheckIDs("userIds", userIDs)
	if err != nil {
		return err
	}
	role, err := d.givableRole(ctx, roleID, store.HolderUser)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := d.st.GetUser(ctx, id); err != nil {
			return orNotFound(err, fmt.Sprintf("user %q not found", id))
		}
	}
	return orNotFound(d.st.AddRoleUsers(ctx, role.ID, ids), "the role or one of the users no longer exists")
}

// RemoveRoleUser is RemoveUserRole from the role's side: an id no stored
// row can have is named role first.
func (d *Directory) RemoveRoleUser(ctx context.Context, roleID, userID string) error {
	if err := validIDs(roleID, "role", userID, "user"); err != nil {
		return err
	}
	return d.RemoveUserRole(ctx, userID, roleID)
}
