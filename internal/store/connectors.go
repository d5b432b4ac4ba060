package store

import (
	"context"
	"time"
)

// Connector is a configured message connector, with Logto's fields.
// ConnectorID names its factory ("simple-mail-transfer-protocol", ...).
// Config is the factory's JSON configuration; it holds secrets, so the
// store keeps it sealed. Metadata is Logto's configurable metadata (JSON
// object, "{}" when unset).
type Connector struct {
	ID                 string
	ConnectorID        string
	Config             []byte
	Metadata           []byte
	SyncProfile        bool
	EnableTokenStorage bool
	CreatedAt          time.Time
}

// EmailTemplate is a message template for one language and usage type
// (Logto's /api/email-templates). Details is Logto's details object as
// JSON: subject, content, contentType, replyTo, sendFrom.
type EmailTemplate struct {
	ID           string
	LanguageTag  string
	TemplateType string
	Details      []byte
	CreatedAt    time.Time
}

// TemplateFilter narrows e-mail templates; an empty field matches all.
type TemplateFilter struct {
	LanguageTag  string
	TemplateType string
}

// MessageState is where an outgoing message is in its life.
type MessageState string

const (
	MessagePending MessageState = "pending" // to be sent (again) at NextAt
	MessageSent    MessageState = "sent"    // the provider accepted it
	MessageFailed  MessageState = "failed"  // every attempt failed, or it expired
)

// OutMessage is a message queued for a connector. Payload is what the
// connector needs to send it (it holds a one-time code, so the store keeps
// it sealed); Channel is "email" or "sms".
type OutMessage struct {
	ID       string
	Channel  string
	Payload  []byte
	State    MessageState
	Attempts int
	// LastError says why the latest attempt failed ("" if none did).
	LastError string
	NextAt    time.Time
	CreatedAt time.Time
	// ExpiresAt is when sending it stops making sense (its code expired).
	ExpiresAt time.Time
}

// ConnectorStore keeps connectors and e-mail templates.
type ConnectorStore interface {
	// CreateConnector stores c, and deletes the connectors whose factory
	// is one of replace, in one transaction (Logto keeps one e-mail and
	// one SMS connector). A used id is ErrConflict.
	CreateConnector(ctx context.Context, c Connector, replace []string) error
	GetConnector(ctx context.Context, id string) (Connector, error)
	// ListConnectors returns every connector, oldest first.
	ListConnectors(ctx context.Context) ([]Connector, error)
	// UpdateConnector replaces config, metadata and the flags.
	UpdateConnector(ctx context.Context, c Connector) error
	DeleteConnector(ctx context.Context, id string) error

	// UpsertEmailTemplates stores each template, replacing the one with
	// the same language and type (which keeps its id and creation time),
	// and returns them as stored.
	UpsertEmailTemplates(ctx context.Context, ts []EmailTemplate) ([]EmailTemplate, error)
	// ListEmailTemplates returns the matching templates, oldest first.
	ListEmailTemplates(ctx context.Context, f TemplateFilter) ([]EmailTemplate, error)
	GetEmailTemplate(ctx context.Context, id string) (EmailTemplate, error)
	// UpdateEmailTemplate replaces a template's details.
	UpdateEmailTemplate(ctx context.Context, id string, details []byte) (EmailTemplate, error)
	DeleteEmailTemplate(ctx context.Context, id string) error
	// DeleteEmailTemplates deletes the matching templates and says how
	// many went.
	DeleteEmailTemplates(ctx context.Context, f TemplateFilter) (int, error)
}

// MessageOutbox is the durable queue of outgoing messages, sent by
// whichever instance claims them first.
type MessageOutbox interface {
	// EnqueueMessage stores a pending message.
	EnqueueMessage(ctx context.Context, m OutMessage) error
	// ClaimMessages leases up to limit pending messages due at now to
	// owner until now+lease. A message whose lease ran out is claimable
	// again; one whose lease has not is claimed by no one else.
	ClaimMessages(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]OutMessage, error)
	// FinishMessage writes m's state, attempts, error and next time and
	// ends the lease, if owner still holds it (else ErrNotFound). A
	// message that is no longer pending loses its payload.
	FinishMessage(ctx context.Context, owner string, m OutMessage) error
	// PruneMessages deletes the messages created before t, whatever their
	// state, and says how many went.
	PruneMessages(ctx context.Context, before time.Time) (int, error)
}
