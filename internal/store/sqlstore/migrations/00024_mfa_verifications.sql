-- Users' second factors (Logto's MFA verifications): one row per factor a
-- user has bound. Type is Logto's factor type (Totp, BackupCode,
-- WebAuthn); data is a sealed JSON document whose shape belongs to the
-- type (a TOTP secret and the last step used, hashed backup codes, a
-- WebAuthn credential). They go with their user. Portable as 00001.

-- +goose Up
CREATE TABLE user_mfa_verifications (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    type         TEXT NOT NULL,
    name         TEXT NOT NULL DEFAULT '',
    data         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX user_mfa_verifications_user ON user_mfa_verifications (user_id);

-- +goose Down
DROP TABLE user_mfa_verifications;
