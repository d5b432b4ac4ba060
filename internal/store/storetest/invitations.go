package storetest

import (
	"fmt"
	"testing"

	"github.com/monban/monban/internal/store"
)

func invitation(id, orgID, invitee string, i int) store.OrganizationInvitation {
	return store.OrganizationInvitation{ID: id, OrganizationID: orgID, Invitee: invitee, Status: store.InvitationPending,
		CreatedAt: at(i), UpdatedAt: at(i), ExpiresAt: at(i + 60)}
}

func testOrganizationInvitations(t *testing.T, s store.Store) {
	ctx := t.Context()
	orgFixture(t, s)
	inv := invitation("i1", "o1", "Guest@Example.com", 1)
	inv.InviterID = "u1"
	ok(t, s.CreateOrganizationInvitation(ctx, inv, []string{"ru2", "ru", "ru"}), "CreateOrganizationInvitation")
	got, err := s.GetOrganizationInvitation(ctx, "i1")
	ok(t, err, "GetOrganizationInvitation")
	if got.InviterID != "u1" || got.Invitee != "Guest@Example.com" || got.Status != store.InvitationPending ||
		!got.ExpiresAt.Equal(at(61)) || !got.CreatedAt.Equal(at(1)) || got.AcceptedUserID != "" {
		t.Errorf("GetOrganizationInvitation = %+v", got)
	}
	same(t, "the invitation's roles, by name", ids(got.Roles), []string{"ru", "ru2"})
	_, err = s.GetOrganizationInvitation(ctx, "nope")
	wantErr(t, err, store.ErrNotFound, "GetOrganizationInvitation unknown")

	wantErr(t, s.CreateOrganizationInvitation(ctx, invitation("i2", "o1", "guest@example.COM", 2), nil), store.ErrConflict,
		"a second pending invitation of the address, in another case")
	wantErr(t, s.CreateOrganizationInvitation(ctx, invitation("i2", "nope", "x@example.com", 2), nil), store.ErrNotFound, "unknown organization")
	bad := invitation("i2", "o1", "x@example.com", 2)
	bad.InviterID = "nobody"
	wantErr(t, s.CreateOrganizationInvitation(ctx, bad, nil), store.ErrNotFound, "unknown inviter")
	wantErr(t, s.CreateOrganizationInvitation(ctx, invitation("i2", "o1", "x@example.com", 2), []string{"ru", "no-role"}), store.ErrNotFound,
		"unknown role")
	_, err = s.GetOrganizationInvitation(ctx, "i2")
	wantErr(t, err, store.ErrNotFound, "nothing left of a refused invitation")

	// The same address to another organization, and an expired invitation
	// replaced by a new one.
	ok(t, s.CreateOrganizationInvitation(ctx, invitation("i3", "o2", "guest@example.com", 3), nil), "another organization")
	old := invitation("i4", "o1", "late@example.com", 4)
	old.ExpiresAt = at(5)
	ok(t, s.CreateOrganizationInvitation(ctx, old, nil), "an invitation soon expired")
	ok(t, s.CreateOrganizationInvitation(ctx, invitation("i5", "o1", "LATE@example.com", 6), nil), "a new invitation after it expired")
	got, err = s.GetOrganizationInvitation(ctx, "i4")
	ok(t, err, "GetOrganizationInvitation expired")
	if got.Status != store.InvitationExpired || !got.UpdatedAt.Equal(at(6)) {
		t.Errorf("the replaced invitation = %s updated %v; want Expired at %v", got.Status, got.UpdatedAt, at(6))
	}

	list, err := s.ListOrganizationInvitations(ctx, store.InvitationFilter{})
	ok(t, err, "ListOrganizationInvitations")
	same(t, "ListOrganizationInvitations, newest first", ids(list), []string{"i5", "i4", "i3", "i1"})
	if len(list[0].Roles) != 0 || list[0].Roles == nil || len(list[3].Roles) != 2 {
		t.Errorf("the listed invitations' roles = %v, %v", list[0].Roles, list[3].Roles)
	}
	for name, c := range map[string]struct {
		f    store.InvitationFilter
		want []string
	}{
		"organization": {store.InvitationFilter{OrganizationID: "o2"}, []string{"i3"}},
		"inviter":      {store.InvitationFilter{InviterID: "u1"}, []string{"i1"}},
		"invitee":      {store.InvitationFilter{Invitee: "GUEST@example.com"}, []string{"i3", "i1"}},
		"all three":    {store.InvitationFilter{OrganizationID: "o1", InviterID: "u1", Invitee: "guest@example.com"}, []string{"i1"}},
		"none":         {store.InvitationFilter{Invitee: "nobody@example.com"}, []string{}},
	} {
		list, err := s.ListOrganizationInvitations(ctx, c.f)
		ok(t, err, "ListOrganizationInvitations by "+name)
		same(t, "ListOrganizationInvitations by "+name, ids(list), c.want)
	}

	ok(t, s.SetOrganizationInvitationStatus(ctx, "i3", store.InvitationRevoked, "", at(7)), "revoke")
	got, _ = s.GetOrganizationInvitation(ctx, "i3")
	if got.Status != store.InvitationRevoked || !got.UpdatedAt.Equal(at(7)) {
		t.Errorf("the revoked invitation = %+v", got)
	}
	wantErr(t, s.SetOrganizationInvitationStatus(ctx, "i3", store.InvitationRevoked, "", at(8)), store.ErrConflict, "revoke again")
	wantErr(t, s.SetOrganizationInvitationStatus(ctx, "nope", store.InvitationRevoked, "", at(8)), store.ErrNotFound, "revoke unknown")

	ok(t, s.DeleteOrganizationInvitation(ctx, "i1"), "DeleteOrganizationInvitation")
	wantErr(t, s.DeleteOrganizationInvitation(ctx, "i1"), store.ErrNotFound, "DeleteOrganizationInvitation again")
	ok(t, s.CreateOrganizationInvitation(ctx, invitation("i6", "o1", "guest@example.com", 9), nil), "invited again once the pending one is gone")

	// Deleting the organization or the inviter takes its invitations.
	inv = invitation("i7", "o2", "other@example.com", 10)
	inv.InviterID = "u2"
	ok(t, s.CreateOrganizationInvitation(ctx, inv, []string{"ru"}), "an invitation by u2")
	ok(t, s.DeleteUser(ctx, "u2", at(11)), "DeleteUser inviter")
	_, err = s.GetOrganizationInvitation(ctx, "i7")
	wantErr(t, err, store.ErrNotFound, "the deleted inviter's invitation")
	ok(t, s.DeleteOrganization(ctx, "o1"), "DeleteOrganization")
	list, err = s.ListOrganizationInvitations(ctx, store.InvitationFilter{})
	ok(t, err, "ListOrganizationInvitations after the deletions")
	same(t, "what is left", ids(list), []string{"i3"})
}

func testOrganizationInvitationAccept(t *testing.T, s store.Store) {
	ctx := t.Context()
	orgFixture(t, s)
	ok(t, s.CreateOrganizationInvitation(ctx, invitation("i1", "o1", "u1@example.com", 1), []string{"ru", "ru2"}), "create")
	wantErr(t, s.SetOrganizationInvitationStatus(ctx, "i1", store.InvitationAccepted, "nobody", at(2)), store.ErrNotFound, "accepted by no user")
	got, _ := s.GetOrganizationInvitation(ctx, "i1")
	if got.Status != store.InvitationPending {
		t.Fatalf("a refused acceptance changed the status to %s", got.Status)
	}
	// A member already keeps the roles it has and gains the invitation's.
	must(t, s.AddOrganizationMembers(ctx, "o1", store.HolderUser, []string{"u1"}))
	must(t, s.AddOrganizationMemberRoles(ctx, "o1", store.HolderUser, []string{"u1"}, []string{"ru"}))
	ok(t, s.SetOrganizationInvitationStatus(ctx, "i1", store.InvitationAccepted, "u1", at(3)), "accept")
	got, _ = s.GetOrganizationInvitation(ctx, "i1")
	if got.Status != store.InvitationAccepted || got.AcceptedUserID != "u1" || !got.UpdatedAt.Equal(at(3)) {
		t.Errorf("the accepted invitation = %+v", got)
	}
	roles, _, err := s.ListOrganizationMemberRoles(ctx, "o1", store.HolderUser, "u1", store.Page{})
	ok(t, err, "ListOrganizationMemberRoles")
	same(t, "the member's roles", ids(roles), []string{"ru", "ru2"})
	wantErr(t, s.SetOrganizationInvitationStatus(ctx, "i1", store.InvitationRevoked, "", at(4)), store.ErrConflict, "revoke an accepted one")

	ok(t, s.CreateOrganizationInvitation(ctx, invitation("i2", "o2", "u2@example.com", 5), nil), "create without roles")
	ok(t, s.SetOrganizationInvitationStatus(ctx, "i2", store.InvitationAccepted, "u2", at(6)), "accept without roles")
	member, err := s.IsOrganizationMember(ctx, "o2", store.HolderUser, "u2")
	ok(t, err, "IsOrganizationMember")
	if !member {
		t.Error("the user who accepted is not a member")
	}
}

// testOrganizationEvents checks the outbox events of organization writes:
// the members a change added and removed, a write that fails appending
// none, an acceptance telling the member it added (none when already
// one), a revocation nothing.
func testOrganizationEvents(t *testing.T, s store.Store) {
	ctx := t.Context()
	orgFixture(t, s)
	last, err := s.LastEventSeq(ctx)
	ok(t, err, "LastEventSeq")
	must(t, s.AddOrganizationMembers(ctx, "o1", store.HolderUser, []string{"u1", "u2"}))
	must(t, s.AddOrganizationMembers(ctx, "o1", store.HolderUser, []string{"u1"}))
	must(t, s.ReplaceOrganizationMembers(ctx, "o1", store.HolderUser, []string{"u2"}))
	wantErr(t, s.AddOrganizationMembers(ctx, "o1", store.HolderUser, []string{"nobody"}), store.ErrNotFound, "unknown user")
	must(t, s.AddOrganizationMembers(ctx, "o1", store.HolderApplication, []string{"a1"}))
	must(t, s.RemoveOrganizationMember(ctx, "o1", store.HolderApplication, "a1"))
	must(t, s.CreateOrganizationInvitation(ctx, invitation("i1", "o1", "u1@example.com", 1), nil))
	must(t, s.SetOrganizationInvitationStatus(ctx, "i1", store.InvitationAccepted, "u1", at(2)))
	must(t, s.CreateOrganizationInvitation(ctx, invitation("i2", "o1", "u2@example.com", 3), nil))
	must(t, s.SetOrganizationInvitationStatus(ctx, "i2", store.InvitationAccepted, "u2", at(4)))
	must(t, s.CreateOrganizationInvitation(ctx, invitation("i3", "o2", "u2@example.com", 5), nil))
	must(t, s.SetOrganizationInvitationStatus(ctx, "i3", store.InvitationRevoked, "", at(6)))
	must(t, s.UpdateOrganization(ctx, org("o2", 2)))
	must(t, s.DeleteOrganization(ctx, "o2"))

	var got []string
	for _, ev := range readAll(t, s, last) {
		p, err := ev.Decode()
		ok(t, err, "Decode")
		got = append(got, fmt.Sprintf("%s %s +%v -%v", ev.Kind, ev.Entity, p.IDs, p.RemovedIDs))
	}
	same(t, "the organization events", got, []string{
		"organization.users_changed o1 +[u1 u2] -[]",
		"organization.users_changed o1 +[] -[]",
		"organization.users_changed o1 +[] -[u1]",
		"organization.applications_changed o1 +[a1] -[]",
		"organization.applications_changed o1 +[] -[a1]",
		"organization.users_changed o1 +[u1] -[]",
		"organization.users_changed o1 +[] -[]",
		"organization.updated o2 +[] -[]",
		"organization.deleted o2 +[] -[]",
	})
}
