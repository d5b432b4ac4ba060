package store

import "context"

// CatalogStore reads the catalog (see Catalog).
type CatalogStore interface {
	// LoadCatalog reads everything the token endpoint needs, consistently.
	LoadCatalog(ctx context.Context) (*Catalog, error)
}
