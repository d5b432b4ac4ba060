package store

import (
	"context"
	"time"
)

// VerificationCode is a one-time code sent by e-mail or SMS, stored as a
// salted hash. Key names what it was sent for (purpose, channel, address
// and binding, as package verifycode composes it); there is at most one
// code per key.
type VerificationCode struct {
	ID        string
	Key       string
	Salt      []byte
	Hash      []byte
	Tries     int // wrong tries so far
	CreatedAt time.Time
	ExpiresAt time.Time
}

// CodeSend records that a code was sent to a target from a client address,
// for the resend throttle. Target and ClientIP are opaque keys (hashes).
type CodeSend struct {
	ID        string
	Target    string
	ClientIP  string
	CreatedAt time.Time
	ExpiresAt time.Time // when the record no longer counts for any limit
}

// CodeSendTimes are the times of the sends recorded since a time, oldest
// first: to the target, and from the client address.
type CodeSendTimes struct {
	Target, Client []time.Time
}

// VerificationCodeStore keeps one-time codes and the record of sends.
type VerificationCodeStore interface {
	// PutVerificationCode stores c, replacing any code with the same key.
	PutVerificationCode(ctx context.Context, c VerificationCode) error
	// GetVerificationCode returns the code of key (ErrNotFound if none).
	GetVerificationCode(ctx context.Context, key string) (VerificationCode, error)
	// CountVerificationTry adds a wrong try to the code id if it has fewer
	// than max, and returns its new count. A gone code is ErrNotFound; one
	// that already has max tries is returned unchanged (max).
	CountVerificationTry(ctx context.Context, id string, max int) (int, error)
	// ConsumeVerificationCode deletes the code id; exactly one of several
	// concurrent callers succeeds, the others get ErrNotFound.
	ConsumeVerificationCode(ctx context.Context, id string) error

	// RecordCodeSend stores a send record.
	RecordCodeSend(ctx context.Context, s CodeSend) error
	// DeleteCodeSend removes a send record (a send that was refused).
	DeleteCodeSend(ctx context.Context, id string) error
	// CodeSends returns the times of the sends to target and from
	// clientIP created at or after since.
	CodeSends(ctx context.Context, target, clientIP string, since time.Time) (CodeSendTimes, error)
}
