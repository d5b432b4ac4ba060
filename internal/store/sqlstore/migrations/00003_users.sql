-- End users, their roles, browser sessions, and what is issued to them:
-- grants, authorization codes, refresh tokens, and the record of access
-- tokens (issued ones, to revoke with their grant; revoked ones, until they
-- expire). Credentials are stored as SHA-256 hashes (hex ids), never as
-- issued. JSON documents are TEXT. Portable as 00001.

-- +goose Up
CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    username       TEXT,
    primary_email  TEXT,
    primary_phone  TEXT,
    name           TEXT NOT NULL DEFAULT '',
    avatar         TEXT NOT NULL DEFAULT '',
    custom_data    TEXT NOT NULL DEFAULT '{}',
    profile        TEXT NOT NULL DEFAULT '{}',
    password_hash  TEXT,
    is_suspended   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    last_sign_in_at BIGINT
);
-- NULLs do not collide, so users without a username etc. are fine.
CREATE UNIQUE INDEX users_username ON users (username);
CREATE UNIQUE INDEX users_primary_email ON users (lower(primary_email));
CREATE UNIQUE INDEX users_primary_phone ON users (primary_phone);
CREATE INDEX users_created_at ON users (created_at, id);

CREATE TABLE user_roles (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, role_id)
);
CREATE INDEX user_roles_role ON user_roles (role_id);

CREATE TABLE sessions (
    id               TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    auth_time        BIGINT NOT NULL,
    sign_in_id       TEXT NOT NULL DEFAULT '',
    identifier_type  TEXT NOT NULL DEFAULT '',
    identifier_value TEXT NOT NULL DEFAULT '',
    created_at       BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE grants (
    id               TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id        TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    scope            TEXT NOT NULL DEFAULT '',
    resources        TEXT NOT NULL DEFAULT '[]',
    auth_time        BIGINT NOT NULL,
    sign_in_id       TEXT NOT NULL DEFAULT '',
    identifier_type  TEXT NOT NULL DEFAULT '',
    identifier_value TEXT NOT NULL DEFAULT '',
    created_at       BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL
);
CREATE INDEX grants_user ON grants (user_id);
CREATE INDEX grants_client ON grants (client_id);
CREATE INDEX grants_expires_at ON grants (expires_at);

CREATE TABLE auth_codes (
    id             TEXT PRIMARY KEY,
    grant_id       TEXT NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
    client_id      TEXT NOT NULL,
    user_id        TEXT NOT NULL,
    redirect_uri   TEXT NOT NULL,
    scope          TEXT NOT NULL DEFAULT '',
    resources      TEXT NOT NULL DEFAULT '[]',
    nonce          TEXT NOT NULL DEFAULT '',
    code_challenge TEXT NOT NULL DEFAULT '',
    auth_time      BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    used_at        BIGINT
);
CREATE INDEX auth_codes_grant ON auth_codes (grant_id);
CREATE INDEX auth_codes_expires_at ON auth_codes (expires_at);

CREATE TABLE refresh_tokens (
    id         TEXT PRIMARY KEY,
    grant_id   TEXT NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
    client_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX refresh_tokens_grant ON refresh_tokens (grant_id);
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);

CREATE TABLE issued_access_tokens (
    jti        TEXT PRIMARY KEY,
    grant_id   TEXT NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL
);
CREATE INDEX issued_access_tokens_grant ON issued_access_tokens (grant_id);
CREATE INDEX issued_access_tokens_expires_at ON issued_access_tokens (expires_at);

CREATE TABLE revoked_access_tokens (
    jti        TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX revoked_access_tokens_expires_at ON revoked_access_tokens (expires_at);

-- +goose Down
DROP TABLE revoked_access_tokens;
DROP TABLE issued_access_tokens;
DROP TABLE refresh_tokens;
DROP TABLE auth_codes;
DROP TABLE grants;
DROP TABLE sessions;
DROP TABLE user_roles;
DROP TABLE users;
