-- The issuer (Logto's {endpoint}/oidc or Auth0's {endpoint}/) whose
-- authorization endpoint started a sign-in interaction or issued an
-- authorization code: the sign-in resumes on that face and only its token
-- endpoint redeems the code. Rows from before are Logto's (''), the only
-- face there was. Portable as 00001.

-- +goose Up
ALTER TABLE interactions ADD COLUMN issuer TEXT NOT NULL DEFAULT '';
ALTER TABLE auth_codes ADD COLUMN issuer TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE auth_codes DROP COLUMN issuer;
ALTER TABLE interactions DROP COLUMN issuer;
