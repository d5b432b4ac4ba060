package store

import (
	"context"
	"time"
)

// Identity is a user's account at a social identity provider, Logto's
// entry of a user's identities: Target names the provider (Logto's
// connector target, such as "github"), ExternalID is the user's id there
// and Details the provider's profile of them, schemaless. A user has at
// most one identity per target, and an account at a target belongs to at
// most one user.
type Identity struct {
	UserID     string
	Target     string
	ExternalID string
	Details    map[string]any // nil: none given
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// IdentityStore keeps users' social identities. They go with their user
// when it is deleted.
type IdentityStore interface {
	// PutIdentity creates or replaces the user's identity at id.Target
	// (a replaced one keeps its creation time) and sets the user's update
	// time to id.UpdatedAt; it reports whether the identity was created.
	// ErrNotFound: the user does not exist. ErrConflict: another user has
	// the account (Target, ExternalID).
	PutIdentity(ctx context.Context, id Identity) (created bool, err error)
	// ListIdentities returns the identities of the given users, by user id
	// then target; unknown ids have none.
	ListIdentities(ctx context.Context, userIDs []string) ([]Identity, error)
	// GetUserByIdentity returns the user whose account at target is
	// externalID. ErrNotFound: nobody's.
	GetUserByIdentity(ctx context.Context, target, externalID string) (User, error)
	// DeleteIdentity removes the user's identity at target and sets the
	// user's update time to at. ErrNotFound: the user has none there.
	DeleteIdentity(ctx context.Context, userID, target string, at time.Time) error
}
