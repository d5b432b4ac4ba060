-- Sign-in interactions in progress at the hosted pages: the checked
-- authorization request they resume, their current step, and the hash of
-- the browser cookie they are bound to. Version guards concurrent updates.
-- Portable as 00001.

-- +goose Up
CREATE TABLE interactions (
    id          TEXT PRIMARY KEY,
    client_id   TEXT NOT NULL,
    request     TEXT NOT NULL,
    step        TEXT NOT NULL,
    identifier  TEXT NOT NULL DEFAULT '',
    account_id  TEXT NOT NULL DEFAULT '',
    attempts    INTEGER NOT NULL DEFAULT 0,
    binding     TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX interactions_expires_at ON interactions (expires_at);

-- +goose Down
DROP TABLE interactions;
