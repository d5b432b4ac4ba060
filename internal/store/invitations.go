package store

import (
	"context"
	"time"
)

// InvitationStatus is an organization invitation's status, as Logto names
// it.
type InvitationStatus string

// Statuses of an invitation. Only a Pending one changes; the others are
// ending statuses.
const (
	InvitationPending  InvitationStatus = "Pending"
	InvitationAccepted InvitationStatus = "Accepted"
	InvitationExpired  InvitationStatus = "Expired"
	InvitationRevoked  InvitationStatus = "Revoked"
)

// OrganizationInvitation invites an e-mail address to an organization.
// Status is the status written: a Pending invitation past ExpiresAt is
// expired all the same (the directory says so when it reads one).
type OrganizationInvitation struct {
	ID             string
	InviterID      string // "" is none (an API client invited)
	Invitee        string // an e-mail address
	AcceptedUserID string // "" until accepted
	OrganizationID string
	Status         InvitationStatus
	CreatedAt      time.Time
	UpdatedAt      time.Time
	ExpiresAt      time.Time
	// Roles are the organization roles the invitee is given on
	// acceptance, by name.
	Roles []OrganizationRole
}

// InvitationFilter narrows a list of invitations; "" fields do not.
type InvitationFilter struct {
	OrganizationID string
	InviterID      string
	Invitee        string // compared without case
}

// OrganizationInvitationStore keeps organization invitations.
type OrganizationInvitationStore interface {
	// CreateOrganizationInvitation stores inv (its Roles ignored) with
	// roleIDs. The invitee's Pending invitations to the organization that
	// expired before inv.CreatedAt are first written Expired; another
	// Pending one is ErrConflict. An unknown organization, inviter or role
	// is ErrNotFound.
	CreateOrganizationInvitation(ctx context.Context, inv OrganizationInvitation, roleIDs []string) error
	GetOrganizationInvitation(ctx context.Context, id string) (OrganizationInvitation, error)
	// ListOrganizationInvitations lists the invitations that match, newest
	// first.
	ListOrganizationInvitations(ctx context.Context, f InvitationFilter) ([]OrganizationInvitation, error)
	// SetOrganizationInvitationStatus moves a Pending invitation to status
	// at the time given (ErrConflict when it is not Pending). Accepted
	// names the user who accepted, and makes it a member of the
	// organization with the invitation's roles, in the same transaction.
	SetOrganizationInvitationStatus(ctx context.Context, id string, status InvitationStatus, acceptedUserID string, at time.Time) error
	DeleteOrganizationInvitation(ctx context.Context, id string) error
}
