package directory

import (
	"context"
	"errors"
	"testing"
)

// The rules of upstream identities: the holder signs in; a verified
// address links (only with it); an unverified one neither links nor is
// written; the last way to sign in is kept.
func TestUpstreamRules(t *testing.T) {
	d, _ := newDir(t)
	ctx := context.Background()
	jane, err := d.CreateUser(ctx, NewUser{UserFields: UserFields{Username: ptr("jane"), PrimaryEmail: ptr("jane@example.com"), By: ByAdmin}})
	ok(t, err)
	up := Upstream{Target: "github", ExternalID: "gh-1", Email: "Jane@Example.com", EmailVerified: true, Name: "Jane GH", Details: map[string]any{"id": "gh-1"}}

	outcome, u, err := d.ResolveUpstream(ctx, up)
	if err != nil || outcome != OutcomeLink || u.ID != jane.ID {
		t.Fatalf("a verified address of an account: %v %v %v", outcome, u.ID, err)
	}
	unverified := up
	unverified.EmailVerified = false
	if outcome, _, err := d.ResolveUpstream(ctx, unverified); err != nil || outcome != OutcomeRegister {
		t.Fatalf("an unverified address: %v %v", outcome, err)
	}
	var e *Error
	if _, err := d.LinkUpstream(ctx, jane.ID, unverified); !errors.As(err, &e) || e.Kind != Invalid {
		t.Fatalf("linking an unverified address: %v", err)
	}
	other := up
	other.Email = "someone@example.com"
	if _, err := d.LinkUpstream(ctx, jane.ID, other); !errors.As(err, &e) || e.Kind != Invalid {
		t.Fatalf("linking another address: %v", err)
	}
	linked, err := d.LinkUpstream(ctx, jane.ID, up)
	if err != nil || len(linked.Identities) != 1 || linked.Identities[0].ExternalID != "gh-1" {
		t.Fatalf("LinkUpstream: %v %v", linked.Identities, err)
	}
	if outcome, u, err := d.ResolveUpstream(ctx, up); err != nil || outcome != OutcomeSignIn || u.ID != jane.ID {
		t.Fatalf("the holder: %v %v %v", outcome, u.ID, err)
	}
	// A second account at the same target is not linked over the first.
	second := up
	second.ExternalID = "gh-2"
	if _, err := d.LinkUpstream(ctx, jane.ID, second); !errors.As(err, &e) || e.Reason != ReasonIdentityTaken {
		t.Fatalf("another account at the target: %v", err)
	}

	// A new account: the unverified address is not written.
	kenji := Upstream{Target: "github", ExternalID: "gh-3", Email: "kenji@example.com", Name: "Kenji\x00", Picture: "javascript:alert(1)"}
	nu, err := d.RegisterUpstream(ctx, kenji)
	if err != nil || nu.PrimaryEmail != "" || nu.EmailVerified || nu.Name != "" || nu.Avatar != "" || len(nu.Identities) != 1 {
		t.Fatalf("RegisterUpstream unverified: %+v %v", nu, err)
	}
	kenji.ExternalID, kenji.EmailVerified, kenji.Name = "gh-4", true, "Kenji"
	nu, err = d.RegisterUpstream(ctx, kenji)
	if err != nil || nu.PrimaryEmail != "kenji@example.com" || !nu.EmailVerified || nu.Name != "Kenji" {
		t.Fatalf("RegisterUpstream verified: %+v %v", nu, err)
	}
	// The same identity again (a second tab): refused, no account left.
	if _, err := d.RegisterUpstream(ctx, Upstream{Target: "github", ExternalID: "gh-4"}); !errors.As(err, &e) || e.Reason != ReasonIdentityTaken {
		t.Fatalf("a taken identity: %v", err)
	}

	// Unlinking keeps a way to sign in.
	if _, err := d.DeleteIdentity(ctx, nu.ID, "github"); err != nil {
		t.Fatalf("unlinking with an address left: %v", err)
	}
	only, err := d.RegisterUpstream(ctx, Upstream{Target: "google", ExternalID: "g-1"})
	ok(t, err)
	if _, err := d.DeleteIdentity(ctx, only.ID, "google"); !errors.As(err, &e) || e.Reason != ReasonLastSignInMethod {
		t.Fatalf("unlinking the last way: %v", err)
	}
}
