package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/store/storetest"
)

// A database dropped under the store (its connections terminated, new ones
// refused) is store.ErrUnavailable for reads and writes; the request's own
// mistakes are not.
func TestUnavailable(t *testing.T) {
	ctx := context.Background()
	dbURL := NewTestDatabase(t)
	s, err := Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storetest.MistakesAreNotUnavailable(t, s)

	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	if err := adminExec(os.Getenv(TestURLEnv), "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.ListResources(ctx, store.Page{}); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("read after the drop: %v, want ErrUnavailable", err)
	}
	if err := s.CreateResource(ctx, store.Resource{ID: "r2", Name: "r2", Indicator: "https://r2.test", AccessTokenTTL: 60, CreatedAt: time.Now()}); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("write after the drop: %v, want ErrUnavailable", err)
	}
}

// The SQLSTATE codes that mean the server cannot serve, and some that do
// not (the request's own mistakes, or conflicts the store retries).
func TestUnavailableCodes(t *testing.T) {
	for code, want := range map[string]bool{
		"08006": true, "08001": true, "53300": true, "53100": true, "57P01": true, "57P02": true,
		"57P03": true, "58030": true, "3D000": true, "28P01": true,
		"23505": false, "23503": false, "40001": false, "40P01": false, "22001": false, "42P01": false, "57014": false, "": false,
	} {
		err := fmt.Errorf("wrapped: %w", &pgconn.PgError{Code: code})
		if got := unavailable(err); got != want {
			t.Errorf("%q: %v, want %v", code, got, want)
		}
	}
	if !unavailable(&pgconn.ConnectError{}) || !unavailable(fmt.Errorf("read: %w", io.ErrUnexpectedEOF)) {
		t.Error("a failed or cut connection is not unavailability")
	}
	if unavailable(errors.New("something else")) {
		t.Error("any error is unavailability")
	}
}
