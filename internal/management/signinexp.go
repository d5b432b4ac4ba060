package management

import (
	_ "embed"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/experience"
	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/password"
)

// Logto's /api/sign-in-exp: the sign-in experience (internal/experience
// holds its rules; this file only reads and answers Logto's shapes).

func (s *server) getSignInExperience(w http.ResponseWriter, r *http.Request) error {
	st, err := s.Experience.Get(r.Context())
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, st)
	return nil
}

func (s *server) updateSignInExperience(w http.ResponseWriter, r *http.Request) error {
	var patch json.RawMessage
	if err := httpjson.Decode(w, r, &patch, experience.MaxPatchBytes); err != nil {
		return err
	}
	st, err := s.Experience.Update(r.Context(), patch)
	if err != nil {
		return err
	}
	s.changed(r)
	httpjson.Write(w, http.StatusOK, st)
	return nil
}

// checkPasswordBody is Logto's body of check-password.
type checkPasswordBody struct {
	Password *string `json:"password"`
	UserID   *string `json:"userId"`
}

// checkPasswordResult is Logto's answer: {"result": true}, or false with
// the issues.
type checkPasswordResult struct {
	Result bool             `json:"result"`
	Issues []password.Issue `json:"issues,omitempty"`
}

// checkPassword holds a password to the policy in force, against a user's
// details when userId names one: 200 {"result":true}, or 400 with the
// issues, as Logto answers.
func (s *server) checkPassword(w http.ResponseWriter, r *http.Request) error {
	var body checkPasswordBody
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if body.Password == nil {
		return &apiError{http.StatusBadRequest, "guard.invalid_input", "password is required"}
	}
	who := password.UserInfo{}
	if body.UserID != nil {
		u, err := s.dir.User(r.Context(), *body.UserID)
		if err != nil {
			return err
		}
		who = directory.UserInfoOf(u)
	}
	err := s.dir.CheckNewPassword(r.Context(), *body.Password, who)
	var de *directory.Error
	switch {
	case err == nil:
		httpjson.Write(w, http.StatusOK, checkPasswordResult{Result: true})
	case errors.As(err, &de) && de.Reason == directory.ReasonPasswordRejected:
		httpjson.Write(w, http.StatusBadRequest, checkPasswordResult{Issues: de.Issues})
	default:
		return err
	}
	return nil
}

// experienceError answers a refused change with Logto's status and code.
func experienceError(w http.ResponseWriter, e *experience.Error) {
	writeError(w, e.Status, e.Code, e.Message)
}

// openAPISignInExperience documents these routes; it is merged into
// openAPI at start-up.
//
//go:embed openapi_signinexp.json
var openAPISignInExperience []byte

func init() { openAPI = mergeOpenAPI(openAPI, openAPISignInExperience) }
