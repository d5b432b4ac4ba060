-- Custom JWT claims scripts, one per token type. JSON documents are TEXT.

-- +goose Up
CREATE TABLE jwt_customizers (
    token_type              TEXT PRIMARY KEY,
    script                  TEXT NOT NULL,
    environment_variables   TEXT NOT NULL DEFAULT '{}',
    context_sample          TEXT,
    token_sample            TEXT,
    block_issuance_on_error BOOLEAN NOT NULL DEFAULT FALSE,
    created_at              BIGINT NOT NULL,
    updated_at              BIGINT NOT NULL
);

-- +goose Down
DROP TABLE jwt_customizers;
