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
	AddRoleApplications(ctx context.Context, roleID string, appIDs []string) error
	RemoveRoleApplication(ctx context.Context, roleID, appID string) error
	ListRoleApplications(ctx context.Context, roleID string, page Page) ([]Application, int, error)
	ListApplicationRoles(ctx context.Context, appID string, page Page) ([]Role, int, error)
}
