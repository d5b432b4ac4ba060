// Package mfa is the domain of second factors: which factors a user has
// bound (store.MFAVerification, their data sealed here), whether a
// sign-in needs one under the sign-in experience's policy, and verifying
// and binding them. Each factor type (TOTP and backup codes here,
// WebAuthn elsewhere) is a Factor registered with the Service; the
// Service knows nothing of their data.
//
// # Adding a factor type
//
// A factor type implements Factor and is registered once with
// Service.Register before the server serves:
//
//   - Type is Logto's factor type (Totp, BackupCode, WebAuthn): the type
//     of its store.MFAVerification rows and of the interaction records it
//     makes (interaction.MFARecord).
//   - BeginBind starts binding a new factor for a user: it returns the
//     state to carry to FinishBind (the Service seals it into the page,
//     bound to the interaction and the user, so it cannot be altered or
//     moved) and what the page shows (a TOTP secret and URI, WebAuthn
//     creation options).
//   - FinishBind checks the person's answer against that state and
//     returns the factor's data document (JSON, sealed at rest by the
//     Service) and, for the page to show once, anything the person must
//     keep (backup codes).
//   - Verify checks an answer against one stored factor's data (opened)
//     and returns the data to write back (a last used TOTP step, a used
//     backup code struck out; nil: unchanged). A wrong answer is
//     ErrWrongAnswer; the Service counts it under the back-off.
//
// Answers are the form fields of the pages (url.Values), already bounded
// by the pages.
package mfa

import (
	"context"
	"errors"
	"net/url"
	"time"
)

// The factor types, as Logto names them (MfaFactor).
const (
	TypeTotp       = "Totp"
	TypeBackupCode = "BackupCode"
	TypeWebAuthn   = "WebAuthn"
)

// Errors of the domain.
var (
	// ErrWrongAnswer: the answer does not match (a wrong or reused code).
	ErrWrongAnswer = errors.New("mfa: wrong answer")
	// ErrLocked: too many wrong answers; the back-off holds the account.
	ErrLocked = errors.New("mfa: too many tries")
	// ErrUnknownType: no factor of that type is registered, or the
	// sign-in experience does not offer it.
	ErrUnknownType = errors.New("mfa: unknown factor type")
	// ErrNotBound: the user has no factor of that type.
	ErrNotBound = errors.New("mfa: no such factor")
	// ErrAlreadyBound: the user has a factor of a type that allows one.
	ErrAlreadyBound = errors.New("mfa: factor already bound")
	// ErrBadState: the carried binding state is altered, expired or
	// another interaction's.
	ErrBadState = errors.New("mfa: binding state not valid")
	// ErrLockedStore: the store's secrets are locked; nothing can be
	// sealed or opened.
	ErrLockedStore = errors.New("mfa: secrets locked")
)

// Subject is the account a factor is bound to or verified for.
type Subject struct {
	UserID string
	// Label names the account in an authenticator app (its username or
	// e-mail address).
	Label string
}

// Shown is what a binding page shows of a factor being bound: named
// values the page's section for the type knows (a TOTP "secret" and
// "uri", a QR code "qr" as a data: URL; WebAuthn "options").
type Shown map[string]string

// Factor is one type of second factor. See the package documentation.
type Factor interface {
	Type() string
	BeginBind(ctx context.Context, who Subject, issuer string) (state []byte, show Shown, err error)
	FinishBind(ctx context.Context, who Subject, state []byte, answer url.Values, now time.Time) (data []byte, keep []string, err error)
	Verify(ctx context.Context, who Subject, data []byte, answer url.Values, now time.Time) (update []byte, err error)
}

// Single is implemented by factor types a user holds at most one of
// (TOTP and backup codes, as Logto): binding another is ErrAlreadyBound.
type Single interface {
	Single() bool
}
