package store

import "context"

// SignInExperienceStore keeps the sign-in experience: one JSON document in
// Logto's shape (see internal/experience), whose rules are the experience
// package's, not the store's.
type SignInExperienceStore interface {
	// SignInExperience returns the stored document, or ErrNotFound when
	// none has been stored yet.
	SignInExperience(ctx context.Context) ([]byte, error)
	// EnsureSignInExperience stores doc unless a document is there
	// already, and returns the stored one (first writer wins across
	// instances).
	EnsureSignInExperience(ctx context.Context, doc []byte) ([]byte, error)
	// PutSignInExperience replaces the document and appends an
	// EventSignInExperienceUpdated in the same transaction, so that every
	// instance drops what it caches.
	PutSignInExperience(ctx context.Context, doc []byte) error
}

// CustomPhrase is Logto's custom phrase: a translation document (a JSON
// object of phrase keys, nested as Logto's) for one language tag.
type CustomPhrase struct {
	ID          string
	LanguageTag string
	Translation []byte
}

// ExperienceTextStore keeps what the hosted pages say and show beyond the
// sign-in experience document: custom phrases by language, and each
// application's own branding (Logto's application sign-in experience, a
// JSON document whose rules are internal/experience's). Every change
// appends an EventSignInExperienceUpdated, so that caches are dropped.
type ExperienceTextStore interface {
	// CustomPhrases returns every custom phrase, by language tag.
	CustomPhrases(ctx context.Context) ([]CustomPhrase, error)
	// CustomPhrase returns the phrase of languageTag, or ErrNotFound.
	CustomPhrase(ctx context.Context, languageTag string) (CustomPhrase, error)
	// PutCustomPhrase stores p's translation for its language tag,
	// replacing one stored (whose id is kept), and returns what is stored.
	PutCustomPhrase(ctx context.Context, p CustomPhrase) (CustomPhrase, error)
	// DeleteCustomPhrase removes the phrase of languageTag; ErrNotFound
	// when there is none.
	DeleteCustomPhrase(ctx context.Context, languageTag string) error

	// AppSignInExperience returns the document of application appID, or
	// ErrNotFound when it has none.
	AppSignInExperience(ctx context.Context, appID string) ([]byte, error)
	// PutAppSignInExperience stores the document of appID and reports
	// whether it was new; ErrNotFound when the application does not exist.
	PutAppSignInExperience(ctx context.Context, appID string, doc []byte) (created bool, err error)
}
