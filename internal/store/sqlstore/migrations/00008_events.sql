-- The outbox: one row per change, written in the same transaction as the
-- change, that instances, the audit log and webhooks follow by seq. The
-- writes that append rows take turns (see Dialect.LockEvents), each
-- numbering its row one above the highest, so rows commit in seq order.

-- +goose Up
CREATE TABLE events (
    seq        BIGINT PRIMARY KEY,
    kind       TEXT NOT NULL,
    entity     TEXT NOT NULL,
    payload    TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX events_created_at ON events (created_at);

-- +goose Down
DROP TABLE events;
