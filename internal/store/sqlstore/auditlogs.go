package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/monban/monban/internal/store"
)

const logCols = "id, log_key, result, application_id, user_id, payload, created_at, actor_type, actor_id, actor_name, target_type, target_id"

// logsPerInsert keeps a statement's parameters (12 a row) well below the
// engines' limits.
const logsPerInsert = 100

func scanLog(r scanner) (store.LogEntry, error) {
	var (
		e       store.LogEntry
		payload string
		created int64
	)
	if err := r.Scan(&e.ID, &e.Key, &e.Result, &e.ApplicationID, &e.UserID, &payload, &created,
		&e.Actor.Type, &e.Actor.ID, &e.Actor.Name, &e.Target.Type, &e.Target.ID); err != nil {
		return e, err
	}
	e.Payload = []byte(payload)
	e.CreatedAt = fromMillis(created)
	return e, nil
}

// InsertLogs writes a batch of entries in one transaction, skipping those
// whose id is stored already.
func (s *Store) InsertLogs(ctx context.Context, entries []store.LogEntry) error {
	if len(entries) == 0 {
		return nil
	}
	err := s.write(ctx, func(t txn) error {
		// Many rows per statement: a busy server logs thousands of token
		// requests a second, and one statement per row would cost more CPU
		// than issuing them.
		for start := 0; start < len(entries); start += logsPerInsert {
			chunk := entries[start:min(start+logsPerInsert, len(entries))]
			rows := make([]string, len(chunk))
			args := make([]any, 0, 12*len(chunk))
			for i, e := range chunk {
				payload := string(e.Payload)
				if payload == "" {
					payload = "{}"
				}
				rows[i] = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
				args = append(args, e.ID, e.Key, e.Result, e.ApplicationID, e.UserID, payload, millis(e.CreatedAt),
					e.Actor.Type, e.Actor.ID, e.Actor.Name, e.Target.Type, e.Target.ID)
			}
			// An entry stored already is skipped: a batch retried after a
			// write that committed but whose answer was lost.
			if _, err := t.exec("INSERT INTO audit_logs ("+logCols+") VALUES "+strings.Join(rows, ", ")+" ON CONFLICT (id) DO NOTHING", args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("insert %d audit logs: %w", len(entries), err)
	}
	return nil
}

// ListLogs returns a page of entries matching filter, newest first.
func (s *Store) ListLogs(ctx context.Context, f store.LogFilter, page store.Page) ([]store.LogEntry, int, error) {
	var where []string
	var args []any
	for _, c := range []struct{ col, val string }{{"log_key", f.Key}, {"application_id", f.ApplicationID}, {"user_id", f.UserID}, {"result", f.Result}} {
		if c.val != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.val)
		}
	}
	if !f.From.IsZero() {
		where, args = append(where, "created_at >= ?"), append(args, millis(f.From))
	}
	if !f.To.IsZero() {
		where, args = append(where, "created_at <= ?"), append(args, millis(f.To))
	}
	if f.KeyPrefix != "" {
		where = append(where, `log_key LIKE ? ESCAPE '\'`)
		args = append(args, likeEscape(f.KeyPrefix)+"%")
	}
	from := "FROM audit_logs"
	if len(where) > 0 {
		from += " WHERE " + strings.Join(where, " AND ")
	}
	return listPage(ctx, s, "list audit logs", nil, logCols, from, "created_at DESC, id DESC", args, page, scanLog)
}

// GetLog returns one entry.
func (s *Store) GetLog(ctx context.Context, id string) (store.LogEntry, error) {
	return getOne(ctx, s, "get audit log", "audit log", id, scanLog, "SELECT "+logCols+" FROM audit_logs WHERE id = ?", id)
}

// DeleteLogsBefore removes the entries created before t.
func (s *Store) DeleteLogsBefore(ctx context.Context, t time.Time) (int, error) {
	return s.deleteCount(ctx, "delete audit logs", "DELETE FROM audit_logs WHERE created_at < ?", millis(t))
}

// deleteCount runs a DELETE in a write transaction and returns how many
// rows it deleted; what names the operation in its error.
func (s *Store) deleteCount(ctx context.Context, what, query string, args ...any) (int, error) {
	var n int64
	err := s.write(ctx, func(t txn) error {
		res, err := t.exec(query, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	return int(n), nil
}
