package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/monban/monban/internal/sealed"
	"github.com/monban/monban/internal/store"
)

const connectorCols = "id, connector_id, config, metadata, sync_profile, enable_token_storage, created_at"

func connectorConfigPurpose(id string) string { return "connectors.config:" + id }

func connectorScanner(box *sealed.Box) func(scanner) (store.Connector, error) {
	return func(r scanner) (store.Connector, error) {
		var (
			c                store.Connector
			config, metadata string
			created          int64
		)
		if err := r.Scan(&c.ID, &c.ConnectorID, &config, &metadata, &c.SyncProfile, &c.EnableTokenStorage, &created); err != nil {
			return c, err
		}
		plain, err := box.OpenString(connectorConfigPurpose(c.ID), config)
		if err != nil {
			return c, fmt.Errorf("config of connector %s: %w", c.ID, err)
		}
		c.Config, c.Metadata, c.CreatedAt = []byte(plain), []byte(metadata), fromMillis(created)
		return c, nil
	}
}

// connectorRow is the stored form of c's sealed config and metadata.
func (s *Store) connectorRow(c store.Connector) (config, metadata string, err error) {
	metadata = string(c.Metadata)
	if metadata == "" {
		metadata = "{}"
	}
	box, err := s.sealer()
	if err == nil {
		config, err = box.SealString(connectorConfigPurpose(c.ID), string(c.Config))
	}
	return config, metadata, err
}

// CreateConnector stores c and deletes the connectors of the factories in
// replace, in one transaction.
func (s *Store) CreateConnector(ctx context.Context, c store.Connector, replace []string) error {
	config, metadata, err := s.connectorRow(c)
	if err == nil {
		err = s.write(ctx, func(t txn) error {
			if len(replace) > 0 {
				args := make([]any, len(replace))
				for i, id := range replace {
					args[i] = id
				}
				if _, err := t.exec("DELETE FROM connectors WHERE connector_id IN ("+placeholders(len(args))+")", args...); err != nil {
					return err
				}
			}
			_, err := t.exec("INSERT INTO connectors ("+connectorCols+") VALUES (?, ?, ?, ?, ?, ?, ?)",
				c.ID, c.ConnectorID, config, metadata, c.SyncProfile, c.EnableTokenStorage, millis(c.CreatedAt))
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("create connector: %w", err)
	}
	return nil
}

// GetConnector returns the connector with the id.
func (s *Store) GetConnector(ctx context.Context, id string) (store.Connector, error) {
	box, err := s.sealer()
	if err != nil {
		return store.Connector{}, fmt.Errorf("get connector: %w", err)
	}
	return getOne(ctx, s, "get connector", "connector", id, connectorScanner(box), "SELECT "+connectorCols+" FROM connectors WHERE id = ?", id)
}

// ListConnectors returns every connector, oldest first.
func (s *Store) ListConnectors(ctx context.Context) ([]store.Connector, error) {
	box, err := s.sealer()
	if err != nil {
		return nil, fmt.Errorf("list connectors: %w", err)
	}
	list, _, err := listPage(ctx, s, "list connectors", nil, connectorCols, "FROM connectors", "created_at, id", nil, store.Page{}, connectorScanner(box))
	return list, err
}

// UpdateConnector replaces a connector's config, metadata and flags.
func (s *Store) UpdateConnector(ctx context.Context, c store.Connector) error {
	config, metadata, err := s.connectorRow(c)
	if err == nil {
		err = s.write(ctx, func(t txn) error {
			return t.execOne(notFound("connector", c.ID), "UPDATE connectors SET config = ?, metadata = ?, sync_profile = ?, enable_token_storage = ? WHERE id = ?",
				config, metadata, c.SyncProfile, c.EnableTokenStorage, c.ID)
		})
	}
	if err != nil {
		return fmt.Errorf("update connector: %w", err)
	}
	return nil
}

// DeleteConnector removes a connector.
func (s *Store) DeleteConnector(ctx context.Context, id string) error {
	err := s.write(ctx, func(t txn) error {
		return t.execOne(notFound("connector", id), "DELETE FROM connectors WHERE id = ?", id)
	})
	if err != nil {
		return fmt.Errorf("delete connector: %w", err)
	}
	return nil
}

const templateCols = "id, language_tag, template_type, details, created_at"

func scanTemplate(r scanner) (store.EmailTemplate, error) {
	var (
		e       store.EmailTemplate
		details string
		created int64
	)
	if err := r.Scan(&e.ID, &e.LanguageTag, &e.TemplateType, &details, &created); err != nil {
		return e, err
	}
	e.Details, e.CreatedAt = []byte(details), fromMillis(created)
	return e, nil
}

func templateWhere(f store.TemplateFilter) (string, []any) {
	where, args := "FROM email_templates WHERE 1 = 1", []any{}
	if f.LanguageTag != "" {
		where, args = where+" AND language_tag = ?", append(args, f.LanguageTag)
	}
	if f.TemplateType != "" {
		where, args = where+" AND template_type = ?", append(args, f.TemplateType)
	}
	return where, args
}

// UpsertEmailTemplates stores each template in place of the one with its
// language and type, which keeps its id and creation time.
func (s *Store) UpsertEmailTemplates(ctx context.Context, ts []store.EmailTemplate) ([]store.EmailTemplate, error) {
	var out []store.EmailTemplate
	err := s.write(ctx, func(t txn) error {
		out = make([]store.EmailTemplate, 0, len(ts))
		for _, e := range ts {
			res, err := t.exec("UPDATE email_templates SET details = ? WHERE language_tag = ? AND template_type = ?",
				string(e.Details), e.LanguageTag, e.TemplateType)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				if _, err := t.exec("INSERT INTO email_templates ("+templateCols+") VALUES (?, ?, ?, ?, ?)",
					e.ID, e.LanguageTag, e.TemplateType, string(e.Details), millis(e.CreatedAt)); err != nil {
					return err
				}
			}
			stored, err := scanTemplate(t.queryRow("SELECT "+templateCols+" FROM email_templates WHERE language_tag = ? AND template_type = ?",
				e.LanguageTag, e.TemplateType))
			if err != nil {
				return err
			}
			out = append(out, stored)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("upsert email templates: %w", err)
	}
	return out, nil
}

// ListEmailTemplates returns the matching templates, oldest first.
func (s *Store) ListEmailTemplates(ctx context.Context, f store.TemplateFilter) ([]store.EmailTemplate, error) {
	from, args := templateWhere(f)
	list, _, err := listPage(ctx, s, "list email templates", nil, templateCols, from, "created_at, id", args, store.Page{}, scanTemplate)
	return list, err
}

// GetEmailTemplate returns the template with the id.
func (s *Store) GetEmailTemplate(ctx context.Context, id string) (store.EmailTemplate, error) {
	return getOne(ctx, s, "get email template", "email template", id, scanTemplate, "SELECT "+templateCols+" FROM email_templates WHERE id = ?", id)
}

// UpdateEmailTemplate replaces a template's details.
func (s *Store) UpdateEmailTemplate(ctx context.Context, id string, details []byte) (store.EmailTemplate, error) {
	var e store.EmailTemplate
	err := s.write(ctx, func(t txn) error {
		if err := t.execOne(notFound("email template", id), "UPDATE email_templates SET details = ? WHERE id = ?", string(details), id); err != nil {
			return err
		}
		var err error
		e, err = scanTemplate(t.queryRow("SELECT "+templateCols+" FROM email_templates WHERE id = ?", id))
		return err
	})
	if err != nil {
		return e, fmt.Errorf("update email template: %w", err)
	}
	return e, nil
}

// DeleteEmailTemplate removes a template.
func (s *Store) DeleteEmailTemplate(ctx context.Context, id string) error {
	err := s.write(ctx, func(t txn) error {
		return t.execOne(notFound("email template", id), "DELETE FROM email_templates WHERE id = ?", id)
	})
	if err != nil {
		return fmt.Errorf("delete email template: %w", err)
	}
	return nil
}

// DeleteEmailTemplates removes the matching templates.
func (s *Store) DeleteEmailTemplates(ctx context.Context, f store.TemplateFilter) (int, error) {
	from, args := templateWhere(f)
	var n int64
	err := s.write(ctx, func(t txn) error {
		res, err := t.exec("DELETE "+from, args...)
		if err == nil {
			n, err = res.RowsAffected()
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete email templates: %w", err)
	}
	return int(n), nil
}

const messageCols = "id, channel, payload, state, attempts, last_error, next_at, created_at, expires_at"

func messagePayloadPurpose(id string) string { return "connector_messages.payload:" + id }

func messageScanner(box *sealed.Box) func(scanner) (store.OutMessage, error) {
	return func(r scanner) (store.OutMessage, error) {
		var (
			m                      store.OutMessage
			payload, state         string
			next, created, expires int64
		)
		if err := r.Scan(&m.ID, &m.Channel, &payload, &state, &m.Attempts, &m.LastError, &next, &created, &expires); err != nil {
			return m, err
		}
		m.State = store.MessageState(state)
		m.NextAt, m.CreatedAt, m.ExpiresAt = fromMillis(next), fromMillis(created), fromMillis(expires)
		if payload != "" {
			plain, err := box.OpenString(messagePayloadPurpose(m.ID), payload)
			if err != nil {
				return m, fmt.Errorf("payload of message %s: %w", m.ID, err)
			}
			m.Payload = []byte(plain)
		}
		return m, nil
	}
}

// EnqueueMessage stores a pending message with its payload sealed.
func (s *Store) EnqueueMessage(ctx context.Context, m store.OutMessage) error {
	box, err := s.sealer()
	var payload string
	if err == nil {
		payload, err = box.SealString(messagePayloadPurpose(m.ID), string(m.Payload))
	}
	if err == nil {
		err = s.write(ctx, func(t txn) error {
			_, err := t.exec("INSERT INTO connector_messages (id, channel, payload, state, attempts, last_error, next_at, created_at, expires_at) VALUES (?, ?, ?, ?, 0, '', ?, ?, ?)",
				m.ID, m.Channel, payload, string(store.MessagePending), millis(m.NextAt), millis(m.CreatedAt), millis(m.ExpiresAt))
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("enqueue message: %w", err)
	}
	return nil
}

// ClaimMessages leases due messages to owner, each by a conditional update
// on its lease, so two instances never both hold one.
func (s *Store) ClaimMessages(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]store.OutMessage, error) {
	box, err := s.sealer()
	if err != nil {
		return nil, fmt.Errorf("claim messages: %w", err)
	}
	var due []store.OutMessage
	err = s.read(ctx, func(t txn) error {
		var err error
		due, err = collect(t, messageScanner(box), "SELECT "+messageCols+" FROM connector_messages WHERE state = ? AND next_at <= ? AND lease_until <= ? ORDER BY next_at, id LIMIT ?",
			string(store.MessagePending), millis(now), millis(now), limit)
		return err
	})
	if err != nil || len(due) == 0 {
		if err != nil {
			return nil, fmt.Errorf("claim messages: %w", err)
		}
		return nil, nil
	}
	var claimed []store.OutMessage
	err = s.write(ctx, func(t txn) error {
		claimed = nil
		for _, m := range due {
			res, err := t.exec("UPDATE connector_messages SET lease_owner = ?, lease_until = ? WHERE id = ? AND state = ? AND lease_until <= ?",
				owner, millis(now.Add(lease)), m.ID, string(store.MessagePending), millis(now))
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 1 {
				claimed = append(claimed, m)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim messages: %w", err)
	}
	return claimed, nil
}

// FinishMessage records the outcome of an attempt and ends the lease; a
// finished message's payload (its code) is wiped.
func (s *Store) FinishMessage(ctx context.Context, owner string, m store.OutMessage) error {
	q := "UPDATE connector_messages SET state = ?, attempts = ?, last_error = ?, next_at = ?, lease_owner = '', lease_until = 0"
	if m.State != store.MessagePending {
		q += ", payload = ''"
	}
	err := s.write(ctx, func(t txn) error {
		return t.execOne(notFound("message", m.ID), q+" WHERE id = ? AND lease_owner = ?",
			string(m.State), m.Attempts, m.LastError, millis(m.NextAt), m.ID, owner)
	})
	if err != nil {
		return fmt.Errorf("finish message: %w", err)
	}
	return nil
}

// PruneMessages deletes the messages created before a time.
func (s *Store) PruneMessages(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := s.write(ctx, func(t txn) error {
		res, err := t.exec("DELETE FROM connector_messages WHERE created_at < ?", millis(before))
		if err == nil {
			n, err = res.RowsAffected()
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune messages: %w", err)
	}
	return int(n), nil
}
