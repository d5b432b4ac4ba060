package store

import (
	"context"
	"time"
)

// SubjectToken is an impersonation token made through the Management API
// (Logto's POST /api/subject-tokens): an app that may exchange tokens
// trades it once, before it expires, for an access token of the user. ID is
// the SHA-256 of the token; the value is shown once, when it is made.
// Context is the caller's JSON object, which custom claims scripts see.
type SubjectToken struct {
	ID         string
	UserID     string
	Context    map[string]any
	CreatorID  string // the Management API caller that made it
	CreatedAt  time.Time
	ExpiresAt  time.Time
	ConsumedAt time.Time // zero until exchanged
}

// PersonalAccessToken is a user's long-lived token, named uniquely per
// user, that an app exchanges for the user's access tokens. Digest is the
// SHA-256 of its value; the value is shown once, when it is made.
type PersonalAccessToken struct {
	UserID    string
	Name      string
	Digest    string
	CreatedAt time.Time
	ExpiresAt time.Time // zero: never expires
}

// ExchangeStore keeps the subject credentials of token exchange (RFC
// 8693) and records what an exchange issued. A user's subject tokens and
// personal access tokens go with the user.
type ExchangeStore interface {
	// CreateSubjectToken stores a subject token; an unknown user is
	// ErrNotFound.
	CreateSubjectToken(ctx context.Context, t SubjectToken) error
	// GetSubjectToken returns a subject token, consumed or expired or not.
	GetSubjectToken(ctx context.Context, id string) (SubjectToken, error)

	// CreatePersonalAccessToken stores a token; an unknown user is
	// ErrNotFound, a name the user has already (or a digest in use)
	// ErrConflict.
	CreatePersonalAccessToken(ctx context.Context, t PersonalAccessToken) error
	// ListPersonalAccessTokens returns the user's tokens, oldest first (an
	// unknown user has none).
	ListPersonalAccessTokens(ctx context.Context, userID string) ([]PersonalAccessToken, error)
	// GetPersonalAccessToken returns the token with the digest, expired
	// or not.
	GetPersonalAccessToken(ctx context.Context, digest string) (PersonalAccessToken, error)
	// RenamePersonalAccessToken renames the user's token name to newName
	// and returns it: an unknown one is ErrNotFound, a newName the user
	// has already ErrConflict.
	RenamePersonalAccessToken(ctx context.Context, userID, name, newName string) (PersonalAccessToken, error)
	// DeletePersonalAccessToken deletes the user's token name; an unknown
	// one is ErrNotFound.
	DeletePersonalAccessToken(ctx context.Context, userID, name string) error

	// RecordExchange stores the grant of an exchanged token and what was
	// issued from it, in one transaction, and with subjectTokenID not ""
	// consumes that subject token at now: one consumed before is
	// ErrAlreadyUsed (an unknown one ErrNotFound), and nothing is written.
	RecordExchange(ctx context.Context, g Grant, subjectTokenID string, now time.Time, issue Issue) error
}
