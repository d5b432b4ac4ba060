-- Audit logs name who made a change (the actor: a user or an application,
-- with its name at the time) apart from what it changed (the target).
-- application_id and user_id keep Logto's meaning: the client and the user
-- the request came from. Portable as 00001.

-- +goose Up
ALTER TABLE audit_logs ADD COLUMN actor_type TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_logs ADD COLUMN actor_id TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_logs ADD COLUMN actor_name TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_logs ADD COLUMN target_type TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_logs ADD COLUMN target_id TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE audit_logs DROP COLUMN target_id;
ALTER TABLE audit_logs DROP COLUMN target_type;
ALTER TABLE audit_logs DROP COLUMN actor_name;
ALTER TABLE audit_logs DROP COLUMN actor_id;
ALTER TABLE audit_logs DROP COLUMN actor_type;
