-- Stronger client authentication and sender-constrained tokens. An
-- application's token endpoint authentication method ('' is the secret
-- methods, as before; 'private_key_jwt' takes signed assertions only), its
-- registered public keys (a JSON array of {id, name, jwk, createdAt,
-- expiresAt}) or the URL of its key set, and whether it must use DPoP. A
-- refresh token bound to a DPoP key keeps the key's thumbprint (''
-- unbound). The single-use record of assertion and DPoP proof ids, shared
-- by every instance, kept until the id's credential expires. Portable as
-- 00001.

-- +goose Up
ALTER TABLE applications ADD COLUMN token_endpoint_auth_method TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN client_keys TEXT NOT NULL DEFAULT '[]';
ALTER TABLE applications ADD COLUMN jwks_uri TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN require_dpop BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE refresh_tokens ADD COLUMN dpop_jkt TEXT NOT NULL DEFAULT '';
CREATE TABLE used_jtis (
    id         TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX used_jtis_expires_at ON used_jtis (expires_at);

-- +goose Down
DROP TABLE used_jtis;
ALTER TABLE refresh_tokens DROP COLUMN dpop_jkt;
ALTER TABLE applications DROP COLUMN require_dpop;
ALTER TABLE applications DROP COLUMN jwks_uri;
ALTER TABLE applications DROP COLUMN client_keys;
ALTER TABLE applications DROP COLUMN token_endpoint_auth_method;
