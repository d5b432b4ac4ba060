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

// userFields are the profile fields a create or update body may carry,
// and the fields of a user as answered that they accept (see userStripped).
type userFields struct {
	userStripped
	IsSuspended  *bool              `json:"isSuspended"` // accepted only unchanged
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
		Name: f.Name.field(), Avatar: f.Avatar.field(), CustomData: f.CustomData, Profile: f.Profile, IsSuspended: f.IsSuspended,
		// An administrator: an address set here counts as verified.
		By: directory.ByAdmin}
}

// userStripped are the fields of a user as answered that a create or
// change ignores, as Logto's guards strip them, so that a script can read
// a user, change a field and send the whole object back. The exported
// password hash (includePasswordHash) is not among them: a body carrying
// it is refused rather than have a password change silently dropped.
type userStripped struct {
	ID            stripped `json:"id"`
	TenantID      stripped `json:"tenantId"`
	Identities    stripped `json:"identities"`
	ApplicationID stripped `json:"applicationId"`
	HasPassword   stripped `json:"hasPassword"`
	LastSignInAt  stripped `json:"lastSignInAt"`
	CreatedAt     stripped `json:"createdAt"`
	UpdatedAt     stripped `json:"updatedAt"`
	SSOIdentities stripped `json:"ssoIdentities"`
}

// userChanged records a change to users. User data is not part of the
// token endpoint's catalog, so nothing is reloaded.
func (s *server) userChanged(r *http.Request) { s.record(r, "") }

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

// adminUser is a user as Logto's admin routes answer it: with the
// password hash on includePasswordHash, and the enterprise SSO identities
// on includeSsoIdentities (always [] here: Monban has no enterprise SSO
// yet).
type adminUser struct {
	logto.User
	*passwordHash
	SSOIdentities *[]struct{} `json:"ssoIdentities,omitempty"`
}

// passwordHash is a user's password hash as Logto exports it:
// passwordDigest and passwordAlgorithm, null without a password.
type passwordHash struct {
	PasswordDigest    *string `json:"passwordDigest"`
	PasswordAlgorithm *string `json:"passwordAlgorithm"`
}

// adminUserOf returns what makes a user's adminUser for the request's
// includePasswordHash and includeSsoIdentities (true, 1 or yes, as Logto
// reads them).
func adminUserOf(r *http.Request) func(store.User) adminUser {
	q := r.URL.Query()
	withHash, withSSO := yes(q.Get("includePasswordHash")), yes(q.Get("includeSsoIdentities"))
	return func(u store.User) adminUser {
		out := adminUser{User: userOut(u)}
		if withHash {
			digest, alg := password.Export(u.PasswordHash)
			out.passwordHash = &passwordHash{PasswordDigest: logto.OrNull(digest), PasswordAlgorithm: logto.OrNull(alg)}
		}
		if withSSO {
			out.SSOIdentities = &[]struct{}{}
		}
		return out
	}
}

// getUser answers a user, with its password hash and SSO identities when
// asked for (see adminUserOf).
func (s *server) getUser(w http.ResponseWriter, r *http.Request) error {
	return reply(w, adminUserOf(r))(s.dir.User(r.Context(), r.PathValue("id")))
}

// listUsers answers Logto's user search (see directory.UserSearch), with
// each user's password hash on includePasswordHash, as Logto's list does.
func (s *server) listUsers(w http.ResponseWriter, r *http.Request) error {
	return listFiltered(directory.UserSearch, adminUserOf(r), s.dir.Users)(w, r)
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
	s.record(r, u.ID)
	httpjson.Write(w, http.StatusOK, userOut(u))
	return nil
}

func (s *server) updateUser(w http.ResponseWriter, r *http.Request) error {
	var body userFields
	if err := decode(w, r, &body); err != nil {
		return err
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
