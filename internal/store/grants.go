package store

import (
	"context"
	"time"
)

// SessionStore keeps browser sign-in sessions. GetSession returns expired
// sessions too; the caller checks.
type SessionStore interface {
	CreateSession(ctx context.Context, s Session) error
	GetSession(ctx context.Context, id string) (Session, error)
	DeleteSession(ctx context.Context, id string) error
}

// GrantStore keeps grants and what is issued from them: authorization
// codes, refresh tokens and the records of access tokens.
type GrantStore interface {
	// CreateGrant stores a grant with, optionally, its authorization code.
	CreateGrant(ctx context.Context, g Grant, code *AuthCode) error
	GetGrant(ctx context.Context, id string) (Grant, error)
	// RevokeGrant deletes the grant with its codes and refresh tokens and
	// puts its unexpired access tokens on the revocation list.
	RevokeGrant(ctx context.Context, id string, now time.Time) error
	// IssueFromGrant records what a token response issued from a grant
	// (for a refresh token that is not rotated, or a password grant).
	IssueFromGrant(ctx context.Context, grantID string, issue Issue) error

	// GetAuthCode returns a code, used or not, expired or not.
	GetAuthCode(ctx context.Context, id string) (AuthCode, error)
	// RedeemAuthCode marks an unused code used at now and records issue,
	// in one transaction. A code used before is ErrAlreadyUsed, and nothing
	// is written.
	RedeemAuthCode(ctx context.Context, id string, now time.Time, issue Issue) error

	// GetRefreshToken returns a refresh token, used or not, expired or not.
	GetRefreshToken(ctx context.Context, id string) (RefreshToken, error)
	// RotateRefreshToken marks the token used at now (keeping the first use
	// time) and records issue, in one transaction, unless it was first used
	// at or before reuseAfter: that is ErrAlreadyUsed, and nothing is
	// written.
	RotateRefreshToken(ctx context.Context, id string, now, reuseAfter time.Time, issue Issue) error
	// DeleteRefreshToken removes one refresh token, leaving its grant.
	DeleteRefreshToken(ctx context.Context, id string) error

	// PruneExpired deletes sessions, codes, refresh tokens, grants, issued
	// and revoked access token records, sign-in interactions, one-time
	// verification codes and code send records, pushed authorization
	// requests and subject tokens that expired before now.
	PruneExpired(ctx context.Context, now time.Time) error
}

// RevocationStore keeps the access token revocation list.
type RevocationStore interface {
	RevokeAccessToken(ctx context.Context, t RevokedAccessToken) error
	ListRevokedAccessTokens(ctx context.Context, now time.Time) ([]RevokedAccessToken, error)
}
