-- OIDC client metadata and per-app token settings of applications that sign
-- users in. Lists are JSON arrays in TEXT.

-- +goose Up
ALTER TABLE applications ADD COLUMN redirect_uris TEXT NOT NULL DEFAULT '[]';
ALTER TABLE applications ADD COLUMN post_logout_redirect_uris TEXT NOT NULL DEFAULT '[]';
ALTER TABLE applications ADD COLUMN cors_allowed_origins TEXT NOT NULL DEFAULT '[]';
ALTER TABLE applications ADD COLUMN rotate_refresh_token BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE applications ADD COLUMN refresh_token_ttl_days INTEGER NOT NULL DEFAULT 14;
ALTER TABLE applications ADD COLUMN allow_password_grant BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE applications DROP COLUMN allow_password_grant;
ALTER TABLE applications DROP COLUMN refresh_token_ttl_days;
ALTER TABLE applications DROP COLUMN rotate_refresh_token;
ALTER TABLE applications DROP COLUMN cors_allowed_origins;
ALTER TABLE applications DROP COLUMN post_logout_redirect_uris;
ALTER TABLE applications DROP COLUMN redirect_uris;
