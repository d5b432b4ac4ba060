-- One-time codes and their delivery. A code is stored as an HMAC under its
-- row's salt; its key is a hash of what it was sent for (purpose, channel,
-- address, binding), one code per key. code_sends records each send for
-- the resend throttle, under hashes of the address and the client address.
-- connectors are Logto's message connectors, their config sealed (it holds
-- passwords and tokens); email_templates are Logto's templates per language
-- and type. connector_messages is the outbox of messages to send, leased to
-- one instance at a time like webhook deliveries; its payload holds a code,
-- so it is sealed and emptied once the message is finished. Portable as
-- 00001.

-- +goose Up
CREATE TABLE verification_codes (
    id         TEXT PRIMARY KEY,
    code_key   TEXT NOT NULL UNIQUE,
    salt       BYTEA NOT NULL,
    hash       BYTEA NOT NULL,
    tries      BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX verification_codes_expires_at ON verification_codes (expires_at);

CREATE TABLE code_sends (
    id         TEXT PRIMARY KEY,
    target     TEXT NOT NULL,
    client_ip  TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX code_sends_target ON code_sends (target, created_at);
CREATE INDEX code_sends_client_ip ON code_sends (client_ip, created_at);
CREATE INDEX code_sends_expires_at ON code_sends (expires_at);

CREATE TABLE connectors (
    id                   TEXT PRIMARY KEY,
    connector_id         TEXT NOT NULL,
    config               TEXT NOT NULL,
    metadata             TEXT NOT NULL DEFAULT '{}',
    sync_profile         BOOLEAN NOT NULL DEFAULT FALSE,
    enable_token_storage BOOLEAN NOT NULL DEFAULT FALSE,
    created_at           BIGINT NOT NULL
);
CREATE INDEX connectors_created_at ON connectors (created_at, id);

CREATE TABLE email_templates (
    id            TEXT PRIMARY KEY,
    language_tag  TEXT NOT NULL,
    template_type TEXT NOT NULL,
    details       TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    UNIQUE (language_tag, template_type)
);
CREATE INDEX email_templates_created_at ON email_templates (created_at, id);

CREATE TABLE connector_messages (
    id          TEXT PRIMARY KEY,
    channel     TEXT NOT NULL,
    payload     TEXT NOT NULL,
    state       TEXT NOT NULL,
    attempts    BIGINT NOT NULL DEFAULT 0,
    last_error  TEXT NOT NULL DEFAULT '',
    next_at     BIGINT NOT NULL,
    lease_owner TEXT NOT NULL DEFAULT '',
    lease_until BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX connector_messages_due ON connector_messages (state, next_at);
CREATE INDEX connector_messages_created_at ON connector_messages (created_at);

-- +goose Down
DROP TABLE connector_messages;
DROP TABLE email_templates;
DROP TABLE connectors;
DROP TABLE code_sends;
DROP TABLE verification_codes;
