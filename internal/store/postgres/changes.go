package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
)

// changeChannel is the LISTEN/NOTIFY channel of change notices.
const changeChannel = "monban_changes"

// ChangeFeed is a store.ChangeFeed on PostgreSQL's LISTEN/NOTIFY. The notice
// is a small JSON object (see payload) that carries the publishing
// instance's id, so an instance skips its own.
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

// payload is a notice on the wire. Older versions sent the bare instance
// id; a payload that does not parse is read as store.ChangeAll.
type payload struct {
	Instance  string `json:"i"`
	Kind      string `json:"k,omitempty"`
	JTI       string `json:"j,omitempty"`
	ExpiresAt int64  `json:"e,omitempty"` // Unix milliseconds
}

// maxJTI bounds the token id a notice carries, far below NOTIFY's 8000
// byte payload limit; a longer one is sent as "the list changed".
const maxJTI = 512

// Publish sends a change notice to every listening instance.
func (f *ChangeFeed) Publish(ctx context.Context, n store.Notice) error {
	p := payload{Instance: f.instance, Kind: n.Kind}
	if n.Kind == store.ChangeRevocation {
		if n.JTI == "" || len(n.JTI) > maxJTI {
			p.Kind = store.ChangeRevocations
		} else {
			p.JTI, p.ExpiresAt = n.JTI, n.ExpiresAt.UnixMilli()
		}
	}
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	_, err = f.db.ExecContext(ctx, "SELECT pg_notify($1, $2)", changeChannel, string(b))
	return err
}

// decode reads a notice; own reports one this instance published.
func (f *ChangeFeed) decode(raw string) (n store.Notice, own bool) {
	var p payload
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		return store.Notice{Kind: store.ChangeAll}, raw == f.instance
	}
	if p.Instance == f.instance {
		return store.Notice{}, true
	}
	switch p.Kind {
	case store.ChangeCatalog, store.ChangeRevocations:
		return store.Notice{Kind: p.Kind}, false
	case store.ChangeRevocation:
		if p.JTI == "" || p.ExpiresAt == 0 {
			return store.Notice{Kind: store.ChangeRevocations}, false
		}
		return store.Notice{Kind: p.Kind, JTI: p.JTI, ExpiresAt: time.UnixMilli(p.ExpiresAt)}, false
	}
	return store.Notice{Kind: store.ChangeAll}, false // a kind this version does not know
}

// Subscribe listens until ctx ends, reconnecting with a growing back-off
// when the connection is lost (a database restart, say).
func (f *ChangeFeed) Subscribe(ctx context.Context, fn func(store.Notice)) {
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
func (f *ChangeFeed) listen(ctx context.Context, fn func(store.Notice)) error {
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
		fn(store.Notice{Kind: store.ChangeAll}) // catch up on what changed while nobody listened
		for {
			n, err := pc.WaitForNotification(ctx)
			if err != nil {
				return err
			}
			if notice, own := f.decode(n.Payload); !own {
				fn(notice)
			}
		}
	})
}
