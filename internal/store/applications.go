package store

import "context"

// ApplicationStore keeps applications. DeleteApplication also removes
// their secrets and role links.
type ApplicationStore interface {
	CreateApplication(ctx context.Context, app Application) error
	GetApplication(ctx context.Context, id string) (Application, error)
	ListApplications(ctx context.Context, filter ApplicationFilter, page Page) ([]Application, int, error)
	UpdateApplication(ctx context.Context, app Application) error // all but id, type and creation time
	DeleteApplication(ctx context.Context, id string) error
}

// AppSecretStore keeps applications' secrets, addressed by (app id, name).
type AppSecretStore interface {
	CreateAppSecret(ctx context.Context, secret AppSecret) error
	ListAppSecrets(ctx context.Context, appID string) ([]AppSecret, error)
	// UpdateAppSecret renames a secret and/or changes its expiry.
	UpdateAppSecret(ctx context.Context, appID, name string, updated AppSecret) error
	DeleteAppSecret(ctx context.Context, appID, name string) error
}

// ApplicationFilter narrows an application listing.
type ApplicationFilter struct {
	// Types keeps the applications of these types; empty: every type.
	Types []AppType
	// Match is Logto's search, on id, name and description.
	Match Search
	// ExcludeRoleID leaves out the applications holding this role; RoleID
	// keeps only them.
	ExcludeRoleID string
	RoleID        string
	// ExcludeOrganizationID leaves out the members of this organization.
	ExcludeOrganizationID string
}
