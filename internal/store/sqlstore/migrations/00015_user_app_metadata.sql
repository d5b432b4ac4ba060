-- Auth0's app_metadata (a JSON object the user cannot change, only the
-- Management API) and the number of the user's sign-ins (Auth0's
-- logins_count). Portable as 00001.

-- +goose Up
ALTER TABLE users ADD COLUMN app_metadata TEXT NOT NULL DEFAULT '{}';
ALTER TABLE users ADD COLUMN logins_count BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE users DROP COLUMN logins_count;
ALTER TABLE users DROP COLUMN app_metadata;
