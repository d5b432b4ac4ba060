package management

import (
	_ "embed"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/monban/monban/internal/experience"
	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/store"
)

// Logto's /api/custom-phrases and /api/applications/{id}/sign-in-experience
// (internal/experience holds their rules), and the custom UI assets
// upload, which Monban refuses.

//go:embed openapi_phrases.json
var openAPIPhrases []byte

func init() { addOpenAPI(openAPIPhrases) }

func (s *server) listPhrases(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Experience.Phrases(r.Context())
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, list)
	return nil
}

func (s *server) getPhrase(w http.ResponseWriter, r *http.Request) error {
	p, err := s.Experience.Phrase(r.Context(), r.PathValue("languageTag"))
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, p)
	return nil
}

func (s *server) putPhrase(w http.ResponseWriter, r *http.Request) error {
	var body json.RawMessage
	if err := httpjson.Decode(w, r, &body, experience.MaxPhraseBytes); err != nil {
		return err
	}
	p, err := s.Experience.PutPhrase(r.Context(), r.PathValue("languageTag"), body)
	if err != nil {
		return err
	}
	s.changed(r)
	httpjson.Write(w, http.StatusCreated, p)
	return nil
}

func (s *server) deletePhrase(w http.ResponseWriter, r *http.Request) error {
	if err := s.Experience.DeletePhrase(r.Context(), r.PathValue("languageTag")); err != nil {
		return err
	}
	s.changed(r)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// appExists answers Logto's 404 when application id does not exist.
func (s *server) appExists(r *http.Request, id string) error {
	_, err := s.Store.GetApplication(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return experience.AppNotFound(id)
	}
	return err
}

func (s *server) getAppSignInExperience(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := s.appExists(r, id); err != nil {
		return err
	}
	st, found, err := s.Experience.App(r.Context(), id)
	if err != nil {
		return err
	}
	if !found {
		return experience.AppNotFound(id)
	}
	httpjson.Write(w, http.StatusOK, st)
	return nil
}

func (s *server) putAppSignInExperience(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	var body json.RawMessage
	if err := httpjson.Decode(w, r, &body, experience.MaxAppBodyBytes); err != nil {
		return err
	}
	if err := s.appExists(r, id); err != nil {
		return err
	}
	st, created, err := s.Experience.PutApp(r.Context(), id, body)
	if err != nil {
		return err
	}
	s.changed(r)
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	httpjson.Write(w, status, st)
	return nil
}

// uploadCustomUIAssets refuses Logto's custom UI upload: Logto serves an
// uploaded single-page application in place of its sign-in pages; Monban's
// hosted pages are rendered by the server and cannot be replaced by one.
func (s *server) uploadCustomUIAssets(w http.ResponseWriter, r *http.Request) error {
	return &apiError{http.StatusNotImplemented, "request.not_implemented",
		"Custom UI assets are not supported: the hosted sign-in pages are rendered by the server and cannot be replaced by an uploaded bundle; change their words with /api/custom-phrases and their look with /api/sign-in-exp"}
}
