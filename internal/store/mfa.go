package store

import (
	"context"
	"time"
)

// MFAVerification is one second factor a user has bound (Logto's MFA
// verification): Type is Logto's factor type (Totp, BackupCode,
// WebAuthn), Data a document whose shape belongs to the type, sealed by
// its owner (package mfa) before it is stored, as text (the column is
// TEXT); the store keeps it as given.
type MFAVerification struct {
	ID         string
	UserID     string
	Type       string
	Name       string
	Data       []byte
	CreatedAt  time.Time
	LastUsedAt *time.Time // nil: never used
}

// MFAStore keeps users' second factors. They go with their user when it
// is deleted.
type MFAStore interface {
	// CreateMFAVerification stores a new factor. ErrNotFound: the user
	// does not exist; ErrConflict: the id is in use.
	CreateMFAVerification(ctx context.Context, v MFAVerification) error
	// ListMFAVerifications returns the user's factors, oldest first then
	// by id; an unknown user has none.
	ListMFAVerifications(ctx context.Context, userID string) ([]MFAVerification, error)
	// UpdateMFAVerification writes the data, name and last use of the
	// user's factor v.ID. ErrNotFound: the user has no such factor.
	UpdateMFAVerification(ctx context.Context, v MFAVerification) error
	// DeleteMFAVerification removes the user's factor id. ErrNotFound:
	// the user has no such factor.
	DeleteMFAVerification(ctx context.Context, userID, id string) error
}
