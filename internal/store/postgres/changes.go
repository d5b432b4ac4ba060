package postgres

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/monban/monban/internal/randid"
)

// changeChannel is the LISTEN/NOTIFY channel of change notices.
const changeChannel = "monban_changes"

// ChangeFeed is a store.ChangeFeed on PostgreSQL's LISTEN/NOTIFY. The notice
// carries the publishing instance's id, so an instance skips its own.
type ChangeFeed struct {
	db       *sql.DB
	instance string
	logger   *slog.Logger
	// backoff bounds the wait between reconnection attempts.
	minBackoff, maxBackoff time.Duration
}

// NewChangeFeed returns a feed on db (a PostgreSQL pool from Open).
func NewChangeFeed(db *sql.DB, logger *slog.Logger) *ChangeFeed {
	return &ChangeFeed{db: db, instance: randid.ID(), logger: logger, minBackoff: 200 * time.Millisecond, maxBackoff: 10 * time.Second}
}

// Publish sends a change notice to every listening instance.
func (f *ChangeFeed) Publish(ctx context.Context) error {
	_, err := f.db.ExecContext(ctx, "SELECT pg_notify($1, $2)", changeChannel, f.instance)
	return err
}

// Subscribe listens until ctx ends, reconnecting with a growing back-off
// when the connection is lost (a database restart, say).
func (f *ChangeFeed) Subscribe(ctx context.Context, fn func()) {
	backoff := f.minBackoff
	for ctx.Err() == nil {
		start := time.Now()
		err := f.listen(ctx, fn)
		if ctx.Err() != nil {
			return
		}
		if time.Since(start) > time.Minute {
			backoff = f.minBackoff // it was up for a while: start over
		}
		f.logger.Warn("change notices from other instances interrupted; reconnecting", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, f.maxBackoff)
	}
}

// listen holds one connection in LISTEN until it fails or ctx ends.
func (f *ChangeFeed) listen(ctx context.Context, fn func()) error {
	conn, err := f.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(driverConn any) error {
		c, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return errors.New("not a pgx connection")
		}
		pc := c.Conn()
		if _, err := pc.Exec(ctx, "LISTEN "+changeChannel); err != nil {
			return err
		}
		fn() // catch up on what changed while nobody listened
		for {
			n, err := pc.WaitForNotification(ctx)
			if err != nil {
				return err
			}
			if n.Payload != f.instance {
				fn()
			}
		}
	})
}
