-- Logto's fields of roles and applications: default roles, an
-- application's custom data, and client metadata that is kept and returned
-- (custom data is a JSON object in TEXT; a TTL of 0 is unset).

-- +goose Up
ALTER TABLE roles ADD COLUMN is_default BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE applications ADD COLUMN custom_data TEXT NOT NULL DEFAULT '{}';
ALTER TABLE applications ADD COLUMN backchannel_logout_uri TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN backchannel_logout_session_required BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE applications ADD COLUMN logo_uri TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN id_token_ttl INTEGER NOT NULL DEFAULT 0;
ALTER TABLE applications ADD COLUMN refresh_token_ttl INTEGER NOT NULL DEFAULT 0;
ALTER TABLE applications ADD COLUMN always_issue_refresh_token BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE applications ADD COLUMN allow_token_exchange BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE applications DROP COLUMN allow_token_exchange;
ALTER TABLE applications DROP COLUMN always_issue_refresh_token;
ALTER TABLE applications DROP COLUMN refresh_token_ttl;
ALTER TABLE applications DROP COLUMN id_token_ttl;
ALTER TABLE applications DROP COLUMN logo_uri;
ALTER TABLE applications DROP COLUMN backchannel_logout_session_required;
ALTER TABLE applications DROP COLUMN backchannel_logout_uri;
ALTER TABLE applications DROP COLUMN custom_data;
ALTER TABLE roles DROP COLUMN is_default;
