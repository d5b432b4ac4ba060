package store

import "context"

// ResourceStore keeps API resources. DeleteResource also removes their
// scopes and those scopes' role links. SetDefaultResource makes id the only
// default (isDefault) or clears it.
type ResourceStore interface {
	CreateResource(ctx context.Context, res Resource) error
	GetResource(ctx context.Context, id string) (Resource, error)
	ListResources(ctx context.Context, page Page) ([]Resource, int, error)
	UpdateResource(ctx context.Context, res Resource) error // name, accessTokenTTL
	DeleteResource(ctx context.Context, id string) error
	SetDefaultResource(ctx context.Context, id string, isDefault bool) error
}

// ScopeStore keeps the scopes of resources. DeleteScope also removes the
// scope's role links.
type ScopeStore interface {
	CreateScope(ctx context.Context, scope Scope) error
	GetScope(ctx context.Context, id string) (Scope, error)
	ListScopes(ctx context.Context, resourceID string, page Page) ([]Scope, int, error)
	// SearchScopes is ListScopes narrowed by Logto's search, on id, name
	// and description.
	SearchScopes(ctx context.Context, resourceID string, match Search, page Page) ([]Scope, int, error)
	UpdateScope(ctx context.Context, scope Scope) error // name, description
	DeleteScope(ctx context.Context, id string) error
}
