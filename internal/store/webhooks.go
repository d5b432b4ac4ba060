package store

import (
	"context"
	"time"
)

// Hook is a webhook: where to send which events, with Logto's fields.
type Hook struct {
	ID   string
	Name string
	// Event is Logto's legacy single event ("" when unset); Events, when
	// not empty, supersedes it.
	Event  string
	Events []string
	// URL, Headers and Retries are Logto's config. Retries is kept and
	// returned but not acted upon (Logto deprecated it); nil is unset.
	URL     string
	Headers map[string]string
	Retries *int
	// SigningKey signs every delivery's body; it is stored sealed.
	SigningKey string
	Enabled    bool
	CreatedAt  time.Time
}

// Listens reports whether the hook is enabled and subscribed to event, as
// Logto decides it: Events when it has any, else the legacy Event.
func (h Hook) Listens(event string) bool {
	if !h.Enabled {
		return false
	}
	if len(h.Events) > 0 {
		for _, e := range h.Events {
			if e == event {
				return true
			}
		}
		return false
	}
	return h.Event == event
}

// DeliveryState is where a delivery is in its life.
type DeliveryState string

const (
	DeliveryPending   DeliveryState = "pending"   // to be sent (again) at NextAt
	DeliveryDelivered DeliveryState = "delivered" // a 2xx answer was received
	DeliveryFailed    DeliveryState = "failed"    // every attempt failed; given up
)

// Delivery is one payload to send to one hook, made from one outbox event
// (or several deliveries from one event, one per listening hook).
type Delivery struct {
	ID     string
	HookID string
	Event  string // Logto's event name, e.g. "User.Created"
	// Body is the exact JSON sent; it is what the signature signs.
	Body     []byte
	State    DeliveryState
	Attempts int
	// NextAt is when a pending delivery is due.
	NextAt    time.Time
	CreatedAt time.Time
}

// DeliveryAttempt records one try at a delivery, for the hook's recent
// logs: what was sent and what came back.
type DeliveryAttempt struct {
	ID         string
	HookID     string
	DeliveryID string // "" for a test delivery
	Event      string
	Body       []byte // the request body
	// Status is the receiver's HTTP status; 0 when none came back.
	Status int
	// Response is the start of the receiver's answer, bounded.
	Response string
	// Error says why the attempt failed ("" when it succeeded).
	Error     string
	Success   bool
	CreatedAt time.Time
}

// AttemptFilter narrows a hook's attempts.
type AttemptFilter struct {
	Event         string    // "" any; else Logto's event name
	Since, Before time.Time // zero: unbounded
}

// HookStats counts a hook's attempts since a time.
type HookStats struct{ Requests, Successes int }

// WebhookStore keeps hooks, their pending deliveries and the record of
// attempts. Deliveries are planned from the outbox, from a cursor kept in
// the same database, and sent by whichever instance claims them first.
type WebhookStore interface {
	// CreateHook stores a new hook (ErrConflict for a used id).
	CreateHook(ctx context.Context, h Hook) error
	GetHook(ctx context.Context, id string) (Hook, error)
	// ListHooks returns hooks oldest first, and how many there are.
	ListHooks(ctx context.Context, page Page) ([]Hook, int, error)
	// UpdateHook replaces everything but the id and creation time.
	UpdateHook(ctx context.Context, h Hook) error
	// DeleteHook removes the hook, its deliveries and its attempts.
	DeleteHook(ctx context.Context, id string) error

	// WebhookCursor is the seq of the last outbox event planned.
	WebhookCursor(ctx context.Context) (int64, error)
	// PlanDeliveries stores deliveries and moves the cursor from `from`
	// to `to`, in one transaction. If the cursor is no longer at from
	// (another instance planned meanwhile) nothing is stored and the
	// error is ErrConflict.
	PlanDeliveries(ctx context.Context, from, to int64, ds []Delivery) error
	// ClaimDeliveries leases up to limit pending deliveries due at now to
	// owner until now+lease, and returns them. A delivery whose lease has
	// run out (its owner died) is claimable again; one whose lease has not
	// is claimed by no one else.
	ClaimDeliveries(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]Delivery, error)
	// FinishAttempt records a and updates the delivery owner holds: its
	// new state, attempt count and, when pending, the time of its next
	// try. It returns ErrNotFound when owner no longer holds the lease.
	FinishAttempt(ctx context.Context, owner string, d Delivery, a DeliveryAttempt) error
	// RecordAttempt records an attempt outside any delivery (a test).
	RecordAttempt(ctx context.Context, a DeliveryAttempt) error
	// ListAttempts returns a hook's attempts, newest first, and how many
	// match.
	ListAttempts(ctx context.Context, hookID string, f AttemptFilter, page Page) ([]DeliveryAttempt, int, error)
	// HookStats counts a hook's attempts since t.
	HookStats(ctx context.Context, hookID string, since time.Time) (HookStats, error)
	// PruneWebhooks deletes finished deliveries and attempts created
	// before t, and says how many rows went.
	PruneWebhooks(ctx context.Context, before time.Time) (int, error)
}
