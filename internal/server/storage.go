package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/store/postgres"
	"github.com/monban/monban/internal/store/sqlite"
)

// OpenStore opens the database named by a URL:
//
//	sqlite://./monban-data/monban.db   a relative path
//	sqlite:///var/lib/monban/monban.db an absolute path
//	./monban.db                        a bare path is an SQLite file too
//	postgres://user:pw@host:5432/db    PostgreSQL
//
// The change feed is nil for SQLite: one instance owns the file. The store
// is returned with its secrets locked (store.SecretStore); New unlocks them.
func OpenStore(ctx context.Context, dbURL string, logger *slog.Logger) (store.Store, store.ChangeFeed, error) {
	switch {
	case strings.HasPrefix(dbURL, "sqlite://"):
		st, err := openSQLite(ctx, strings.TrimPrefix(dbURL, "sqlite://"))
		return st, nil, err
	case strings.HasPrefix(dbURL, "sqlite:"):
		st, err := openSQLite(ctx, strings.TrimPrefix(dbURL, "sqlite:"))
		return st, nil, err
	case strings.HasPrefix(dbURL, "postgres://"), strings.HasPrefix(dbURL, "postgresql://"):
		st, err := postgres.Open(ctx, dbURL)
		if err != nil {
			return nil, nil, fmt.Errorf("open PostgreSQL database: %w", err)
		}
		return st, postgres.NewChangeFeed(st.DB(), logger), nil
	case strings.Contains(dbURL, "://"):
		return nil, nil, fmt.Errorf("unsupported database URL scheme in %q", redact(dbURL))
	default:
		st, err := openSQLite(ctx, dbURL)
		return st, nil, err
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
