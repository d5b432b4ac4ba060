package mfa

// What factor types that need all of a user's factors at once, or a
// challenge before the answer, use (WebAuthn, internal/passkey).

import (
	"context"
	"strings"
	"time"

	"github.com/monban/monban/internal/store"
)

// Document is one of a user's factors with its data opened.
type Document struct {
	Verification store.MFAVerification
	Data         []byte
}

// Documents returns the user's factors of type typ with their data
// opened, for a factor type that needs all of them at once (WebAuthn's
// allowed credentials, a passkey sign-in).
func (s *Service) Documents(ctx context.Context, userID, typ string) ([]Document, error) {
	vs, err := s.st.ListMFAVerifications(ctx, userID)
	if err != nil {
		return nil, err
	}
	var out []Document
	for _, v := range vs {
		if v.Type != typ {
			continue
		}
		data, err := s.open(v)
		if err != nil {
			return nil, err
		}
		out = append(out, Document{Verification: v, Data: data})
	}
	return out, nil
}

// Used writes the user's factor id's new data (sealed) and its use now,
// for a factor verified outside Verify (a passkey sign-in).
func (s *Service) Used(ctx context.Context, userID, id string, data []byte) error {
	vs, err := s.st.ListMFAVerifications(ctx, userID)
	if err != nil {
		return err
	}
	box := s.st.Sealer()
	if box == nil {
		return ErrLockedStore
	}
	for _, v := range vs {
		if v.ID != id {
			continue
		}
		sealed, err := box.SealString(dataPurpose(v.ID), string(data))
		if err != nil {
			return err
		}
		v.Data = []byte(sealed)
		used := s.now().UTC().Truncate(time.Millisecond)
		v.LastUsedAt = &used
		return s.st.UpdateMFAVerification(context.WithoutCancel(ctx), v)
	}
	return store.ErrNotFound
}

// Challenger is implemented by factor types whose verification begins
// with a challenge the page shows and carries back (WebAuthn): what the
// page shows for who.
type Challenger interface {
	BeginVerify(ctx context.Context, who Subject) (Shown, error)
}

// BeginVerify starts verifying a factor of type typ for who when the
// type begins with a challenge; nil when it does not.
func (s *Service) BeginVerify(ctx context.Context, who Subject, typ string) (Shown, error) {
	f, ok := s.Factor(typ)
	if !ok {
		return nil, ErrUnknownType
	}
	c, ok := f.(Challenger)
	if !ok {
		return nil, nil
	}
	return c.BeginVerify(ctx, who)
}

// factorName is the name a person gave a factor they bound (a passkey's),
// trimmed and bounded to 64 characters.
func factorName(name string) string {
	r := []rune(strings.TrimSpace(name))
	if len(r) > 64 {
		r = r[:64]
	}
	return string(r)
}

// Describer is implemented by factor types whose documents hold what the
// APIs list of a factor (a passkey's browser and kind).
type Describer interface {
	Describe(data []byte) map[string]string
}

// Describe is what the factor type of v says of it for the APIs (nil:
// nothing, or its document does not open).
func (s *Service) Describe(v store.MFAVerification) map[string]string {
	f, ok := s.Factor(v.Type)
	d, can := f.(Describer)
	if !ok || !can {
		return nil
	}
	data, err := s.open(v)
	if err != nil {
		return nil
	}
	return d.Describe(data)
}
