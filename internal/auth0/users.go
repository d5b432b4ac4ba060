package auth0

import (
	"net/http"
	"reflect"
	"strings"

	"github.com/monban/monban/internal/auth0shape"
	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/store"
)

// The one connection: every user here is a database user of it.
const (
	connectionName = auth0shape.ConnectionName
	connectionID   = auth0shape.ConnectionID
	userIDPrefix   = auth0shape.UserIDPrefix
)

// userJSON is Auth0's user (auth0shape.User).
type userJSON = auth0shape.User

func userOut(u store.User) userJSON { return auth0shape.UserOf(u) }

func object(m map[string]any) map[string]any { return auth0shape.Object(m) }

// userID reads the path's user id, auth0|{id}; any other is no user here.
func userID(r *http.Request) (string, error) {
	id, ok := strings.CutPrefix(r.PathValue("id"), userIDPrefix)
	if !ok || !directory.ValidID(id) {
		return "", notFound("user")
	}
	return id, nil
}

// userFields are the profile fields a create or a change may give.
type userFields struct {
	Email         *string        `json:"email"`
	EmailVerified *bool          `json:"email_verified"`
	VerifyEmail   *bool          `json:"verify_email"`
	Username      *string        `json:"username"`
	PhoneNumber   *string        `json:"phone_number"`
	Name          *string        `json:"name"`
	GivenName     *string        `json:"given_name"`
	FamilyName    *string        `json:"family_name"`
	Nickname      *string        `json:"nickname"`
	Picture       *string        `json:"picture"`
	Password      *string        `json:"password"`
	Blocked       *bool          `json:"blocked"`
	Connection    *string        `json:"connection"`
	UserMetadata  map[string]any `json:"user_metadata"`
	AppMetadata   map[string]any `json:"app_metadata"`
}

// check refuses what Monban cannot do rather than ignoring it.
func (f *userFields) check() error {
	switch {
	case f.Connection != nil && *f.Connection != connectionName:
		return badBody("Payload validation error: 'connection' must be " + connectionName + ", the only connection.")
	case f.VerifyEmail != nil && *f.VerifyEmail:
		return badBody("Payload validation error: 'verify_email' must be false or absent: Monban sends no verification e-mail; set 'email_verified' instead.")
	}
	return nil
}

// onlyMetadata reports whether the change gives nothing but
// user_metadata and app_metadata.
func (f userFields) onlyMetadata() bool {
	f.UserMetadata, f.AppMetadata = nil, nil
	return reflect.ValueOf(f).IsZero()
}

// profile applies the profile fields to a copy of p; it reports whether
// any was given.
func (f *userFields) profile(p store.UserProfile) (store.UserProfile, bool) {
	given := false
	for _, c := range []struct {
		v   *string
		dst *string
	}{{f.GivenName, &p.GivenName}, {f.FamilyName, &p.FamilyName}, {f.Nickname, &p.Nickname}} {
		if c.v != nil {
			*c.dst, given = *c.v, true
		}
	}
	return p, given
}

func (s *server) createUser(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		userFields
		PhoneVerified *bool `json:"phone_verified"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	switch {
	case body.Connection == nil:
		return badBody("Payload validation error: 'Missing required property: connection'.")
	case body.Password == nil:
		return badBody("Payload validation error: 'Missing required property: password'.")
	case body.PhoneVerified != nil && !*body.PhoneVerified:
		return badBody("Payload validation error: 'phone_verified' must be true or absent.")
	}
	if err := body.check(); err != nil {
		return err
	}
	in := directory.NewUser{Password: body.Password, UserFields: directory.UserFields{
		Username: body.Username, PrimaryEmail: body.Email, PrimaryPhone: body.PhoneNumber, Name: body.Name, Avatar: body.Picture,
		EmailVerified: body.EmailVerified, By: directory.ByAdminUnverified,
	}}
	if p, ok := body.profile(store.UserProfile{}); ok {
		in.Profile = &p
	}
	if body.UserMetadata != nil {
		in.CustomData = &body.UserMetadata
	}
	if body.AppMetadata != nil {
		in.AppMetadata = &body.AppMetadata
	}
	u, err := s.dir.CreateUser(r.Context(), in)
	if err != nil {
		return err
	}
	if body.Blocked != nil && *body.Blocked {
		if u, err = s.dir.SetSuspended(r.Context(), u.ID, true); err != nil {
			return err
		}
	}
	s.changed(r)
	httpjson.Write(w, http.StatusCreated, userOut(u))
	return nil
}

func (s *server) getUser(w http.ResponseWriter, r *http.Request) error {
	id, err := userID(r)
	if err != nil {
		return err
	}
	q, _ := parseQuery(r)
	sel, err := readFields(q)
	if err != nil {
		return err
	}
	u, err := s.dir.User(r.Context(), id)
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, sel.apply(userOut(u)))
	return nil
}

// mergeMetadata is Auth0's merge of a metadata object: keys at the top
// level are replaced, a null removes its key, and an empty object clears
// the whole.
func mergeMetadata(old, patch map[string]any) map[string]any {
	if len(patch) == 0 {
		return map[string]any{}
	}
	out := make(map[string]any, len(old)+len(patch))
	for k, v := range old {
		out[k] = v
	}
	for k, v := range patch {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

func (s *server) updateUser(w http.ResponseWriter, r *http.Request) error {
	id, err := userID(r)
	if err != nil {
		return err
	}
	var body userFields
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if err := body.check(); err != nil {
		return err
	}
	metadataOnly := body.onlyMetadata()
	if c := claimsFrom(r.Context()); c != nil && !c.HasScope("update:users") && !metadataOnly {
		return &apiError{http.StatusForbidden, "insufficient_scope",
			"Insufficient scope, expected any of: update:users (update:users_app_metadata changes only user_metadata and app_metadata)"}
	}
	u, err := s.dir.User(r.Context(), id)
	if err != nil {
		return err
	}
	if body.Password != nil {
		// Held to the policy before anything changes.
		if err := s.dir.CheckNewPassword(r.Context(), *body.Password, directory.UserInfoOf(u)); err != nil {
			return err
		}
	}
	in := directory.UserFields{Username: body.Username, PrimaryEmail: body.Email, PrimaryPhone: body.PhoneNumber,
		Name: body.Name, Avatar: body.Picture, EmailVerified: body.EmailVerified, By: directory.ByAdminUnverified}
	if p, ok := body.profile(u.Profile); ok {
		in.Profile = &p
	}
	if body.UserMetadata != nil {
		m := mergeMetadata(u.CustomData, body.UserMetadata)
		in.CustomData = &m
	}
	if body.AppMetadata != nil {
		m := mergeMetadata(u.AppMetadata, body.AppMetadata)
		in.AppMetadata = &m
	}
	changed := false
	if u, changed, err = s.dir.UpdateUser(r.Context(), id, in); err != nil {
		return err
	}
	if body.Password != nil {
		if u, err = s.dir.SetPassword(r.Context(), id, *body.Password); err != nil {
			return err
		}
		changed = true
	}
	if body.Blocked != nil && *body.Blocked != u.IsSuspended {
		if u, err = s.dir.SetSuspended(r.Context(), id, *body.Blocked); err != nil {
			return err
		}
		changed = true
		if u.IsSuspended {
			s.revoked(r)
		}
	}
	if changed {
		s.changed(r)
	}
	if u, err = s.dir.User(r.Context(), id); err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, userOut(u))
	return nil
}

func (s *server) deleteUser(w http.ResponseWriter, r *http.Request) error {
	id, err := userID(r)
	if err != nil {
		return err
	}
	if err := s.dir.DeleteUser(r.Context(), id); err != nil {
		return err
	}
	s.changed(r)
	s.revoked(r)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// userSorts are the fields sort may name, onto the store's.
var userSorts = map[string]string{
	"created_at": store.SortCreatedAt, "updated_at": store.SortUpdatedAt, "last_login": store.SortLastSignInAt,
	"logins_count": store.SortLoginsCount, "email": store.SortEmail, "name": store.SortName, "username": store.SortUsername,
}

// readSort reads sort, "field:1" (ascending) or "field:-1".
func readSort(v string, fields map[string]string) (string, bool, error) {
	field, dir, ok := strings.Cut(v, ":")
	by, known := fields[field]
	if !ok || !known || (dir != "1" && dir != "-1") {
		return "", false, badQuery("Query validation error: 'sort' must be field:1 or field:-1, with field one of " + strings.Join(sortedKeys(fields), ", ") + ".")
	}
	return by, dir == "-1", nil
}

func (s *server) listUsers(w http.ResponseWriter, r *http.Request) error {
	q, _ := parseQuery(r)
	p, err := readPage(q)
	if err != nil {
		return err
	}
	sel, err := readFields(q)
	if err != nil {
		return err
	}
	var filter store.UserFilter
	if v := q.Get("search_engine"); q.Has("search_engine") && v != "v3" {
		return badQuery("Query validation error: 'search_engine' must be v3, the only one.")
	}
	if q.Has("connection") && q.Get("connection") != connectionName {
		return badQuery("Query validation error: 'connection' must be " + connectionName + ", the only connection.")
	}
	if v := q.Get("q"); v != "" {
		query, err := ParseQuery(v)
		if err != nil {
			return err
		}
		filter.Query = &query
	}
	if q.Has("sort") {
		if filter.SortBy, filter.Descending, err = readSort(q.Get("sort"), userSorts); err != nil {
			return err
		}
	}
	users, total, err := s.dir.Users(r.Context(), filter, p.store())
	if err != nil {
		return err
	}
	out := make([]any, len(users))
	for i, u := range users {
		out[i] = sel.apply(userOut(u))
	}
	writeList(w, p, "users", out, total)
	return nil
}

func (s *server) usersByEmail(w http.ResponseWriter, r *http.Request) error {
	q, _ := parseQuery(r)
	email := q.Get("email")
	if email == "" {
		return badQuery("Query validation error: 'Missing required property: email'.")
	}
	if len(email) > 254 {
		return badQuery("Query validation error: 'email' is too long.")
	}
	sel, err := readFields(q)
	if err != nil {
		return err
	}
	users, _, err := s.dir.Users(r.Context(), store.UserFilter{Query: &store.UserQuery{Field: store.QueryEmail, Value: email}}, store.Page{Limit: 10})
	if err != nil {
		return err
	}
	out := make([]any, len(users))
	for i, u := range users {
		out[i] = sel.apply(userOut(u))
	}
	httpjson.Write(w, http.StatusOK, out)
	return nil
}
