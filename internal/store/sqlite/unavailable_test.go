package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/store/storetest"
)

// A database that cannot serve (closed under the store, or locked by
// another process past the busy timeout) is store.ErrUnavailable; the
// request's own mistakes are not.
func TestUnavailable(t *testing.T) {
	ctx := context.Background()
	s, path := openTemp(t)
	storetest.MistakesAreNotUnavailable(t, s)

	// Another process holds the write lock past the busy timeout.
	other, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	err = s.CreateResource(ctx, store.Resource{ID: "r2", Name: "r2", Indicator: "https://r2.test", AccessTokenTTL: 60, CreatedAt: time.Now()})
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("write while locked: %v, want ErrUnavailable", err)
	}
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}

	// Closed under the store.
	s.Close()
	if _, _, err := s.ListResources(ctx, store.Page{}); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("read after close: %v, want ErrUnavailable", err)
	}
	if err := s.CreateResource(ctx, store.Resource{ID: "r2", Name: "r2", Indicator: "https://r2.test", AccessTokenTTL: 60, CreatedAt: time.Now()}); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("write after close: %v, want ErrUnavailable", err)
	}
}
