package management

import (
	_ "embed"
	"net/http"
	"time"

	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/store"
)

// The routes of token exchange's subject credentials, with Logto's paths,
// bodies and codes: impersonation subject tokens (POST /api/subject-tokens)
// and a user's personal access tokens. Their values are answered once,
// when made: only their digests are kept, so a listing has no value.

// subjectTokenJSON is Logto's answer to a new subject token.
type subjectTokenJSON struct {
	SubjectToken string `json:"subjectToken"`
	ExpiresIn    int    `json:"expiresIn"`
}

// createSubjectToken makes a subject token for body.userId on behalf of
// the caller.
func (s *server) createSubjectToken(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		UserID  *string         `json:"userId"`
		Context *map[string]any `json:"context"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if body.UserID == nil {
		return &apiError{http.StatusBadRequest, "guard.invalid_input", "userId is required"}
	}
	var context map[string]any
	if body.Context != nil {
		context = *body.Context
	}
	creator := ""
	if c := claimsFrom(r.Context()); c != nil {
		creator = c.Subject
	}
	value, err := s.dir.CreateSubjectToken(r.Context(), *body.UserID, context, creator)
	if err != nil {
		return err
	}
	s.record(r, "")
	httpjson.Write(w, http.StatusCreated, subjectTokenJSON{SubjectToken: value, ExpiresIn: int(directory.SubjectTokenTTL / time.Second)})
	return nil
}

// patJSON is Logto's personal access token, with its value only when it
// was just made.
type patJSON struct {
	UserID    string `json:"userId"`
	Name      string `json:"name"`
	Value     string `json:"value,omitempty"`
	CreatedAt int64  `json:"createdAt"`
	ExpiresAt *int64 `json:"expiresAt"`
}

func patOut(pat store.PersonalAccessToken) patJSON {
	out := patJSON{UserID: pat.UserID, Name: pat.Name, CreatedAt: ms(pat.CreatedAt)}
	if !pat.ExpiresAt.IsZero() {
		e := ms(pat.ExpiresAt)
		out.ExpiresAt = &e
	}
	return out
}

func (s *server) listPersonalAccessTokens(w http.ResponseWriter, r *http.Request) error {
	pats, err := s.dir.PersonalAccessTokens(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	out := make([]patJSON, len(pats))
	for i, p := range pats {
		out[i] = patOut(p)
	}
	httpjson.Write(w, http.StatusOK, out)
	return nil
}

func (s *server) createPersonalAccessToken(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Name      *string `json:"name"`
		ExpiresAt *int64  `json:"expiresAt"` // Unix ms; null or absent: never
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if body.Name == nil {
		return &apiError{http.StatusBadRequest, "guard.invalid_input", "name is required"}
	}
	var expires time.Time
	if body.ExpiresAt != nil {
		expires = time.UnixMilli(*body.ExpiresAt)
	}
	pat, value, err := s.dir.CreatePersonalAccessToken(r.Context(), r.PathValue("id"), *body.Name, expires)
	if err != nil {
		return err
	}
	out := patOut(pat)
	out.Value = value
	s.record(r, "")
	httpjson.Write(w, http.StatusCreated, out)
	return nil
}

// renamePersonalAccessToken renames the token named in the path (Logto's
// older route) or, without one, body.currentName (body.name when that is
// absent: nothing changes).
func (s *server) renamePersonalAccessToken(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Name        *string `json:"name"`
		CurrentName *string `json:"currentName"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if body.Name == nil {
		return &apiError{http.StatusBadRequest, "guard.invalid_input", "name is required"}
	}
	current := r.PathValue("name")
	switch {
	case current != "" && body.CurrentName != nil:
		return &apiError{http.StatusBadRequest, "guard.invalid_input", "currentName is read from the path here; leave it out"}
	case current == "" && body.CurrentName != nil:
		current = *body.CurrentName
	case current == "":
		current = *body.Name
	}
	pat, err := s.dir.RenamePersonalAccessToken(r.Context(), r.PathValue("id"), current, *body.Name)
	return updated(w, r, s.recorded, patOut(pat), true, err)
}

// deletePersonalAccessToken deletes the token named in the path or, on
// Logto's POST …/delete, in body.name.
func (s *server) deletePersonalAccessToken(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if name == "" {
		var body struct {
			Name *string `json:"name"`
		}
		if err := decode(w, r, &body); err != nil {
			return err
		}
		if body.Name == nil {
			return &apiError{http.StatusBadRequest, "guard.invalid_input", "name is required"}
		}
		name = *body.Name
	}
	if err := s.dir.DeletePersonalAccessToken(r.Context(), r.PathValue("id"), name); err != nil {
		return err
	}
	s.recorded(r)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// recorded records a change that the catalog does not hold.
func (s *server) recorded(r *http.Request) { s.record(r, "") }

// openAPIUserTokens documents these routes; it is merged into openAPI when
// the document is first asked for.
//
//go:embed openapi_usertokens.json
var openAPIUserTokens []byte

func init() { addOpenAPI(openAPIUserTokens) }
