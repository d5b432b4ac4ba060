package directory

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestIdentityTargetRule(t *testing.T) {
	for _, good := range []string{"github", "google", "azure-ad", "Apple", "x.com", "we_chat", "a", strings.Repeat("g", 64)} {
		if err := CheckIdentityTarget(good); err != nil {
			t.Errorf("target %q refused: %v", good, err)
		}
	}
	for _, bad := range []string{"", "-github", ".x", "git hub", "git/hub", "gît", "a\x00", strings.Repeat("g", 65)} {
		var e *Error
		if err := CheckIdentityTarget(bad); !errors.As(err, &e) || e.Kind != Invalid {
			t.Errorf("target %q: %v, want Invalid", bad, err)
		}
	}
}

// The account at a target is one user's; refusals say why with their
// Reason.
func TestIdentityRules(t *testing.T) {
	d, _ := newDir(t)
	ctx := context.Background()
	a, err := d.CreateUser(ctx, NewUser{UserFields: UserFields{Username: ptr("ada")}})
	ok(t, err)
	b, err := d.CreateUser(ctx, NewUser{UserFields: UserFields{Username: ptr("bob")}})
	ok(t, err)
	ids, created, err := d.PutIdentity(ctx, a.ID, "github", NewIdentity{ExternalID: "gh-1"})
	ok(t, err)
	if !created || len(ids) != 1 || ids[0].ExternalID != "gh-1" {
		t.Fatalf("PutIdentity: %v %v", ids, created)
	}
	reason := func(err error) Reason {
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("error %v is not a refusal", err)
		}
		return e.Reason
	}
	_, _, err = d.PutIdentity(ctx, b.ID, "github", NewIdentity{ExternalID: "gh-1"})
	if reason(err) != ReasonIdentityTaken {
		t.Errorf("another user's account: %v", err)
	}
	_, err = d.Identity(ctx, b.ID, "github")
	if reason(err) != ReasonIdentityNotFound {
		t.Errorf("Identity at a target without one: %v", err)
	}
	_, err = d.DeleteIdentity(ctx, b.ID, "github")
	if reason(err) != ReasonIdentityNotFound {
		t.Errorf("DeleteIdentity at a target without one: %v", err)
	}
	u, err := d.DeleteIdentity(ctx, a.ID, "github")
	ok(t, err)
	if len(u.Identities) != 0 {
		t.Errorf("user after DeleteIdentity: %+v", u)
	}
	_, _, err = d.PutIdentity(ctx, b.ID, "github", NewIdentity{ExternalID: "gh-1"})
	ok(t, err)
}
