package postgres

import (
	"context"
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/store"
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
	now := time.Now()
	res := store.Resource{ID: "r1", Name: "r", Indicator: "https://r.test", AccessTokenTTL: 60, CreatedAt: now}
	if err := s.CreateResource(ctx, res); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"duplicate": s.CreateResource(ctx, res),
		"missing":   s.DeleteResource(ctx, "nope"),
	} {
		if err == nil || errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s: %v", name, err)
		}
	}

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
	if err := s.CreateResource(ctx, store.Resource{ID: "r2", Name: "r2", Indicator: "https://r2.test", AccessTokenTTL: 60, CreatedAt: now}); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("write after the drop: %v, want ErrUnavailable", err)
	}
}
