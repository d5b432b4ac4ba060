package directory

import (
	"context"
	"fmt"
	"testing"
)

// The rule of who may say an address is verified and what each writer
// gives, held to the store.
func TestEmailVerifiedRule(t *testing.T) {
	d, st := newDir(t)
	ctx := context.Background()
	create := func(email string, by Writer, verified *bool) (bool, error) {
		t.Helper()
		u, err := d.CreateUser(ctx, NewUser{UserFields: UserFields{PrimaryEmail: ptr(email), By: by, EmailVerified: verified}})
		if err != nil {
			return false, err
		}
		got, err := st.GetUser(ctx, u.ID)
		ok(t, err)
		if got.EmailVerified != u.EmailVerified {
			t.Fatalf("answered %v, stored %v", u.EmailVerified, got.EmailVerified)
		}
		return got.EmailVerified, nil
	}
	for i, c := range []struct {
		name     string
		by       Writer
		verified *bool
		want     bool
	}{
		{"Logto's administrator", ByAdmin, nil, true},
		{"Logto's administrator, said unverified", ByAdmin, ptr(false), false},
		{"Auth0's administrator", ByAdminUnverified, nil, false},
		{"Auth0's administrator, said verified", ByAdminUnverified, ptr(true), true},
		{"sign-up", BySignUp, nil, false},
		{"sign-up with a code sent to the address", ByCode, nil, true},
	} {
		got, err := create(fmt.Sprintf("u%d@example.com", i), c.by, c.verified)
		if err != nil || got != c.want {
			t.Errorf("%s: verified %v, %v; want %v", c.name, got, err, c.want)
		}
	}
	// Sign-up cannot say so, and nobody can verify no address.
	_, err := create("self@example.com", BySignUp, ptr(true))
	refused(t, err, Invalid, "")
	_, err = d.CreateUser(ctx, NewUser{UserFields: UserFields{Username: ptr("nomail"), EmailVerified: ptr(true), By: ByAdmin}})
	refused(t, err, Invalid, "")

	// Changes: a new address takes its writer's default; the same address
	// (in any case) keeps its state; removing the address unverifies.
	u, err := d.CreateUser(ctx, NewUser{UserFields: UserFields{PrimaryEmail: ptr("m@example.com"), By: BySignUp}})
	ok(t, err)
	step := func(name string, f UserFields, want bool) {
		t.Helper()
		got, _, err := d.UpdateUser(ctx, u.ID, f)
		ok(t, err)
		stored, err := st.GetUser(ctx, u.ID)
		ok(t, err)
		if got.EmailVerified != want || stored.EmailVerified != want {
			t.Errorf("%s: answered %v, stored %v; want %v", name, got.EmailVerified, stored.EmailVerified, want)
		}
	}
	step("the same address from Logto's administrator", UserFields{PrimaryEmail: ptr("M@Example.com"), By: ByAdmin}, false)
	step("a name from Logto's administrator", UserFields{Name: ptr("M"), By: ByAdmin}, false)
	step("Auth0's administrator verifies", UserFields{EmailVerified: ptr(true), By: ByAdminUnverified}, true)
	step("a new address by sign-up", UserFields{PrimaryEmail: ptr("m2@example.com"), By: BySignUp}, false)
	step("a new address from Logto's administrator", UserFields{PrimaryEmail: ptr("m3@example.com"), By: ByAdmin}, true)
	step("a new address from a writer not named", UserFields{PrimaryEmail: ptr("m3b@example.com")}, false)
	step("a new address from Auth0's administrator", UserFields{PrimaryEmail: ptr("m4@example.com"), By: ByAdminUnverified}, false)
	step("a new address by sign-up", UserFields{PrimaryEmail: ptr("m6@example.com"), By: BySignUp}, false)
	step("the same address proved by a code", UserFields{By: ByCode}, true)
	step("no address", UserFields{PrimaryEmail: ptr(""), By: ByAdmin}, false)
	step("no address, then a code", UserFields{By: ByCode}, false)
	_, _, err = d.UpdateUser(ctx, u.ID, UserFields{EmailVerified: ptr(true), By: ByCode})
	refused(t, err, Invalid, "")
	_, _, err = d.UpdateUser(ctx, u.ID, UserFields{EmailVerified: ptr(true), By: ByAdmin})
	refused(t, err, Invalid, "")
	_, _, err = d.UpdateUser(ctx, u.ID, UserFields{PrimaryEmail: ptr("m5@example.com"), EmailVerified: ptr(false), By: BySignUp})
	refused(t, err, Invalid, "")
}
