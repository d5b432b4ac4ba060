-- Pushed authorization requests (RFC 9126): the checked request stored
-- under the SHA-256 of its request_uri's random part, single use, for the
-- client and issuer that pushed it. Subject tokens (impersonation) and
-- personal access tokens, the credentials a token exchange (RFC 8693)
-- takes as its subject, stored by the SHA-256 of their value only. And an
-- application's "require pushed authorization requests". Portable as
-- 00001.

-- +goose Up
CREATE TABLE pushed_auth_requests (
    id         TEXT PRIMARY KEY,
    client_id  TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    issuer     TEXT NOT NULL DEFAULT '',
    request    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX pushed_auth_requests_expires_at ON pushed_auth_requests (expires_at);

CREATE TABLE subject_tokens (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    context     TEXT NOT NULL DEFAULT '{}',
    creator_id  TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    consumed_at BIGINT
);
CREATE INDEX subject_tokens_user ON subject_tokens (user_id);
CREATE INDEX subject_tokens_expires_at ON subject_tokens (expires_at);

CREATE TABLE personal_access_tokens (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    digest     TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    PRIMARY KEY (user_id, name)
);

ALTER TABLE applications ADD COLUMN require_par BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE applications DROP COLUMN require_par;
DROP TABLE personal_access_tokens;
DROP TABLE subject_tokens;
DROP TABLE pushed_auth_requests;
