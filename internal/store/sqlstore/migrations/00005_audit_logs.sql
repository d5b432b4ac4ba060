-- Audit logs: filterable columns, details in a JSON payload (TEXT).

-- +goose Up
CREATE TABLE audit_logs (
    id             TEXT PRIMARY KEY,
    log_key        TEXT NOT NULL,
    result         TEXT NOT NULL,
    application_id TEXT NOT NULL DEFAULT '',
    user_id        TEXT NOT NULL DEFAULT '',
    payload        TEXT NOT NULL DEFAULT '{}',
    created_at     BIGINT NOT NULL
);
CREATE INDEX audit_logs_created_at ON audit_logs (created_at, id);
CREATE INDEX audit_logs_key ON audit_logs (log_key, created_at);
CREATE INDEX audit_logs_application ON audit_logs (application_id, created_at);
CREATE INDEX audit_logs_user ON audit_logs (user_id, created_at);

-- +goose Down
DROP TABLE audit_logs;
