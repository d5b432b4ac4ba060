package sqlite

import (
	"database/sql"
	"fmt"
	"testing"

	"modernc.org/sqlite"
)

// The connection keeps its statements: the same SQL run again, run again
// while its first rows are still open (which must not share the kept
// statement), run with other arguments, and more distinct SQL than it
// keeps, all answer as fresh statements would.
func TestKeptStatements(t *testing.T) {
	ctx := t.Context()
	db := sql.OpenDB(connector{dsn: dsn(newPath(t)), drv: &sqlite.Driver{}})
	defer db.Close()
	db.SetMaxOpenConns(1) // every query on the one connection
	if _, err := db.ExecContext(ctx, "CREATE TABLE t (n INTEGER)"); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := db.ExecContext(ctx, "INSERT INTO t (n) VALUES (?)", i); err != nil {
			t.Fatal(err)
		}
	}
	const q = "SELECT n FROM t WHERE n >= ? ORDER BY n"
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	outer, err := tx.QueryContext(ctx, q, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for outer.Next() {
		var n int
		if err := outer.Scan(&n); err != nil {
			t.Fatal(err)
		}
		var count int // the same SQL while outer's rows are open
		inner, err := tx.QueryContext(ctx, q, n)
		if err != nil {
			t.Fatal(err)
		}
		for inner.Next() {
			count++
		}
		if err := inner.Close(); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%d:%d", n, count))
	}
	if err := outer.Err(); err != nil {
		t.Fatal(err)
	}
	outer.Close()
	if fmt.Sprint(got) != "[0:3 1:2 2:1]" {
		t.Errorf("nested runs of one statement = %v, want [0:3 1:2 2:1]", got)
	}
	for i := range maxKeptStatements + 10 {
		var n int
		if err := tx.QueryRowContext(ctx, fmt.Sprintf("SELECT COUNT(*) + %d FROM t", i)).Scan(&n); err != nil || n != 3+i {
			t.Fatalf("statement %d = %d, %v; want %d", i, n, err, 3+i)
		}
	}
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM t WHERE n >= ?", 2).Scan(new(int)); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO t (n) VALUES (?)", "not a number but stored"); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO nowhere (n) VALUES (?)", 1); err == nil {
		t.Error("an insert into a missing table succeeded")
	}
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM t").Scan(&n); err != nil || n != 4 {
		t.Errorf("count = %d, %v; want 4", n, err)
	}
}
