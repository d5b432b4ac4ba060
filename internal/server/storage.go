package server

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/store/sqlite"
)

// OpenStore opens the database named by a URL:
//
//	sqlite://./monban-data/monban.db   a relative path
//	sqlite:///var/lib/monban/monban.db an absolute path
//	./monban.db                        a bare path is an SQLite file too
func OpenStore(ctx context.Context, dbURL string) (store.Store, error) {
	switch {
	case strings.HasPrefix(dbURL, "sqlite://"):
		return openSQLite(ctx, strings.TrimPrefix(dbURL, "sqlite://"))
	case strings.HasPrefix(dbURL, "sqlite:"):
		return openSQLite(ctx, strings.TrimPrefix(dbURL, "sqlite:"))
	case strings.HasPrefix(dbURL, "postgres://"), strings.HasPrefix(dbURL, "postgresql://"):
		return nil, fmt.Errorf("PostgreSQL is not supported by this build yet; use an SQLite URL")
	case strings.Contains(dbURL, "://"):
		return nil, fmt.Errorf("unsupported database URL scheme in %q", redact(dbURL))
	default:
		return openSQLite(ctx, dbURL)
	}
}

func openSQLite(ctx context.Context, path string) (store.Store, error) {
	if path == "" {
		return nil, fmt.Errorf("the SQLite database URL names no file")
	}
	if i := strings.IndexByte(path, '?'); i >= 0 {
		return nil, fmt.Errorf("the SQLite database URL takes no options")
	}
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("open SQLite database %s: %w", path, err)
	}
	return st, nil
}

// redact hides a password in a database URL before it goes into a message.
func redact(dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// absoluteHTTPURL reports whether s is an absolute http or https URL with a
// host and no query or fragment.
func absoluteHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.RawQuery == "" && u.Fragment == ""
}
