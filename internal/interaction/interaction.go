// Package interaction is the server-side record of a sign-in at the hosted
// pages: the checked authorization request it resumes, the browser it is
// bound to, and an explicit state machine of named steps. The pages drive
// it one step at a time; at StepDone the authorization request resumes and
// the interaction is consumed.
//
// Today's steps are identify, password and done. The sign-in page asks
// for the identifier and the password on one form, so one post takes an
// interaction through identify and password; later steps (codes sent and
// verified, a second factor, an upstream provider's callback) are new
// steps and events in the transition table.
package interaction

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Step is where an interaction stands.
type Step string

// The steps of a sign-in.
const (
	// StepIdentify waits for the account's identifier.
	StepIdentify Step = "identify"
	// StepPassword waits for the password of the identified account.
	StepPassword Step = "password"
	// StepDone: the account is verified and the authorization request
	// resumes. A done interaction cannot be resumed again.
	StepDone Step = "done"
)

// Event is what happens at a step.
type Event string

// The events of a sign-in.
const (
	// EventIdentified: an identifier was given (again, at the password
	// step: the page asks for both at once, and the second try may name
	// another account).
	EventIdentified Event = "identified"
	// EventPasswordFailed: the password, or the account, was wrong.
	EventPasswordFailed Event = "password_failed"
	// EventPasswordVerified: the password is the account's.
	EventPasswordVerified Event = "password_verified"
)

// transitions is the state machine, the one place the order of the steps
// is written: from each step, the events allowed and where they lead.
// Anything else is refused with ErrTransition.
var transitions = map[Step]map[Event]Step{
	StepIdentify: {EventIdentified: StepPassword},
	StepPassword: {EventIdentified: StepPassword, EventPasswordFailed: StepPassword, EventPasswordVerified: StepDone},
}

// Errors of interactions.
var (
	// ErrTransition: the event is not allowed at the interaction's step.
	ErrTransition = errors.New("interaction: not allowed at this step")
	// ErrUnknown: no interaction has the id, or it belongs to another
	// browser (the two are not told apart).
	ErrUnknown = errors.New("interaction: unknown")
	// ErrExpired: the interaction outlived its time.
	ErrExpired = errors.New("interaction: expired")
	// ErrUsed: the interaction is done; its request was resumed already.
	ErrUsed = errors.New("interaction: already completed")
	// ErrConflict: the interaction was advanced elsewhere (another tab)
	// since it was read.
	ErrConflict = errors.New("interaction: advanced elsewhere")
)

// Interaction is a sign-in in progress.
type Interaction struct {
	ID       string
	ClientID string
	// Issuer is the issuer whose authorization endpoint started the
	// sign-in: the request resumes on that face, and the tokens it ends
	// with carry it.
	Issuer string
	// Request is the checked authorization request's parameters, which
	// resume it at StepDone.
	Request    url.Values
	Step       Step
	Identifier string // as given at the identify step
	AccountID  string // the verified account, at StepDone
	Attempts   int    // failed password checks
	CreatedAt  time.Time
	ExpiresAt  time.Time

	binding string // hash of the browser's cookie
	version int    // the stored version this copy was read at
}

// Next reports the step that event leads to from step, and whether the
// state machine allows it.
func Next(step Step, event Event) (Step, bool) {
	to, ok := transitions[step][event]
	return to, ok
}

// on applies event: refused (ErrTransition) when the step does not allow
// it or the value it needs is missing; otherwise the interaction moves to
// the next step and record keeps what the event learnt.
func (it *Interaction) on(event Event, missing bool, record func()) error {
	to, ok := Next(it.Step, event)
	switch {
	case !ok:
		return fmt.Errorf("%w: %s at %s", ErrTransition, event, it.Step)
	case missing:
		return fmt.Errorf("%w: %s without its value", ErrTransition, event)
	}
	it.Step = to
	record()
	return nil
}

// Identify records the identifier the browser gave; the interaction waits
// for its password. A new identifier forgets any account of an earlier one.
func (it *Interaction) Identify(identifier string) error {
	return it.on(EventIdentified, identifier == "", func() { it.Identifier, it.AccountID = identifier, "" })
}

// PasswordFailed counts a wrong password (or unknown account); the
// interaction still waits for a password.
func (it *Interaction) PasswordFailed() error {
	return it.on(EventPasswordFailed, false, func() { it.Attempts++ })
}

// PasswordVerified records the verified account; the interaction is done.
func (it *Interaction) PasswordVerified(accountID string) error {
	return it.on(EventPasswordVerified, accountID == "", func() { it.AccountID = accountID })
}
