-- Device authorization (RFC 8628): a device's request, stored under the
-- SHA-256 of its device_code, and found at the verification page by a
-- keyed hash of its user code. It is pending until the person who entered
-- the user code allows it (with the grant made then) or denies it; the
-- device's polls record when they came and the interval they must keep;
-- it is redeemed once. And an application's "uses the device flow"
-- (Logto's customClientMetadata.isDeviceFlow). An authorization code
-- bound to a DPoP key (RFC 9449 §10's dpop_jkt) keeps the key's
-- thumbprint ('' unbound). Portable as 00001.

-- +goose Up
CREATE TABLE device_authorizations (
    id             TEXT PRIMARY KEY,
    user_code      TEXT NOT NULL UNIQUE,
    client_id      TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    issuer         TEXT NOT NULL DEFAULT '',
    scope          TEXT NOT NULL DEFAULT '',
    resources      TEXT NOT NULL DEFAULT '[]',
    status         TEXT NOT NULL DEFAULT 'pending',
    user_id        TEXT NOT NULL DEFAULT '',
    grant_id       TEXT NOT NULL DEFAULT '',
    poll_interval  INTEGER NOT NULL,
    last_polled_at BIGINT,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    used_at        BIGINT
);
CREATE INDEX device_authorizations_expires_at ON device_authorizations (expires_at);

ALTER TABLE applications ADD COLUMN is_device_flow BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE auth_codes ADD COLUMN dpop_jkt TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE auth_codes DROP COLUMN dpop_jkt;
ALTER TABLE applications DROP COLUMN is_device_flow;
DROP TABLE device_authorizations;
