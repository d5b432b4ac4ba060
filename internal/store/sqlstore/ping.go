package sqlstore

import (
	"context"
	"database/sql"
)

// Ping checks that the database answers, for readiness probes.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// DB returns the connection pool, for its statistics.
func (s *Store) DB() *sql.DB { return s.db }
