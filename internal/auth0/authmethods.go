package auth0

import (
	"errors"
	"net/http"
	"strings"

	"github.com/monban/monban/internal/auth0shape"
	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/mfa"
	"github.com/monban/monban/internal/store"
)

// A user's authentication methods: Auth0's face of their second factors
// (package mfa). A method's id is its Auth0 type, "|", and the factor's
// id.

// authMethodTypes are Auth0's names of the factor types.
var authMethodTypes = map[string]string{
	mfa.TypeTotp:       "totp",
	mfa.TypeBackupCode: "recovery-code",
	mfa.TypeWebAuthn:   "webauthn-roaming",
}

// authMethodJSON is an authentication method in Auth0's shape.
type authMethodJSON struct {
	ID                    string              `json:"id"`
	Type                  string              `json:"type"`
	Confirmed             bool                `json:"confirmed"`
	Name                  string              `json:"name,omitempty"`
	CreatedAt             string              `json:"created_at"`
	EnrolledAt            string              `json:"enrolled_at"`
	LastAuthAt            string              `json:"last_auth_at,omitempty"`
	AuthenticationMethods []authMethodRefJSON `json:"authentication_methods"`
}

type authMethodRefJSON struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

func (s *server) authMethodOut(v store.MFAVerification) authMethodJSON {
	typ := authMethodTypes[v.Type]
	if kind := s.MFA.Describe(v)["kind"]; kind != "" {
		typ = kind // a WebAuthn credential's: passkey, webauthn-platform, webauthn-roaming
	}
	if typ == "" {
		typ = strings.ToLower(v.Type)
	}
	id := typ + "|" + v.ID
	out := authMethodJSON{ID: id, Type: typ, Confirmed: true, Name: v.Name, CreatedAt: auth0shape.Time(v.CreatedAt),
		EnrolledAt: auth0shape.Time(v.CreatedAt), AuthenticationMethods: []authMethodRefJSON{{ID: id, Type: typ}}}
	if v.LastUsedAt != nil {
		out.LastAuthAt = auth0shape.Time(*v.LastUsedAt)
	}
	return out
}

// userMethods reads the path's user and their factors.
func (s *server) userMethods(r *http.Request) (string, []store.MFAVerification, error) {
	id, err := userID(r)
	if err != nil {
		return "", nil, err
	}
	if _, err := s.dir.User(r.Context(), id); err != nil {
		var de *directory.Error
		if errors.As(err, &de) && de.Kind == directory.NotFound {
			return "", nil, notFound("user") // whatever the route's entity
		}
		return "", nil, err
	}
	vs, err := s.MFA.List(r.Context(), id)
	return id, vs, err
}

// methodOf finds the path's method among vs.
func (s *server) methodOf(r *http.Request, vs []store.MFAVerification) (store.MFAVerification, error) {
	want := r.PathValue("authentication_method_id")
	for _, v := range vs {
		if s.authMethodOut(v).ID == want {
			return v, nil
		}
	}
	return store.MFAVerification{}, notFound("authentication_method")
}

func (s *server) listAuthMethods(w http.ResponseWriter, r *http.Request) error {
	_, p, err := pagedQuery(r)
	if err != nil {
		return err
	}
	_, vs, err := s.userMethods(r)
	if err != nil {
		return err
	}
	out := []authMethodJSON{}
	for i, v := range vs {
		if i >= p.offset() && len(out) < p.perPage {
			out = append(out, s.authMethodOut(v))
		}
	}
	writeList(w, p, "authenticators", out, len(vs))
	return nil
}

func (s *server) getAuthMethod(w http.ResponseWriter, r *http.Request) error {
	_, vs, err := s.userMethods(r)
	if err != nil {
		return err
	}
	v, err := s.methodOf(r, vs)
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, s.authMethodOut(v))
	return nil
}

func (s *server) deleteAuthMethod(w http.ResponseWriter, r *http.Request) error {
	id, vs, err := s.userMethods(r)
	if err != nil {
		return err
	}
	v, err := s.methodOf(r, vs)
	if err != nil {
		return err
	}
	if err := s.MFA.Delete(r.Context(), id, v.ID); errors.Is(err, store.ErrNotFound) {
		return notFound("authentication_method")
	} else if err != nil {
		return err
	}
	s.changed(r)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) deleteAuthMethods(w http.ResponseWriter, r *http.Request) error {
	id, vs, err := s.userMethods(r)
	if err != nil {
		return err
	}
	for _, v := range vs {
		if err := s.MFA.Delete(r.Context(), id, v.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	s.changed(r)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
