package store

import (
	"context"
	"time"
)

// PasswordTicket is a password-change ticket: the one-time link of a
// reset e-mail (Auth0's /dbconnections/change_password) or of the
// Management API v2's POST /tickets/password-change. Only Hash, the
// SHA-256 of the ticket's secret, is stored.
type PasswordTicket struct {
	ID       string
	Hash     string // hex SHA-256 of the ticket's secret
	UserID   string
	ClientID string // the application it was asked for; may be ""
	// ResultURL is where the page sends the user once the password is
	// set; "" shows a page instead.
	ResultURL string
	// MarkEmailVerified marks the user's address verified when the
	// password is set (the e-mail reached them).
	MarkEmailVerified bool
	// IncludeEmail adds the address to ResultURL's query.
	IncludeEmail bool
	CreatedAt    time.Time
	ExpiresAt    time.Time
	UsedAt       time.Time // zero: not used yet
}

// PasswordTicketStore keeps password-change tickets.
type PasswordTicketStore interface {
	// CreatePasswordTicket stores a ticket; an id or hash in use is
	// ErrConflict, an unknown user ErrNotFound.
	CreatePasswordTicket(ctx context.Context, t PasswordTicket) error
	// GetPasswordTicket returns the ticket of a hash, used or expired
	// alike; none is ErrNotFound.
	GetPasswordTicket(ctx context.Context, hash string) (PasswordTicket, error)
	// UsePasswordTicket marks the ticket used at at, once: a ticket used
	// before is ErrAlreadyUsed, an unknown one ErrNotFound.
	UsePasswordTicket(ctx context.Context, id string, at time.Time) error
	// PrunePasswordTickets deletes the tickets that expired before now.
	PrunePasswordTickets(ctx context.Context, now time.Time) error
}
