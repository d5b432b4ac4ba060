// Package postgres is the PostgreSQL backend of the store, on pgx through
// database/sql. The queries and schema are sqlstore's; this package opens the
// connection pool, says how transactions begin, and recognises PostgreSQL's
// error codes.
//
// Writes run at SERIALIZABLE isolation: the store checks rows and then
// changes them, and the serialization failures PostgreSQL reports when two
// such transactions overlap are retried by the store. Reads run at
// REPEATABLE READ, READ ONLY, so that every statement of one (LoadCatalog's
// in particular) sees the same snapshot. Migrations hold a session-level
// advisory lock, so that instances starting together apply them once.
package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/monban/monban/internal/store/sqlstore"
)

// PostgreSQL error codes (SQLSTATE) the store acts on.
const (
	codeUniqueViolation      = "23505"
	codeForeignKeyViolation  = "23503"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
)

// Defaults for what the URL does not set.
const (
	defaultConnectTimeout  = 10 * time.Second
	defaultMaxConns        = 20
	defaultMaxConnIdleTime = 5 * time.Minute
	defaultMaxConnLifetime = time.Hour
	defaultApplicationName = "monban"
)

// How long an instance waits for another one to finish migrating: the lock
// is tried every migrateLockPeriod seconds, migrateLockAttempts times.
const (
	migrateLockPeriod   = 1
	migrateLockAttempts = 600
)

// A write transaction that PostgreSQL aborts as conflicting is run up to
// maxWriteAttempts times in all, after a random delay whose bound doubles
// from retryDelayBase up to retryDelayMax.
const (
	maxWriteAttempts = 12
	retryDelayBase   = 2 * time.Millisecond
	retryDelayMax    = 200 * time.Millisecond
)

// dialect is PostgreSQL's part of sqlstore. Open adds the migration locker,
// which keeps state and so is made for each store.
var dialect = sqlstore.Dialect{
	Goose:                 goose.DialectPostgres,
	DollarPlaceholders:    true,
	IsUniqueViolation:     func(err error) bool { return hasCode(err, codeUniqueViolation) },
	IsForeignKeyViolation: func(err error) bool { return hasCode(err, codeForeignKeyViolation) },
	WriteTx:               sql.TxOptions{Isolation: sql.LevelSerializable},
	ReadTx:                sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true},
	IsUnavailable:         unavailable,
	Retryable:             retryable,
	MaxWriteAttempts:      maxWriteAttempts,
	RetryDelay:            retryDelay,
	Scrub:                 scrub,
	LockSetUp:             advisoryLock(setUpLockKey, "set-up"),
	JSONText:              jsonText,
	LockEvents:            advisoryLock(eventLockKey, "outbox"),
}

// setUpLockKey names the advisory lock instances hold while they seed the
// database ("monban-setup" as a number).
const setUpLockKey = 0x6d6f6e62616e5375

// eventLockKey names the advisory lock a write that appends an outbox
// event holds from before its transaction begins until after it ends
// ("monban-event" as a number).
const eventLockKey = 0x6d6f6e62616e4576

// advisoryLock returns a function that waits for the session-level advisory
// lock key (named what, for errors) on conn. PostgreSQL gives it back if
// the session ends, so an instance that dies holding it holds no one up.
func advisoryLock(key int64, what string) func(ctx context.Context, conn *sql.Conn) (func(), error) {
	return func(ctx context.Context, conn *sql.Conn) (func(), error) {
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
			return nil, fmt.Errorf("wait for the %s lock: %w", what, err)
		}
		return func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_unlock($1)", key); err != nil {
				// The session may still hold the lock: have database/sql
				// throw the connection away rather than pool it.
				_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			}
		}, nil
	}
}

// Open connects to the PostgreSQL database named by a URL of the form
//
//	postgres://user:password@host:port/dbname?sslmode=verify-full
//
// (postgresql:// too; several hosts as host1:5432,host2:5432; a Unix socket
// directory as ?host=/run/postgresql), migrates it to the latest schema, and
// returns the store on it. Every parameter libpq and pgx accept may be given,
// and the PG* environment variables fill in what the URL leaves out. Besides
// those, the pool is set with pool_max_conns (default 20),
// pool_max_conn_idle_time (default 5m) and pool_max_conn_lifetime (default
// 1h). Without connect_timeout, a connection attempt gives up after 10
// seconds.
//
// Error messages show the URL with its password masked.
func Open(ctx context.Context, dbURL string) (*sqlstore.Store, error) {
	return open(ctx, dbURL, dialect)
}

// open is Open with the dialect d, which tests vary.
func open(ctx context.Context, dbURL string, d sqlstore.Dialect) (*sqlstore.Store, error) {
	db, shown, err := connect(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(migrateLockPeriod, migrateLockAttempts))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	d.MigrateOptions = []goose.ProviderOption{goose.WithSessionLocker(locker)}
	s, err := sqlstore.New(ctx, db, d)
	if err != nil {
		return nil, fmt.Errorf("postgres: %s: %w", shown, err)
	}
	return s, nil
}

// connect parses dbURL, opens a pool for it and makes the first connection,
// so that a wrong address or wrong credentials are reported at once. It
// returns the URL to show in messages too, with the password masked.
func connect(ctx context.Context, dbURL string) (*sql.DB, string, error) {
	u, err := url.Parse(dbURL)
	if err != nil {
		// url.Error repeats the input, password and all; keep only the reason.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, "", fmt.Errorf("postgres: invalid database URL: %w", err)
	}
	shown := redacted(u)
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return nil, "", fmt.Errorf("postgres: database URL %s: scheme must be postgres:// or postgresql://", shown)
	}

	pool := poolSettings{
		maxConns:        defaultMaxConns,
		maxConnIdleTime: defaultMaxConnIdleTime,
		maxConnLifetime: defaultMaxConnLifetime,
	}
	q := u.Query()
	if err := pool.take(q); err != nil {
		return nil, "", fmt.Errorf("postgres: database URL %s: %w", shown, err)
	}
	u.RawQuery = q.Encode()

	cfg, err := pgx.ParseConfig(u.String())
	if err != nil {
		// The error quotes the URL, masking the password only on a best-effort
		// basis; keep the reason alone.
		var pe *pgconn.ParseConfigError
		if errors.As(err, &pe) {
			if inner := errors.Unwrap(pe); inner != nil {
				err = inner
			} else {
				err = errors.New("invalid connection parameters")
			}
		}
		return nil, "", fmt.Errorf("postgres: database URL %s: %w", shown, err)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = defaultConnectTimeout
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = defaultApplicationName
	}

	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(pool.maxConns)
	db.SetMaxIdleConns(pool.maxConns)
	db.SetConnMaxIdleTime(pool.maxConnIdleTime)
	db.SetConnMaxLifetime(pool.maxConnLifetime)

	// The connect timeout bounds the attempt on each host; the deadline here
	// also covers a server that accepts the connection and then stalls.
	hosts := 1 + len(cfg.Fallbacks)
	pingCtx, cancel := context.WithTimeout(ctx, time.Duration(hosts)*cfg.ConnectTimeout+5*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, "", fmt.Errorf("postgres: cannot connect to %s: %w", shown, err)
	}
	return db, shown, nil
}

// poolSettings are the database/sql pool limits, which the URL may set with
// the parameter names pgxpool uses.
type poolSettings struct {
	maxConns        int
	maxConnIdleTime time.Duration
	maxConnLifetime time.Duration
}

// take reads the pool parameters from q and removes them, since PostgreSQL
// would reject them as unknown run-time parameters.
func (p *poolSettings) take(q url.Values) error {
	if v := q.Get("pool_max_conns"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 2 {
			// Migrating holds the lock on one connection and works on another.
			return fmt.Errorf("pool_max_conns %q: want a whole number of at least 2", v)
		}
		p.maxConns = n
	}
	for name, dst := range map[string]*time.Duration{
		"pool_max_conn_idle_time": &p.maxConnIdleTime,
		"pool_max_conn_lifetime":  &p.maxConnLifetime,
	} {
		if v := q.Get(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return fmt.Errorf("%s %q: want a duration such as 5m", name, v)
			}
			*dst = d
		}
	}
	for _, name := range []string{"pool_max_conns", "pool_max_conn_idle_time", "pool_max_conn_lifetime"} {
		q.Del(name)
	}
	return nil
}

// redacted returns u for messages, with the password masked both in the
// user information and in a password parameter.
func redacted(u *url.URL) string {
	c := *u
	if q := c.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		c.RawQuery = q.Encode()
	}
	return c.Redacted()
}

// hasCode reports whether err is, or wraps, a PostgreSQL error with the
// SQLSTATE code.
func hasCode(err error, code string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == code
}

// unavailable reports a failure of the server rather than of the request:
// no connection could be made or it was lost (SQLSTATE class 08, or an
// unexpected end of the stream), the server is shutting down or starting
// (57P01-57P03), is out of resources (class 53) or failed (class 58), the
// database no longer exists (3D000), or the server no longer accepts the
// credentials (class 28).
func unavailable(err error) bool {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || len(pe.Code) != 5 {
		return false
	}
	switch pe.Code[:2] {
	case "08", "53", "58", "28":
		return true
	}
	switch pe.Code {
	case "57P01", "57P02", "57P03", "3D000":
		return true
	}
	return false
}

// retryable reports a transaction that PostgreSQL aborted because it could
// not be serialized with concurrent ones, or to break a deadlock; run again,
// it can succeed.
func retryable(err error) bool {
	return hasCode(err, codeSerializationFailure) || hasCode(err, codeDeadlockDetected)
}

// retryDelay is the wait before the next run of a transaction that failed
// attempt times: between half of and the whole of a bound that doubles with
// each attempt, so that the transactions that conflicted spread out.
func retryDelay(attempt int) time.Duration {
	bound := retryDelayBase
	for i := 1; i < attempt && bound < retryDelayMax; i++ {
		bound *= 2
	}
	bound = min(bound, retryDelayMax)
	return bound/2 + rand.N(bound/2+1)
}

// scrub rewrites the tables whose values were just encrypted: their old row
// versions, holding the values in the clear, stay in the table files until
// rewritten. VACUUM FULL locks each (small) table for a moment.
func scrub(ctx context.Context, db *sql.DB) error {
	_, err := db.ExecContext(ctx, "VACUUM FULL signing_keys, settings, jwt_customizers")
	return err
}

// jsonText reads a value of a JSON object held as text with #>>; objects
// and arrays are NULL, as SQLite's is.
func jsonText(col string, path []string) (string, []any) {
	p := "{" + strings.Join(path, ",") + "}"
	return "(CASE jsonb_typeof(" + col + "::jsonb #> CAST(? AS text[])) WHEN 'object' THEN NULL WHEN 'array' THEN NULL " +
		"ELSE " + col + "::jsonb #>> CAST(? AS text[]) END)", []any{p, p}
}
