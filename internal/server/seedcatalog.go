package server

import (
	"context"

	"github.com/monban/monban/internal/store"
)

// seedStore is the store as seeding sees it: each step of the seeding
// reads the catalog, and on a start with nothing to seed every one of
// those reads would load the same rows (and open the same signing keys)
// again. It keeps the catalog it loaded and gives it out again as long as
// the outbox's newest event is the one it was loaded at: every write that
// changes the catalog appends an event in its own transaction, so an
// unchanged sequence number means an unchanged catalog. The catalog given
// out is shared, and read only, as every reader of LoadCatalog treats it.
type seedStore struct {
	store.Store
	cat *store.Catalog
	seq int64
}

func (s *seedStore) LoadCatalog(ctx context.Context) (*store.Catalog, error) {
	seq, err := s.LastEventSeq(ctx)
	if err != nil {
		return nil, err
	}
	if s.cat != nil && seq == s.seq {
		return s.cat, nil
	}
	cat, err := s.Store.LoadCatalog(ctx)
	if err != nil {
		return nil, err
	}
	s.cat, s.seq = cat, seq
	return cat, nil
}
