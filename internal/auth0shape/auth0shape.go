// Package auth0shape holds Auth0's JSON shapes of Monban's domain objects
// that more than one face answers in: the Management API v2
// (internal/auth0) and the Auth0 Actions' event (internal/hooks) describe a
// user the same way, so the shape is written here once.
package auth0shape

import (
	"time"

	"github.com/monban/monban/internal/store"
)

// The one connection: every user here is a database user of it.
const (
	ConnectionName = "Username-Password-Authentication"
	ConnectionID   = "con_monban_database"
	UserIDPrefix   = "auth0|"
)

// Time is t as Auth0 writes times: ISO 8601 in UTC, with milliseconds.
func Time(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// Identity is one of a user's identities.
type Identity struct {
	Connection string `json:"connection"`
	Provider   string `json:"provider"`
	UserID     string `json:"user_id"`
	IsSocial   bool   `json:"isSocial"`
}

// User is Auth0's user. user_metadata is the user's customData (as the
// Logto API calls it); app_metadata is kept apart, written only through the
// Management APIs.
type User struct {
	UserID        string         `json:"user_id"`
	Email         string         `json:"email,omitempty"`
	EmailVerified *bool          `json:"email_verified,omitempty"`
	Username      string         `json:"username,omitempty"`
	PhoneNumber   string         `json:"phone_number,omitempty"`
	Name          string         `json:"name,omitempty"`
	GivenName     string         `json:"given_name,omitempty"`
	FamilyName    string         `json:"family_name,omitempty"`
	Nickname      string         `json:"nickname,omitempty"`
	Picture       string         `json:"picture,omitempty"`
	CreatedAt     string         `json:"created_at"`
	UpdatedAt     string         `json:"updated_at"`
	LastLogin     string         `json:"last_login,omitempty"`
	LoginsCount   int            `json:"logins_count"`
	Blocked       bool           `json:"blocked"`
	Identities    []Identity     `json:"identities"`
	UserMetadata  map[string]any `json:"user_metadata"`
	AppMetadata   map[string]any `json:"app_metadata"`
}

// UserOf is u in Auth0's shape.
func UserOf(u store.User) User {
	out := User{
		UserID: UserIDPrefix + u.ID, Email: u.PrimaryEmail, Username: u.Username, PhoneNumber: u.PrimaryPhone,
		Name: u.Name, GivenName: u.Profile.GivenName, FamilyName: u.Profile.FamilyName, Nickname: u.Profile.Nickname,
		Picture: u.Avatar, CreatedAt: Time(u.CreatedAt), UpdatedAt: Time(u.UpdatedAt), LoginsCount: u.LoginsCount,
		Blocked:      u.IsSuspended,
		Identities:   []Identity{{Connection: ConnectionName, Provider: "auth0", UserID: u.ID}},
		UserMetadata: Object(u.CustomData), AppMetadata: Object(u.AppMetadata),
	}
	for _, id := range u.Identities {
		// A social identity, as Auth0 lists one: the provider and the
		// connection are the target, user_id the id there.
		out.Identities = append(out.Identities, Identity{Connection: id.Target, Provider: id.Target, UserID: id.ExternalID, IsSocial: true})
	}
	if u.PrimaryEmail != "" {
		verified := u.EmailVerified
		out.EmailVerified = &verified
	}
	if !u.LastSignInAt.IsZero() {
		out.LastLogin = Time(u.LastSignInAt)
	}
	return out
}

// Object is m, or an empty object for nil: Auth0 writes {} where there is
// nothing.
func Object(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}
