package directory

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
)

// Organization invitations (Logto's RFC 0003): an e-mail address invited
// to an organization with the organization roles it is given on
// acceptance. The rules: one pending invitation per address and
// organization; a member is not invited; an invitation expires at its
// expiry, and an accepted, revoked or expired one never changes again;
// only the user whose primary e-mail is the invitee accepts it, and
// becomes a member with the invitation's roles. Sending the invitation's
// e-mail is the caller's (the connectors').

// InvitationFields are what a new invitation is made of.
type InvitationFields struct {
	InviterID      string // "" is none
	Invitee        string
	OrganizationID string
	ExpiresAt      time.Time
	RoleIDs        []string
}

// invitationRefused is the refusal of an invitation that cannot be made or changed.
func invitationRefused(message string) error {
	return &Error{Kind: Invalid, Reason: ReasonInvitationRefused, Message: message}
}

var errInvitationNotFound = &Error{Kind: NotFound, Reason: ReasonInvitationNotFound, Message: "organization invitation not found"}

// current is inv as it stands now: a pending invitation past its expiry
// is Expired, though the store still says Pending.
func (d *Directory) current(inv store.OrganizationInvitation) store.OrganizationInvitation {
	if inv.Status == store.InvitationPending && !d.now().Before(inv.ExpiresAt) {
		inv.Status = store.InvitationExpired
	}
	return inv
}

// Invitation returns the invitation with id.
func (d *Directory) Invitation(ctx context.Context, id string) (store.OrganizationInvitation, error) {
	if !ValidID(id) {
		return store.OrganizationInvitation{}, errInvitationNotFound
	}
	inv, err := d.st.GetOrganizationInvitation(ctx, id)
	if isNotFound(err) {
		return inv, errInvitationNotFound
	}
	return d.current(inv), err
}

// Invitations lists the invitations that match, newest first.
func (d *Directory) Invitations(ctx context.Context, f store.InvitationFilter) ([]store.OrganizationInvitation, error) {
	for field, v := range map[string]string{"organizationId": f.OrganizationID, "inviterId": f.InviterID} {
		if v != "" && !ValidID(v) {
			return nil, invalid(field + " is not a valid id")
		}
	}
	if err := checkText("invitee", f.Invitee, maxEmailLen, false); err != nil {
		return nil, err
	}
	list, err := d.st.ListOrganizationInvitations(ctx, f)
	for i := range list {
		list[i] = d.current(list[i])
	}
	return list, err
}

// CheckInvitee validates an invitee's e-mail address.
func CheckInvitee(v string) error {
	if checkEmail(v) != nil {
		return invalid("invitee must be an e-mail address such as jane@example.com")
	}
	return nil
}

// CreateInvitation invites in.Invitee to the organization.
func (d *Directory) CreateInvitation(ctx context.Context, in InvitationFields) (store.OrganizationInvitation, error) {
	var zero store.OrganizationInvitation
	if err := CheckInvitee(in.Invitee); err != nil {
		return zero, err
	}
	now := d.now()
	if !in.ExpiresAt.After(now) {
		return zero, invalid("The value of `expiresAt` must be in the future.")
	}
	if !ValidID(in.OrganizationID) || (in.InviterID != "" && !ValidID(in.InviterID)) {
		return zero, relationErr(store.ErrNotFound)
	}
	roleIDs, err := optionalIDs("organizationRoleIds", in.RoleIDs)
	if err != nil {
		return zero, err
	}
	if err := d.givableOrgRoles(ctx, store.HolderUser, roleIDs); err != nil {
		return zero, err
	}
	if u, err := d.st.GetUserByEmail(ctx, in.Invitee); err == nil {
		member, err := d.st.IsOrganizationMember(ctx, in.OrganizationID, store.HolderUser, u.ID)
		if err != nil {
			return zero, err
		}
		if member {
			return zero, invitationRefused("The invitee is already a member of the organization.")
		}
	} else if !isNotFound(err) {
		return zero, err
	}
	inv := store.OrganizationInvitation{ID: randid.ID(), InviterID: in.InviterID, Invitee: in.Invitee, OrganizationID: in.OrganizationID,
		Status: store.InvitationPending, CreatedAt: now, UpdatedAt: now, ExpiresAt: in.ExpiresAt}
	if err := d.st.CreateOrganizationInvitation(ctx, inv, roleIDs); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return zero, conflict("the invitee has a pending invitation to the organization already")
		}
		return zero, relationErr(err)
	}
	return d.Invitation(ctx, inv.ID)
}

// pending returns the invitation with id if it may still change.
func (d *Directory) pending(ctx context.Context, id string) (store.OrganizationInvitation, error) {
	inv, err := d.Invitation(ctx, id)
	if err == nil && inv.Status != store.InvitationPending {
		err = invitationRefused("The status of the invitation cannot be changed anymore.")
	}
	return inv, err
}

// setStatus writes the status and reads the invitation back.
func (d *Directory) setStatus(ctx context.Context, id string, status store.InvitationStatus, userID string) (store.OrganizationInvitation, error) {
	err := d.st.SetOrganizationInvitationStatus(ctx, id, status, userID, d.now())
	switch {
	case errors.Is(err, store.ErrConflict):
		return store.OrganizationInvitation{}, invitationRefused("The status of the invitation cannot be changed anymore.")
	case isNotFound(err):
		return store.OrganizationInvitation{}, errInvitationNotFound
	case err != nil:
		return store.OrganizationInvitation{}, err
	}
	return d.Invitation(ctx, id)
}

// RevokeInvitation revokes a pending invitation.
func (d *Directory) RevokeInvitation(ctx context.Context, id string) (store.OrganizationInvitation, error) {
	if _, err := d.pending(ctx, id); err != nil {
		return store.OrganizationInvitation{}, err
	}
	return d.setStatus(ctx, id, store.InvitationRevoked, "")
}

// AcceptInvitation accepts a pending invitation for the user whose primary
// e-mail is its invitee: the user becomes a member with the invitation's
// roles. added reports whether the user was not a member before.
func (d *Directory) AcceptInvitation(ctx context.Context, id, userID string) (inv store.OrganizationInvitation, added bool, err error) {
	if inv, err = d.pending(ctx, id); err != nil {
		return inv, false, err
	}
	u, err := findByID(ctx, userID, "user", d.st.GetUser)
	if err != nil {
		return inv, false, err
	}
	if !strings.EqualFold(u.PrimaryEmail, inv.Invitee) {
		return inv, false, invitationRefused("The accepted user must have the same email as the invitee.")
	}
	member, err := d.st.IsOrganizationMember(ctx, inv.OrganizationID, store.HolderUser, u.ID)
	if err != nil {
		return inv, false, err
	}
	inv, err = d.setStatus(ctx, id, store.InvitationAccepted, u.ID)
	return inv, !member, err
}

// DeleteInvitation deletes an invitation, whatever its status.
func (d *Directory) DeleteInvitation(ctx context.Context, id string) error {
	if !ValidID(id) {
		return errInvitationNotFound
	}
	err := d.st.DeleteOrganizationInvitation(ctx, id)
	if isNotFound(err) {
		return errInvitationNotFound
	}
	return err
}
