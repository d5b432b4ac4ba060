-- Data-encryption keys of the secrets at rest, each wrapped (AES-256-GCM)
-- under the key-encryption key derived from the configured secret key, which
-- the database never holds. The highest id seals new values.

-- +goose Up
CREATE TABLE secret_keys (
    id         INTEGER PRIMARY KEY,
    wrapped    BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE secret_keys;
