package storetest

import (
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/monban/monban/internal/store"
)

// Reopen checks that data survives closing and that opening an up-to-date
// database applies no migration again. open opens a store on the same
// database each time; db opens that database directly, for
// MigrationsRecordedOnce.
func Reopen(t *testing.T, open func() (store.Store, error), db func() (*sql.DB, error)) {
	t.Helper()
	ctx := t.Context()
	created := time.Date(2024, 1, 2, 3, 4, 5, 6e6, time.UTC)
	for i := range 3 {
		s, err := open()
		if err != nil {
			t.Fatalf("Open #%d: %v", i, err)
		}
		id := fmt.Sprintf("app%d", i)
		if err := s.CreateApplication(ctx, store.Application{ID: id, Name: id, Type: store.AppSPA, CreatedAt: created}); err != nil {
			t.Fatalf("CreateApplication #%d: %v", i, err)
		}
		v, err := s.EnsureSetting(ctx, "key", id)
		if err != nil {
			t.Fatalf("EnsureSetting #%d: %v", i, err)
		}
		if v != "app0" {
			t.Errorf("EnsureSetting #%d = %q, want the value stored before reopening", i, v)
		}
		list, total, err := s.ListApplications(ctx, store.ApplicationFilter{}, store.Page{})
		if err != nil {
			t.Fatalf("ListApplications #%d: %v", i, err)
		}
		if total != i+1 || len(list) != i+1 || !list[0].CreatedAt.Equal(created) {
			t.Errorf("after opening %d times: %d applications (total %d): %+v", i+1, len(list), total, list)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close #%d: %v", i, err)
		}
	}
	d, err := db()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	MigrationsRecordedOnce(t, d)
}

// MigrationsRecordedOnce fails the test unless goose recorded every
// migration in db exactly once.
func MigrationsRecordedOnce(t *testing.T, db *sql.DB) {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), "SELECT version_id, COUNT(*) FROM goose_db_version WHERE version_id > 0 GROUP BY version_id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	versions := 0
	for rows.Next() {
		var v, n int64
		if err := rows.Scan(&v, &n); err != nil {
			t.Fatal(err)
		}
		versions++
		if n != 1 {
			t.Errorf("migration %d recorded %d times", v, n)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if versions == 0 {
		t.Error("no migration recorded")
	}
}
