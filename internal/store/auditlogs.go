package store

import (
	"context"
	"time"
)

// Audit log results.
const (
	ResultSuccess = "Success"
	ResultError   = "Error"
)

// LogEntry is one audit log event, in Logto's shape: a key naming the event
// (e.g. "ExchangeTokenBy.ClientCredentials"), the result, who it concerns,
// and a JSON payload of details. It never holds a secret or a token.
type LogEntry struct {
	ID            string
	Key           string
	Result        string // ResultSuccess or ResultError
	ApplicationID string
	UserID        string
	Payload       []byte // a JSON object
	CreatedAt     time.Time
	// Actor is who made a change, Target what it changed (Management API
	// changes; zero for token requests, whose client and user are
	// ApplicationID and UserID).
	Actor  LogActor
	Target LogTarget
}

// LogActor is who made a change: a user (through ApplicationID's client)
// or an application, with its name at the time.
type LogActor struct {
	Type string // ActorUser or ActorApplication; "" when unknown
	ID   string
	Name string
}

// The kinds of actor.
const (
	ActorUser        = "user"
	ActorApplication = "application"
)

// LogTarget is what a change was made to: a type ("application", "user",
// "role", …) and, when there is one, its id.
type LogTarget struct {
	Type string
	ID   string
}

// LogFilter narrows a log listing; empty fields match everything.
type LogFilter struct {
	Key           string
	ApplicationID string
	UserID        string
	// From and To keep the entries created in [From, To], to the
	// millisecond; a zero time is no bound.
	From, To time.Time
	// KeyPrefix keeps the entries whose key begins with it; Result those
	// with this result.
	KeyPrefix string
	Result    string
}

// AuditStore persists audit logs.
type AuditStore interface {
	// InsertLogs writes a batch in one transaction. An entry whose id is
	// stored already is skipped, so a batch may be written again after an
	// error that left it unclear whether the write committed.
	InsertLogs(ctx context.Context, entries []LogEntry) error
	// ListLogs returns entries newest first.
	ListLogs(ctx context.Context, filter LogFilter, page Page) ([]LogEntry, int, error)
	GetLog(ctx context.Context, id string) (LogEntry, error)
	// DeleteLogsBefore removes entries created before t and says how many.
	DeleteLogsBefore(ctx context.Context, t time.Time) (int, error)
}
