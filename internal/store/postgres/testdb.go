package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"
)

// TestURLEnv names the environment variable holding the URL of a PostgreSQL
// server for tests, for example
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable. Its user must
// be allowed to create and drop databases.
const TestURLEnv = "MONBAN_TEST_POSTGRES_URL"

// NewTestDatabase creates an empty database with a random name on the server
// named by MONBAN_TEST_POSTGRES_URL and returns its URL; the database is
// dropped when the test ends, after the cleanups registered later (closing a
// store opened on it, say) have run. Without the variable the test is
// skipped. Dropping needs PostgreSQL 13 or later.
func NewTestDatabase(t testing.TB) string {
	t.Helper()
	base := os.Getenv(TestURLEnv)
	if base == "" {
		t.Skip("set " + TestURLEnv + " to run the tests against PostgreSQL")
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s is not a URL", TestURLEnv)
	}
	name := "monban_test_" + hex.EncodeToString(randomBytes(8))
	if err := adminExec(base, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		if err := adminExec(base, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database: %v", err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// adminExec runs one statement on the database of dbURL, on a connection of
// its own: CREATE and DROP DATABASE cannot run in a transaction, and the
// cleanup runs after the test's context has ended.
func adminExec(dbURL, stmt string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, _, err := connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, stmt)
	return err
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails
	return b
}
