-- Portable between SQLite and PostgreSQL: TEXT ids, BIGINT Unix epoch
-- milliseconds for times (NULL where a time is optional), BOOLEAN, and BYTEA
-- for binary data (SQLite gives that name NUMERIC affinity, which stores
-- blobs unchanged).

-- +goose Up
CREATE TABLE applications (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    type        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX applications_created_at ON applications (created_at, id);

CREATE TABLE app_secrets (
    app_id     TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    hash       BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    PRIMARY KEY (app_id, name)
);

CREATE TABLE resources (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    indicator        TEXT NOT NULL,
    access_token_ttl INTEGER NOT NULL,
    is_default       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at       BIGINT NOT NULL
);
CREATE UNIQUE INDEX resources_indicator ON resources (indicator);
CREATE INDEX resources_created_at ON resources (created_at, id);
-- At most one default resource.
CREATE UNIQUE INDEX resources_default ON resources (is_default) WHERE is_default;

CREATE TABLE scopes (
    id          TEXT PRIMARY KEY,
    resource_id TEXT NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX scopes_resource_name ON scopes (resource_id, name);
CREATE INDEX scopes_resource_created_at ON scopes (resource_id, created_at, id);

CREATE TABLE roles (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    type        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX roles_name ON roles (name);
CREATE INDEX roles_created_at ON roles (created_at, id);

CREATE TABLE role_scopes (
    role_id  TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    scope_id TEXT NOT NULL REFERENCES scopes (id) ON DELETE CASCADE,
    PRIMARY KEY (role_id, scope_id)
);
-- Serves the cascade from scopes and lookups by scope.
CREATE INDEX role_scopes_scope ON role_scopes (scope_id);

CREATE TABLE role_applications (
    role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    app_id  TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    PRIMARY KEY (role_id, app_id)
);
-- Serves the cascade from applications and ListApplicationRoles.
CREATE INDEX role_applications_app ON role_applications (app_id);

CREATE TABLE signing_keys (
    id          TEXT PRIMARY KEY,
    algorithm   TEXT NOT NULL,
    status      TEXT NOT NULL,
    private_key BYTEA NOT NULL,
    created_at  BIGINT NOT NULL,
    retired_at  BIGINT
);

CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- +goose Down
DROP TABLE settings;
DROP TABLE signing_keys;
DROP TABLE role_applications;
DROP TABLE role_scopes;
DROP TABLE roles;
DROP TABLE scopes;
DROP TABLE resources;
DROP TABLE app_secrets;
DROP TABLE applications;
