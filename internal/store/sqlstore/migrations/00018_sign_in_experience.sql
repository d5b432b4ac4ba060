-- The sign-in experience: one JSON document in Logto's shape, whose rules
-- are internal/experience's. A database without a row answers the
-- defaults until first start stores them. Portable as 00001.

-- +goose Up
CREATE TABLE sign_in_experiences (
    id       TEXT PRIMARY KEY,
    document TEXT NOT NULL
);

-- +goose Down
DROP TABLE sign_in_experiences;
