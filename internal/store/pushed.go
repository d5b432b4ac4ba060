package store

import (
	"context"
	"time"
)

// PushedRequest is an authorization request pushed to the PAR endpoint
// (RFC 9126), kept until its request_uri is used once or it expires. ID is
// the SHA-256 of the request_uri's random part; Request is the checked
// request's parameters, encoded as a query.
type PushedRequest struct {
	ID        string
	ClientID  string
	Issuer    string // of the face it was pushed to
	Request   string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// PushedRequestStore keeps pushed authorization requests. Expired ones
// are deleted by GrantStore.PruneExpired.
type PushedRequestStore interface {
	// CreatePushedRequest stores a pushed request; an id in use is
	// ErrConflict, an unknown client ErrNotFound.
	CreatePushedRequest(ctx context.Context, pr PushedRequest) error
	// TakePushedRequest deletes the pushed request and returns it, expired
	// or not: it is used once. One that is unknown, or was taken before,
	// is ErrNotFound.
	TakePushedRequest(ctx context.Context, id string) (PushedRequest, error)
}
