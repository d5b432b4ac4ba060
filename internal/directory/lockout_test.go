package directory

import (
	"context"
	"errors"
	"testing"

	"github.com/monban/monban/internal/store"
)

// The console's own application cannot be deleted: the console signs in
// with it.
func TestConsoleAppCannotBeDeleted(t *testing.T) {
	ctx := context.Background()
	d, st := newDir(t)
	if _, err := d.SeedApplication(ctx, store.Application{ID: ConsoleAppID, Name: "Console", Type: store.AppSPA},
		[]string{"https://a.example/cb"}, nil); err != nil {
		t.Fatal(err)
	}
	var de *Error
	if err := d.DeleteApplication(ctx, ConsoleAppID); !errors.As(err, &de) || de.Kind != Forbidden || de.Reason != ReasonConsoleAppDelete {
		t.Fatalf("deleting the console's app: %v", err)
	}
	if _, err := st.GetApplication(ctx, ConsoleAppID); err != nil {
		t.Errorf("the console's app is gone: %v", err)
	}
}

// The last administrator who can sign in cannot be deleted; once another
// (not suspended) administrator exists, either can be.
func TestLastAdminCannotBeDeleted(t *testing.T) {
	ctx := context.Background()
	d, _ := newDir(t)
	first, err := d.EnsureAdmin(ctx, "", "")
	if err != nil {
		t.Fatal(err)
	}
	plain, err := d.CreateUser(ctx, NewUser{UserFields: UserFields{Username: ptr("plain")}})
	if err != nil {
		t.Fatal(err)
	}
	refused := func(id string) {
		t.Helper()
		var de *Error
		if err := d.DeleteUser(ctx, id); !errors.As(err, &de) || de.Reason != ReasonLastAdminDelete {
			t.Fatalf("deleting %s: %v", id, err)
		}
	}
	refused(first.User.ID)
	var de *Error
	if _, err := d.SetSuspended(ctx, first.User.ID, true); !errors.As(err, &de) || de.Reason != ReasonLastAdminSuspend {
		t.Fatalf("suspending the last administrator: %v", err)
	}
	// A user without the role is deleted as ever.
	ok(t, d.DeleteUser(ctx, plain.ID))

	// A second administrator, suspended: the first is still the last who
	// can sign in.
	second, err := d.EnsureAdmin(ctx, "second", "second-Passw0rd")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.SetSuspended(ctx, second.User.ID, true); err != nil {
		t.Fatal(err)
	}
	refused(first.User.ID)
	if _, err := d.SetSuspended(ctx, second.User.ID, false); err != nil {
		t.Fatal(err)
	}
	// With two, one may be suspended (and reactivated), but not both.
	if _, err := d.SetSuspended(ctx, first.User.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := d.SetSuspended(ctx, second.User.ID, true); !errors.As(err, &de) || de.Reason != ReasonLastAdminSuspend {
		t.Fatalf("suspending the other administrator too: %v", err)
	}
	if _, err := d.SetSuspended(ctx, first.User.ID, false); err != nil {
		t.Fatal(err)
	}
	ok(t, d.DeleteUser(ctx, first.User.ID))
	refused(second.User.ID)
}
