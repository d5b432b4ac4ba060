package interaction

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
)

// DefaultTTL is how long a sign-in may take from the authorization request
// to its last step.
const DefaultTTL = time.Hour

// Manager starts, resumes, saves and consumes interactions in a store.
type Manager struct {
	st  store.Interactions
	ttl time.Duration
	now func() time.Time
}

// NewManager returns a Manager over st. ttl <= 0 is DefaultTTL; a nil now
// is time.Now.
func NewManager(st store.Interactions, ttl time.Duration, now func() time.Time) *Manager {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	if now == nil {
		now = time.Now
	}
	return &Manager{st: st, ttl: ttl, now: now}
}

// Start stores a new sign-in interaction for the checked authorization
// request of clientID, received by the authorization endpoint of issuer,
// at StepIdentify, bound to the browser holding the cookie value binding.
func (m *Manager) Start(ctx context.Context, clientID, issuer string, request url.Values, binding string) (*Interaction, error) {
	if binding == "" {
		return nil, errors.New("interaction: no browser binding")
	}
	now := m.now()
	it := &Interaction{ID: randid.Secret(32), ClientID: clientID, Issuer: issuer, Request: request, Event: EventSignIn, Step: StepIdentify,
		CreatedAt: now, ExpiresAt: now.Add(m.ttl), binding: bindingHash(binding)}
	if err := m.st.CreateInteraction(ctx, it.record()); err != nil {
		return nil, fmt.Errorf("start interaction: %w", err)
	}
	return it, nil
}

// Resume reads the interaction id for the browser holding the cookie
// value binding. An unknown id and another browser's are ErrUnknown; an
// expired one ErrExpired; a done one ErrUsed. Other errors are the
// store's.
func (m *Manager) Resume(ctx context.Context, id, binding string) (*Interaction, error) {
	if id == "" || len(id) > 128 || binding == "" {
		return nil, ErrUnknown
	}
	rec, err := m.st.GetInteraction(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, ErrUnknown
	case err != nil:
		return nil, fmt.Errorf("resume interaction: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(rec.Binding), []byte(bindingHash(binding))) != 1 {
		return nil, ErrUnknown
	}
	if !m.now().Before(rec.ExpiresAt) {
		return nil, ErrExpired
	}
	if Step(rec.Step) == StepDone {
		return nil, ErrUsed
	}
	request, err := url.ParseQuery(rec.Request)
	if err != nil {
		return nil, fmt.Errorf("resume interaction: malformed request: %w", err)
	}
	return &Interaction{ID: rec.ID, ClientID: rec.ClientID, Issuer: rec.Issuer, Request: request, Step: Step(rec.Step),
		Event: Event(rec.Event), Identifier: rec.Identifier, IdentifierType: rec.IdentifierType, Records: rec.Records,
		AccountID: rec.AccountID, Attempts: rec.Attempts,
		CreatedAt: rec.CreatedAt, ExpiresAt: rec.ExpiresAt, binding: rec.Binding, version: rec.Version}, nil
}

// Save stores the interaction's progress if nobody advanced it since it
// was read (ErrConflict otherwise). Saving it at StepDone claims it: a
// second tab can no longer resume it.
func (m *Manager) Save(ctx context.Context, it *Interaction) error {
	err := m.st.UpdateInteraction(ctx, it.record(), it.version)
	switch {
	case errors.Is(err, store.ErrConflict):
		return ErrConflict
	case errors.Is(err, store.ErrNotFound):
		return ErrUnknown
	case err != nil:
		return fmt.Errorf("save interaction: %w", err)
	}
	it.version++
	return nil
}

// Consume deletes a done interaction once its request has resumed.
func (m *Manager) Consume(ctx context.Context, it *Interaction) error {
	if it.Step != StepDone {
		return fmt.Errorf("%w: consume at %s", ErrTransition, it.Step)
	}
	if err := m.st.DeleteInteraction(ctx, it.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("consume interaction: %w", err)
	}
	return nil
}

func (it *Interaction) record() store.Interaction {
	return store.Interaction{ID: it.ID, ClientID: it.ClientID, Issuer: it.Issuer, Request: it.Request.Encode(), Step: string(it.Step),
		Identifier: it.Identifier, AccountID: it.AccountID, Attempts: it.Attempts, Binding: it.binding,
		Event: string(it.Event), IdentifierType: it.IdentifierType, Records: it.Records,
		Version: it.version, CreatedAt: it.CreatedAt, ExpiresAt: it.ExpiresAt}
}

// bindingHash is what the store keeps of the browser's cookie.
func bindingHash(v string) string {
	sum := sha256.Sum256([]byte("monban-interaction\x00" + v))
	return hex.EncodeToString(sum[:])
}
