package directory

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/monban/monban/internal/store"
)

// The roles of users, from the user's side and from the role's.

// UserRoles lists one page of a user's roles that match (see RoleMatch)
// and their total.
func (d *Directory) UserRoles(ctx context.Context, userID string, match store.Search, page store.Page) ([]store.Role, int, error) {
	return listFor(ctx, userID, "user", exists(d.User), func(ctx context.Context, id string, page store.Page) ([]store.Role, int, error) {
		return d.st.ListRoles(ctx, store.RoleFilter{UserID: id, Match: match}, page)
	}, page)
}

// AssignUserRoles gives roles to a user. It returns the ids asked for,
// without repeats, and those the user did not hold before (Logto's
// roleIds and addedRoleIds).
func (d *Directory) AssignUserRoles(ctx context.Context, userID string, roleIDs []string) (ids, added []string, err error) {
	u, ids, err := d.userAndRoles(ctx, userID, roleIDs, CheckIDs)
	if err != nil {
		return ids, nil, err
	}
	held, _, err := d.st.ListUserRoles(ctx, u.ID, store.Page{})
	if err != nil {
		return ids, nil, err
	}
	added = []string{}
	for _, id := range ids {
		if !slices.ContainsFunc(held, func(r store.Role) bool { return r.ID == id }) {
			added = append(added, id)
		}
	}
	if len(added) == 0 {
		return ids, added, nil
	}
	return ids, added, d.giveUser(ctx, u.ID, ids)
}

func (d *Directory) giveUser(ctx context.Context, userID string, ids []string) error {
	return orNotFound(d.st.AddUserRoles(ctx, userID, ids), "the user or one of the roles no longer exists")
}

// userAndRoles is the start of every change to a user's roles: it
// validates the role ids with check, loads the user and checks that each
// role may be given to users.
func (d *Directory) userAndRoles(ctx context.Context, userID string, roleIDs []string,
	check func(field string, ids []string) ([]string, error)) (store.User, []string, error) {
	ids, err := check("roleIds", roleIDs)
	if err != nil {
		return store.User{}, nil, err
	}
	u, err := d.User(ctx, userID)
	if err != nil {
		return u, nil, err
	}
	return u, ids, d.givable(ctx, store.HolderUser, ids)
}

// ReplaceUserRoles makes roleIDs the user's exact set of roles (nil is
// refused; empty removes every role). New roles are added before stale
// ones are removed. It returns the ids, without repeats (Logto's roleIds).
func (d *Directory) ReplaceUserRoles(ctx context.Context, userID string, roleIDs []string) (ids []string, err error) {
	u, ids, err := d.userAndRoles(ctx, userID, roleIDs, checkSet)
	if err != nil {
		return ids, err
	}
	if ids == nil {
		ids = []string{}
	}
	if len(ids) > 0 {
		if err := d.giveUser(ctx, u.ID, ids); err != nil {
			return ids, err
		}
	}
	held, _, err := d.st.ListUserRoles(ctx, u.ID, store.Page{})
	if err != nil {
		return ids, err
	}
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	for _, role := range held {
		if !want[role.ID] {
			if err := d.st.RemoveUserRole(ctx, u.ID, role.ID); err != nil && !isNotFound(err) {
				return ids, err
			}
		}
	}
	return ids, nil
}

// RemoveUserRole takes a role from a user.
func (d *Directory) RemoveUserRole(ctx context.Context, userID, roleID string) error {
	return unlink(userID, "user", roleID, "role", func() error { return d.st.RemoveUserRole(ctx, userID, roleID) },
		"the user does not hold this role")
}

// RoleUsers lists one page of the users holding a role and their total.
func (d *Directory) RoleUsers(ctx context.Context, roleID string, page store.Page) ([]store.User, int, error) {
	return listFor(ctx, roleID, "role", nil, d.st.ListRoleUsers, page)
}

// SearchRoleUsers lists one page of the users holding the role that
// filter (see UserSearch) matches, and their total.
func (d *Directory) SearchRoleUsers(ctx context.Context, roleID string, filter store.UserFilter, page store.Page) ([]store.User, int, error) {
	if _, err := d.Role(ctx, roleID); err != nil {
		return nil, 0, err
	}
	filter.RoleID = roleID
	return d.st.ListUsers(ctx, filter, page)
}

// AssignRoleUsers gives a role to users.
func (d *Directory) AssignRoleUsers(ctx context.Context, roleID string, userIDs []string) error {
	ids, role, err := withIDs("userIds", userIDs, func() (store.Role, error) { return d.givableRole(ctx, roleID, store.HolderUser) })
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

// giveDefaultRoles gives a new user every User role marked default. As in
// Logto, MachineToMachine roles marked default are not given. A default
// role removed meanwhile is not missed: the list is read once more.
func (d *Directory) giveDefaultRoles(ctx context.Context, userID string) error {
	var err error
	for range 2 {
		var roles []store.Role
		if roles, err = d.st.ListDefaultRoles(ctx, store.RoleUser); err != nil || len(roles) == 0 {
			return err
		}
		ids := make([]string, len(roles))
		for i, r := range roles {
			ids[i] = r.ID
		}
		if err = d.st.AddUserRoles(ctx, userID, ids); !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return err
}
