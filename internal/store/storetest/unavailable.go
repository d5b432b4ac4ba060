package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/monban/monban/internal/store"
)

// MistakesAreNotUnavailable checks, on a store whose database serves, that
// a request's own mistakes (a duplicate, a missing row, a cancelled
// request) are errors but never store.ErrUnavailable, which would answer
// the client 503 and ask it to retry.
func MistakesAreNotUnavailable(t *testing.T, s store.Store) {
	t.Helper()
	ctx := t.Context()
	res := store.Resource{ID: "r1", Name: "r", Indicator: "https://r.test", AccessTokenTTL: 60, CreatedAt: time.Now()}
	if err := s.CreateResource(ctx, res); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"duplicate": s.CreateResource(ctx, res),
		"missing":   s.DeleteResource(ctx, "nope"),
	} {
		if err == nil || errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s: %v", name, err)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := s.ListResources(cancelled, store.Page{}); err == nil || errors.Is(err, store.ErrUnavailable) {
		t.Errorf("cancelled request: %v", err)
	}
}
