-- Auth0's passwordless OTP grant, allowed per application as Auth0's
-- grant_types say (off for existing applications, as in Auth0), and
-- password-change tickets: the link of a reset e-mail or of the
-- Management API v2's POST /tickets/password-change. Only the SHA-256 of
-- a ticket is stored; used_at makes it single use. Portable as 00001.

-- +goose Up
ALTER TABLE applications ADD COLUMN allow_passwordless_grant BOOLEAN NOT NULL DEFAULT FALSE;
CREATE TABLE password_tickets (
    id                  TEXT PRIMARY KEY,
    hash                TEXT NOT NULL UNIQUE,
    user_id             TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id           TEXT NOT NULL DEFAULT '',
    result_url          TEXT NOT NULL DEFAULT '',
    mark_email_verified BOOLEAN NOT NULL DEFAULT FALSE,
    include_email       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at          BIGINT NOT NULL,
    expires_at          BIGINT NOT NULL,
    used_at             BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX password_tickets_expires_at ON password_tickets (expires_at);
CREATE INDEX password_tickets_user_id ON password_tickets (user_id);

-- +goose Down
DROP TABLE password_tickets;
ALTER TABLE applications DROP COLUMN allow_passwordless_grant;
