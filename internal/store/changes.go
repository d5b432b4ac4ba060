package store

import (
	"context"
	"time"
)

// Kinds of change a Notice names.
const (
	// ChangeAll means anything may have changed: the feed (re)connected
	// and may have missed notices, or a notice could not be read. The
	// receiver reloads everything it caches.
	ChangeAll = ""
	// ChangeCatalog: apps, resources, roles, keys or settings changed.
	// What changed is in the outbox (see Events): the notice only says
	// to read it now rather than at the next poll.
	ChangeCatalog = "catalog"
	// ChangeRevocation: one access token was revoked; the notice carries
	// its JTI and ExpiresAt.
	ChangeRevocation = "revocation"
	// ChangeRevocations: the revocation list changed in a way one entry
	// does not describe (a grant or a user's tokens were revoked).
	ChangeRevocations = "revocations"
)

// Notice says what another instance changed.
type Notice struct {
	Kind      string    // one of the Change constants
	JTI       string    // ChangeRevocation: the revoked token's id
	ExpiresAt time.Time // ChangeRevocation: when that token expires
}

// ChangeFeed carries change notices between server instances that share one
// database, so that each can refresh what it caches as soon as another one
// changes something. The notices are wake-ups, not the record: that is the
// outbox (see Events), which a lost notice does not lose.
type ChangeFeed interface {
	// Publish tells the other instances what changed.
	Publish(ctx context.Context, n Notice) error
	// Subscribe calls fn with each notice another instance publishes, and
	// with a ChangeAll notice each time the feed (re)connects, since
	// notices may have been missed while it was not listening. It blocks
	// until ctx ends, reconnecting by itself.
	Subscribe(ctx context.Context, fn func(Notice))
}
