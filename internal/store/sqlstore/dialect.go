package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
)

// Dialect is everything that differs between database engines. The queries
// themselves are portable SQL written with ? placeholders; a backend package
// (sqlite, postgres) fills in a Dialect and the store does the rest.
type Dialect struct {
	// Goose names the engine for the migration provider, e.g.
	// goose.DialectSQLite3 or goose.DialectPostgres.
	Goose goose.Dialect

	// DollarPlaceholders rewrites ? to $1, $2, … before a query runs
	// (PostgreSQL).
	DollarPlaceholders bool

	// LikeIgnoresCase says that LIKE compares without case (SQLite): a
	// case-sensitive search pattern is then run as GLOB.
	LikeIgnoresCase bool

	// IsUniqueViolation reports a unique or primary-key violation, which the
	// store returns wrapped in store.ErrConflict. Required.
	IsUniqueViolation func(error) bool

	// IsForeignKeyViolation reports an insert naming a parent row that does
	// not exist (for example one deleted by a concurrent transaction), which
	// the store returns wrapped in store.ErrNotFound. Optional.
	IsForeignKeyViolation func(error) bool

	// IsUnavailable reports an error of the engine's that says the database
	// cannot serve requests for now (lost or refused connection, shutdown,
	// out of resources, locked), which the store returns wrapped in
	// store.ErrUnavailable. Errors of database/sql and the network that say
	// so are recognised without it. Optional.
	IsUnavailable func(error) bool

	// WriteTx is how read-then-write transactions begin. The store checks
	// rows and then changes them, so the engine must either take its write
	// lock at BEGIN (SQLite's BEGIN IMMEDIATE, which the sqlite backend gets
	// from its DSN) or run at an isolation level that prevents lost updates,
	// reporting conflicts through Retryable.
	WriteTx sql.TxOptions

	// ReadTx is how read transactions begin. Every statement in one must see
	// the same snapshot (LoadCatalog relies on it): ReadOnly for SQLite in WAL
	// mode, and LevelRepeatableRead for PostgreSQL.
	ReadTx sql.TxOptions

	// Retryable reports a transient failure, such as a serialization
	// failure, after which a write transaction is run again from the start.
	// Optional.
	Retryable func(error) bool

	// MaxWriteAttempts bounds how often a write transaction is run while
	// Retryable reports its failures; 0 means 5.
	MaxWriteAttempts int

	// RetryDelay is how long to wait before running a write transaction
	// again after its attempt-th failure (1 for the first). Randomised
	// delays keep writers that conflicted from meeting again at once.
	// Optional: without it the transaction is run again straight away.
	RetryDelay func(attempt int) time.Duration

	// SingleWriter queues this process's write transactions so that one runs
	// at a time. Engines with one database-wide write lock (SQLite) would
	// otherwise have the waiting writers poll on their busy timeout, each
	// holding a pooled connection.
	SingleWriter bool

	// MigrateOptions are passed to the goose provider, for example a session
	// locker so that instances starting together migrate only once.
	MigrateOptions []goose.ProviderOption

	// Scrub, run after secrets stored in the clear were encrypted, rewrites
	// the storage so that no copy of the old values is left in freed space
	// or in a log the engine keeps (SQLite: VACUUM and a checkpoint that
	// empties the WAL). Optional.
	Scrub func(ctx context.Context, db *sql.DB) error

	// LockSetUp takes a lock, on conn, that instances sharing the database
	// hold one at a time while they seed it, and returns how to give it
	// back. Optional: without it there is nothing to wait for.
	LockSetUp func(ctx context.Context, conn *sql.Conn) (release func(), err error)

	// LockEvents takes, on conn, a lock that writes appending an outbox
	// event hold one at a time, from before their transaction begins until
	// after it ends, and returns how to give it back. Events are numbered
	// one above the highest, so such writes must take turns: engines with
	// one database-wide write lock taken at BEGIN (SQLite) need nothing
	// more; others (PostgreSQL) set it. Taken before BEGIN, the lock also
	// spares these writes serialization failures among themselves.
	LockEvents func(ctx context.Context, conn *sql.Conn) (release func(), err error)

	// JSONText is the SQL expression, with its arguments, of the value at
	// path (keys of letters, digits, '_' and '-') in the JSON object held
	// as text in column col, as text: a string without its quotes, a
	// number or true/false as written; NULL when there is no value there.
	// Optional: without it, users cannot be searched by app metadata.
	JSONText func(col string, path []string) (string, []any)
}

// rebind rewrites the ? placeholders of query for the engine. Question marks
// inside quoted strings or identifiers are left alone.
func (d *Dialect) rebind(query string) string {
	if !d.DollarPlaceholders || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	var quote byte // the quote character we are inside of, or 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
