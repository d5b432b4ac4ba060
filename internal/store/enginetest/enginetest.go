// Package enginetest holds the tests that each SQL engine's store (SQLite,
// PostgreSQL) runs on a real database: the store conformance suite, the
// secrets suite, and its migrations run down to nothing and up again, so
// that the Down sections are exercised on each engine and not only the Up
// ones. It is for tests.
package enginetest

import (
	"context"
	"database/sql"
	"io"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/store/sqlstore"
	"github.com/monban/monban/internal/store/storetest"
)

// Opener opens, and so migrates, the store whose database is at loc (a
// file path, a database URL).
type Opener func(ctx context.Context, loc string) (store.Store, error)

// Conformance runs the store conformance suite on stores opened with open,
// each on a new database that fresh makes, unlocked with a new key.
func Conformance(t *testing.T, fresh func(testing.TB) string, open Opener) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s := mustOpen(t, open, fresh(t))
		storetest.Unlock(t, s, storetest.NewKey(t))
		return s
	})
}

// Secrets runs the secrets suite on stores opened with open: first on a
// new database that fresh makes, then again on the same one.
func Secrets(t *testing.T, fresh func(testing.TB) string, open Opener) {
	var loc string
	again := func(t *testing.T) store.Store { return mustOpen(t, open, loc) }
	storetest.Secrets(t, func(t *testing.T) store.Store {
		loc = fresh(t)
		return again(t)
	}, again)
}

// Reopen runs the reopen suite on the database at loc: it is opened with
// open, its secrets unlocked with one key each time, and read directly
// through connect.
func Reopen(t *testing.T, loc string, open Opener, connect func() (*sql.DB, error)) {
	key := storetest.NewKey(t)
	storetest.Reopen(t,
		func() (store.Store, error) {
			s, err := open(t.Context(), loc)
			if err == nil {
				_, err = s.UnlockSecrets(t.Context(), key)
			}
			return s, err
		},
		connect)
}

// UnlockShared unlocks, with one new key, the secrets of stores open on
// one database, as the instances of one deployment share their key.
func UnlockShared(t testing.TB, stores ...store.Store) {
	t.Helper()
	key := storetest.NewKey(t)
	for _, s := range stores {
		storetest.Unlock(t, s, key)
	}
}

func mustOpen(t *testing.T, open Opener, loc string) store.Store {
	t.Helper()
	s, err := open(t.Context(), loc)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

// DownUp closes st, a store just opened (and so migrated to the latest
// version), connects to its database again with connect, migrates it down
// to version 0, fails the test if tablesQuery (which counts the tables
// other than the engine's and goose's own) finds any left, and migrates it
// up again.
func DownUp(t testing.TB, st io.Closer, connect func() (*sql.DB, error), dialect goose.Dialect, tablesQuery string) {
	t.Helper()
	ctx := t.Context()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := connect()
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, err := goose.NewProvider(dialect, db, sqlstore.Migrations(), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 0); err != nil {
		t.Fatalf("DownTo(0): %v", err)
	}
	var tables int
	if err := db.QueryRowContext(ctx, tablesQuery).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Errorf("%d tables left after migrating down", tables)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("Up after DownTo(0): %v", err)
	}
}

// UpAfterDown closes st, a store just opened on the database at loc, rolls
// its newest migration back through connect, and opens the store again
// with open: the open must see that the schema is behind (a cheap check
// skips goose only when every migration is recorded as applied) and
// migrate it up to the newest version again.
func UpAfterDown(t *testing.T, st io.Closer, loc string, open Opener, connect func() (*sql.DB, error), dialect goose.Dialect) {
	t.Helper()
	ctx := t.Context()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := connect()
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, err := goose.NewProvider(dialect, db, sqlstore.Migrations(), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	newest, err := p.GetDBVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Down(ctx); err != nil {
		t.Fatalf("Down: %v", err)
	}
	if v, err := p.GetDBVersion(ctx); err != nil || v >= newest {
		t.Fatalf("after Down the version is %d (%v), want below %d", v, err, newest)
	}
	s := mustOpen(t, open, loc)
	defer s.Close()
	if v, err := p.GetDBVersion(ctx); err != nil || v != newest {
		t.Errorf("after opening again the version is %d (%v), want %d", v, err, newest)
	}
}
