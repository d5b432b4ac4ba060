package management

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/logto"
	"github.com/monban/monban/internal/password"
	"github.com/monban/monban/internal/store"
)

// userOut is a user in Logto's shape.
func userOut(u store.User) logto.User { return logto.UserOf(&u) }

// optString is a string field of a PATCH body: absent, null (clear it) or a
// value.
type optString struct {
	Set, Null bool
	Value     string
}

func (o *optString) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Null = true
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}

// field is the value for the directory: nil when absent, "" when null.
func (o optString) field() *string {
	if !o.Set {
		return nil
	}
	return &o.Value
}

// userFields are the profile fields a create or update body may carry.
type userFields struct {
	Username     optString          `json:"username"`
	PrimaryEmail optString          `json:"primaryEmail"`
	PrimaryPhone optString          `json:"primaryPhone"`
	Name         optString          `json:"name"`
	Avatar       optString          `json:"avatar"`
	CustomData   *map[string]any    `json:"customData"`
	Profile      *store.UserProfile `json:"profile"`
}

func (f userFields) fields() directory.UserFields {
	return directory.UserFields{Username: f.Username.field(), PrimaryEmail: f.PrimaryEmail.field(), PrimaryPhone: f.PrimaryPhone.field(),
		Name: f.Name.field(), Avatar: f.Avatar.field(), CustomData: f.CustomData, Profile: f.Profile}
}

// userChanged records a change to users. User data is not part of the
// token endpoint's catalog, so nothing is reloaded.
func (s *server) userChanged(r *http.Request) { s.record(r) }

// holdersChanged records a change to who holds a User role, or to a user's
// existence or suspension, and reloads the catalog: it tracks the holders
// of the Management API's permission (Deps.Standing).
func (s *server) holdersChanged(r *http.Request) { s.changed(r) }

// userRemoved records the deletion of a user, which revoked their tokens.
func (s *server) userRemoved(r *http.Request) {
	s.holdersChanged(r)
	s.revoked(r)
}

// revoked brings the access token revocation list up to date after a change
// that revoked tokens.
func (s *server) revoked(r *http.Request) {
	if s.Revoked == nil {
		return
	}
	if err := s.Revoked(context.WithoutCancel(r.Context())); err != nil {
		s.log.Error("revocation list reload failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
}

// userDetail is a user as GET /api/users/{id} answers it, with what the
// query asks for. With includePasswordHash, the password hash as Logto
// exports it: passwordDigest and passwordAlgorithm, null without a
// password. With includeSsoIdentities, the user's enterprise SSO
// identities, as Logto lists them: always none, since Monban has no
// enterprise SSO connectors yet.
type userDetail struct {
	logto.User
	*userPassword
	SSOIdentities *[]struct{} `json:"ssoIdentities,omitempty"`
}

type userPassword struct {
	PasswordDigest    *string `json:"passwordDigest"`
	PasswordAlgorithm *string `json:"passwordAlgorithm"`
}

// getUser answers a user; includePasswordHash and includeSsoIdentities are
// read as Logto reads them (true, 1 or yes).
func (s *server) getUser(w http.ResponseWriter, r *http.Request) error {
	u, err := s.dir.User(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	out := userDetail{User: userOut(u)}
	if yes(r.URL.Query().Get("includePasswordHash")) {
		digest, alg := password.Export(u.PasswordHash)
		out.userPassword = &userPassword{PasswordDigest: logto.OrNull(digest), PasswordAlgorithm: logto.OrNull(alg)}
	}
	if yes(r.URL.Query().Get("includeSsoIdentities")) {
		out.SSOIdentities = &[]struct{}{}
	}
	httpjson.Write(w, http.StatusOK, out)
	return nil
}

// yes is Logto's reading of a boolean query parameter.
func yes(v string) bool {
	switch strings.ToLower(v) {
	case "true", "1", "yes":
		return true
	}
	return false
}

func (s *server) createUser(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		userFields
		Password          *string `json:"password"`
		PasswordDigest    *string `json:"passwordDigest"`
		PasswordAlgorithm *string `json:"passwordAlgorithm"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	u, err := s.dir.CreateUser(r.Context(), directory.NewUser{UserFields: body.fields(),
		Password: body.Password, PasswordDigest: body.PasswordDigest, PasswordAlgorithm: body.PasswordAlgorithm})
	if err != nil {
		return err
	}
	s.userChanged(r)
	httpjson.Write(w, http.StatusOK, userOut(u))
	return nil
}

// userStripped are the fields of a user as answered that a change ignores,
// as Logto's guard strips them, so that a script can send back a user it
// read with a field changed.
type userStripped struct {
	ID            stripped `json:"id"`
	TenantID      stripped `json:"tenantId"`
	Identities    stripped `json:"identities"`
	ApplicationID stripped `json:"applicationId"`
	HasPassword   stripped `json:"hasPassword"`
	LastSignInAt  stripped `json:"lastSignInAt"`
	CreatedAt     stripped `json:"createdAt"`
	UpdatedAt     stripped `json:"updatedAt"`
}

func (s *server) updateUser(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		userFields
		userStripped
		// IsSuspended is accepted only unchanged: Logto drops it silently,
		// and a suspension is PATCH /api/users/:id/is-suspended.
		IsSuspended *bool `json:"isSuspended"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if body.IsSuspended != nil {
		u, err := s.dir.User(r.Context(), r.PathValue("id"))
		if err != nil {
			return err
		}
		if u.IsSuspended != *body.IsSuspended {
			return invalid("isSuspended cannot be changed here: use PATCH /api/users/{id}/is-suspended")
		}
	}
	u, changed, err := s.dir.UpdateUser(r.Context(), r.PathValue("id"), body.fields())
	return updated(w, r, s.userChanged, userOut(u), changed, err)
}

func passwordBody(w http.ResponseWriter, r *http.Request) (string, error) {
	var body struct {
		Password *string `json:"password"`
	}
	if err := decode(w, r, &body); err != nil {
		return "", err
	}
	if body.Password == nil {
		return "", invalid("password is required")
	}
	return *body.Password, nil
}

func (s *server) setUserPassword(w http.ResponseWriter, r *http.Request) error {
	pw, err := passwordBody(w, r)
	if err != nil {
		return err
	}
	u, err := s.dir.SetPassword(r.Context(), r.PathValue("id"), pw)
	return updated(w, r, s.userChanged, userOut(u), true, err)
}

// verifyUserPassword answers 204 when the password is the user's, else 422
// as Logto does.
func (s *server) verifyUserPassword(w http.ResponseWriter, r *http.Request) error {
	pw, err := passwordBody(w, r)
	if err != nil {
		return err
	}
	if err := s.dir.VerifyPassword(r.Context(), r.PathValue("id"), pw); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) setUserSuspended(w http.ResponseWriter, r *http.Request) error {
	suspended, err := flag[isSuspendedBody](w, r, "isSuspended is required")
	if err != nil {
		return err
	}
	u, err := s.dir.SetSuspended(r.Context(), r.PathValue("id"), suspended)
	return updated(w, r, func(r *http.Request) {
		s.holdersChanged(r)
		if u.IsSuspended {
			s.revoked(r)
		}
	}, userOut(u), true, err)
}

func (s *server) getUserCustomData(w http.ResponseWriter, r *http.Request) error {
	return reply(w, func(u store.User) map[string]any { return userOut(u).CustomData })(s.dir.User(r.Context(), r.PathValue("id")))
}

// replaceUserRoles makes roleIds the user's exact set of roles and
// answers, as Logto does, {roleIds}: the ids without repeats.
func (s *server) replaceUserRoles(w http.ResponseWriter, r *http.Request) error {
	ids, err := roleIDsBody(w, r)
	if err != nil {
		return err
	}
	ids, err = s.dir.ReplaceUserRoles(r.Context(), r.PathValue("id"), ids)
	if err != nil {
		return err
	}
	s.holdersChanged(r)
	httpjson.Write(w, http.StatusOK, map[string][]string{"roleIds": ids})
	return nil
}

// addUserRoles gives roles to a user and answers, as Logto does, the ids
// asked for and those the user did not hold before.
func (s *server) addUserRoles(w http.ResponseWriter, r *http.Request) error {
	ids, err := roleIDsBody(w, r)
	if err != nil {
		return err
	}
	ids, added, err := s.dir.AssignUserRoles(r.Context(), r.PathValue("id"), ids)
	if err != nil {
		return err
	}
	if len(added) > 0 {
		s.holdersChanged(r)
	}
	httpjson.Write(w, http.StatusCreated, map[string][]string{"roleIds": ids, "addedRoleIds": added})
	return nil
}
