package audit

import (
	"encoding/json"

	"github.com/monban/monban/internal/store"
)

// The audit log keys of end users' sign-ins and sign-ups, as Logto names
// them: the submission of a sign-in or registration interaction. Auth0's
// Management API shows them as its s, f, ss and fs events.
const (
	KeySignIn   = "Interaction.SignIn.Submit"
	KeyRegister = "Interaction.Register.Submit"
	// KeyForgotPassword: a password reset at the hosted pages.
	KeyForgotPassword = "Interaction.ForgotPassword.Submit"
)

// The keys of an interaction's life, as Logto's experience API writes
// them: started by an authorization request, ended by its completion.
const (
	KeyCreate = "Interaction.Create"
	KeyEnd    = "Interaction.End"
)

// EventKey is the key of an interaction's event chosen ("Create") or
// changed ("Update"): Interaction.{event}.Create or .Update.
func EventKey(event, action string) string { return "Interaction." + eventOr(event) + "." + action }

// IdentifierKey is the key of the account of an interaction identified
// (signed in to, created, or whose password is reset):
// Interaction.{event}.Identifier.Submit.
func IdentifierKey(event string) string {
	return "Interaction." + eventOr(event) + ".Identifier.Submit"
}

// ProfileKey is the key of a profile written by an interaction (a
// sign-up's username, password or address; a reset's new password):
// Interaction.{event}.Profile.Update.
func ProfileKey(event string) string { return "Interaction." + eventOr(event) + ".Profile.Update" }

func eventOr(event string) string {
	if event == "" {
		return "SignIn"
	}
	return event
}

// SubmitKey is the key of submitting an interaction of Logto's event
// (SignIn, Register, ForgotPassword; "" is SignIn).
func SubmitKey(event string) string {
	if event == "" {
		event = "SignIn"
	}
	return "Interaction." + event + ".Submit"
}

// VerificationKey is Logto's key of a verification record of type typ
// (Password, EmailVerificationCode, …) made (action "Create": a code
// sent) or submitted ("Submit": checked) in an interaction of event.
func VerificationKey(event, typ, action string) string {
	if event == "" {
		event = "SignIn"
	}
	return "Interaction." + event + ".Verification." + typ + "." + action
}

// Interaction is an end user's sign-in (the hosted sign-in page) or
// sign-up (Auth0's /dbconnections/signup), succeeded or refused.
type Interaction struct {
	Key      string // KeySignIn, KeyRegister, or another of Logto's Interaction.* keys
	ClientID string // the application it was for
	// UserID is the user signed in or up; on a refused sign-in, the
	// account the identifier names, when there is one.
	UserID string
	// Error is "" for a success, else a short code of why it was
	// refused (invalid_credentials, locked, suspended, invalid_password,
	// invalid_signup, …).
	Error string
	// IdentifierType is how the user named the account: "username",
	// "email" or "" (the identifier itself is not logged: people type
	// passwords into it).
	IdentifierType string
	Connection     string // Auth0's database connection, for a sign-up
	IP             string
}

// LogInteraction queues ev as an entry of its own (never merged: each
// sign-in counts). A full buffer drops it, as it drops token events.
func (w *Writer) LogInteraction(ev Interaction) {
	details := map[string]any{}
	if ev.IP != "" {
		details["ip"] = ev.IP
	}
	if ev.IdentifierType != "" {
		details["identifierType"] = ev.IdentifierType
	}
	if ev.Connection != "" {
		details["connection"] = ev.Connection
	}
	e := store.LogEntry{Key: ev.Key, Result: store.ResultSuccess, ApplicationID: ev.ClientID, UserID: ev.UserID}
	if ev.Error != "" {
		e.Result = store.ResultError
		details["error"] = ev.Error
	}
	e.Payload, _ = json.Marshal(details)
	w.Log(e)
}
