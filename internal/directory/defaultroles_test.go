package directory

import (
	"context"
	"errors"
	"testing"

	"github.com/monban/monban/internal/password"
	"github.com/monban/monban/internal/store"
)

// failingRoles is a store whose AddUserRoles fails.
type failingRoles struct {
	store.Store
	err error
}

func (f failingRoles) AddUserRoles(context.Context, string, []string) error { return f.err }

func userRoleIDs(t *testing.T, d *Directory, userID string) []string {
	t.Helper()
	roles, _, err := d.UserRoles(context.Background(), userID, store.Search{}, store.Page{})
	ok(t, err)
	ids := []string{}
	for _, r := range roles {
		ids = append(ids, r.ID)
	}
	return ids
}

func TestDefaultRolesOnUserCreation(t *testing.T) {
	d, st := newDir(t)
	ctx := context.Background()
	member := must[store.Role](t)(d.CreateRole(ctx, NewRole{Name: ptr("Members"), Description: ptr(""), IsDefault: ptr(true)}))
	must[store.Role](t)(d.CreateRole(ctx, NewRole{Name: ptr("Robots"), Description: ptr(""), Type: ptr("MachineToMachine"), IsDefault: ptr(true)}))
	plain := role(t, d, "Editors", store.RoleUser)

	u := must[store.User](t)(d.CreateUser(ctx, NewUser{UserFields: UserFields{Username: ptr("jane")}}))
	if got := userRoleIDs(t, d, u.ID); len(got) != 1 || got[0] != member.ID {
		t.Fatalf("roles %v, want only %s", got, member.ID)
	}
	got, changed, err := d.UpdateRole(ctx, plain.ID, RoleChange{IsDefault: ptr(true)})
	ok(t, err)
	if !changed || !got.IsDefault {
		t.Fatalf("UpdateRole = %+v, %v", got, changed)
	}
	if _, changed, err := d.UpdateRole(ctx, plain.ID, RoleChange{Type: ptr("User")}); err != nil || changed {
		t.Fatalf("unchanged type: changed %v, err %v", changed, err)
	}
	_, _, err = d.UpdateRole(ctx, plain.ID, RoleChange{Type: ptr("MachineToMachine")})
	refused(t, err, Invalid, "")

	// A user whose default roles cannot be given is not left behind.
	boom := errors.New("boom")
	broken := New(Config{Store: failingRoles{Store: st, err: boom}, ManagementIndicator: testIndicator,
		Passwords: password.NewHasher(fast, 1), HashSecret: func(s string) []byte { return []byte("hash:" + s) }})
	if _, err := broken.CreateUser(ctx, NewUser{UserFields: UserFields{Username: ptr("bob")}}); !errors.Is(err, boom) {
		t.Fatalf("CreateUser with failing roles: %v", err)
	}
	users, total, err := d.Users(ctx, store.UserFilter{}, store.Page{})
	ok(t, err)
	if total != 1 || users[0].ID != u.ID {
		t.Fatalf("users after a failed creation: %d %v", total, users)
	}
}
