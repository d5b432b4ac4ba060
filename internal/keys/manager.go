package keys

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/monban/monban/internal/clock"
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
	// Clock tells the time and runs the delayed promotion; nil means
	// clock.System.
	Clock clock.Clock
	// PublishDelay, when positive, is how long a new key is published (in
	// every instance's JWKS) before it signs: RotateKey stores it as next
	// and returns; every instance starts signing with it once the delay has
	// passed, and this one then records it as current. Verifiers cache
	// JWKS and refetch only so often (jose: at most every 30 s), so a key
	// that signed at once could be refused for a while.
	PublishDelay time.Duration
	// Background bounds the work RotateKey leaves running; Wait waits for
	// it to end.
	Background context.Context
	// Logger reports what fails in the background.
	Logger *slog.Logger
	// Algorithm, when set, is the algorithm of the first key and of
	// rotations that name none. Empty: the first key is DefaultAlgorithm
	// and a rotation naming none keeps the current key's.
	Algorithm string

	promotions sync.WaitGroup
}

// Wait waits for the promotions RotateKey left running; they end when
// Background does.
func (m *Manager) Wait() { m.promotions.Wait() }

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
	alg := m.Algorithm
	if alg == "" {
		alg = DefaultAlgorithm
	}
	k, err := Generate(alg, store.KeyCurrent, m.now())
	if err != nil {
		return err
	}
	return m.Store.CreateSigningKey(ctx, k)
}

// ListKeys returns the stored keys.
func (m *Manager) ListKeys(ctx context.Context) ([]store.SigningKey, error) {
	return m.Store.ListSigningKeys(ctx)
}

// RotateKey makes a new current key with algorithm ("": the manager's
// Algorithm when set, else the current key's). The old current key stays
// published as previous until every token it signed has expired; older
// previous keys are dropped.
func (m *Manager) RotateKey(ctx context.Context, algorithm string) error {
	if algorithm == "" {
		algorithm = m.Algorithm
	}
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
	now := m.now()
	if m.PublishDelay <= 0 {
		next, err := Generate(algorithm, store.KeyCurrent, now)
		if err != nil {
			return err
		}
		if err := m.Store.RotateSigningKeys(ctx, next, now, now.Add(-m.Retention())); err != nil {
			return err
		}
		return m.Reload(ctx)
	}
	if err := m.settle(ctx); err != nil {
		return err
	}
	next, err := Generate(algorithm, store.KeyNext, now)
	if err != nil {
		return err
	}
	if err := m.Store.CreateSigningKey(ctx, next); err != nil {
		return err
	}
	if err := m.Reload(ctx); err != nil {
		return err
	}
	m.promotions.Go(func() { m.promoteLater(next) })
	return nil
}

// promoteLater records next as current once its publish delay has passed.
// Instances sign with it from then on whether or not this happens (see
// NewSet); the record keeps the statuses honest and retires the old key.
func (m *Manager) promoteLater(next store.SigningKey) {
	bg := m.Background
	if bg == nil {
		bg = context.Background()
	}
	clk := clock.Or(m.Clock)
	due := make(chan struct{})
	t := clk.AfterFunc(next.CreatedAt.Add(m.PublishDelay).Sub(clk.Now()), func() { close(due) })
	select {
	case <-bg.Done():
		t.Stop()
		return // the next rotation settles it
	case <-due:
	}
	ctx, cancel := context.WithTimeout(bg, time.Minute)
	defer cancel()
	now := m.now()
	err := m.Store.RotateSigningKeys(ctx, next, now, now.Add(-m.Retention()))
	if err == nil {
		err = m.Reload(ctx)
	}
	if err != nil && m.Logger != nil {
		m.Logger.Warn("recording the new signing key as current failed; it signs anyway, and the next rotation records it", "kid", next.ID, "err", err)
	}
}

// settle records as current every next key whose publish delay has passed
// but which was never promoted (its instance stopped first), oldest first.
func (m *Manager) settle(ctx context.Context) error {
	stored, err := m.Store.ListSigningKeys(ctx)
	if err != nil {
		return err
	}
	now := m.now()
	for _, k := range stored { // oldest first
		if k.Status == store.KeyNext && !k.CreatedAt.Add(m.PublishDelay).After(now) {
			if err := m.Store.RotateSigningKeys(ctx, k, now, now.Add(-m.Retention())); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *Manager) now() time.Time { return clock.Or(m.Clock).Now() }
