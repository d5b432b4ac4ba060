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
	// PublishDelay, when positive, is how long a new key is published (in
	// every instance's JWKS) before it signs: RotateKey stores it as next,
	// waits, then makes it current. Instances sharing a database need it, so
	// that no token is signed with a key another instance does not publish.
	PublishDelay time.Duration
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
	status := store.KeyCurrent
	if m.PublishDelay > 0 {
		status = store.KeyNext
	}
	next, err := Generate(algorithm, status, m.Now())
	if err != nil {
		return err
	}
	if m.PublishDelay > 0 {
		if err := m.Store.CreateSigningKey(ctx, next); err != nil {
			return err
		}
		if err := m.Reload(ctx); err != nil {
			return err
		}
		// Not cut short by the caller going away: a published next key
		// must still become current.
		time.Sleep(m.PublishDelay)
		ctx = context.WithoutCancel(ctx)
	}
	now := m.Now()
	if err := m.Store.RotateSigningKeys(ctx, next, now, now.Add(-m.Retention())); err != nil {
		return err
	}
	return m.Reload(ctx)
}
