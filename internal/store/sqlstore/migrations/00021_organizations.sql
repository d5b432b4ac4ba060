-- Organizations (Logto's model): the organizations, the template shared by
-- all of them (organization scopes and organization roles, the roles
-- granting organization scopes and API resources' scopes), members (users
-- and machine-to-machine applications), each member's organization roles,
-- and just-in-time provisioning (e-mail domains and the roles given with
-- them). A member's roles go with its membership through the composite
-- foreign key. JSON documents are TEXT. Portable as 00001.

-- +goose Up
CREATE TABLE organizations (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    custom_data     TEXT NOT NULL DEFAULT '{}',
    branding        TEXT NOT NULL DEFAULT '{}',
    color           TEXT NOT NULL DEFAULT '{}',
    custom_css      TEXT NOT NULL DEFAULT '',
    is_mfa_required BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      BIGINT NOT NULL
);
CREATE INDEX organizations_created_at ON organizations (created_at, id);

CREATE TABLE organization_scopes (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX organization_scopes_name ON organization_scopes (name);

CREATE TABLE organization_roles (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    type        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX organization_roles_name ON organization_roles (name);

CREATE TABLE organization_role_scopes (
    role_id  TEXT NOT NULL REFERENCES organization_roles (id) ON DELETE CASCADE,
    scope_id TEXT NOT NULL REFERENCES organization_scopes (id) ON DELETE CASCADE,
    PRIMARY KEY (role_id, scope_id)
);
CREATE INDEX organization_role_scopes_scope ON organization_role_scopes (scope_id);

CREATE TABLE organization_role_resource_scopes (
    role_id  TEXT NOT NULL REFERENCES organization_roles (id) ON DELETE CASCADE,
    scope_id TEXT NOT NULL REFERENCES scopes (id) ON DELETE CASCADE,
    PRIMARY KEY (role_id, scope_id)
);
CREATE INDEX organization_role_resource_scopes_scope ON organization_role_resource_scopes (scope_id);

CREATE TABLE organization_users (
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX organization_users_user ON organization_users (user_id);

CREATE TABLE organization_user_roles (
    organization_id TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    role_id         TEXT NOT NULL REFERENCES organization_roles (id) ON DELETE CASCADE,
    PRIMARY KEY (organization_id, user_id, role_id),
    FOREIGN KEY (organization_id, user_id) REFERENCES organization_users (organization_id, user_id) ON DELETE CASCADE
);
CREATE INDEX organization_user_roles_role ON organization_user_roles (role_id);

CREATE TABLE organization_applications (
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    application_id  TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (organization_id, application_id)
);
CREATE INDEX organization_applications_application ON organization_applications (application_id);

CREATE TABLE organization_application_roles (
    organization_id TEXT NOT NULL,
    application_id  TEXT NOT NULL,
    role_id         TEXT NOT NULL REFERENCES organization_roles (id) ON DELETE CASCADE,
    PRIMARY KEY (organization_id, application_id, role_id),
    FOREIGN KEY (organization_id, application_id) REFERENCES organization_applications (organization_id, application_id) ON DELETE CASCADE
);
CREATE INDEX organization_application_roles_role ON organization_application_roles (role_id);

CREATE TABLE organization_jit_email_domains (
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email_domain    TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (organization_id, email_domain)
);
CREATE INDEX organization_jit_email_domains_domain ON organization_jit_email_domains (email_domain);

CREATE TABLE organization_jit_roles (
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    role_id         TEXT NOT NULL REFERENCES organization_roles (id) ON DELETE CASCADE,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (organization_id, role_id)
);

-- +goose Down
DROP TABLE organization_jit_roles;
DROP TABLE organization_jit_email_domains;
DROP TABLE organization_application_roles;
DROP TABLE organization_applications;
DROP TABLE organization_user_roles;
DROP TABLE organization_users;
DROP TABLE organization_role_resource_scopes;
DROP TABLE organization_role_scopes;
DROP TABLE organization_roles;
DROP TABLE organization_scopes;
DROP TABLE organizations;
