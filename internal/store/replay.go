package store

import (
	"context"
	"time"
)

// ReplayStore remembers the ids of single-use credentials (client
// assertions' and DPoP proofs' jti) for as long as the credential could be
// accepted, shared by every instance on the database.
type ReplayStore interface {
	// UseOnce records id as used until expires. An id recorded before
	// whose record has not expired at now is ErrAlreadyUsed, and nothing
	// is written. PruneExpired deletes expired records.
	UseOnce(ctx context.Context, id string, expires, now time.Time) error
}
