-- Organization invitations (Logto's RFC 0003): an invitation of an e-mail
-- address to an organization, by a user or by no one (an API client), its
-- status (Pending, Accepted, Revoked; Expired is written when a new
-- invitation replaces one that expired), and the organization roles the
-- invitee is given on acceptance. One pending invitation per address and
-- organization, the address compared without case. Portable as 00001.

-- +goose Up
CREATE TABLE organization_invitations (
    id               TEXT PRIMARY KEY,
    inviter_id       TEXT REFERENCES users (id) ON DELETE CASCADE,
    invitee          TEXT NOT NULL,
    accepted_user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    organization_id  TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    status           TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL
);
CREATE UNIQUE INDEX organization_invitations_pending ON organization_invitations (organization_id, lower(invitee)) WHERE status = 'Pending';
CREATE INDEX organization_invitations_created_at ON organization_invitations (created_at, id);
CREATE INDEX organization_invitations_inviter ON organization_invitations (inviter_id);
CREATE INDEX organization_invitations_accepted_user ON organization_invitations (accepted_user_id);

CREATE TABLE organization_invitation_roles (
    invitation_id TEXT NOT NULL REFERENCES organization_invitations (id) ON DELETE CASCADE,
    role_id       TEXT NOT NULL REFERENCES organization_roles (id) ON DELETE CASCADE,
    PRIMARY KEY (invitation_id, role_id)
);
CREATE INDEX organization_invitation_roles_role ON organization_invitation_roles (role_id);

-- +goose Down
DROP TABLE organization_invitation_roles;
DROP TABLE organization_invitations;
