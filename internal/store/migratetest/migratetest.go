// Package migratetest checks the store's migrations on a real database:
// every one is run down to nothing and up again, so that the Down sections
// are exercised on each engine and not only the Up ones. It is for tests.
package migratetest

import (
	"database/sql"
	"io"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/monban/monban/internal/store/sqlstore"
)

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
