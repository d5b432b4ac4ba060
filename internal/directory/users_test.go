package directory

import (
	"context"
	"strings"
	"testing"

	"github.com/monban/monban/internal/store"
)

func TestUserFields(t *testing.T) {
	ctx := context.Background()
	d, _ := newDir(t)
	for _, f := range []UserFields{
		{Username: ptr("1jane")},
		{Username: ptr(strings.Repeat("a", 129))},
		{PrimaryEmail: ptr("Jane <jane@example.com>")},
		{PrimaryEmail: ptr("jane@localhost")},
		{PrimaryPhone: ptr("12")},
		{Name: ptr("a\x00")},
		{Avatar: ptr("javascript:alert(1)")},
		{CustomData: &map[string]any{"big": strings.Repeat("x", maxCustomDataSize)}},
		{CustomData: new(map[string]any)},
		{Profile: &store.UserProfile{Website: "data:text/html,hi"}},
		{Profile: &store.UserProfile{Address: &store.UserAddress{Formatted: "a\x00"}}},
	} {
		_, err := d.CreateUser(ctx, NewUser{UserFields: f})
		refused(t, err, Invalid, "")
	}
	for _, in := range []NewUser{
		{Password: ptr("short")},
		{Password: ptr("long enough\x00")},
		{Password: ptr("long enough"), PasswordDigest: ptr("$argon2id$")},
		{PasswordDigest: ptr("$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA")},
		{PasswordDigest: ptr("plain"), PasswordAlgorithm: ptr("Argon2id")},
		{PasswordAlgorithm: ptr("Argon2id")},
	} {
		_, err := d.CreateUser(ctx, in)
		refused(t, err, Invalid, "")
	}

	u := must[store.User](t)(d.CreateUser(ctx, NewUser{UserFields: UserFields{Username: ptr("jane"),
		PrimaryEmail: ptr("jane@example.com"), PrimaryPhone: ptr("+15550100")}, Password: ptr("correct horse")}))
	for reason, f := range map[Reason]UserFields{
		ReasonUsernameTaken: {Username: ptr("jane")},
		ReasonEmailTaken:    {PrimaryEmail: ptr("JANE@example.com")},
		ReasonPhoneTaken:    {PrimaryPhone: ptr("+15550100")},
	} {
		_, err := d.CreateUser(ctx, NewUser{UserFields: f})
		refused(t, err, Conflict, reason)
	}

	// "" clears a field; nil leaves it.
	got, changed, err := d.UpdateUser(ctx, u.ID, UserFields{PrimaryPhone: ptr("")})
	if err != nil || !changed || got.PrimaryPhone != "" || got.Username != "jane" {
		t.Fatalf("clear phone: %+v %v %v", got, changed, err)
	}
	if _, changed, err := d.UpdateUser(ctx, u.ID, UserFields{}); err != nil || changed {
		t.Fatalf("empty change: %v %v", changed, err)
	}
	_, _, err = d.UpdateUser(ctx, "nobody", UserFields{Name: ptr("x")})
	refused(t, err, NotFound, "")
	other := user(t, d, "john")
	_, _, err = d.UpdateUser(ctx, other.ID, UserFields{Username: ptr("jane")})
	refused(t, err, Conflict, ReasonUsernameTaken)

	if users, n, err := d.Users(ctx, ptr("%JAN%"), store.Page{}); err != nil || n != 1 || users[0].ID != u.ID {
		t.Fatalf("search: %v %d %v", users, n, err)
	}
	_, _, err = d.Users(ctx, ptr(strings.Repeat("a", maxSearchLen+1)), store.Page{})
	refused(t, err, Invalid, "")
}

func TestUserPasswordAndSuspension(t *testing.T) {
	ctx := context.Background()
	d, st := newDir(t)
	u := user(t, d, "jane")
	refused(t, d.VerifyPassword(ctx, u.ID, "anything"), Invalid, ReasonWrongPassword)
	refused(t, d.VerifyPassword(ctx, u.ID, ""), Invalid, "")
	_, err := d.SetPassword(ctx, u.ID, "short")
	refused(t, err, Invalid, "")
	_, err = d.SetPassword(ctx, "nobody", "correct horse")
	refused(t, err, NotFound, "")
	if got, err := d.SetPassword(ctx, u.ID, "correct horse"); err != nil || got.PasswordHash == "" {
		t.Fatalf("set password: %v", err)
	}
	if err := d.VerifyPassword(ctx, u.ID, "correct horse"); err != nil {
		t.Fatal(err)
	}
	refused(t, d.VerifyPassword(ctx, u.ID, "wrong horse"), Invalid, ReasonWrongPassword)

	if got, err := d.SetSuspended(ctx, u.ID, true); err != nil || !got.IsSuspended {
		t.Fatalf("suspend: %v", err)
	}
	if stored, _ := st.GetUser(ctx, u.ID); !stored.IsSuspended {
		t.Error("suspension not stored")
	}
	_, err = d.SetSuspended(ctx, "nobody", true)
	refused(t, err, NotFound, "")

	merged, err := d.MergeCustomData(ctx, u.ID, map[string]any{"a": 1.0})
	if err != nil || merged["a"] != 1.0 {
		t.Fatalf("merge: %v %v", merged, err)
	}
	if merged, err = d.MergeCustomData(ctx, u.ID, map[string]any{"b": true}); err != nil || len(merged) != 2 {
		t.Fatalf("merge again: %v %v", merged, err)
	}
	_, err = d.MergeCustomData(ctx, u.ID, map[string]any{"big": strings.Repeat("x", maxCustomDataSize)})
	refused(t, err, Invalid, "")

	if err := d.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	refused(t, d.DeleteUser(ctx, u.ID), NotFound, "")
	_, err = d.User(ctx, u.ID)
	refused(t, err, NotFound, "")
}

func TestUserRoleLinks(t *testing.T) {
	ctx := context.Background()
	d, _ := newDir(t)
	r, u := role(t, d, "Editors", store.RoleUser), user(t, d, "jane")
	refused(t, d.AssignUserRoles(ctx, u.ID, []string{"nope"}), NotFound, "")
	refused(t, d.AssignRoleUsers(ctx, r.ID, []string{"nobody"}), NotFound, "")
	refused(t, d.AssignUserRoles(ctx, "nobody", []string{r.ID}), NotFound, "")
	if err := d.AssignRoleUsers(ctx, r.ID, []string{u.ID}); err != nil {
		t.Fatal(err)
	}
	if users, n, err := d.RoleUsers(ctx, r.ID, store.Page{}); err != nil || n != 1 || users[0].ID != u.ID {
		t.Fatalf("role users: %v %v", users, err)
	}
	refused(t, d.RemoveRoleUser(ctx, "", u.ID), NotFound, "")
	if err := d.RemoveRoleUser(ctx, r.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	refused(t, d.RemoveUserRole(ctx, u.ID, r.ID), NotFound, "")
	_, _, err := d.UserRoles(ctx, "\x00", store.Page{})
	refused(t, err, NotFound, "")
}
