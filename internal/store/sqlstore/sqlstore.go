// Package sqlstore implements store.Store on database/sql with portable SQL,
// shared by every SQL backend. The engine-specific parts (placeholders, error
// codes, how transactions begin) come from a Dialect; the schema lives in
// goose migrations embedded from the migrations directory.
package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net"
	"sync/atomic"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/monban/monban/internal/sealed"
	"github.com/monban/monban/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// maxWriteAttempts bounds how often a write transaction is run again after a
// failure the dialect calls retryable, unless the dialect sets its own bound.
const maxWriteAttempts = 5

// Store is a store.Store on a *sql.DB.
type Store struct {
	db       *sql.DB
	d        Dialect
	writeSem chan struct{} // non-nil with Dialect.SingleWriter
	// box seals and opens the secrets; nil until UnlockSecrets.
	box atomic.Pointer[sealed.Box]
}

var _ store.Store = (*Store)(nil)

// New migrates db to the latest schema and returns a Store on it. The Store
// owns db: Close closes it, and so does New when it fails.
func New(ctx context.Context, db *sql.DB, d Dialect) (*Store, error) {
	if d.IsUniqueViolation == nil {
		db.Close()
		return nil, errors.New("sqlstore: dialect has no IsUniqueViolation")
	}
	if err := migrate(ctx, db, d); err != nil {
		db.Close()
		return nil, err
	}
	s := &Store{db: db, d: d}
	if d.SingleWriter {
		s.writeSem = make(chan struct{}, 1)
	}
	return s, nil
}

// Migrations returns the goose migrations of the schema, for tools that run
// goose themselves; New applies them already.
func Migrations() fs.FS {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // cannot happen: the directory is embedded
	}
	return fsys
}

// migrate applies the pending migrations; with none pending it changes
// nothing.
func migrate(ctx context.Context, db *sql.DB, d Dialect) error {
	if upToDate(ctx, db) {
		return nil
	}
	// The global registry holds Go migrations registered by any package
	// linked in; the schema is only what is embedded here.
	opts := append([]goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}, d.MigrateOptions...)
	p, err := goose.NewProvider(d.Goose, db, Migrations(), opts...)
	if err != nil {
		return fmt.Errorf("sqlstore: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("sqlstore: migrate: %w", err)
	}
	return nil
}

// upToDate reports whether goose's version table records every embedded
// migration as applied, which one query tells: on every start but the
// first after an upgrade, goose (its locks, its table check, its listing)
// is not needed. Any doubt (no table yet, an error) says no, and goose
// decides.
func upToDate(ctx context.Context, db *sql.DB) bool {
	files, err := fs.Glob(Migrations(), "*.sql")
	if err != nil || len(files) == 0 {
		return false
	}
	rows, err := db.QueryContext(ctx, "SELECT version_id, is_applied FROM "+goose.DefaultTablename+" ORDER BY id")
	if err != nil {
		return false
	}
	defer rows.Close()
	applied := map[int64]bool{} // the last row of a version says
	for rows.Next() {
		var v int64
		var ok bool
		if rows.Scan(&v, &ok) != nil {
			return false
		}
		applied[v] = ok
	}
	if rows.Err() != nil {
		return false
	}
	for _, f := range files {
		v, err := goose.NumericComponent(f)
		if err != nil || !applied[v] {
			return false
		}
	}
	return true
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// txn is one transaction with the dialect's placeholders applied to every
// query. It lives only as long as the function it is passed to, so it keeps
// that call's context.
type txn struct {
	ctx context.Context
	tx  *sql.Tx
	d   *Dialect
}

func (t txn) exec(query string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(t.ctx, t.d.rebind(query), args...)
}

func (t txn) query(query string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(t.ctx, t.d.rebind(query), args...)
}

func (t txn) queryRow(query string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(t.ctx, t.d.rebind(query), args...)
}

// execOne runs a statement that must affect a row; with none affected it
// returns notFound.
func (t txn) execOne(notFound error, query string, args ...any) error {
	res, err := t.exec(query, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound
	}
	return nil
}

// exists returns notFound unless a row of table has the id.
func (t txn) exists(notFound error, table, id string) error {
	var one int
	err := t.queryRow("SELECT 1 FROM "+table+" WHERE id = ?", id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound
	}
	return err
}

// allExist returns notFound unless table has a row for every one of ids,
// which must hold no duplicates. It asks in chunks to stay below the
// engines' limits on bound parameters.
func (t txn) allExist(notFound error, table string, ids []string) error {
	const chunk = 500
	for len(ids) > 0 {
		n := min(len(ids), chunk)
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		var count int
		q := "SELECT COUNT(*) FROM " + table + " WHERE id IN (" + placeholders(n) + ")"
		if err := t.queryRow(q, args...).Scan(&count); err != nil {
			return err
		}
		if count != n {
			return notFound
		}
		ids = ids[n:]
	}
	return nil
}

// count runs a COUNT query.
func (t txn) count(query string, args ...any) (int, error) {
	var n int
	err := t.queryRow(query, args...).Scan(&n)
	return n, err
}

// write runs fn in a write transaction, committing if it returns nil, and
// turns engine errors into the store's.
func (s *Store) write(ctx context.Context, fn func(txn) error) error {
	return s.writeOn(ctx, s.db, fn)
}

// beginner is a *sql.DB or a *sql.Conn.
type beginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// writeOn is write on db, the pool or one connection of it.
func (s *Store) writeOn(ctx context.Context, db beginner, fn func(txn) error) error {
	if s.writeSem != nil {
		select {
		case s.writeSem <- struct{}{}:
			defer func() { <-s.writeSem }()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	attempts := s.d.MaxWriteAttempts
	if attempts <= 0 {
		attempts = maxWriteAttempts
	}
	var err error
	for attempt := 1; ; attempt++ {
		err = s.runTx(ctx, db, &s.d.WriteTx, fn)
		if err == nil || s.d.Retryable == nil || !s.d.Retryable(err) || ctx.Err() != nil || attempt >= attempts {
			break
		}
		if s.d.RetryDelay != nil && !sleep(ctx, s.d.RetryDelay(attempt)) {
			break
		}
	}
	return s.mapErr(err)
}

// sleep waits for d, or until ctx is done, and reports whether it waited
// the whole time.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// read runs fn in a read transaction, so that all its statements see one
// snapshot.
func (s *Store) read(ctx context.Context, fn func(txn) error) error {
	return s.mapErr(s.runTx(ctx, s.db, &s.d.ReadTx, fn))
}

func (s *Store) runTx(ctx context.Context, db beginner, opts *sql.TxOptions, fn func(txn) error) error {
	tx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	if err := fn(txn{ctx: ctx, tx: tx, d: &s.d}); err != nil {
		_ = tx.Rollback() // the error from fn is the one worth reporting
		return err
	}
	return tx.Commit()
}

// mapErr wraps constraint violations and unavailability in the store's
// errors, keeping the engine's message for the logs.
func (s *Store) mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrUnavailable):
		return err
	case s.d.IsUniqueViolation(err):
		return fmt.Errorf("%w: %v", store.ErrConflict, err)
	case s.d.IsForeignKeyViolation != nil && s.d.IsForeignKeyViolation(err):
		return fmt.Errorf("%w: %v", store.ErrNotFound, err)
	case s.unavailable(err):
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return err
}

// unavailable reports an error that says the database cannot serve
// requests for now. The request's own end (cancelled, past its deadline)
// is not the database's failure.
func (s *Store) unavailable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var ne net.Error
	switch {
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone), errors.As(err, &ne):
		return true
	case err.Error() == errDBClosed:
		return true
	}
	return s.d.IsUnavailable != nil && s.d.IsUnavailable(err)
}

// errDBClosed is the message of database/sql's error for a closed *sql.DB,
// which it does not export.
const errDBClosed = "sql: database is closed"

// notFound makes the error for a missing row of kind named id.
func notFound(kind, id string) error {
	return fmt.Errorf("%s %q: %w", kind, id, store.ErrNotFound)
}

// placeholders returns "?, ?, …" with n marks.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	b := make([]byte, 0, 3*n)
	for i := range n {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, '?')
	}
	return string(b)
}

// pageClause returns the LIMIT/OFFSET clause for page and its arguments.
// A limit is always given because SQLite accepts OFFSET only after LIMIT and
// PostgreSQL rejects SQLite's "LIMIT -1"; the largest BIGINT means "all".
func pageClause(page store.Page) (string, []any) {
	limit := int64(page.Limit)
	if limit <= 0 {
		limit = math.MaxInt64
	}
	offset := int64(max(page.Offset, 0))
	return " LIMIT ? OFFSET ?", []any{limit, offset}
}

// uniq returns ids without duplicates, in their first order.
func uniq(ids []string) []string {
	seen := make(map[string]struct{}, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if _, ok := seen[id]; !ok {
			seen[id] = struct{}{}
			out = append(out, id)
		}
	}
	return out
}

// Times are stored as Unix epoch milliseconds. The zero time is 0 in NOT NULL
// columns and NULL in optional ones, and both read back as the zero time.

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func nullMillis(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

func fromNullMillis(ms sql.NullInt64) time.Time {
	if !ms.Valid {
		return time.Time{}
	}
	return time.UnixMilli(ms.Int64).UTC()
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// collect scans every row of a query, returning a non-nil slice.
func collect[T any](t txn, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := t.query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]T, 0)
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// getOne reads the one row query selects with arg, by scan, in a read
// transaction. No row is ErrNotFound for the kind and id named (an empty
// id when the id is a secret); every error is wrapped as op.
func getOne[T any](ctx context.Context, s *Store, op, kind, id string, scan func(scanner) (T, error), query string, arg any) (T, error) {
	var v T
	err := s.read(ctx, func(t txn) error {
		var err error
		v, err = scan(t.queryRow(query, arg))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound(kind, id)
		}
		return err
	})
	if err != nil {
		var zero T
		return zero, fmt.Errorf("%s: %w", op, err)
	}
	return v, nil
}

// listPage reads one page of a listing and the total count in one read
// transaction. parent, if set, is checked first so that listing under a
// missing row is ErrNotFound rather than empty. from is the FROM/WHERE part
// shared by both queries; cols and order complete the row query. Errors
// are wrapped as op.
func listPage[T any](ctx context.Context, s *Store, op string, parent func(txn) error, cols, from, order string,
	args []any, page store.Page, scan func(scanner) (T, error)) ([]T, int, error) {
	var (
		items []T
		total int
	)
	err := s.read(ctx, func(t txn) error {
		if parent != nil {
			if err := parent(t); err != nil {
				return err
			}
		}
		var err error
		if total, err = t.count("SELECT COUNT(*) "+from, args...); err != nil {
			return err
		}
		clause, pargs := pageClause(page)
		items, err = collect(t, scan, "SELECT "+cols+" "+from+" ORDER BY "+order+clause,
			append(append([]any{}, args...), pargs...)...)
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", op, err)
	}
	return items, total, nil
}
