package store

import "context"

// RoleStore keeps roles and their links to scopes and applications (the
// links to users are in UserAccountStore). DeleteRole also removes its
// links.
type RoleStore interface {
	CreateRole(ctx context.Context, role Role) error
	GetRole(ctx context.Context, id string) (Role, error)
	ListRoles(ctx context.Context, filter RoleFilter, page Page) ([]Role, int, error)
	UpdateRole(ctx context.Context, role Role) error // name, description, isDefault
	// ListDefaultRoles returns every role of roleType marked default,
	// oldest first.
	ListDefaultRoles(ctx context.Context, roleType RoleType) ([]Role, error)
	DeleteRole(ctx context.Context, id string) error

	// Role links. Add* are all-or-nothing: ErrNotFound if any id is unknown;
	// links that already exist are left as they are.
	AddRoleScopes(ctx context.Context, roleID string, scopeIDs []string) error
	RemoveRoleScope(ctx context.Context, roleID, scopeID string) error
	ListRoleScopes(ctx context.Context, roleID string, page Page) ([]Scope, int, error)
	// SearchRoleScopes is ListRoleScopes narrowed by Logto's search, on id,
	// name and description.
	SearchRoleScopes(ctx context.Context, roleID string, match Search, page Page) ([]Scope, int, error)
	AddRoleApplications(ctx context.Context, roleID string, appIDs []string) error
	RemoveRoleApplication(ctx context.Context, roleID, appID string) error
	ListRoleApplications(ctx context.Context, roleID string, page Page) ([]Application, int, error)
	ListApplicationRoles(ctx context.Context, appID string, page Page) ([]Role, int, error)

	// RoleHolders sums up who holds each of roleIDs: how many users and
	// applications, and the first featured of each (oldest first). A role
	// no one holds, or that does not exist, is missing from the map. It
	// asks a fixed number of queries whatever the number of roles.
	RoleHolders(ctx context.Context, roleIDs []string, featured int) (map[string]RoleHolders, error)
}

// RoleHolders is who holds a role, in short.
type RoleHolders struct {
	UsersCount           int
	FeaturedUsers        []FeaturedUser
	ApplicationsCount    int
	FeaturedApplications []FeaturedApplication
}

// FeaturedUser is what a role list shows of one of the role's users.
type FeaturedUser struct {
	ID, Name, Avatar string
}

// FeaturedApplication is what a role list shows of one of the role's
// applications.
type FeaturedApplication struct {
	ID, Name string
	Type     AppType
}
