package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/monban/monban/internal/sealed"
	"github.com/monban/monban/internal/store"
)

const ssoConnectorCols = "id, provider_name, connector_name, config, domains, branding, sync_profile, created_at"

func ssoConnectorConfigPurpose(id string) string { return "sso_connectors.config:" + id }

func ssoConnectorScanner(box *sealed.Box) func(scanner) (store.SSOConnector, error) {
	return func(r scanner) (store.SSOConnector, error) {
		var (
			c                         store.SSOConnector
			config, domains, branding string
			created                   int64
		)
		if err := r.Scan(&c.ID, &c.ProviderName, &c.ConnectorName, &config, &domains, &branding, &c.SyncProfile, &created); err != nil {
			return c, err
		}
		plain, err := box.OpenString(ssoConnectorConfigPurpose(c.ID), config)
		if err != nil {
			return c, fmt.Errorf("config of SSO connector %s: %w", c.ID, err)
		}
		if err := json.Unmarshal([]byte(domains), &c.Domains); err != nil {
			return c, fmt.Errorf("domains of SSO connector %s: %w", c.ID, err)
		}
		if c.Domains == nil {
			c.Domains = []string{}
		}
		c.Config, c.Branding, c.CreatedAt = []byte(plain), []byte(branding), fromMillis(created)
		return c, nil
	}
}

// ssoConnectorRow is the stored form of c's sealed config, domains and
// branding.
func (s *Store) ssoConnectorRow(c store.SSOConnector) (config, domains, branding string, err error) {
	branding = string(c.Branding)
	if branding == "" {
		branding = "{}"
	}
	ds := c.Domains
	if ds == nil {
		ds = []string{}
	}
	d, err := json.Marshal(ds)
	if err != nil {
		return "", "", "", err
	}
	box, err := s.sealer()
	if err == nil {
		config, err = box.SealString(ssoConnectorConfigPurpose(c.ID), string(c.Config))
	}
	return config, string(d), branding, err
}

// CreateSSOConnector stores c.
func (s *Store) CreateSSOConnector(ctx context.Context, c store.SSOConnector) error {
	config, domains, branding, err := s.ssoConnectorRow(c)
	if err == nil {
		err = s.write(ctx, func(t txn) error {
			_, err := t.exec("INSERT INTO sso_connectors ("+ssoConnectorCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
				c.ID, c.ProviderName, c.ConnectorName, config, domains, branding, c.SyncProfile, millis(c.CreatedAt))
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("create SSO connector: %w", err)
	}
	return nil
}

// GetSSOConnector returns the SSO connector with the id.
func (s *Store) GetSSOConnector(ctx context.Context, id string) (store.SSOConnector, error) {
	box, err := s.sealer()
	if err != nil {
		return store.SSOConnector{}, fmt.Errorf("get SSO connector: %w", err)
	}
	return getOne(ctx, s, "get SSO connector", "SSO connector", id, ssoConnectorScanner(box),
		"SELECT "+ssoConnectorCols+" FROM sso_connectors WHERE id = ?", id)
}

// ListSSOConnectors returns a page of the SSO connectors, oldest first.
func (s *Store) ListSSOConnectors(ctx context.Context, page store.Page) ([]store.SSOConnector, int, error) {
	box, err := s.sealer()
	if err != nil {
		return nil, 0, fmt.Errorf("list SSO connectors: %w", err)
	}
	return listPage(ctx, s, "list SSO connectors", nil, ssoConnectorCols, "FROM sso_connectors", "created_at, id", nil, page, ssoConnectorScanner(box))
}

// UpdateSSOConnector replaces a connector's name, config, domains,
// branding and profile flag.
func (s *Store) UpdateSSOConnector(ctx context.Context, c store.SSOConnector) error {
	config, domains, branding, err := s.ssoConnectorRow(c)
	if err == nil {
		err = s.write(ctx, func(t txn) error {
			return t.execOne(notFound("SSO connector", c.ID),
				"UPDATE sso_connectors SET connector_name = ?, config = ?, domains = ?, branding = ?, sync_profile = ? WHERE id = ?",
				c.ConnectorName, config, domains, branding, c.SyncProfile, c.ID)
		})
	}
	if err != nil {
		return fmt.Errorf("update SSO connector: %w", err)
	}
	return nil
}

// DeleteSSOConnector removes an SSO connector.
func (s *Store) DeleteSSOConnector(ctx context.Context, id string) error {
	err := s.write(ctx, func(t txn) error {
		return t.execOne(notFound("SSO connector", id), "DELETE FROM sso_connectors WHERE id = ?", id)
	})
	if err != nil {
		return fmt.Errorf("delete SSO connector: %w", err)
	}
	return nil
}
