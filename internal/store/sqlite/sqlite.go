// Package sqlite is the SQLite backend of the store, on the pure-Go driver
// modernc.org/sqlite. The queries and schema are sqlstore's; this package
// opens the file with the settings the store relies on and recognises
// SQLite's constraint errors.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/monban/monban/internal/store/sqlstore"
)

// dialect is SQLite's part of sqlstore. It relies on the connection settings
// Open uses, in particular _txlock=immediate, which makes every read-write
// transaction begin with BEGIN IMMEDIATE: a transaction that reads and then
// writes would otherwise fail with SQLITE_BUSY when another writer got there
// in between, since SQLite cannot upgrade its read lock while waiting.
var dialect = sqlstore.Dialect{
	LikeIgnoresCase:       true,
	Goose:                 goose.DialectSQLite3,
	IsUniqueViolation:     isUniqueViolation,
	IsForeignKeyViolation: isForeignKeyViolation,
	IsUnavailable:         isUnavailable,
	// Read-only transactions begin DEFERRED, so in WAL mode they run
	// alongside the writer, each on its own snapshot.
	ReadTx:       sql.TxOptions{ReadOnly: true},
	SingleWriter: true,
	Scrub:        scrub,
	JSONText:     jsonText,
}

// jsonText reads a value of a JSON object with json_extract, writing
// booleans as true and false (json_extract gives 1 and 0).
func jsonText(col string, path []string) (string, []any) {
	p := "$"
	for _, k := range path {
		p += `."` + k + `"`
	}
	return "(CASE json_type(" + col + ", ?) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' " +
		"WHEN 'object' THEN NULL WHEN 'array' THEN NULL ELSE CAST(json_extract(" + col + ", ?) AS TEXT) END)", []any{p, p}
}

// Open opens (creating if needed) the SQLite database at path, migrates it
// to the latest schema, and returns the store on it.
func Open(ctx context.Context, path string) (*sqlstore.Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty database path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	// The database holds private keys. Creating the file ourselves makes it
	// private, and SQLite gives the -wal and -shm files the same mode.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}

	db := sql.OpenDB(connector{dsn: dsn(abs), drv: &sqlite.Driver{}})
	// One writer at a time is SQLite's limit anyway; the other connections
	// serve concurrent reads, which WAL mode does not block. Keeping them
	// all idle avoids re-running the connection PRAGMAs.
	n := max(4, runtime.GOMAXPROCS(0))
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)

	if err := checkSettings(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	s, err := sqlstore.New(ctx, db, dialect)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", abs, err)
	}
	return s, nil
}

// dsn is the driver's name for the file at the absolute path abs, with the
// settings every connection gets. busy_timeout comes first so the PRAGMAs
// after it wait for locks instead of failing.
func dsn(abs string) string {
	q := url.Values{}
	for _, p := range []string{
		"busy_timeout(5000)",
		"foreign_keys(1)",
		"journal_mode(WAL)",
		"synchronous(NORMAL)",
	} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	// As a URI, so that characters such as ? or # in the path are escaped.
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive letter
	}
	u := url.URL{Scheme: "file", Path: p, RawQuery: q.Encode()}
	return u.String()
}

// checkSettings fails unless the connection settings took effect: the
// cascades depend on foreign_keys, and concurrent reads on WAL.
func checkSettings(ctx context.Context, db *sql.DB) error {
	var fk int
	if err := db.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	if fk != 1 || !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("sqlite: connection settings not applied (foreign_keys=%d, journal_mode=%s)", fk, mode)
	}
	return nil
}

// isUniqueViolation reports a UNIQUE or PRIMARY KEY constraint failure.
func isUniqueViolation(err error) bool {
	var e *sqlite.Error
	if errors.As(err, &e) {
		switch e.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return true
		}
	}
	// Should the extended code be missing, SQLite's message still says.
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "PRIMARY KEY constraint failed")
}

// isForeignKeyViolation reports a FOREIGN KEY constraint failure.
func isForeignKeyViolation(err error) bool {
	var e *sqlite.Error
	if errors.As(err, &e) && e.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY {
		return true
	}
	return strings.Contains(err.Error(), "FOREIGN KEY constraint failed")
}

// isUnavailable reports SQLite failures of the database rather than of the
// request: locked past the busy timeout, out of memory or disk, an I/O
// error, a file that cannot be opened or has become read-only.
func isUnavailable(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code() & 0xff { // the primary result code
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_IOERR,
		sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY:
		return true
	}
	return false
}

// scrub rewrites the database so that values replaced a moment ago leave
// no trace: the WAL is checkpointed and emptied (its frames hold the old
// pages), VACUUM rebuilds every page (freed space in a page can hold the
// old values), and the WAL that VACUUM wrote is emptied in turn.
func scrub(ctx context.Context, db *sql.DB) error {
	for _, stmt := range []string{"PRAGMA wal_checkpoint(TRUNCATE)", "VACUUM", "PRAGMA wal_checkpoint(TRUNCATE)"} {
		var busy, logFrames, checkpointed int
		var err error
		if stmt == "VACUUM" {
			_, err = db.ExecContext(ctx, stmt)
		} else {
			err = db.QueryRowContext(ctx, stmt).Scan(&busy, &logFrames, &checkpointed)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", stmt, err)
		}
		if busy != 0 {
			return fmt.Errorf("%s: the database is busy", stmt)
		}
	}
	return nil
}
