package sqlstore

import (
	"context"
	"database/sql"
)

// Ping checks that the database answers, for readiness probes.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// DB returns the connection pool, for its statistics.
func (s *Store) DB() *sql.DB { return s.db }

// LockSetUp holds the dialect's set-up lock on a connection of its own.
func (s *Store) LockSetUp(ctx context.Context) (func(), error) {
	if s.d.LockSetUp == nil {
		return func() {}, nil
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, s.mapErr(err)
	}
	release, err := s.d.LockSetUp(ctx, conn)
	if err != nil {
		conn.Close()
		return nil, s.mapErr(err)
	}
	return func() {
		release()
		conn.Close()
	}, nil
}
