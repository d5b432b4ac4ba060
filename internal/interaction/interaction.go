// Package interaction is the server-side record of a sign-in at the hosted
// pages: the checked authorization request it resumes, the browser it is
// bound to, Logto's interaction event (SignIn, Register, ForgotPassword),
// the identifier given, the verification records made so far, and an
// explicit state machine of small named steps. The pages drive it one
// action at a time; at StepDone the authorization request resumes and the
// interaction is consumed.
//
// The transition table is the one place the order of the steps is
// written, per event: sign-in by password or by a one-time code, sign-up
// by username and password or by a verified e-mail address or phone
// number, and a forgotten password reset by a code. Later methods (an
// upstream provider's callback, a second factor) are new steps and
// actions in the same table.
package interaction

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Event is Logto's interaction event: what the interaction is for.
type Event string

// The interaction events, as Logto names them (context.interaction's
// interactionEvent).
const (
	EventSignIn         Event = "SignIn"
	EventRegister       Event = "Register"
	EventForgotPassword Event = "ForgotPassword"
)

// Valid reports whether e is one of the events.
func (e Event) Valid() bool {
	return e == EventSignIn || e == EventRegister || e == EventForgotPassword
}

// Step is where an interaction stands.
type Step string

// The steps of an interaction.
const (
	// StepIdentify waits for the account's identifier.
	StepIdentify Step = "identify"
	// StepPassword waits for the password of the identified account.
	StepPassword Step = "password"
	// StepCode: a one-time code was sent to the identifier (an e-mail
	// address or phone number); it waits for the code.
	StepCode Step = "code"
	// StepProfile: the identifier is proved; it waits for what the new
	// account still needs (a password for a sign-up that requires one,
	// the new password of a reset).
	StepProfile Step = "profile"
	// StepFederating: the browser was sent to an upstream identity
	// provider; it waits for the provider's callback.
	StepFederating Step = "federating"
	// StepLink: the provider proved an identity no account has yet, with
	// a verified e-mail address an account has; it waits for the person
	// to confirm linking the identity to that account.
	StepLink Step = "link"
	// StepDone: the account is verified (or made) and the authorization
	// request resumes. A done interaction cannot be resumed again.
	StepDone Step = "done"
	// StepMFA: the account is verified but needs a second factor; it
	// waits for one of the account's factors (package mfa).
	StepMFA Step = "mfa"
	// StepMFAEnroll: the account is verified but must bind a second
	// factor before it signs in; it waits for one.
	StepMFAEnroll Step = "mfa_enroll"
)

// Action is what happens at a step.
type Action string

// The actions of an interaction.
const (
	// ActEventChosen: the person chose another event (the sign-up page
	// instead of the sign-in page, …): the interaction starts over at
	// StepIdentify with no records.
	ActEventChosen Action = "event_chosen"
	// ActIdentified: an identifier was given (again, at the password
	// step: the page asks for both at once, and the second try may name
	// another account).
	ActIdentified Action = "identified"
	// ActPasswordFailed: the password, or the account, was wrong.
	ActPasswordFailed Action = "password_failed"
	// ActPasswordVerified: the password is the account's.
	ActPasswordVerified Action = "password_verified"
	// ActCodeSent: a one-time code was sent (or re-sent) to the
	// identifier.
	ActCodeSent Action = "code_sent"
	// ActCodeFailed: a wrong code was given.
	ActCodeFailed Action = "code_failed"
	// ActCodeVerified: the code is right: the identifier is proved.
	ActCodeVerified Action = "code_verified"
	// ActRegisterInstead: the code of a sign-in is right but no account
	// has the identifier, and sign-up is open: the interaction goes on as
	// a sign-up of the proved identifier (as Logto does).
	ActRegisterInstead Action = "register_instead"
	// ActSignInInstead: the code of a sign-up is right but an account has
	// the identifier already: the owner of the address is signed in (as
	// Logto does).
	ActSignInInstead Action = "sign_in_instead"
	// ActPasswordRejected: the new password does not obey the policy.
	ActPasswordRejected Action = "password_rejected"
	// ActPasswordSet: the account was made with, or given, the new
	// password.
	ActPasswordSet Action = "password_set"
	// ActProfileFulfilled: the account was made without a password (none
	// required).
	ActProfileFulfilled Action = "profile_fulfilled"
	// ActPasskeyVerified: a discoverable WebAuthn credential (a passkey,
	// with its user verified) proved the account it names: the sign-in
	// is done, whatever was typed before.
	ActPasskeyVerified Action = "passkey_verified"
	// ActMFARequired: the verified account needs a second factor before
	// the request resumes (the gate of the pages' completion).
	ActMFARequired Action = "mfa_required"
	// ActMFAEnrollRequired: the verified account must bind a second
	// factor before the request resumes.
	ActMFAEnrollRequired Action = "mfa_enroll_required"
	// ActMFAFailed: a wrong second factor was given.
	ActMFAFailed Action = "mfa_failed"
	// ActMFAVerified: one of the account's second factors was verified.
	ActMFAVerified Action = "mfa_verified"
	// ActMFABound: a new second factor was bound to the account (and
	// verified by its binding).
	ActMFABound Action = "mfa_bound"
)

// The actions of a sign-in through an upstream identity provider.
const (
	// ActFederationStarted: the browser was sent to a provider (again,
	// when it came back and chose another).
	ActFederationStarted Action = "federation_started"
	// ActFederated: the provider proved an identity an account has.
	ActFederated Action = "federated"
	// ActFederatedRegistered: the provider proved an identity no account
	// has, and a new account was made with it: the interaction is done,
	// as a sign-up.
	ActFederatedRegistered Action = "federated_registered"
	// ActLinkOffered: the provider proved an identity no account has,
	// with a verified e-mail address of an account: linking is offered.
	ActLinkOffered Action = "link_offered"
	// ActLinked: the person confirmed; the identity was linked to the
	// account.
	ActLinked Action = "linked"
)

// mfaSteps are the second-factor steps every event ends with: the gate
// leaves StepDone for them, and they lead back to it (or, when the person
// starts over, perhaps as another account, to StepIdentify).
var mfaSteps = map[Step]map[Action]To{
	StepDone:      {ActMFARequired: {StepMFA, ""}, ActMFAEnrollRequired: {StepMFAEnroll, ""}},
	StepMFA:       {ActEventChosen: {StepIdentify, ""}, ActMFAFailed: {StepMFA, ""}, ActMFAVerified: {StepDone, ""}},
	StepMFAEnroll: {ActEventChosen: {StepIdentify, ""}, ActMFABound: {StepDone, ""}},
}

func init() {
	for _, steps := range transitions {
		for step, actions := range mfaSteps {
			if steps[step] == nil {
				steps[step] = map[Action]To{}
			}
			for a, to := range actions {
				steps[step][a] = to
			}
		}
	}
}

// To is where an action leads: a step, and the event the interaction
// goes on as ("" keeps it).
type To struct {
	Step  Step
	Event Event
}

// transitions is the state machine, the one place the order of the steps
// is written: for each event, from each step, the actions allowed and
// where they lead. Anything else is refused with ErrTransition.
var transitions = map[Event]map[Step]map[Action]To{
	EventSignIn: {
		StepIdentify: {ActEventChosen: {StepIdentify, ""}, ActIdentified: {StepPassword, ""}, ActCodeSent: {StepCode, ""},
			ActFederationStarted: {StepFederating, ""}, ActPasskeyVerified: {StepDone, ""}},
		StepFederating: {ActEventChosen: {StepIdentify, ""}, ActFederationStarted: {StepFederating, ""}, ActFederated: {StepDone, ""},
			ActFederatedRegistered: {StepDone, EventRegister}, ActLinkOffered: {StepLink, ""}},
		StepLink: {ActEventChosen: {StepIdentify, ""}, ActLinked: {StepDone, ""}},
		StepPassword: {ActEventChosen: {StepIdentify, ""}, ActIdentified: {StepPassword, ""}, ActPasswordFailed: {StepPassword, ""},
			ActPasswordVerified: {StepDone, ""}, ActCodeSent: {StepCode, ""}, ActPasskeyVerified: {StepDone, ""}},
		StepCode: {ActEventChosen: {StepIdentify, ""}, ActCodeSent: {StepCode, ""}, ActCodeFailed: {StepCode, ""},
			ActCodeVerified: {StepDone, ""}, ActRegisterInstead: {StepProfile, EventRegister}, ActIdentified: {StepPassword, ""},
			ActPasskeyVerified: {StepDone, ""}},
	},
	EventRegister: {
		StepIdentify: {ActEventChosen: {StepIdentify, ""}, ActIdentified: {StepProfile, ""}, ActCodeSent: {StepCode, ""}},
		StepCode: {ActEventChosen: {StepIdentify, ""}, ActCodeSent: {StepCode, ""}, ActCodeFailed: {StepCode, ""},
			ActCodeVerified: {StepProfile, ""}, ActSignInInstead: {StepDone, EventSignIn}},
		StepProfile: {ActEventChosen: {StepIdentify, ""}, ActIdentified: {StepProfile, ""}, ActPasswordRejected: {StepProfile, ""},
			ActPasswordSet: {StepDone, ""}, ActProfileFulfilled: {StepDone, ""}},
	},
	EventForgotPassword: {
		StepIdentify: {ActEventChosen: {StepIdentify, ""}, ActCodeSent: {StepCode, ""}},
		StepCode: {ActEventChosen: {StepIdentify, ""}, ActCodeSent: {StepCode, ""}, ActCodeFailed: {StepCode, ""},
			ActCodeVerified: {StepProfile, ""}},
		StepProfile: {ActEventChosen: {StepIdentify, ""}, ActPasswordRejected: {StepProfile, ""}, ActPasswordSet: {StepDone, ""}},
	},
}

// Errors of interactions.
var (
	// ErrTransition: the action is not allowed at the interaction's step.
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
	Request url.Values
	Event   Event
	Step    Step
	// Identifier is the identifier as given (a username, e-mail address
	// or phone number), IdentifierType its type ("username", "email",
	// "phone").
	Identifier     string
	IdentifierType string
	// Records are the verification records made so far, in order; each
	// type at most once (a new one replaces an earlier one).
	Records   []Record
	AccountID string // the verified account, at StepDone
	Attempts  int    // failed password and code checks
	CreatedAt time.Time
	ExpiresAt time.Time

	binding string // hash of the browser's cookie
	version int    // the stored version this copy was read at
}

// Next reports where action leads an interaction of event at step, and
// whether the state machine allows it.
func Next(event Event, step Step, action Action) (To, bool) {
	to, ok := transitions[event][step][action]
	return to, ok
}

// on applies action: refused (ErrTransition) when the step does not allow
// it or the value it needs is missing; otherwise the interaction moves to
// the next step (and event) and record keeps what the action learnt.
func (it *Interaction) on(action Action, missing bool, record func()) error {
	to, ok := Next(it.event(), it.Step, action)
	switch {
	case !ok:
		return fmt.Errorf("%w: %s at %s of %s", ErrTransition, action, it.Step, it.event())
	case missing:
		return fmt.Errorf("%w: %s without its value", ErrTransition, action)
	}
	it.Step = to.Step
	if to.Event != "" {
		it.Event = to.Event
	}
	record()
	return nil
}

// event is the interaction's event; one stored before events is a
// sign-in.
func (it *Interaction) event() Event {
	if it.Event == "" {
		return EventSignIn
	}
	return it.Event
}

// Choose starts the interaction over as event: the identifier and the
// records are forgotten.
func (it *Interaction) Choose(event Event) error {
	return it.on(ActEventChosen, !event.Valid(), func() {
		it.Event, it.Identifier, it.IdentifierType, it.Records, it.AccountID = event, "", "", nil, ""
	})
}

// Identify records the identifier the browser gave; the interaction waits
// for its password. A new identifier forgets any account of an earlier one.
func (it *Interaction) Identify(identifier string) error {
	return it.on(ActIdentified, identifier == "", func() {
		it.Identifier, it.IdentifierType, it.AccountID = identifier, IdentifierType(identifier), ""
	})
}

// PasswordFailed counts a wrong password (or unknown account); the
// interaction still waits for a password.
func (it *Interaction) PasswordFailed() error {
	return it.on(ActPasswordFailed, false, func() { it.Attempts++ })
}

// PasswordVerified records the verified account and the Password record
// of rec; the interaction is done.
func (it *Interaction) PasswordVerified(accountID string, rec Record) error {
	return it.on(ActPasswordVerified, accountID == "", func() {
		it.AccountID = accountID
		it.addRecord(rec)
	})
}

// CodeSent records that a code was sent to identifier (of its type, for
// templateType: Logto's template usage type); the interaction waits for
// it. A new identifier forgets any earlier one's records.
func (it *Interaction) CodeSent(identifier, identifierType string) error {
	return it.on(ActCodeSent, identifier == "" || (identifierType != "email" && identifierType != "phone"), func() {
		if identifier != it.Identifier {
			it.Records, it.AccountID = nil, ""
		}
		it.Identifier, it.IdentifierType = identifier, identifierType
	})
}

// CodeFailed counts a wrong code.
func (it *Interaction) CodeFailed() error {
	return it.on(ActCodeFailed, false, func() { it.Attempts++ })
}

// CodeVerified records the verified code's record: for a sign-in, with
// the account it signs in to, the interaction is done; for a sign-up or a
// reset, it waits for the profile (accountID is the account a reset
// changes, "" for a sign-up).
func (it *Interaction) CodeVerified(rec Record, accountID string) error {
	return it.on(ActCodeVerified, rec.ID == "" || (it.event() == EventSignIn || it.event() == EventForgotPassword) && accountID == "", func() {
		it.AccountID = accountID
		it.addRecord(rec)
	})
}

// RegisterInstead records the verified code of a sign-in for an
// identifier no account has: the interaction goes on as a sign-up.
func (it *Interaction) RegisterInstead(rec Record) error {
	return it.on(ActRegisterInstead, rec.ID == "", func() {
		rec.TemplateType = string(EventSignIn)
		it.addRecord(rec)
	})
}

// SignInInstead records the verified code of a sign-up for an identifier
// an account has already: the interaction is done, as a sign-in of it.
func (it *Interaction) SignInInstead(rec Record, accountID string) error {
	return it.on(ActSignInInstead, rec.ID == "" || accountID == "", func() {
		it.AccountID = accountID
		it.addRecord(rec)
	})
}

// PasswordRejected counts a new password the policy refused.
func (it *Interaction) PasswordRejected() error {
	return it.on(ActPasswordRejected, false, func() {})
}

// PasswordSet records the account made with (or given) the new password;
// the interaction is done.
func (it *Interaction) PasswordSet(accountID string) error {
	return it.on(ActPasswordSet, accountID == "", func() { it.AccountID = accountID })
}

// ProfileFulfilled records the account made without a password; the
// interaction is done.
func (it *Interaction) ProfileFulfilled(accountID string) error {
	return it.on(ActProfileFulfilled, accountID == "", func() { it.AccountID = accountID })
}

// PasskeyVerified records the account a passkey proved, and its
// SignInPasskey record (PasskeyRecord), in place of any earlier
// identifier; the interaction is done.
func (it *Interaction) PasskeyVerified(accountID string, rec Record) error {
	return it.on(ActPasskeyVerified, accountID == "" || rec.ID == "" || rec.Type != RecordSignInPasskey, func() {
		it.Identifier, it.IdentifierType, it.Records, it.AccountID = "", "", nil, accountID
		it.addRecord(rec)
	})
}

// MFARequired: the verified account needs a second factor; the
// interaction waits for one at StepMFA.
func (it *Interaction) MFARequired() error {
	return it.on(ActMFARequired, it.AccountID == "", func() {})
}

// MFAEnrollRequired: the verified account must bind a second factor; the
// interaction waits for one at StepMFAEnroll.
func (it *Interaction) MFAEnrollRequired() error {
	return it.on(ActMFAEnrollRequired, it.AccountID == "", func() {})
}

// MFAFailed counts a wrong second factor.
func (it *Interaction) MFAFailed() error {
	return it.on(ActMFAFailed, false, func() { it.Attempts++ })
}

// MFAVerified records the verified second factor's record (of type
// Totp, BackupCode or WebAuthn); the interaction is done.
func (it *Interaction) MFAVerified(rec Record) error {
	return it.on(ActMFAVerified, rec.ID == "" || !IsMFARecord(rec.Type), func() { it.addRecord(rec) })
}

// MFABound records the record of the second factor just bound; the
// interaction is done.
func (it *Interaction) MFABound(rec Record) error {
	return it.on(ActMFABound, rec.ID == "" || !IsMFARecord(rec.Type), func() { it.addRecord(rec) })
}

// addRecord keeps rec, replacing an earlier record of its type.
func (it *Interaction) addRecord(rec Record) {
	if rec.ID == "" {
		return
	}
	for i := range it.Records {
		if it.Records[i].Type == rec.Type {
			it.Records[i] = rec
			return
		}
	}
	it.Records = append(it.Records, rec)
}

// Record returns the verified record of type typ, if the interaction has
// one.
func (it *Interaction) Record(typ string) (Record, bool) {
	for _, r := range it.Records {
		if r.Type == typ && r.Verified {
			return r, true
		}
	}
	return Record{}, false
}
