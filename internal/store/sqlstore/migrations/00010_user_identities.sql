-- Users' accounts at social identity providers (Logto's user identities):
-- one per user and target, and an account at a target belongs to one user.
-- Details is a JSON document (TEXT). Portable as 00001.

-- +goose Up
CREATE TABLE user_identities (
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    target      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    details     TEXT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (user_id, target)
);
CREATE UNIQUE INDEX user_identities_account ON user_identities (target, external_id);

-- +goose Down
DROP TABLE user_identities;
