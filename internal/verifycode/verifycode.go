// Package verifycode issues and checks one-time codes sent by e-mail or SMS:
// six digits from crypto/rand, stored only as a salted hash, valid for a
// limited time and a limited number of tries, and bound to what they were
// sent for (the purpose, the channel, the address and what the caller binds
// them to, such as a sign-in interaction). Codes live in the database, so
// every instance sharing it answers for them.
//
// Sending is throttled per address and per client address. Delivery is the
// Deliverer's (internal/connector): Send returns once the message is queued.
package verifycode

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Channel is how a code reaches its holder.
type Channel string

const (
	ChannelEmail Channel = "email"
	ChannelSMS   Channel = "sms"
)

// Valid reports whether ch is a known channel.
func (ch Channel) Valid() bool { return ch == ChannelEmail || ch == ChannelSMS }

// Purpose is what a code is for, with the names of Logto's template usage
// types.
type Purpose string

const (
	PurposeSignIn         Purpose = "SignIn"
	PurposeRegister       Purpose = "Register"
	PurposeForgotPassword Purpose = "ForgotPassword"
	PurposeGeneric        Purpose = "Generic"
	// PurposeOrganizationInvitation is a message without a code: an
	// invitation to join an organization. Valid is false for it, so no
	// code is ever sent or verified for it.
	PurposeOrganizationInvitation Purpose = "OrganizationInvitation"
)

// PurposeForgotPasswordLink is a message that carries a password reset
// link (Auth0's /dbconnections/change_password), not a code: its
// templates use {{link}}. No code is issued for it.
const PurposeForgotPasswordLink Purpose = "ForgotPasswordLink"

// Valid reports whether p is a known purpose of codes.
func (p Purpose) Valid() bool {
	switch p {
	case PurposeSignIn, PurposeRegister, PurposeForgotPassword, PurposeGeneric:
		return true
	}
	return false
}

// Request names a code: it is sent for, and verified against, exactly
// (Purpose, Channel, To, Bind).
type Request struct {
	Purpose Purpose
	Channel Channel
	// To is the e-mail address or phone number, as Normalize returns it.
	To string
	// Bind is what the code is bound to: "interaction:<id>",
	// "auth0:<client_id>", "api" (Management API codes), ...
	Bind string
	// Locale is the language of the message: "en" or "ja" ("" is "en").
	Locale string
	// ClientIP is the requester's address, for the per-address throttle.
	ClientIP string
	// ApplicationID is recorded in the audit log; it may be "".
	ApplicationID string
}

// Message is what a Deliverer sends: a code (or, for a link's purpose,
// a link), to an address, in a language.
type Message struct {
	Channel       Channel
	To            string
	Purpose       Purpose
	Locale        string
	Code          string
	Link          string `json:",omitempty"`
	ApplicationID string
	// Vars are the template's other placeholders, by name, for messages
	// that tell more than a code ("link", "organization.name", …; a
	// code's "minutes": its lifetime in whole minutes).
	Vars map[string]string `json:",omitempty"`
	// ExpiresAt is when the code stops working, so that its delivery is
	// not tried past it; zero: DefaultTTL after it is queued.
	ExpiresAt time.Time `json:",omitzero"`
}

// Deliverer queues a message for delivery. It should return quickly:
// delivery itself happens in the background.
type Deliverer interface {
	Deliver(ctx context.Context, m Message) error
}

// ChannelChecker is optionally implemented by a Deliverer that knows which
// channels it can deliver on (it has a connector for them).
type ChannelChecker interface {
	HasChannel(ch Channel) bool
}

// Errors of Send and Verify.
var (
	// ErrInvalidTarget: To is not an e-mail address or phone number.
	ErrInvalidTarget = errors.New("verifycode: invalid e-mail address or phone number")
	// ErrNoConnector: no connector delivers on the channel.
	ErrNoConnector = errors.New("verifycode: no connector for the channel")
	// ErrThrottled: too many codes were sent to the address or from the
	// client address; see ThrottledError.
	ErrThrottled = errors.New("verifycode: too many codes sent, try again later")
	// ErrMismatch: the code is wrong; the try was counted.
	ErrMismatch = errors.New("verifycode: wrong code")
	// ErrExhausted: the code had too many wrong tries and no longer works.
	ErrExhausted = errors.New("verifycode: too many wrong tries")
	// ErrExpired: the code is past its lifetime.
	ErrExpired = errors.New("verifycode: the code has expired")
	// ErrNotFound: no code was sent for the request (or it was used).
	ErrNotFound = errors.New("verifycode: no code was sent")
	// ErrInvalidRequest: the request lacks a valid purpose, channel or
	// binding (a caller's mistake).
	ErrInvalidRequest = errors.New("verifycode: invalid request")
)

// ThrottledError is Send's answer when sending now would exceed a limit.
// errors.Is(err, ErrThrottled) holds for it.
type ThrottledError struct {
	// RetryAfter is how long until a send would be accepted.
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("%s (retry after %s)", ErrThrottled, e.RetryAfter.Round(time.Second))
}

// Is makes errors.Is(err, ErrThrottled) hold.
func (e *ThrottledError) Is(target error) bool { return target == ErrThrottled }
