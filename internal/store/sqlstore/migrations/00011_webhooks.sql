-- Webhooks (Logto's hooks): the hooks, the deliveries planned from the
-- outbox, and every attempt at one. The signing key is sealed. Bodies are
-- the exact JSON sent (TEXT). The cursor is the seq of the last outbox event
-- turned into deliveries; it starts at the newest event, so a database that
-- gains webhooks does not replay its history. A delivery is leased to one
-- instance at a time (lease_owner until lease_until). Portable as 00001.

-- +goose Up
CREATE TABLE hooks (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL DEFAULT '',
    event       TEXT NOT NULL DEFAULT '',
    events      TEXT NOT NULL DEFAULT '[]',
    url         TEXT NOT NULL,
    headers     TEXT NOT NULL DEFAULT '{}',
    retries     BIGINT,
    signing_key TEXT NOT NULL,
    enabled     BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  BIGINT NOT NULL
);
CREATE INDEX hooks_created_at ON hooks (created_at, id);

CREATE TABLE webhook_deliveries (
    id          TEXT PRIMARY KEY,
    hook_id     TEXT NOT NULL REFERENCES hooks (id) ON DELETE CASCADE,
    event       TEXT NOT NULL,
    body        TEXT NOT NULL,
    state       TEXT NOT NULL,
    attempts    BIGINT NOT NULL DEFAULT 0,
    next_at     BIGINT NOT NULL,
    lease_owner TEXT NOT NULL DEFAULT '',
    lease_until BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_at);
CREATE INDEX webhook_deliveries_updated ON webhook_deliveries (updated_at);

CREATE TABLE webhook_attempts (
    id          TEXT PRIMARY KEY,
    hook_id     TEXT NOT NULL REFERENCES hooks (id) ON DELETE CASCADE,
    delivery_id TEXT NOT NULL DEFAULT '',
    event       TEXT NOT NULL,
    body        TEXT NOT NULL,
    status      BIGINT NOT NULL DEFAULT 0,
    response    TEXT NOT NULL DEFAULT '',
    error       TEXT NOT NULL DEFAULT '',
    success     BOOLEAN NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX webhook_attempts_hook ON webhook_attempts (hook_id, created_at);
CREATE INDEX webhook_attempts_created_at ON webhook_attempts (created_at);

CREATE TABLE webhook_cursor (
    id  BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL
);
INSERT INTO webhook_cursor (id, seq) SELECT 1, COALESCE(MAX(seq), 0) FROM events;

-- +goose Down
DROP TABLE webhook_cursor;
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE hooks;
