package experience

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"unicode/utf8"

	"github.com/monban/monban/internal/store"
)

// PhraseKeys maps Logto's experience phrase keys (a path in Logto's
// translation document, such as "action.sign_in") to the words of the
// hosted pages a custom phrase replaces. Only keys with an equivalent on
// the pages are accepted: a custom phrase that nothing would show is
// refused (localization.invalid_translation_structure), as Logto refuses
// a key its catalog lacks. Every target takes no arguments.
var PhraseKeys = map[string]string{
	"action.sign_in":                      "sign_in",
	"action.continue":                     "continue",
	"action.create_account":               "create_account",
	"action.save_password":                "save_password",
	"action.forgot_password":              "forgot_password",
	"action.sign_in_via_passcode":         "code_sign_in",
	"action.enter_passcode":               "enter_code",
	"input.username":                      "username",
	"input.password":                      "password",
	"input.email":                         "email",
	"input.phone_number":                  "phone",
	"input.code":                          "code",
	"description.or":                      "or",
	"description.and":                     "and",
	"description.terms_of_use":            "terms",
	"description.privacy_policy":          "privacy",
	"description.no_account":              "no_account",
	"description.have_account":            "have_account",
	"description.reset_password":          "forgot",
	"description.new_password":            "new_password",
	"description.set_password":            "set_password",
	"description.create_your_account":     "register",
	"error.invalid_passcode":              "err_code_wrong",
	"error.username_exists":               "err_username_taken",
	"error.username_invalid_charset":      "err_username",
	"error.invalid_email":                 "err_email",
	"error.invalid_phone":                 "err_phone",
	"error.invalid_session":               "err_unknown",
	"error.something_went_wrong":          "error_heading",
	"error.account_suspended_description": "err_suspended",
}

// PhraseLanguages are the language tags custom phrases may be given for:
// the languages the hosted pages speak.
var PhraseLanguages = []string{LanguageEnglish, LanguageJapanese}

// Bounds of a custom phrase.
const (
	MaxPhraseBytes = 64 << 10 // a translation document
	maxPhraseValue = 1024     // characters of one phrase
)

// Codes of Logto's localization errors.
const (
	CodeInvalidTranslation  = "localization.invalid_translation_structure"
	CodeCannotDeleteDefault = "localization.cannot_delete_default_language"
	CodeEntityNotFound      = "entity.not_found"
)

// Phrase is Logto's CustomPhrase.
type Phrase struct {
	TenantID    string          `json:"tenantId"`
	ID          string          `json:"id"`
	LanguageTag string          `json:"languageTag"`
	Translation json.RawMessage `json:"translation"`
}

func phraseOf(p store.CustomPhrase) Phrase {
	return Phrase{TenantID: "default", ID: p.ID, LanguageTag: p.LanguageTag, Translation: json.RawMessage(p.Translation)}
}

// Phrases returns every custom phrase, by language tag.
func (s *Service) Phrases(ctx context.Context) ([]Phrase, error) {
	list, err := s.text().CustomPhrases(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Phrase, 0, len(list))
	for _, p := range list {
		out = append(out, phraseOf(p))
	}
	return out, nil
}

// Phrase returns the custom phrase of languageTag; a 404 *Error when there
// is none.
func (s *Service) Phrase(ctx context.Context, languageTag string) (Phrase, error) {
	if err := checkLanguageTag(languageTag); err != nil {
		return Phrase{}, err
	}
	p, err := s.text().CustomPhrase(ctx, languageTag)
	if errors.Is(err, store.ErrNotFound) {
		return Phrase{}, phraseNotFound()
	}
	if err != nil {
		return Phrase{}, err
	}
	return phraseOf(p), nil
}

// PutPhrase stores the custom phrase of languageTag: translation is
// Logto's partial translation document. Empty strings, nulls and empty
// objects are dropped (as Logto cleans the document); every remaining key
// must be one of PhraseKeys with a string value.
func (s *Service) PutPhrase(ctx context.Context, languageTag string, translation json.RawMessage) (Phrase, error) {
	if err := checkLanguageTag(languageTag); err != nil {
		return Phrase{}, err
	}
	if len(translation) > MaxPhraseBytes {
		return Phrase{}, invalid(fmt.Sprintf("the body is larger than %d bytes", MaxPhraseBytes))
	}
	var doc map[string]any
	if err := strictDecode(translation, &doc); err != nil || doc == nil {
		return Phrase{}, invalid("the body must be a JSON object of phrases")
	}
	flat := map[string]string{}
	if err := flatten("", doc, flat); err != nil {
		return Phrase{}, err
	}
	clean, err := json.Marshal(nest(flat))
	if err != nil {
		return Phrase{}, err
	}
	p, err := s.text().PutCustomPhrase(ctx, store.CustomPhrase{LanguageTag: languageTag, Translation: clean})
	if err != nil {
		return Phrase{}, err
	}
	s.forgetPhrases()
	return phraseOf(p), nil
}

// DeletePhrase removes the custom phrase of languageTag. The phrase of
// the default language cannot be removed (409, as Logto).
func (s *Service) DeletePhrase(ctx context.Context, languageTag string) error {
	if err := checkLanguageTag(languageTag); err != nil {
		return err
	}
	st, err := s.Get(ctx)
	if err != nil {
		return err
	}
	if st.LanguageInfo.FallbackLanguage == languageTag {
		return &Error{Code: CodeCannotDeleteDefault, Status: 409,
			Message: fmt.Sprintf("You cannot delete the default language %s.", languageTag)}
	}
	err = s.text().DeleteCustomPhrase(ctx, languageTag)
	if errors.Is(err, store.ErrNotFound) {
		return phraseNotFound()
	}
	s.forgetPhrases()
	return err
}

// PageWords returns the custom phrases as the pages' words: by language,
// the pages' key and its text. It answers from a cache that a change
// drops (on every instance, through Apply).
func (s *Service) PageWords(ctx context.Context) (map[string]map[string]string, error) {
	s.phraseMu.Lock()
	defer s.phraseMu.Unlock()
	if s.pageWords != nil {
		return s.pageWords, nil
	}
	list, err := s.text().CustomPhrases(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]string{}
	for _, p := range list {
		var doc map[string]any
		if json.Unmarshal(p.Translation, &doc) != nil {
			continue
		}
		flat := map[string]string{}
		if flatten("", doc, flat) != nil {
			continue // stored by hand or by another release: not trusted
		}
		m := map[string]string{}
		for k, v := range flat {
			m[PhraseKeys[k]] = v
		}
		out[p.LanguageTag] = m
	}
	s.pageWords = out
	return out, nil
}

func (s *Service) forgetPhrases() {
	s.phraseMu.Lock()
	s.pageWords = nil
	s.phraseMu.Unlock()
}

// text is the store of custom phrases and application experiences.
func (s *Service) text() store.ExperienceTextStore {
	if t, ok := s.st.(store.ExperienceTextStore); ok {
		return t
	}
	return noText{}
}

func checkLanguageTag(tag string) error {
	for _, l := range PhraseLanguages {
		if tag == l {
			return nil
		}
	}
	return invalid(fmt.Sprintf("languageTag %q: custom phrases are for the languages the pages speak (en, ja)", bounded(tag)))
}

func phraseNotFound() *Error {
	return &Error{Code: CodeEntityNotFound, Status: 404, Message: "The entity does not exist."}
}

func invalidTranslation() *Error {
	return &Error{Code: CodeInvalidTranslation, Status: 422, Message: "Invalid data structure for translation."}
}

// flatten writes the string leaves of doc under their dotted paths,
// dropping what Logto's cleaning drops (empty strings, nulls, empty
// objects); a key that is not one of PhraseKeys, or a value that is not
// a string, is Logto's invalid_translation_structure.
func flatten(prefix string, doc map[string]any, out map[string]string) error {
	keys := make([]string, 0, len(doc))
	for k := range doc {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		path := k
		if prefix != "" {
			path = prefix + "." + k
		}
		switch v := doc[k].(type) {
		case nil:
		case string:
			if v == "" {
				continue
			}
			if _, ok := PhraseKeys[path]; !ok {
				return invalidTranslation()
			}
			if utf8.RuneCountInString(v) > maxPhraseValue {
				return invalid(fmt.Sprintf("a phrase must be at most %d characters", maxPhraseValue))
			}
			out[path] = v
		case map[string]any:
			if err := flatten(path, v, out); err != nil {
				return err
			}
		default:
			return invalidTranslation()
		}
	}
	return nil
}

// nest turns dotted paths back into Logto's nested document.
func nest(flat map[string]string) map[string]any {
	out := map[string]any{}
	for path, v := range flat {
		m := out
		parts := splitPath(path)
		for _, p := range parts[:len(parts)-1] {
			next, ok := m[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[p] = next
			}
			m = next
		}
		m[parts[len(parts)-1]] = v
	}
	return out
}

func splitPath(path string) []string {
	var parts []string
	start := 0
	for i := 0; i < len(path); i++ {
		if path[i] == '.' {
			parts = append(parts, path[start:i])
			start = i + 1
		}
	}
	return append(parts, path[start:])
}

// noText is the text store of a store that keeps none (a test's
// SignInExperienceStore alone).
type noText struct{}

func (noText) CustomPhrases(context.Context) ([]store.CustomPhrase, error) { return nil, nil }
func (noText) CustomPhrase(context.Context, string) (store.CustomPhrase, error) {
	return store.CustomPhrase{}, store.ErrNotFound
}
func (noText) PutCustomPhrase(context.Context, store.CustomPhrase) (store.CustomPhrase, error) {
	return store.CustomPhrase{}, errors.New("experience: this store keeps no custom phrases")
}
func (noText) DeleteCustomPhrase(context.Context, string) error { return store.ErrNotFound }
func (noText) AppSignInExperience(context.Context, string) ([]byte, error) {
	return nil, store.ErrNotFound
}
func (noText) PutAppSignInExperience(context.Context, string, []byte) (bool, error) {
	return false, errors.New("experience: this store keeps no application sign-in experiences")
}
