package store

import (
	"context"
	"time"
)

// SSOConnector is an enterprise single sign-on connector, with Logto's
// fields. ProviderName names its kind ("SAML", "OIDC", "AzureAD",
// "GoogleWorkspace", "Okta"); Config is the provider's JSON configuration
// and holds secrets (an OIDC client secret), so the store keeps it sealed.
// Domains are the e-mail domains it signs in (lower case); Branding is
// Logto's branding object as JSON ("{}" when unset).
type SSOConnector struct {
	ID            string
	ProviderName  string
	ConnectorName string
	Config        []byte
	Domains       []string
	Branding      []byte
	SyncProfile   bool
	CreatedAt     time.Time
}

// SSOConnectorStore keeps enterprise SSO connectors.
type SSOConnectorStore interface {
	// CreateSSOConnector stores c. ErrConflict: the id or the connector
	// name is taken.
	CreateSSOConnector(ctx context.Context, c SSOConnector) error
	GetSSOConnector(ctx context.Context, id string) (SSOConnector, error)
	// ListSSOConnectors returns a page of the connectors, oldest first,
	// and how many there are in all.
	ListSSOConnectors(ctx context.Context, page Page) ([]SSOConnector, int, error)
	// UpdateSSOConnector replaces the name, config, domains, branding and
	// profile flag. ErrNotFound: no such connector; ErrConflict: the name
	// is another connector's.
	UpdateSSOConnector(ctx context.Context, c SSOConnector) error
	DeleteSSOConnector(ctx context.Context, id string) error
}
