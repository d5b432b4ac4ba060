package store

import (
	"context"
	"time"
)

// The states of a device authorization.
const (
	DevicePending  = "pending"
	DeviceApproved = "approved"
	DeviceDenied   = "denied"
)

// DeviceAuthorization is a device's authorization request (RFC 8628 §3.1),
// kept until it is redeemed once or expires. ID is the SHA-256 of the
// device_code; UserCode a keyed hash of the normalized user code, which
// the verification page looks it up by.
type DeviceAuthorization struct {
	ID        string
	UserCode  string
	ClientID  string
	Issuer    string // of the face it was asked at
	Scope     string // space-separated, as asked
	Resources []string
	// Status is DevicePending until the person allows it (DeviceApproved,
	// with UserID and the GrantID made then) or denies it.
	Status  string
	UserID  string
	GrantID string
	// Interval is how many seconds the device must wait between polls;
	// LastPolledAt when it last did (zero: never).
	Interval     int
	LastPolledAt time.Time
	CreatedAt    time.Time
	ExpiresAt    time.Time
	UsedAt       time.Time // zero until redeemed
}

// DeviceStore keeps device authorizations. Expired ones are deleted by
// GrantStore.PruneExpired.
type DeviceStore interface {
	// CreateDeviceAuthorization stores a pending one; an id or user code
	// in use is ErrConflict, an unknown client ErrNotFound.
	CreateDeviceAuthorization(ctx context.Context, d DeviceAuthorization) error
	// GetDeviceAuthorization returns one by id, in any state, expired or
	// not.
	GetDeviceAuthorization(ctx context.Context, id string) (DeviceAuthorization, error)
	// GetDeviceAuthorizationByUserCode returns one by its user code's hash.
	GetDeviceAuthorizationByUserCode(ctx context.Context, userCode string) (DeviceAuthorization, error)
	// PollDeviceAuthorization records a poll at now and returns the
	// authorization as it is after it. A poll that came less than the
	// interval after the previous one is too soon: it raises the interval
	// by step and reports true.
	PollDeviceAuthorization(ctx context.Context, id string, now time.Time, step int) (DeviceAuthorization, bool, error)
	// ApproveDeviceAuthorization stores g (the user's grant to the client)
	// and marks the pending authorization approved for g's user with it,
	// in one transaction; one no longer pending is ErrConflict.
	ApproveDeviceAuthorization(ctx context.Context, id string, g Grant) error
	// DenyDeviceAuthorization marks a pending one denied; one no longer
	// pending is ErrConflict.
	DenyDeviceAuthorization(ctx context.Context, id string) error
	// RedeemDeviceAuthorization marks an approved, unused one used at now
	// and records issue from its grant, in one transaction. One used
	// before is ErrAlreadyUsed, and nothing is written.
	RedeemDeviceAuthorization(ctx context.Context, id string, now time.Time, issue Issue) error
}
