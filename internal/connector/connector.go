// Package connector delivers one-time codes through Logto's message
// connectors: SMTP for e-mail, and an HTTP endpoint or a Twilio-compatible
// API for SMS. It keeps the connectors (one e-mail and one SMS connector at
// a time, as Logto does) and the e-mail templates per language and usage
// type, and implements verifycode.Deliverer: a message is written to a
// durable outbox and sent by a Dispatcher in the background, with retries
// and back-off, by whichever instance claims it first.
//
// Connector configurations are Logto's shapes; their secrets (the SMTP
// password, the Twilio auth token, the HTTP authorization and signing key)
// are kept sealed by the store and never shown: Public removes them, and an
// update that leaves one out keeps the stored value. Every connection to a
// provider is dialed through the egress policy.
package connector

import (
	"errors"
	"fmt"
)

// Type is a connector's kind, with Logto's names.
type Type string

const (
	TypeEmail Type = "Email"
	TypeSMS   Type = "Sms"
)

// Kind says what went wrong, for the faces to map onto their codes.
type Kind int

const (
	// InvalidConfig: the configuration does not fit the factory.
	InvalidConfig Kind = iota + 1
	// FactoryNotFound: no factory has the id.
	FactoryNotFound
	// NotFound: no connector has the id.
	NotFound
	// NoConnector: no connector is configured for the channel.
	NoConnector
	// UnexpectedType: the factory is not of the kind the request needs.
	UnexpectedType
	// TemplateNotFound: no template for the usage type.
	TemplateNotFound
	// SendFailed: the provider refused the message or could not be
	// reached.
	SendFailed
	// InvalidInput: a request value is wrong (a template, a filter).
	InvalidInput
	// NoFilter: a bulk deletion names no filter.
	NoFilter
	// TemplateMissing: no e-mail template has the id.
	TemplateMissing
	// SyncProfileUnsupported, TokenStorageUnsupported and MetadataLocked:
	// what only Logto's social connectors have was asked of a message
	// connector.
	SyncProfileUnsupported
	TokenStorageUnsupported
	MetadataLocked
)

// Error is a refusal of this package.
type Error struct {
	Kind    Kind
	Message string
}

func (e *Error) Error() string { return e.Message }

func errorf(k Kind, format string, args ...any) error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// KindOf returns err's Kind, or 0 when it is not an *Error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}
