package store

import "context"

// SignInExperienceStore keeps the sign-in experience: one JSON document in
// Logto's shape (see internal/experience), whose rules are the experience
// package's, not the store's.
type SignInExperienceStore interface {
	// SignInExperience returns the stored document, or ErrNotFound when
	// none has been stored yet.
	SignInExperience(ctx context.Context) ([]byte, error)
	// EnsureSignInExperience stores doc unless a document is there
	// already, and returns the stored one (first writer wins across
	// instances).
	EnsureSignInExperience(ctx context.Context, doc []byte) ([]byte, error)
	// PutSignInExperience replaces the document and appends an
	// EventSignInExperienceUpdated in the same transaction, so that every
	// instance drops what it caches.
	PutSignInExperience(ctx context.Context, doc []byte) error
}
