-- Whether a user's primary e-mail address is verified. Addresses written
-- before this column count as verified (an administrator set them, or
-- they came from a sign-up that could not be told apart); a user without
-- an address has FALSE. Portable as 00001.

-- +goose Up
ALTER TABLE users ADD COLUMN email_verified BOOLEAN NOT NULL DEFAULT TRUE;
UPDATE users SET email_verified = FALSE WHERE primary_email IS NULL;

-- +goose Down
ALTER TABLE users DROP COLUMN email_verified;
