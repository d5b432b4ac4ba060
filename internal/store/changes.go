package store

import "context"

// ChangeFeed carries change notices between server instances that share one
// database, so that each can refresh what it caches as soon as another one
// changes something.
type ChangeFeed interface {
	// Publish tells the other instances that something changed.
	Publish(ctx context.Context) error
	// Subscribe calls fn when another instance publishes a change, and each
	// time the feed (re)connects, since notices may have been missed while
	// it was not listening. It blocks until ctx ends, reconnecting by itself.
	Subscribe(ctx context.Context, fn func())
}
