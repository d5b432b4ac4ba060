package store

import (
	"context"
	"time"
)

// Interaction is the stored record of a sign-in in progress at the hosted
// pages (see package interaction for its steps). Request is the checked
// authorization request it resumes, as encoded query parameters. Binding
// is a hash of the browser's cookie that the interaction answers to.
// Version counts the updates, so that two tabs cannot both advance it.
type Interaction struct {
	ID         string
	ClientID   string
	Issuer     string // of the authorization endpoint that started it
	Request    string
	Step       string
	Identifier string // as typed at the identify step
	AccountID  string // the user, once identified and verified
	Attempts   int    // failed verifications
	// Event is Logto's interaction event; "" is a sign-in.
	Event          string
	IdentifierType string // username, email or phone
	// Records are the verification records made so far.
	Records   []Verification
	Binding   string
	Version   int
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Interactions stores sign-in interactions.
type Interactions interface {
	// CreateInteraction stores a new interaction; an id in use is
	// ErrConflict.
	CreateInteraction(ctx context.Context, in Interaction) error
	// GetInteraction returns an interaction, expired or not.
	GetInteraction(ctx context.Context, id string) (Interaction, error)
	// UpdateInteraction writes in's step, identifier, account, attempts,
	// event and records if the stored version is still version, and
	// stores version+1. A stored version that moved on is ErrConflict; a
	// gone interaction is ErrNotFound.
	UpdateInteraction(ctx context.Context, in Interaction, version int) error
	// DeleteInteraction removes an interaction; an unknown one is
	// ErrNotFound.
	DeleteInteraction(ctx context.Context, id string) error
	// PruneInteractions deletes the interactions that expired before now.
	PruneInteractions(ctx context.Context, now time.Time) error
}
