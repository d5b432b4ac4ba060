package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/monban/monban/internal/store"
)

// change runs fn in a write transaction and appends ev to the outbox in the
// same transaction, so that the event is stored if and only if the change
// commits. It is how every write that others must hear of is made.
//
// When ctx carries an origin (store.WithOrigin), the event records it with
// a snapshot of the entity changed, read in the same transaction: after
// the change, or before it for a deletion.
func (s *Store) change(ctx context.Context, ev store.Event, fn func(txn) error) error {
	return s.changeTold(ctx, ev, func(t txn) (*store.EventPayload, error) { return nil, fn(t) })
}

// changeTold is change for a write whose event's payload only fn can
// tell (what it added or removed): a payload fn returns replaces ev's.
func (s *Store) changeTold(ctx context.Context, ev store.Event, fn func(txn) (*store.EventPayload, error)) error {
	origin := store.OriginOf(ctx)
	body := func(t txn) error {
		var before json.RawMessage
		if origin != nil && ev.Kind == store.EventUserDeleted {
			var err error
			if before, err = snapshot(t, ev); err != nil {
				return err
			}
		}
		p, err := fn(t)
		if err != nil {
			return err
		}
		ev := ev
		if p != nil {
			ev = event(ev.Kind, ev.Entity, p)
		}
		if origin == nil {
			return t.emit(ev)
		}
		data := before
		if data == nil {
			var err error
			if data, err = snapshot(t, ev); err != nil {
				return err
			}
		}
		withOrigin, err := attachOrigin(ev, origin, data)
		if err != nil {
			return err
		}
		return t.emit(withOrigin)
	}
	if s.d.LockEvents == nil {
		return s.write(ctx, body)
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return s.mapErr(err)
	}
	defer conn.Close()
	release, err := s.d.LockEvents(ctx, conn)
	if err != nil {
		return s.mapErr(err)
	}
	defer release()
	return s.writeOn(ctx, conn, body)
}

// attachOrigin returns ev with origin and data added to its payload.
func attachOrigin(ev store.Event, origin *store.EventOrigin, data json.RawMessage) (store.Event, error) {
	p, err := ev.Decode()
	if err != nil {
		return ev, err
	}
	p.Origin, p.Data = origin, data
	ev.Payload, err = json.Marshal(p)
	return ev, err
}

// snapshot reads, in t, the entity ev is about as the store's type encoded
// in JSON (see store.EventPayload.Data); nil for kinds that have none or
// an entity that is gone.
func snapshot(t txn, ev store.Event) (json.RawMessage, error) {
	var (
		v   any
		err error
	)
	switch ev.Kind {
	case store.EventUserCreated, store.EventUserUpdated, store.EventUserDeleted, store.EventUserSuspensionChanged, store.EventUserSignedIn:
		var u store.User
		u, err = scanUser(t.queryRow("SELECT "+userCols+" FROM users WHERE id = ?", ev.Entity))
		if err == nil {
			if u.PasswordHash != "" { // never in an event
				u.PasswordHash = store.RedactedPassword
			}
			if u.Identities, err = collect(t, scanIdentity, "SELECT "+identityCols+" FROM user_identities WHERE user_id = ? ORDER BY target", u.ID); len(u.Identities) == 0 {
				u.Identities = nil
			}
		}
		v = u
	case store.EventRoleCreated, store.EventRoleUpdated:
		v, err = scanRole(t.queryRow("SELECT "+roleCols+" FROM roles WHERE id = ?", ev.Entity))
	case store.EventRoleScopesAdded:
		v, err = collect(t, scanScope, "SELECT "+scopeCols+" FROM scopes JOIN role_scopes ON role_scopes.scope_id = scopes.id WHERE role_scopes.role_id = ? ORDER BY scopes.created_at, scopes.id", ev.Entity)
	case store.EventScopeCreated, store.EventScopeUpdated:
		v, err = scanScope(t.queryRow("SELECT "+scopeCols+" FROM scopes WHERE id = ?", ev.Entity))
	case store.EventOrganizationCreated, store.EventOrganizationUpdated:
		v, err = scanOrg(t.queryRow("SELECT "+orgCols+" FROM organizations WHERE id = ?", ev.Entity))
	case store.EventOrganizationRoleCreated, store.EventOrganizationRoleUpdated:
		v, err = scanOrgRole(t.queryRow("SELECT "+orgRoleCols+" FROM organization_roles WHERE id = ?", ev.Entity))
	case store.EventOrganizationScopeCreated, store.EventOrganizationScopeUpdated:
		v, err = scanOrgScope(t.queryRow("SELECT "+orgScopeCols+" FROM organization_scopes WHERE id = ?", ev.Entity))
	default:
		return nil, nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// event makes an outbox event of kind about entity; p, if not nil, is its
// payload.
func event(kind store.EventKind, entity string, p *store.EventPayload) store.Event {
	ev := store.Event{Kind: kind, Entity: entity}
	if p != nil {
		ev.Payload, _ = json.Marshal(p) // strings, bools and numbers always encode
	}
	return ev
}

// emit appends ev to the outbox, numbered one above the newest event: the
// writes that append events take turns (see Dialect.LockEvents).
func (t txn) emit(ev store.Event) error {
	var payload sql.NullString
	if len(ev.Payload) > 0 {
		payload = sql.NullString{String: string(ev.Payload), Valid: true}
	}
	_, err := t.exec("INSERT INTO events (seq, kind, entity, payload, created_at) VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM events), ?, ?, ?, ?)",
		string(ev.Kind), ev.Entity, payload, time.Now().UnixMilli())
	return err
}

func scanEvent(r scanner) (store.Event, error) {
	var (
		ev      store.Event
		kind    string
		payload sql.NullString
		created int64
	)
	if err := r.Scan(&ev.Seq, &kind, &ev.Entity, &payload, &created); err != nil {
		return ev, err
	}
	ev.Kind = store.EventKind(kind)
	if payload.Valid {
		ev.Payload = json.RawMessage(payload.String)
	}
	ev.CreatedAt = fromMillis(created)
	return ev, nil
}

// ReadEvents returns up to limit events after the sequence number after,
// oldest first; limit 0 means all.
func (s *Store) ReadEvents(ctx context.Context, after int64, limit int) ([]store.Event, error) {
	var evs []store.Event
	err := s.read(ctx, func(t txn) error {
		clause, args := pageClause(store.Page{Limit: limit})
		var err error
		evs, err = collect(t, scanEvent, "SELECT seq, kind, entity, payload, created_at FROM events WHERE seq > ? ORDER BY seq"+clause,
			append([]any{after}, args...)...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	return evs, nil
}

// LastEventSeq returns the newest event's sequence number, 0 with none.
func (s *Store) LastEventSeq(ctx context.Context) (int64, error) {
	var seq int64
	err := s.read(ctx, func(t txn) error {
		return t.queryRow("SELECT COALESCE(MAX(seq), 0) FROM events").Scan(&seq)
	})
	if err != nil {
		return 0, fmt.Errorf("last event: %w", err)
	}
	return seq, nil
}

// PruneEvents deletes the events created before t but the newest, which
// keeps the numbering going where the engine numbers from the highest.
func (s *Store) PruneEvents(ctx context.Context, before time.Time) (int, error) {
	return s.deleteCount(ctx, "prune events",
		"DELETE FROM events WHERE created_at < ? AND seq < (SELECT MAX(seq) FROM events)", millis(before))
}
