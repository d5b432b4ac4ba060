-- Enterprise single sign-on connectors (Logto's sso_connectors): the
-- provider's configuration is sealed (an OIDC client secret lives in it);
-- domains and branding are JSON text. Connector names are unique. Portable
-- as 00001.

-- +goose Up
CREATE TABLE sso_connectors (
    id             TEXT PRIMARY KEY,
    provider_name  TEXT NOT NULL,
    connector_name TEXT NOT NULL UNIQUE,
    config         TEXT NOT NULL,
    domains        TEXT NOT NULL DEFAULT '[]',
    branding       TEXT NOT NULL DEFAULT '{}',
    sync_profile   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     BIGINT NOT NULL
);
CREATE INDEX sso_connectors_created_at ON sso_connectors (created_at, id);

-- +goose Down
DROP TABLE sso_connectors;
