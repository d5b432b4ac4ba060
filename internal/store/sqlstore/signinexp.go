package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/monban/monban/internal/store"
)

// signInExperienceID is the id of the one sign-in experience.
const signInExperienceID = "default"

// SignInExperience returns the stored sign-in experience document.
func (s *Store) SignInExperience(ctx context.Context) ([]byte, error) {
	var doc string
	err := s.read(ctx, func(t txn) error {
		return t.queryRow("SELECT document FROM sign_in_experiences WHERE id = ?", signInExperienceID).Scan(&doc)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return []byte(doc), nil
}

// EnsureSignInExperience stores doc unless a document is stored, and
// returns the stored one.
func (s *Store) EnsureSignInExperience(ctx context.Context, doc []byte) ([]byte, error) {
	var stored string
	err := s.write(ctx, func(t txn) error {
		if _, err := t.exec("INSERT INTO sign_in_experiences (id, document) VALUES (?, ?) ON CONFLICT (id) DO NOTHING", signInExperienceID, string(doc)); err != nil {
			return err
		}
		return t.queryRow("SELECT document FROM sign_in_experiences WHERE id = ?", signInExperienceID).Scan(&stored)
	})
	if err != nil {
		return nil, err
	}
	return []byte(stored), nil
}

// PutSignInExperience replaces the document, with its event.
func (s *Store) PutSignInExperience(ctx context.Context, doc []byte) error {
	return s.change(ctx, event(store.EventSignInExperienceUpdated, signInExperienceID, nil), func(t txn) error {
		_, err := t.exec("INSERT INTO sign_in_experiences (id, document) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET document = excluded.document", signInExperienceID, string(doc))
		return err
	})
}
