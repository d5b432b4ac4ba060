-- The hosted pages' interactions carry Logto's interaction event
-- (SignIn, Register, ForgotPassword), the identifier's type and the
-- verification records made so far (JSON); sessions and grants keep the
-- event and records of the sign-in that made them (JSON), for the custom
-- claims scripts' context.interaction. Rows from before have '' (a
-- password sign-in, described by the columns they have). Portable as
-- 00001.

-- +goose Up
ALTER TABLE interactions ADD COLUMN event TEXT NOT NULL DEFAULT '';
ALTER TABLE interactions ADD COLUMN identifier_type TEXT NOT NULL DEFAULT '';
ALTER TABLE interactions ADD COLUMN records TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN interaction TEXT NOT NULL DEFAULT '';
ALTER TABLE grants ADD COLUMN interaction TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE grants DROP COLUMN interaction;
ALTER TABLE sessions DROP COLUMN interaction;
ALTER TABLE interactions DROP COLUMN records;
ALTER TABLE interactions DROP COLUMN identifier_type;
ALTER TABLE interactions DROP COLUMN event;
