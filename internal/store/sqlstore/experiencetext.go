package sqlstore

import (
	"context"

	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
)

// CustomPhrases returns every custom phrase, by language tag.
func (s *Store) CustomPhrases(ctx context.Context) ([]store.CustomPhrase, error) {
	var out []store.CustomPhrase
	err := s.read(ctx, func(t txn) error {
		rows, err := t.query("SELECT id, language_tag, translation FROM custom_phrases ORDER BY language_tag")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				p  store.CustomPhrase
				tr string
			)
			if err := rows.Scan(&p.ID, &p.LanguageTag, &tr); err != nil {
				return err
			}
			p.Translation = []byte(tr)
			out = append(out, p)
		}
		return rows.Err()
	})
	return out, err
}

// CustomPhrase returns the phrase of languageTag.
func (s *Store) CustomPhrase(ctx context.Context, languageTag string) (store.CustomPhrase, error) {
	p := store.CustomPhrase{}
	err := s.read(ctx, func(t txn) error {
		var tr string
		err := t.queryRow("SELECT id, language_tag, translation FROM custom_phrases WHERE language_tag = ?", languageTag).Scan(&p.ID, &p.LanguageTag, &tr)
		p.Translation = []byte(tr)
		return mapNoRows(err, notFound("custom phrase", languageTag))
	})
	return p, err
}

// PutCustomPhrase stores p, keeping the id of a stored phrase of its
// language, with its event.
func (s *Store) PutCustomPhrase(ctx context.Context, p store.CustomPhrase) (store.CustomPhrase, error) {
	out := p
	err := s.change(ctx, event(store.EventSignInExperienceUpdated, "custom_phrases", nil), func(t txn) error {
		if _, err := t.exec("INSERT INTO custom_phrases (language_tag, id, translation) VALUES (?, ?, ?) ON CONFLICT (language_tag) DO UPDATE SET translation = excluded.translation",
			p.LanguageTag, randid.ID(), string(p.Translation)); err != nil {
			return err
		}
		var tr string
		if err := t.queryRow("SELECT id, language_tag, translation FROM custom_phrases WHERE language_tag = ?", p.LanguageTag).Scan(&out.ID, &out.LanguageTag, &tr); err != nil {
			return err
		}
		out.Translation = []byte(tr)
		return nil
	})
	return out, err
}

// DeleteCustomPhrase removes the phrase of languageTag, with its event.
func (s *Store) DeleteCustomPhrase(ctx context.Context, languageTag string) error {
	return s.change(ctx, event(store.EventSignInExperienceUpdated, "custom_phrases", nil), func(t txn) error {
		res, err := t.exec("DELETE FROM custom_phrases WHERE language_tag = ?", languageTag)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err == nil {
				err = notFound("custom phrase", languageTag)
			}
			return err
		}
		return nil
	})
}

// AppSignInExperience returns the document of application appID.
func (s *Store) AppSignInExperience(ctx context.Context, appID string) ([]byte, error) {
	var doc string
	err := s.read(ctx, func(t txn) error {
		return mapNoRows(t.queryRow("SELECT document FROM application_sign_in_experiences WHERE app_id = ?", appID).Scan(&doc),
			notFound("application sign-in experience", appID))
	})
	if err != nil {
		return nil, err
	}
	return []byte(doc), nil
}

// PutAppSignInExperience stores the document of appID, with its event.
func (s *Store) PutAppSignInExperience(ctx context.Context, appID string, doc []byte) (bool, error) {
	created := false
	err := s.change(ctx, event(store.EventSignInExperienceUpdated, "application:"+appID, nil), func(t txn) error {
		var n int
		if err := t.queryRow("SELECT COUNT(*) FROM applications WHERE id = ?", appID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return notFound("application", appID)
		}
		if err := t.queryRow("SELECT COUNT(*) FROM application_sign_in_experiences WHERE app_id = ?", appID).Scan(&n); err != nil {
			return err
		}
		created = n == 0
		_, err := t.exec("INSERT INTO application_sign_in_experiences (app_id, document) VALUES (?, ?) ON CONFLICT (app_id) DO UPDATE SET document = excluded.document",
			appID, string(doc))
		return err
	})
	return created, err
}
