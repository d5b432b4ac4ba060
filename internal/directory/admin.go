package directory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/monban/monban/internal/password"
	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
)

// Admin is what EnsureAdmin found or did.
type Admin struct {
	// User is the administrator it created or checked; zero when an
	// administrator existed already and none was named.
	User store.User
	// Password is the generated password of a new first administrator,
	// which exists nowhere else; "" otherwise.
	Password string
	// PasswordSet: the named administrator had another password, and now
	// has the one given.
	PasswordSet bool
}

// EnsureAdmin makes sure someone can sign in to the admin console.
//
// With username and pw given, that user exists, has that password (a
// different one is replaced) and holds a User role with the Management
// API's "all" permission ("Admin", unless they hold another such role
// already). Their other fields, other roles and suspension are left alone.
//
// With neither given, and no user holding a role with that permission, it
// creates the user "admin" with a random password and gives them "Admin".
func (d *Directory) EnsureAdmin(ctx context.Context, username, pw string) (Admin, error) {
	cat, err := d.st.LoadCatalog(ctx)
	if err != nil {
		return Admin{}, err
	}
	scopeID := managementScopeID(cat, d.indicator)
	if scopeID == "" {
		return Admin{}, ErrNoManagementScope
	}
	if username != "" {
		return d.ensureNamedAdmin(ctx, username, pw, cat, scopeID)
	}
	if found, err := d.anyAdmin(ctx, cat, scopeID); err != nil || found {
		return Admin{}, err
	}
	role, err := d.adminRole(ctx, cat, scopeID)
	if err != nil {
		return Admin{}, err
	}
	secret, err := d.GeneratePassword(ctx) // 24 characters or more, 144 bits
	if err != nil {
		return Admin{}, err
	}
	hash, err := d.passwords.Hash(ctx, secret)
	if err != nil {
		return Admin{}, err
	}
	now := d.now()
	u := store.User{ID: randid.ID(), Username: FirstAdminUsername, Name: "Administrator", PasswordHash: hash,
		CustomData: map[string]any{}, CreatedAt: now, UpdatedAt: now}
	for attempt := 0; ; attempt++ {
		err = d.st.CreateUser(ctx, u)
		if err == nil {
			break
		}
		if !errors.Is(err, store.ErrConflict) || attempt == 3 {
			return Admin{}, fmt.Errorf("create the first administrator: %w", err)
		}
		if busy, err := d.adminUnderWay(ctx, scopeID, u.Username, now); err != nil || busy {
			return Admin{}, err
		}
		// Someone without the permission has the name: take another.
		u.Username = FirstAdminUsername + "_" + randid.ID()[:6]
	}
	if err := d.giveAdminRole(ctx, u.ID, role, "the first administrator"); err != nil {
		return Admin{}, err
	}
	return Admin{User: u, Password: secret}, nil
}

// giveAdminRole gives a user a role holding the Management API's
// permission, checked as any role given to a user is.
func (d *Directory) giveAdminRole(ctx context.Context, userID string, role store.Role, who string) error {
	if err := d.givable(ctx, store.HolderUser, []string{role.ID}); err != nil {
		return err
	}
	if err := d.st.AddUserRoles(ctx, userID, []string{role.ID}); err != nil {
		return fmt.Errorf("give %s the %q role: %w", who, role.Name, err)
	}
	return nil
}

// ensureNamedAdmin is EnsureAdmin with a username and a password.
func (d *Directory) ensureNamedAdmin(ctx context.Context, username, pw string, cat *store.Catalog, scopeID string) (Admin, error) {
	now := d.now()
	out := Admin{}
	u, err := d.st.GetUserByUsername(ctx, username)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if err := d.CheckNewPassword(ctx, pw, password.UserInfo{Username: username}); err != nil {
			return out, err
		}
		hash, err := d.passwords.Hash(ctx, pw)
		if err != nil {
			return out, err
		}
		u = store.User{ID: randid.ID(), Username: username, PasswordHash: hash,
			CustomData: map[string]any{}, CreatedAt: now, UpdatedAt: now}
		switch err := d.st.CreateUser(ctx, u); {
		case errors.Is(err, store.ErrConflict):
			return d.ensureNamedAdmin(ctx, username, pw, cat, scopeID) // another instance was first
		case err != nil:
			return out, fmt.Errorf("create the administrator: %w", err)
		}
	case err != nil:
		return out, err
	default:
		ok, err := d.passwords.Verify(ctx, u.PasswordHash, pw)
		if err != nil && !errors.Is(err, password.ErrMalformed) {
			return out, err
		}
		if !ok {
			if err := d.CheckNewPassword(ctx, pw, UserInfoOf(u)); err != nil {
				return out, err
			}
			hash, err := d.passwords.Hash(ctx, pw)
			if err != nil {
				return out, err
			}
			if err := d.st.SetUserPassword(ctx, u.ID, hash, now); err != nil {
				return out, fmt.Errorf("set the password of the administrator: %w", err)
			}
			out.PasswordSet = true
		}
	}
	out.User = u
	held, _, err := d.st.ListUserRoles(ctx, u.ID, store.Page{})
	if err != nil {
		return out, err
	}
	for _, r := range held {
		if r.Type.GivenTo(store.HolderUser) && roleHolds(cat, r.ID, scopeID) {
			return out, nil
		}
	}
	role, err := d.adminRole(ctx, cat, scopeID)
	if err != nil {
		return out, err
	}
	return out, d.giveAdminRole(ctx, u.ID, role, "the administrator")
}

func roleHolds(cat *store.Catalog, roleID, scopeID string) bool {
	for _, rs := range cat.RoleScopes {
		if rs.RoleID == roleID && rs.ScopeID == scopeID {
			return true
		}
	}
	return false
}

// adminRoles returns the user roles holding the permission, the seeded
// "Admin" first, then by age.
func adminRoles(cat *store.Catalog, scopeID string) []store.Role {
	var out []store.Role
	for _, r := range cat.Roles {
		if r.Type.GivenTo(store.HolderUser) && roleHolds(cat, r.ID, scopeID) {
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, func(a, b store.Role) int {
		switch {
		case a.Name == b.Name:
			return 0
		case a.Name == AdminRoleName:
			return -1
		case b.Name == AdminRoleName:
			return 1
		}
		return 0
	})
	return out
}

// anyAdmin reports whether a user holds a user role with the permission. A
// nil cat is read anew.
func (d *Directory) anyAdmin(ctx context.Context, cat *store.Catalog, scopeID string) (bool, error) {
	if cat == nil {
		var err error
		if cat, err = d.st.LoadCatalog(ctx); err != nil {
			return false, err
		}
	}
	for _, r := range adminRoles(cat, scopeID) {
		_, n, err := d.st.ListRoleUsers(ctx, r.ID, store.Page{Limit: 1})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return false, err
		}
		if n > 0 {
			return true, nil
		}
	}
	return false, nil
}

// adminUnderWay tells, after the username of a new first administrator
// turned out taken, whether another instance starting at the same time is
// creating the first administrator: someone holds the permission already,
// or the user of that name was created seconds ago, has never signed in
// and has no role yet (the other instance gives it next).
func (d *Directory) adminUnderWay(ctx context.Context, scopeID, username string, now time.Time) (bool, error) {
	if found, err := d.anyAdmin(ctx, nil, scopeID); err != nil || found {
		return found, err
	}
	other, err := d.st.GetUserByUsername(ctx, username)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if dt := now.Sub(other.CreatedAt); dt > 10*time.Second || dt < -10*time.Second || !other.LastSignInAt.IsZero() {
		return false, nil
	}
	_, n, err := d.st.ListUserRoles(ctx, other.ID, store.Page{Limit: 1})
	return n == 0, err
}

// adminRole returns a user role holding the permission: "Admin" if it
// does, else the oldest such role, else a new "Admin" (named "Console
// admin" if a role without the permission has that name).
func (d *Directory) adminRole(ctx context.Context, cat *store.Catalog, scopeID string) (store.Role, error) {
	if roles := adminRoles(cat, scopeID); len(roles) > 0 {
		return roles[0], nil
	}
	for _, name := range []string{AdminRoleName, "Console admin"} {
		role := store.Role{ID: randid.ID(), Name: name, Description: adminRoleDescription, Type: store.RoleUser, CreatedAt: d.now()}
		err := d.seedRole(ctx, role, scopeID)
		if err == nil {
			return role, nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return store.Role{}, err
		}
		// Another instance starting at the same time may have created it.
		if cat, err = d.st.LoadCatalog(ctx); err != nil {
			return store.Role{}, err
		}
		if roles := adminRoles(cat, scopeID); len(roles) > 0 {
			return roles[0], nil
		}
	}
	return store.Role{}, fmt.Errorf("roles named %q and %q exist without the Management API's %q permission: give one of them the permission, or rename it", AdminRoleName, "Console admin", ManagementScope)
}

// lastAdmin reports whether the user id is an administrator (holding a
// User role with the Management API's permission) and no other user who is
// not suspended is one.
func (d *Directory) lastAdmin(ctx context.Context, id string) (bool, error) {
	cat, err := d.st.LoadCatalog(ctx)
	if err != nil {
		return false, err
	}
	scopeID := managementScopeID(cat, d.indicator)
	if scopeID == "" {
		return false, nil
	}
	is := false
	for _, r := range adminRoles(cat, scopeID) {
		// A page of three: the user and two others. A role held by more
		// than three users has another administrator (or one of them is
		// suspended: a rare case, and the console's own refusal to
		// suspend is not what this guards).
		users, n, err := d.st.ListRoleUsers(ctx, r.ID, store.Page{Limit: 3})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return false, err
		}
		if n > len(users) {
			return false, nil
		}
		for _, u := range users {
			switch {
			case u.ID == id:
				is = true
			case !u.IsSuspended:
				return false, nil
			}
		}
	}
	return is, nil
}
