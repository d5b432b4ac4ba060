package storetest

import (
	"database/sql"
	"testing"
)

// ConstraintErrors provokes, in db, a unique violation on a primary key and
// on a unique column, a foreign key violation and an error that is neither,
// and checks that isUnique and isForeignKey tell them apart. It returns the
// errors, for the backend's own checks of them.
func ConstraintErrors(t *testing.T, db *sql.DB, isUnique, isForeignKey func(error) bool) []error {
	t.Helper()
	ctx := t.Context()
	for _, q := range []string{
		"CREATE TABLE p (id TEXT PRIMARY KEY, u TEXT UNIQUE)",
		"CREATE TABLE c (p TEXT REFERENCES p (id))",
		"INSERT INTO p VALUES ('a', 'x')",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	var errs []error
	for _, tc := range []struct {
		query        string
		unique, fkey bool
	}{
		{"INSERT INTO p VALUES ('a', 'y')", true, false},
		{"INSERT INTO p VALUES ('b', 'x')", true, false},
		{"INSERT INTO c VALUES ('missing')", false, true},
		{"INSERT INTO missing VALUES ('a')", false, false},
	} {
		_, err := db.ExecContext(ctx, tc.query)
		if err == nil {
			t.Fatalf("%s: no error", tc.query)
		}
		if got := isUnique(err); got != tc.unique {
			t.Errorf("%s: unique violation = %v for %v", tc.query, got, err)
		}
		if got := isForeignKey(err); got != tc.fkey {
			t.Errorf("%s: foreign key violation = %v for %v", tc.query, got, err)
		}
		errs = append(errs, err)
	}
	return errs
}
