package management

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/password"
	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
)

// Limits on user fields.
const (
	maxUsernameLen    = 128
	maxEmailLen       = 254
	maxUserNameLen    = 128
	maxProfileField   = 256
	minPasswordLen    = 8
	maxPasswordLen    = 256
	maxCustomDataSize = 16 << 10
	maxSearchLen      = 128
)

var (
	// Logto's username rule: a letter or underscore, then word characters.
	usernameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// Digits, optionally after a plus sign (E.164 without formatting).
	phoneRe = regexp.MustCompile(`^\+?[0-9]{4,20}$`)
)

// userJSON is Logto's user shape. The password is never returned, only
// whether there is one.
type userJSON struct {
	ID            string            `json:"id"`
	Username      *string           `json:"username"`
	PrimaryEmail  *string           `json:"primaryEmail"`
	PrimaryPhone  *string           `json:"primaryPhone"`
	Name          *string           `json:"name"`
	Avatar        *string           `json:"avatar"`
	CustomData    map[string]any    `json:"customData"`
	Identities    struct{}          `json:"identities"`
	Profile       store.UserProfile `json:"profile"`
	ApplicationID *string           `json:"applicationId"`
	IsSuspended   bool              `json:"isSuspended"`
	HasPassword   bool              `json:"hasPassword"`
	LastSignInAt  *int64            `json:"lastSignInAt"`
	CreatedAt     int64             `json:"createdAt"`
	UpdatedAt     int64             `json:"updatedAt"`
}

func orNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func userOut(u store.User) userJSON {
	out := userJSON{
		ID: u.ID, Username: orNull(u.Username), PrimaryEmail: orNull(u.PrimaryEmail), PrimaryPhone: orNull(u.PrimaryPhone),
		Name: orNull(u.Name), Avatar: orNull(u.Avatar), CustomData: u.CustomData, Profile: u.Profile,
		IsSuspended: u.IsSuspended, HasPassword: u.PasswordHash != "",
		CreatedAt: ms(u.CreatedAt), UpdatedAt: ms(u.UpdatedAt),
	}
	if out.CustomData == nil {
		out.CustomData = map[string]any{}
	}
	if !u.LastSignInAt.IsZero() {
		v := ms(u.LastSignInAt)
		out.LastSignInAt = &v
	}
	return out
}

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

// apply validates the given fields and writes them into u; it reports
// whether any was given.
func (f *userFields) apply(u *store.User) (bool, error) {
	given := false
	set := func(o optString, dst *string, check func(string) error) error {
		if !o.Set {
			return nil
		}
		given = true
		if o.Null || o.Value == "" {
			*dst = ""
			return nil
		}
		if err := check(o.Value); err != nil {
			return err
		}
		*dst = o.Value
		return nil
	}
	for _, err := range []error{
		set(f.Username, &u.Username, checkUsername),
		set(f.PrimaryEmail, &u.PrimaryEmail, checkEmail),
		set(f.PrimaryPhone, &u.PrimaryPhone, checkPhone),
		set(f.Name, &u.Name, func(v string) error { return checkText("name", v, maxUserNameLen, false) }),
		set(f.Avatar, &u.Avatar, checkAvatar),
	} {
		if err != nil {
			return false, err
		}
	}
	if f.CustomData != nil {
		if err := checkCustomData(*f.CustomData); err != nil {
			return false, err
		}
		u.CustomData, given = *f.CustomData, true
	}
	if f.Profile != nil {
		if err := checkProfile(*f.Profile); err != nil {
			return false, err
		}
		u.Profile, given = *f.Profile, true
	}
	return given, nil
}

// CheckUsername and CheckPassword apply the Management API's rules for a
// username and a password, for the accounts the server sets up at start-up.
// Their messages never repeat the password.
func CheckUsername(v string) error { return checkUsername(v) }

// CheckPassword: see CheckUsername.
func CheckPassword(v string) error { return checkPassword(v) }

func checkUsername(v string) error {
	if len(v) > maxUsernameLen || !usernameRe.MatchString(v) {
		return invalid(fmt.Sprintf("username must start with a letter or underscore and hold only letters, digits and underscores (at most %d)", maxUsernameLen))
	}
	return nil
}

func checkEmail(v string) error {
	a, err := mail.ParseAddress(v)
	if err != nil || a.Address != v || len(v) > maxEmailLen || !strings.Contains(v[strings.LastIndexByte(v, '@'):], ".") {
		return invalid("primaryEmail must be a plain e-mail address such as jane@example.com")
	}
	return nil
}

func checkPhone(v string) error {
	if !phoneRe.MatchString(v) {
		return invalid("primaryPhone must be 4 to 20 digits, optionally after a plus sign")
	}
	return nil
}

func checkAvatar(v string) error { return checkWebURL("avatar", v) }

// checkWebURL validates a URL released to relying parties as a link (the
// avatar, and the website and profile claims): an absolute http(s) URL
// with a host, no user-info part and no whitespace, so that a javascript:
// or data: URL never reaches a page that renders it.
func checkWebURL(field, v string) error {
	u, err := url.Parse(v)
	if len(v) > maxURILen || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		strings.ContainsAny(v, " \t\r\n") {
		return invalid(field + " must be an absolute http(s) URL")
	}
	return nil
}

func checkCustomData(m map[string]any) error {
	if m == nil {
		return invalid("customData must be a JSON object")
	}
	b, err := json.Marshal(m)
	if err != nil || len(b) > maxCustomDataSize {
		return invalid(fmt.Sprintf("customData must be a JSON object of at most %d bytes", maxCustomDataSize))
	}
	return nil
}

func checkProfile(p store.UserProfile) error {
	fields := []string{p.FamilyName, p.GivenName, p.MiddleName, p.Nickname, p.PreferredUsername, p.Profile,
		p.Website, p.Gender, p.Birthdate, p.Zoneinfo, p.Locale}
	if a := p.Address; a != nil {
		fields = append(fields, a.StreetAddress, a.Locality, a.Region, a.PostalCode, a.Country)
		if err := checkText("profile.address.formatted", a.Formatted, maxDescriptionLen, true); err != nil {
			return err
		}
	}
	for _, f := range fields {
		if err := checkText("profile fields", f, maxProfileField, false); err != nil {
			return err
		}
	}
	for field, v := range map[string]string{"profile.website": p.Website, "profile.profile": p.Profile} {
		if v != "" {
			if err := checkWebURL(field, v); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkPassword(v string) error {
	if n := utf8.RuneCountInString(v); n < minPasswordLen || n > maxPasswordLen || len(v) > password.MaxLen {
		return invalid(fmt.Sprintf("password must be %d to %d characters long", minPasswordLen, maxPasswordLen))
	}
	if strings.IndexByte(v, 0) >= 0 {
		return invalid("password must not contain NUL")
	}
	return nil
}

// userChanged records a change to users. User data is not part of the
// token endpoint's catalog, so nothing is reloaded.
func (s *server) userChanged(r *http.Request) { s.record(r) }

// holdersChanged records a change to who holds a User role, or to a user's
// existence or suspension, and reloads the catalog: it tracks the holders
// of the Management API's permission (Deps.Standing).
func (s *server) holdersChanged(r *http.Request) { s.changed(r) }

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

// userConflict names the identifier another user already has, as Logto
// does, or answers generically when it cannot tell.
func (s *server) userConflict(r *http.Request, u store.User, err error) error {
	if !errors.Is(err, store.ErrConflict) {
		return err
	}
	if u.Username != "" {
		if other, e := s.Store.GetUserByUsername(r.Context(), u.Username); e == nil && other.ID != u.ID {
			return &apiError{http.StatusUnprocessableEntity, "user.username_already_in_use", "this username is already in use"}
		}
	}
	if u.PrimaryEmail != "" {
		if other, e := s.Store.GetUserByEmail(r.Context(), u.PrimaryEmail); e == nil && other.ID != u.ID {
			return &apiError{http.StatusUnprocessableEntity, "user.email_already_in_use", "this e-mail address is already in use"}
		}
	}
	if u.PrimaryPhone != "" {
		return &apiError{http.StatusUnprocessableEntity, "user.phone_already_in_use", "this phone number or another identifier is already in use"}
	}
	return conflict("a user with this id already exists")
}

func (s *server) user(r *http.Request) (store.User, error) {
	id, err := pathID(r, "id", "user")
	if err != nil {
		return store.User{}, err
	}
	u, err := s.Store.GetUser(r.Context(), id)
	return u, orNotFound(err, "user not found")
}

func (s *server) listUsers(w http.ResponseWriter, r *http.Request) error {
	return writePage(w, r, userOut, func(page store.Page) ([]store.User, int, error) {
		var filter store.UserFilter
		if v, ok := r.URL.Query()["search"]; ok {
			// Logto clients send SQL-style %term%; a substring match is what
			// they mean.
			filter.Search = strings.Trim(v[0], "%")
			if err := checkText("search", filter.Search, maxSearchLen, false); err != nil {
				return nil, 0, err
			}
		}
		return s.Store.ListUsers(r.Context(), filter, page)
	})
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
	now := s.Now()
	u := store.User{ID: randid.ID(), CustomData: map[string]any{}, CreatedAt: now, UpdatedAt: now}
	if _, err := body.apply(&u); err != nil {
		return err
	}
	switch {
	case body.Password != nil && body.PasswordDigest != nil:
		return invalid("give either password or passwordDigest, not both")
	case body.Password != nil:
		if err := checkPassword(*body.Password); err != nil {
			return err
		}
		hash, err := s.Passwords.Hash(r.Context(), *body.Password)
		if err != nil {
			return err
		}
		u.PasswordHash = hash
	case body.PasswordDigest != nil:
		// Imported hashes: argon2id PHC strings only.
		if body.PasswordAlgorithm == nil || !strings.EqualFold(*body.PasswordAlgorithm, "Argon2id") {
			return invalid("passwordAlgorithm must be Argon2id when passwordDigest is given")
		}
		if _, _, _, err := password.Parse(*body.PasswordDigest); err != nil {
			return invalid("passwordDigest must be an argon2id PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$hash)")
		}
		u.PasswordHash = *body.PasswordDigest
	case body.PasswordAlgorithm != nil:
		return invalid("passwordAlgorithm is only meaningful with passwordDigest")
	}
	if err := s.Store.CreateUser(r.Context(), u); err != nil {
		return s.userConflict(r, u, err)
	}
	s.userChanged(r)
	httpjson.Write(w, http.StatusCreated, userOut(u))
	return nil
}

func (s *server) getUser(w http.ResponseWriter, r *http.Request) error {
	u, err := s.user(r)
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, userOut(u))
	return nil
}

func (s *server) updateUser(w http.ResponseWriter, r *http.Request) error {
	var body userFields
	if err := decode(w, r, &body); err != nil {
		return err
	}
	u, err := s.user(r)
	if err != nil {
		return err
	}
	given, err := body.apply(&u)
	if err != nil {
		return err
	}
	if !given {
		httpjson.Write(w, http.StatusOK, userOut(u))
		return nil
	}
	u.UpdatedAt = s.Now()
	if err := s.Store.UpdateUser(r.Context(), u); err != nil {
		return s.userConflict(r, u, orNotFound(err, "user not found"))
	}
	s.userChanged(r)
	httpjson.Write(w, http.StatusOK, userOut(u))
	return nil
}

func (s *server) deleteUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "user")
	if err != nil {
		return err
	}
	return noContent(w, r, s.Store.DeleteUser(r.Context(), id, s.Now()), "user not found", func(r *http.Request) {
		s.holdersChanged(r)
		s.revoked(r)
	})
}

func (s *server) passwordBody(w http.ResponseWriter, r *http.Request) (string, error) {
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
	pw, err := s.passwordBody(w, r)
	if err != nil {
		return err
	}
	if err := checkPassword(pw); err != nil {
		return err
	}
	u, err := s.user(r)
	if err != nil {
		return err
	}
	hash, err := s.Passwords.Hash(r.Context(), pw)
	if err != nil {
		return err
	}
	u.PasswordHash, u.UpdatedAt = hash, s.Now()
	if err := s.Store.SetUserPassword(r.Context(), u.ID, hash, u.UpdatedAt); err != nil {
		return orNotFound(err, "user not found")
	}
	s.userChanged(r)
	httpjson.Write(w, http.StatusOK, userOut(u))
	return nil
}

// verifyUserPassword answers 204 when the password is the user's, else 422
// as Logto does.
func (s *server) verifyUserPassword(w http.ResponseWriter, r *http.Request) error {
	pw, err := s.passwordBody(w, r)
	if err != nil {
		return err
	}
	if pw == "" || len(pw) > password.MaxLen {
		return invalid(fmt.Sprintf("password must be 1 to %d bytes long", password.MaxLen))
	}
	u, err := s.user(r)
	if err != nil {
		return err
	}
	ok, err := s.Passwords.Verify(r.Context(), u.PasswordHash, pw)
	if err != nil && !errors.Is(err, password.ErrMalformed) {
		return err
	}
	if !ok {
		return &apiError{http.StatusUnprocessableEntity, "session.invalid_credentials", "the password does not match"}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) setUserSuspended(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		IsSuspended *bool `json:"isSuspended"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if body.IsSuspended == nil {
		return invalid("isSuspended is required")
	}
	u, err := s.user(r)
	if err != nil {
		return err
	}
	now := s.Now()
	if err := s.Store.SetUserSuspended(r.Context(), u.ID, *body.IsSuspended, now); err != nil {
		return orNotFound(err, "user not found")
	}
	u.IsSuspended, u.UpdatedAt = *body.IsSuspended, now
	s.holdersChanged(r)
	if u.IsSuspended {
		s.revoked(r)
	}
	httpjson.Write(w, http.StatusOK, userOut(u))
	return nil
}

func (s *server) getUserCustomData(w http.ResponseWriter, r *http.Request) error {
	u, err := s.user(r)
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, userOut(u).CustomData)
	return nil
}

// updateUserCustomData merges the given keys into the custom data (Logto's
// partial update) and answers with the result.
func (s *server) updateUserCustomData(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		CustomData *map[string]any `json:"customData"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if body.CustomData == nil || *body.CustomData == nil {
		return invalid("customData is required and must be a JSON object")
	}
	u, err := s.user(r)
	if err != nil {
		return err
	}
	merged := make(map[string]any, len(u.CustomData)+len(*body.CustomData))
	for k, v := range u.CustomData {
		merged[k] = v
	}
	for k, v := range *body.CustomData {
		merged[k] = v
	}
	if err := checkCustomData(merged); err != nil {
		return err
	}
	u.CustomData, u.UpdatedAt = merged, s.Now()
	if err := s.Store.UpdateUser(r.Context(), u); err != nil {
		return orNotFound(err, "user not found")
	}
	s.userChanged(r)
	httpjson.Write(w, http.StatusOK, merged)
	return nil
}

// userRoles checks that every role exists (404) and is a User role (422).
func (s *server) userRoles(r *http.Request, ids []string) error {
	for _, id := range ids {
		role, err := s.Store.GetRole(r.Context(), id)
		if err != nil {
			return orNotFound(err, fmt.Sprintf("role %q not found", id))
		}
		if role.Type != store.RoleUser {
			return &apiError{http.StatusUnprocessableEntity, "user.invalid_role_type",
				fmt.Sprintf("role %q is a %s role; users can hold User roles only", id, role.Type)}
		}
	}
	return nil
}

func (s *server) listUserRoles(w http.ResponseWriter, r *http.Request) error {
	return writePage(w, r, roleOut, func(page store.Page) ([]store.Role, int, error) {
		id, err := pathID(r, "id", "user")
		if err != nil {
			return nil, 0, err
		}
		roles, total, err := s.Store.ListUserRoles(r.Context(), id, page)
		return roles, total, orNotFound(err, "user not found")
	})
}

func (s *server) addUserRoles(w http.ResponseWriter, r *http.Request) error {
	ids, err := s.roleIDsBody(w, r)
	if err != nil {
		return err
	}
	u, err := s.user(r)
	if err != nil {
		return err
	}
	if err := s.userRoles(r, ids); err != nil {
		return err
	}
	if err := s.Store.AddUserRoles(r.Context(), u.ID, ids); err != nil {
		return orNotFound(err, "the user or one of the roles no longer exists")
	}
	s.holdersChanged(r)
	w.WriteHeader(http.StatusCreated)
	return nil
}

// replaceUserRoles makes roleIds the user's exact set of roles. New roles
// are added before stale ones are removed.
func (s *server) replaceUserRoles(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		RoleIDs []string `json:"roleIds"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if body.RoleIDs == nil {
		return invalid("roleIds is required (an empty array removes every role)")
	}
	var ids []string
	if len(body.RoleIDs) > 0 {
		var err error
		if ids, err = checkIDs("roleIds", body.RoleIDs); err != nil {
			return err
		}
	}
	u, err := s.user(r)
	if err != nil {
		return err
	}
	if err := s.userRoles(r, ids); err != nil {
		return err
	}
	if len(ids) > 0 {
		if err := s.Store.AddUserRoles(r.Context(), u.ID, ids); err != nil {
			return orNotFound(err, "the user or one of the roles no longer exists")
		}
	}
	held, _, err := s.Store.ListUserRoles(r.Context(), u.ID, store.Page{})
	if err != nil {
		return orNotFound(err, "user not found")
	}
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	for _, role := range held {
		if !want[role.ID] {
			if err := s.Store.RemoveUserRole(r.Context(), u.ID, role.ID); err != nil && !isNotFound(err) {
				return err
			}
		}
	}
	s.holdersChanged(r)
	roles, _, err := s.Store.ListUserRoles(r.Context(), u.ID, store.Page{})
	if err != nil {
		return orNotFound(err, "user not found")
	}
	httpjson.Write(w, http.StatusOK, each(roles, roleOut))
	return nil
}

func (s *server) removeUserRole(w http.ResponseWriter, r *http.Request) error {
	userID, roleID, err := pathIDs(r, "id", "user", "roleId", "role")
	if err != nil {
		return err
	}
	return noContent(w, r, s.Store.RemoveUserRole(r.Context(), userID, roleID), "the user does not hold this role", s.holdersChanged)
}

func (s *server) listRoleUsers(w http.ResponseWriter, r *http.Request) error {
	return writePage(w, r, userOut, func(page store.Page) ([]store.User, int, error) {
		id, err := pathID(r, "id", "role")
		if err != nil {
			return nil, 0, err
		}
		users, total, err := s.Store.ListRoleUsers(r.Context(), id, page)
		return users, total, orNotFound(err, "role not found")
	})
}

// addRoleUsers gives a User role to users; like Logto it answers 201 with
// no body.
func (s *server) addRoleUsers(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		UserIDs []string `json:"userIds"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	ids, err := checkIDs("userIds", body.UserIDs)
	if err != nil {
		return err
	}
	role, err := s.role(r)
	if err != nil {
		return err
	}
	if role.Type != store.RoleUser {
		return &apiError{http.StatusUnprocessableEntity, "role.invalid_type", "only User roles can be given to users"}
	}
	for _, id := range ids {
		if _, err := s.Store.GetUser(r.Context(), id); err != nil {
			return orNotFound(err, fmt.Sprintf("user %q not found", id))
		}
	}
	if err := s.Store.AddRoleUsers(r.Context(), role.ID, ids); err != nil {
		return orNotFound(err, "the role or one of the users no longer exists")
	}
	s.holdersChanged(r)
	w.WriteHeader(http.StatusCreated)
	return nil
}

func (s *server) removeRoleUser(w http.ResponseWriter, r *http.Request) error {
	roleID, userID, err := pathIDs(r, "id", "role", "userId", "user")
	if err != nil {
		return err
	}
	return noContent(w, r, s.Store.RemoveUserRole(r.Context(), userID, roleID), "the user does not hold this role", s.holdersChanged)
}
