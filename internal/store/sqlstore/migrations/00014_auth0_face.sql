-- Two faces, one server. The issuer (Logto's {endpoint}/oidc or Auth0's
-- {endpoint}/) whose authorization endpoint started a sign-in interaction
-- or issued an authorization code: the sign-in resumes on that face and
-- only its token endpoint redeems the code. Rows from before are Logto's
-- (''), the only face there was. And Auth0's two per-API settings on a
-- resource: "Enable RBAC" (stored inverted, so that existing resources keep
-- enforcing roles) and "Add Permissions in the Access Token". Portable as
-- 00001.

-- +goose Up
ALTER TABLE interactions ADD COLUMN issuer TEXT NOT NULL DEFAULT '';
ALTER TABLE auth_codes ADD COLUMN issuer TEXT NOT NULL DEFAULT '';
ALTER TABLE resources ADD COLUMN rbac_disabled BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE resources ADD COLUMN permissions_claim BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE resources DROP COLUMN permissions_claim;
ALTER TABLE resources DROP COLUMN rbac_disabled;
ALTER TABLE auth_codes DROP COLUMN issuer;
ALTER TABLE interactions DROP COLUMN issuer;
