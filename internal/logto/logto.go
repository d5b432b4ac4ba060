// Package logto holds Logto's JSON shapes of Monban's domain objects that
// more than one face answers in: the Management API (internal/management),
// the custom JWT claims scripts' context (internal/hooks) and webhook
// payloads (internal/webhook) describe a user, a role and a scope the same
// way, so each shape is written here once.
package logto

import "github.com/monban/monban/internal/store"

// User is Logto's user shape. The password is never given, only whether
// there is one; unset strings are null and times are Unix milliseconds.
type User struct {
	ID            string            `json:"id"`
	Username      *string           `json:"username"`
	PrimaryEmail  *string           `json:"primaryEmail"`
	PrimaryPhone  *string           `json:"primaryPhone"`
	Name          *string           `json:"name"`
	Avatar        *string           `json:"avatar"`
	CustomData    map[string]any    `json:"customData"`
	Identities    Identities        `json:"identities"`
	Profile       store.UserProfile `json:"profile"`
	ApplicationID *string           `json:"applicationId"`
	IsSuspended   bool              `json:"isSuspended"`
	HasPassword   bool              `json:"hasPassword"`
	LastSignInAt  *int64            `json:"lastSignInAt"`
	CreatedAt     int64             `json:"createdAt"`
	UpdatedAt     int64             `json:"updatedAt"`
}

// UserOf is u in Logto's shape.
func UserOf(u *store.User) User {
	out := User{
		ID: u.ID, Username: OrNull(u.Username), PrimaryEmail: OrNull(u.PrimaryEmail), PrimaryPhone: OrNull(u.PrimaryPhone),
		Name: OrNull(u.Name), Avatar: OrNull(u.Avatar), CustomData: u.CustomData, Identities: IdentitiesOf(u.Identities),
		Profile: u.Profile, IsSuspended: u.IsSuspended, HasPassword: u.PasswordHash != "",
		CreatedAt: u.CreatedAt.UnixMilli(), UpdatedAt: u.UpdatedAt.UnixMilli(),
	}
	if out.CustomData == nil {
		out.CustomData = map[string]any{}
	}
	if !u.LastSignInAt.IsZero() {
		v := u.LastSignInAt.UnixMilli()
		out.LastSignInAt = &v
	}
	return out
}

// Identity is Logto's entry of a user's identities: the user's id at the
// social provider and the provider's profile of them.
type Identity struct {
	UserID  string         `json:"userId"`
	Details map[string]any `json:"details,omitempty"`
}

// Identities are a user's identities by target, Logto's identities object.
type Identities map[string]Identity

// IdentitiesOf is ids in Logto's shape; never nil, so that none is {}.
func IdentitiesOf(ids []store.Identity) Identities {
	out := make(Identities, len(ids))
	for _, id := range ids {
		out[id.Target] = Identity{UserID: id.ExternalID, Details: id.Details}
	}
	return out
}

// OrNull is s as a nullable string: nil when s is unset ("").
func OrNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Role is Logto's role shape.
type Role struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Type        store.RoleType `json:"type"`
	// IsDefault is Logto's "given to every new user" (User roles only).
	IsDefault bool `json:"isDefault"`
}

// RoleOf is r in Logto's shape.
func RoleOf(r store.Role) Role {
	return Role{ID: r.ID, Name: r.Name, Description: r.Description, Type: r.Type, IsDefault: r.IsDefault}
}

// Scope is Logto's scope shape; createdAt is in Unix milliseconds.
type Scope struct {
	ID          string `json:"id"`
	ResourceID  string `json:"resourceId"`
	Name        string `json:"name"`
	Description string `json:"description"`
	CreatedAt   int64  `json:"createdAt"`
}

// ScopeOf is sc in Logto's shape.
func ScopeOf(sc store.Scope) Scope {
	return Scope{ID: sc.ID, ResourceID: sc.ResourceID, Name: sc.Name, Description: sc.Description, CreatedAt: sc.CreatedAt.UnixMilli()}
}
