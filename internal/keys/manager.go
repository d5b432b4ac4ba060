package keys

import (
	"context"
	"time"

	"github.com/monban/monban/internal/store"
)

// Manager creates and rotates the stored signing keys.
type Manager struct {
	Store store.Store
	// Reload makes a change visible to the token endpoint before the call
	// that made it returns.
	Reload func(ctx context.Context) error
	// Retention is how long a retired key stays published: the longest
	// lifetime of a token it may have signed. Called at each rotation.
	Retention func() time.Duration
	Now       func() time.Time
}

// Ensure creates a current key with the default algorithm if there is none.
func (m *Manager) Ensure(ctx context.Context) error {
	stored, err := m.Store.ListSigningKeys(ctx)
	if err != nil {
		return err
	}
	for _, k := range stored {
		if k.Status == store.KeyCurrent {
			return nil
		}
	}
	k, err := Generate(DefaultAlgorithm, store.KeyCurrent, m.Now())
	if err != nil {
		return err
	}
	return m.Store.CreateSigningKey(ctx, k)
}

// ListKeys returns the stored keys.
func (m *Manager) ListKeys(ctx context.Context) ([]store.SigningKey, error) {
	return m.Store.ListSigningKeys(ctx)
}

// RotateKey makes a new current key with algorithm ("" keeps the current
// key's algorithm). The old current key stays published as previous until
// every token it signed has expired; older previous keys are dropped.
func (m *Manager) RotateKey(ctx context.Context, algorithm string) error {
	if algorithm == "" {
		algorithm = DefaultAlgorithm
		stored, err := m.Store.ListSigningKeys(ctx)
		if err != nil {
			return err
		}
		var newest time.Time
		for _, k := range stored {
			if k.Status == store.KeyCurrent && !k.CreatedAt.Before(newest) {
				algorithm, newest = k.Algorithm, k.CreatedAt
			}
		}
	}
	if !Supported(algorithm) {
		return ErrUnsupportedAlgorithm
	}
	now := m.Now()
	next, err := Generate(algorithm, store.KeyCurrent, now)
	if err != nil {
		return err
	}
	if err := m.Store.RotateSigningKeys(ctx, next, now, now.Add(-m.Retention())); err != nil {
		return err
	}
	return m.Reload(ctx)
}
