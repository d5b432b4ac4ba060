package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/sealed"
	"github.com/monban/monban/internal/store"
)

const hookCols = "id, name, event, events, url, headers, retries, signing_key, enabled, created_at"

func hookKeyPurpose(id string) string { return "hooks.signing_key:" + id }

func hookScanner(box *sealed.Box) func(scanner) (store.Hook, error) {
	return func(r scanner) (store.Hook, error) {
		var (
			h               store.Hook
			events, headers string
			retries         sql.NullInt64
			key             string
			created         int64
		)
		if err := r.Scan(&h.ID, &h.Name, &h.Event, &events, &h.URL, &headers, &retries, &key, &h.Enabled, &created); err != nil {
			return h, err
		}
		if err := json.Unmarshal([]byte(events), &h.Events); err != nil {
			return h, fmt.Errorf("events of hook %s: %w", h.ID, err)
		}
		if err := json.Unmarshal([]byte(headers), &h.Headers); err != nil {
			return h, fmt.Errorf("headers of hook %s: %w", h.ID, err)
		}
		if retries.Valid {
			n := int(retries.Int64)
			h.Retries = &n
		}
		var err error
		if h.SigningKey, err = box.OpenString(hookKeyPurpose(h.ID), key); err != nil {
			return h, fmt.Errorf("signing key of hook %s: %w", h.ID, err)
		}
		h.CreatedAt = fromMillis(created)
		return h, nil
	}
}

// hookRow is the stored form of h's JSON columns and sealed key.
func (s *Store) hookRow(h store.Hook) (events, headers string, retries sql.NullInt64, key string, err error) {
	if h.Events == nil {
		h.Events = []string{}
	}
	if h.Headers == nil {
		h.Headers = map[string]string{}
	}
	ev, _ := json.Marshal(h.Events) // strings always encode
	hd, _ := json.Marshal(h.Headers)
	if h.Retries != nil {
		retries = sql.NullInt64{Int64: int64(*h.Retries), Valid: true}
	}
	box, err := s.sealer()
	if err == nil {
		key, err = box.SealString(hookKeyPurpose(h.ID), h.SigningKey)
	}
	return string(ev), string(hd), retries, key, err
}

// CreateHook stores a new hook with its signing key sealed.
func (s *Store) CreateHook(ctx context.Context, h store.Hook) error {
	events, headers, retries, key, err := s.hookRow(h)
	if err == nil {
		err = s.write(ctx, func(t txn) error {
			_, err := t.exec("INSERT INTO hooks ("+hookCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
				h.ID, h.Name, h.Event, events, h.URL, headers, retries, key, h.Enabled, millis(h.CreatedAt))
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("create hook: %w", err)
	}
	return nil
}

// GetHook returns the hook with the id.
func (s *Store) GetHook(ctx context.Context, id string) (store.Hook, error) {
	box, err := s.sealer()
	if err != nil {
		return store.Hook{}, fmt.Errorf("get hook: %w", err)
	}
	return getOne(ctx, s, "get hook", "hook", id, hookScanner(box), "SELECT "+hookCols+" FROM hooks WHERE id = ?", id)
}

// ListHooks returns a page of hooks, oldest first.
func (s *Store) ListHooks(ctx context.Context, page store.Page) ([]store.Hook, int, error) {
	box, err := s.sealer()
	if err != nil {
		return nil, 0, fmt.Errorf("list hooks: %w", err)
	}
	return listPage(ctx, s, "list hooks", nil, hookCols, "FROM hooks", "created_at, id", nil, page, hookScanner(box))
}

// UpdateHook replaces a hook's fields but its id and creation time.
func (s *Store) UpdateHook(ctx context.Context, h store.Hook) error {
	events, headers, retries, key, err := s.hookRow(h)
	if err == nil {
		err = s.write(ctx, func(t txn) error {
			return t.execOne(notFound("hook", h.ID), "UPDATE hooks SET name = ?, event = ?, events = ?, url = ?, headers = ?, retries = ?, signing_key = ?, enabled = ? WHERE id = ?",
				h.Name, h.Event, events, h.URL, headers, retries, key, h.Enabled, h.ID)
		})
	}
	if err != nil {
		return fmt.Errorf("update hook: %w", err)
	}
	return nil
}

// DeleteHook removes a hook with its deliveries and attempts.
func (s *Store) DeleteHook(ctx context.Context, id string) error {
	err := s.write(ctx, func(t txn) error {
		for _, q := range []string{"DELETE FROM webhook_attempts WHERE hook_id = ?", "DELETE FROM webhook_deliveries WHERE hook_id = ?"} {
			if _, err := t.exec(q, id); err != nil {
				return err
			}
		}
		return t.execOne(notFound("hook", id), "DELETE FROM hooks WHERE id = ?", id)
	})
	if err != nil {
		return fmt.Errorf("delete hook: %w", err)
	}
	return nil
}

// WebhookCursor returns the seq of the last outbox event planned.
func (s *Store) WebhookCursor(ctx context.Context) (int64, error) {
	var seq int64
	err := s.read(ctx, func(t txn) error {
		return t.queryRow("SELECT seq FROM webhook_cursor WHERE id = 1").Scan(&seq)
	})
	if err != nil {
		return 0, fmt.Errorf("webhook cursor: %w", err)
	}
	return seq, nil
}

// PlanDeliveries stores ds and moves the cursor from `from` to `to`, or
// does nothing and returns ErrConflict when the cursor has moved.
func (s *Store) PlanDeliveries(ctx context.Context, from, to int64, ds []store.Delivery) error {
	err := s.write(ctx, func(t txn) error {
		if err := t.execOne(store.ErrConflict, "UPDATE webhook_cursor SET seq = ? WHERE id = 1 AND seq = ?", to, from); err != nil {
			return err
		}
		for _, d := range ds {
			_, err := t.exec("INSERT INTO webhook_deliveries (id, hook_id, event, body, state, attempts, next_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?)",
				d.ID, d.HookID, d.Event, string(d.Body), string(store.DeliveryPending), millis(d.NextAt), millis(d.CreatedAt), millis(d.CreatedAt))
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("plan deliveries: %w", err)
	}
	return nil
}

const deliveryCols = "id, hook_id, event, body, state, attempts, next_at, created_at"

func scanDelivery(r scanner) (store.Delivery, error) {
	var (
		d             store.Delivery
		body, state   string
		next, created int64
	)
	if err := r.Scan(&d.ID, &d.HookID, &d.Event, &body, &state, &d.Attempts, &next, &created); err != nil {
		return d, err
	}
	d.Body, d.State = []byte(body), store.DeliveryState(state)
	d.NextAt, d.CreatedAt = fromMillis(next), fromMillis(created)
	return d, nil
}

// ClaimDeliveries leases due deliveries to owner. Each is taken by a
// conditional update on its lease, so two instances never both hold one:
// of two that read the same due row, the second's update matches nothing.
func (s *Store) ClaimDeliveries(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]store.Delivery, error) {
	// Most rounds find nothing due: they ask in a read, and take the
	// write lock only when there is something to claim.
	var due []store.Delivery
	err := s.read(ctx, func(t txn) error {
		var err error
		due, err = collect(t, scanDelivery, "SELECT "+deliveryCols+" FROM webhook_deliveries WHERE state = ? AND next_at <= ? AND lease_until <= ? ORDER BY next_at, id LIMIT ?",
			string(store.DeliveryPending), millis(now), millis(now), limit)
		return err
	})
	if err != nil || len(due) == 0 {
		if err != nil {
			return nil, fmt.Errorf("claim deliveries: %w", err)
		}
		return nil, nil
	}
	var claimed []store.Delivery
	err = s.write(ctx, func(t txn) error {
		claimed = nil
		for _, d := range due {
			res, err := t.exec("UPDATE webhook_deliveries SET lease_owner = ?, lease_until = ? WHERE id = ? AND state = ? AND lease_until <= ?",
				owner, millis(now.Add(lease)), d.ID, string(store.DeliveryPending), millis(now))
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 1 {
				claimed = append(claimed, d)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	return claimed, nil
}

func insertAttempt(t txn, a store.DeliveryAttempt) error {
	if a.ID == "" {
		a.ID = randid.ID()
	}
	_, err := t.exec("INSERT INTO webhook_attempts (id, hook_id, delivery_id, event, body, status, response, error, success, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		a.ID, a.HookID, a.DeliveryID, a.Event, string(a.Body), a.Status, a.Response, a.Error, a.Success, millis(a.CreatedAt))
	return err
}

// FinishAttempt records a and the delivery's new state, if owner still
// holds its lease.
func (s *Store) FinishAttempt(ctx context.Context, owner string, d store.Delivery, a store.DeliveryAttempt) error {
	err := s.write(ctx, func(t txn) error {
		if err := t.execOne(notFound("delivery", d.ID), "UPDATE webhook_deliveries SET state = ?, attempts = ?, next_at = ?, lease_owner = '', lease_until = 0, updated_at = ? WHERE id = ? AND lease_owner = ?",
			string(d.State), d.Attempts, millis(d.NextAt), millis(a.CreatedAt), d.ID, owner); err != nil {
			return err
		}
		return insertAttempt(t, a)
	})
	if err != nil {
		return fmt.Errorf("finish delivery attempt: %w", err)
	}
	return nil
}

// RecordAttempt records an attempt that belongs to no delivery.
func (s *Store) RecordAttempt(ctx context.Context, a store.DeliveryAttempt) error {
	if err := s.write(ctx, func(t txn) error { return insertAttempt(t, a) }); err != nil {
		return fmt.Errorf("record delivery attempt: %w", err)
	}
	return nil
}

const attemptCols = "id, hook_id, delivery_id, event, body, status, response, error, success, created_at"

func scanAttempt(r scanner) (store.DeliveryAttempt, error) {
	var (
		a       store.DeliveryAttempt
		body    string
		created int64
	)
	if err := r.Scan(&a.ID, &a.HookID, &a.DeliveryID, &a.Event, &body, &a.Status, &a.Response, &a.Error, &a.Success, &created); err != nil {
		return a, err
	}
	a.Body, a.CreatedAt = []byte(body), fromMillis(created)
	return a, nil
}

func attemptWhere(hookID string, f store.AttemptFilter) (string, []any) {
	where, args := "FROM webhook_attempts WHERE hook_id = ?", []any{hookID}
	if f.Event != "" {
		where, args = where+" AND event = ?", append(args, f.Event)
	}
	if !f.Since.IsZero() {
		where, args = where+" AND created_at >= ?", append(args, millis(f.Since))
	}
	if !f.Before.IsZero() {
		where, args = where+" AND created_at < ?", append(args, millis(f.Before))
	}
	return where, args
}

// ListAttempts returns a hook's attempts, newest first.
func (s *Store) ListAttempts(ctx context.Context, hookID string, f store.AttemptFilter, page store.Page) ([]store.DeliveryAttempt, int, error) {
	from, args := attemptWhere(hookID, f)
	parent := func(t txn) error { return t.exists(notFound("hook", hookID), "hooks", hookID) }
	return listPage(ctx, s, "list delivery attempts", parent, attemptCols, from, "created_at DESC, id DESC", args, page, scanAttempt)
}

// HookStats counts a hook's attempts since a time.
func (s *Store) HookStats(ctx context.Context, hookID string, since time.Time) (store.HookStats, error) {
	var st store.HookStats
	err := s.read(ctx, func(t txn) error {
		var ok sql.NullInt64
		err := t.queryRow("SELECT COUNT(*), SUM(CASE WHEN success THEN 1 ELSE 0 END) FROM webhook_attempts WHERE hook_id = ? AND created_at >= ?",
			hookID, millis(since)).Scan(&st.Requests, &ok)
		st.Successes = int(ok.Int64)
		return err
	})
	if err != nil {
		return st, fmt.Errorf("hook stats: %w", err)
	}
	return st, nil
}

// PruneWebhooks deletes finished deliveries and attempts older than before.
func (s *Store) PruneWebhooks(ctx context.Context, before time.Time) (int, error) {
	var total int
	err := s.write(ctx, func(t txn) error {
		total = 0
		for _, q := range []string{
			"DELETE FROM webhook_deliveries WHERE state <> 'pending' AND updated_at < ?",
			"DELETE FROM webhook_attempts WHERE created_at < ?",
		} {
			res, err := t.exec(q, millis(before))
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			total += int(n)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("prune webhooks: %w", err)
	}
	return total, nil
}
