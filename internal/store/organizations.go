package store

import (
	"context"
	"time"
)

// Organization is a customer's organization, as in Logto: members (users
// and machine-to-machine applications) hold organization roles in it,
// taken from the template of organization roles and scopes that every
// organization shares.
type Organization struct {
	ID          string
	Name        string
	Description string // "" is unset
	// CustomData, Branding (logoUrl, darkLogoUrl, favicon, darkFavicon)
	// and Color (primaryColor, isDarkModeEnabled, darkPrimaryColor) are
	// JSON objects; empty is nil.
	CustomData    map[string]any
	Branding      map[string]any
	Color         map[string]any
	CustomCSS     string // "" is unset
	IsMFARequired bool
	CreatedAt     time.Time
}

// OrganizationScope is a permission of the organization template.
type OrganizationScope struct {
	ID          string
	Name        string
	Description string // "" is unset
	CreatedAt   time.Time
}

// OrganizationRole is a role of the organization template. Its Type says
// who may hold it (RoleType.GivenTo), as for roles.
type OrganizationRole struct {
	ID          string
	Name        string
	Description string // "" is unset
	Type        RoleType
	CreatedAt   time.Time
}

// OrganizationScopeKind names the two kinds of scopes an organization
// role grants.
type OrganizationScopeKind int

const (
	// OrganizationScopes are the template's own scopes.
	OrganizationScopes OrganizationScopeKind = iota
	// ResourceScopes are API resources' scopes.
	ResourceScopes
)

// OrganizationFilter narrows a list of organizations.
type OrganizationFilter struct {
	// Match is Logto's search, on id and name.
	Match Search
}

// OrganizationUserFilter narrows a list of an organization's users.
type OrganizationUserFilter struct {
	// Match is Logto's user search.
	Match Search
	// RoleID keeps only the users holding this organization role there.
	RoleID string
}

// MemberOrganization is an organization a member belongs to, with the
// roles it holds there.
type MemberOrganization struct {
	Organization Organization
	Roles        []OrganizationRole
}

// OrganizationRoleGrants are the scopes of each kind an organization role
// grants.
type OrganizationRoleGrants struct {
	Scopes         []OrganizationScope
	ResourceScopes []Scope
}

// OrganizationStore keeps organizations, their template, members, the
// members' roles and just-in-time provisioning. Deleting an organization,
// a role, a scope, a user or an application removes every link to it;
// removing a member removes its roles in that organization. Add* are
// all-or-nothing: ErrNotFound when any id is unknown (or, for member
// roles, is no member); links that exist already are left as they are.
// Lists are ordered by creation time, then id.
type OrganizationStore interface {
	OrganizationInvitationStore

	CreateOrganization(ctx context.Context, org Organization) error
	GetOrganization(ctx context.Context, id string) (Organization, error)
	ListOrganizations(ctx context.Context, filter OrganizationFilter, page Page) ([]Organization, int, error)
	UpdateOrganization(ctx context.Context, org Organization) error
	DeleteOrganization(ctx context.Context, id string) error

	CreateOrganizationScope(ctx context.Context, scope OrganizationScope) error
	GetOrganizationScope(ctx context.Context, id string) (OrganizationScope, error)
	ListOrganizationScopes(ctx context.Context, match Search, page Page) ([]OrganizationScope, int, error)
	UpdateOrganizationScope(ctx context.Context, scope OrganizationScope) error
	DeleteOrganizationScope(ctx context.Context, id string) error

	// CreateOrganizationRole creates role granting scopeIDs and
	// resourceScopeIDs, all or nothing.
	CreateOrganizationRole(ctx context.Context, role OrganizationRole, scopeIDs, resourceScopeIDs []string) error
	GetOrganizationRole(ctx context.Context, id string) (OrganizationRole, error)
	ListOrganizationRoles(ctx context.Context, match Search, page Page) ([]OrganizationRole, int, error)
	// FindOrganizationRolesByName returns the roles with these names.
	FindOrganizationRolesByName(ctx context.Context, names []string) ([]OrganizationRole, error)
	UpdateOrganizationRole(ctx context.Context, role OrganizationRole) error // name, description
	DeleteOrganizationRole(ctx context.Context, id string) error
	AddOrganizationRoleScopes(ctx context.Context, roleID string, kind OrganizationScopeKind, ids []string) error
	ReplaceOrganizationRoleScopes(ctx context.Context, roleID string, kind OrganizationScopeKind, ids []string) error
	RemoveOrganizationRoleScope(ctx context.Context, roleID string, kind OrganizationScopeKind, id string) error
	ListOrganizationRoleScopes(ctx context.Context, roleID string, page Page) ([]OrganizationScope, int, error)
	ListOrganizationRoleResourceScopes(ctx context.Context, roleID string, page Page) ([]Scope, int, error)
	// OrganizationRoleGrants returns what each of roleIDs grants, in a
	// fixed number of queries.
	OrganizationRoleGrants(ctx context.Context, roleIDs []string) (map[string]OrganizationRoleGrants, error)

	// Members: h says whether ids are users or applications.
	AddOrganizationMembers(ctx context.Context, orgID string, h Holder, ids []string) error
	ReplaceOrganizationMembers(ctx context.Context, orgID string, h Holder, ids []string) error
	RemoveOrganizationMember(ctx context.Context, orgID string, h Holder, id string) error
	IsOrganizationMember(ctx context.Context, orgID string, h Holder, id string) (bool, error)
	ListOrganizationUsers(ctx context.Context, orgID string, filter OrganizationUserFilter, page Page) ([]User, int, error)
	ListOrganizationApplications(ctx context.Context, orgID string, match Search, page Page) ([]Application, int, error)
	// AddOrganizationMemberRoles gives every role to every member.
	AddOrganizationMemberRoles(ctx context.Context, orgID string, h Holder, memberIDs, roleIDs []string) error
	ReplaceOrganizationMemberRoles(ctx context.Context, orgID string, h Holder, memberID string, roleIDs []string) error
	RemoveOrganizationMemberRole(ctx context.Context, orgID string, h Holder, memberID, roleID string) error
	ListOrganizationMemberRoles(ctx context.Context, orgID string, h Holder, memberID string, page Page) ([]OrganizationRole, int, error)
	// OrganizationMembersRoles returns the roles each of memberIDs holds
	// in the organization, in a fixed number of queries.
	OrganizationMembersRoles(ctx context.Context, orgID string, h Holder, memberIDs []string) (map[string][]OrganizationRole, error)
	// MemberOrganizations lists every organization the member belongs to,
	// with its roles there. An unknown member has none.
	MemberOrganizations(ctx context.Context, h Holder, memberID string) ([]MemberOrganization, error)

	// Just-in-time provisioning.
	AddOrganizationEmailDomain(ctx context.Context, orgID, domain string) error
	ReplaceOrganizationEmailDomains(ctx context.Context, orgID string, domains []string) error
	RemoveOrganizationEmailDomain(ctx context.Context, orgID, domain string) error
	ListOrganizationEmailDomains(ctx context.Context, orgID string, page Page) ([]string, int, error)
	AddOrganizationJITRoles(ctx context.Context, orgID string, roleIDs []string) error
	ReplaceOrganizationJITRoles(ctx context.Context, orgID string, roleIDs []string) error
	RemoveOrganizationJITRole(ctx context.Context, orgID, roleID string) error
	ListOrganizationJITRoles(ctx context.Context, orgID string, page Page) ([]OrganizationRole, int, error)
	// OrganizationsForEmailDomain lists the ids of the organizations that
	// provision users of domain (lower case), oldest first.
	OrganizationsForEmailDomain(ctx context.Context, domain string) ([]string, error)
}
