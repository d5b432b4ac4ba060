package store

import (
	"context"
	"errors"
	"time"
)

// ErrAlreadyUsed: a single-use credential (authorization code, rotated
// refresh token) was presented again. The caller revokes its grant.
var ErrAlreadyUsed = errors.New("already used")

// UserProfile holds the OIDC standard claims of a user that have no column
// of their own, in Logto's shape.
type UserProfile struct {
	FamilyName        string       `json:"familyName,omitempty"`
	GivenName         string       `json:"givenName,omitempty"`
	MiddleName        string       `json:"middleName,omitempty"`
	Nickname          string       `json:"nickname,omitempty"`
	PreferredUsername string       `json:"preferredUsername,omitempty"`
	Profile           string       `json:"profile,omitempty"`
	Website           string       `json:"website,omitempty"`
	Gender            string       `json:"gender,omitempty"`
	Birthdate         string       `json:"birthdate,omitempty"`
	Zoneinfo          string       `json:"zoneinfo,omitempty"`
	Locale            string       `json:"locale,omitempty"`
	Address           *UserAddress `json:"address,omitempty"`
}

// UserAddress is the OIDC address claim, in Logto's shape.
type UserAddress struct {
	Formatted     string `json:"formatted,omitempty"`
	StreetAddress string `json:"streetAddress,omitempty"`
	Locality      string `json:"locality,omitempty"`
	Region        string `json:"region,omitempty"`
	PostalCode    string `json:"postalCode,omitempty"`
	Country       string `json:"country,omitempty"`
}

// User is an end user. Username, PrimaryEmail and PrimaryPhone are unique
// when set (e-mail addresses regardless of case); "" means unset.
type User struct {
	ID           string
	Username     string
	PrimaryEmail string
	PrimaryPhone string
	// EmailVerified says whether PrimaryEmail is verified; false when
	// there is no address. Who may set it is directory.UserFields's rule.
	EmailVerified bool
	Name          string
	Avatar        string
	CustomData    map[string]any // never nil when read back
	// AppMetadata is data about the user that only the Management API
	// writes (Auth0's app_metadata); nil when empty.
	AppMetadata map[string]any
	Profile     UserProfile
	// PasswordHash is the argon2id PHC string; "" when the user has no
	// password.
	PasswordHash string
	IsSuspended  bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
	LastSignInAt time.Time // zero: never
	// LoginsCount is how many times the user signed in (RecordSignIn);
	// the writes of a user's fields leave it alone.
	LoginsCount int
	// Identities are the user's social identities, by target, read with
	// the user (nil when none); IdentityStore writes them and the writes
	// of UserAccountStore leave them alone.
	Identities []Identity
}

// UserFilter narrows a user listing.
type UserFilter struct {
	// Search matches a substring of the id, username, primary e-mail,
	// primary phone or name, regardless of case. Empty: every user.
	Search string
	// Match is Logto's search, on id, username, primaryEmail,
	// primaryPhone and name.
	Match Search
	// ExcludeRoleID leaves out the users holding this role; RoleID keeps
	// only them.
	ExcludeRoleID string
	RoleID        string
	// ExcludeOrganizationID leaves out the members of this organization.
	ExcludeOrganizationID string
	// Query, when set, keeps only the users it matches (Auth0's user
	// search).
	Query *UserQuery
	// SortBy orders the list by one of the UserSort fields instead of the
	// creation time, ties broken by id; Descending reverses the order.
	SortBy     string
	Descending bool
}

// The fields a user list may be sorted by.
const (
	SortCreatedAt    = "createdAt"
	SortUpdatedAt    = "updatedAt"
	SortLastSignInAt = "lastSignInAt"
	SortLoginsCount  = "loginsCount"
	SortEmail        = "primaryEmail"
	SortName         = "name"
	SortUsername     = "username"
)

// UserQuery is a condition on users: a term (Field and Value) or, when
// Op is set, Children joined by it.
type UserQuery struct {
	Op       QueryOp
	Children []UserQuery
	// Field is one of UserQueryFields, or AppMetadataField followed by
	// a path of keys joined by dots (each of letters, digits, '_' and '-').
	Field string
	// Value is compared exactly (e-mail addresses regardless of case), or
	// as a prefix when Prefix; a value in app metadata is compared as its
	// JSON text (a string without quotes, true, 12).
	Value  string
	Prefix bool
}

// QueryOp joins the children of a UserQuery.
type QueryOp string

// The ways of joining conditions.
const (
	QueryAnd QueryOp = "and"
	QueryOr  QueryOp = "or"
	QueryNot QueryOp = "not" // one child
)

// The fields a UserQuery may name.
const (
	QueryUserID   = "id"
	QueryEmail    = "primaryEmail"
	QueryName     = "name"
	QueryUsername = "username"
	QueryPhone    = "primaryPhone"
	// QueryEmailVerified matches Value "true" or "false" against the
	// verification of the user's primary e-mail address; a user without
	// an address matches neither.
	QueryEmailVerified = "emailVerified"
	AppMetadataField   = "appMetadata."
)

// Search is Logto's search of a list: Matches joined by AND when All,
// else by OR.
type Search struct {
	Matches []Match
	All     bool
	// CaseSensitive compares with case; otherwise exact and like matches
	// both ignore it.
	CaseSensitive bool
}

// Match is one search condition: Field (one the list allows; "" for any of
// them) equal to one of Values when Exact, else matching the LIKE pattern
// Values[0], whose only wildcard is %.
type Match struct {
	Field  string
	Exact  bool
	Values []string
}

// SignInRecord says how a user proved who they are, for the custom claims
// context ("interaction"): the verification record of a password sign-in
// in its first fields, and, for a sign-in at the hosted pages, Logto's
// interaction event and every verification record.
type SignInRecord struct {
	VerificationID  string
	IdentifierType  string // username, email, phone or userId
	IdentifierValue string
	// Event is Logto's interaction event (SignIn, Register,
	// ForgotPassword); "" is a sign-in.
	Event string
	// Verifications are the interaction's records; nil: the one
	// Password record of the fields above.
	Verifications []Verification
}

// Verification is one verification record of a sign-in (Logto's
// VerificationRecord): a password checked, or a one-time code sent for
// TemplateType (SignIn, Register, ForgotPassword) and verified.
type Verification struct {
	ID              string `json:"id"`
	Type            string `json:"type"` // Password, EmailVerificationCode, PhoneVerificationCode
	TemplateType    string `json:"templateType,omitempty"`
	IdentifierType  string `json:"identifierType"` // username, email, phone
	IdentifierValue string `json:"identifierValue"`
	Verified        bool   `json:"verified"`
	// UserID is the account a second factor's record (Totp, BackupCode,
	// WebAuthn) was verified for.
	UserID string `json:"userId,omitempty"`
	// ConnectorID, Target, UserInfo and Issuer are of a Social or
	// EnterpriseSso record: the connector the person came through, the
	// target its identities are kept under, what the provider proved
	// (Logto's socialUserInfo or enterpriseUserInfo) and, for an
	// enterprise provider, its issuer.
	ConnectorID string         `json:"connectorId,omitempty"`
	Target      string         `json:"target,omitempty"`
	UserInfo    map[string]any `json:"userInfo,omitempty"`
	Issuer      string         `json:"issuer,omitempty"`
	// Trip is the pending trip to a provider of an unverified Social or
	// EnterpriseSso record; a verified record has none.
	Trip *Trip `json:"trip,omitempty"`
}

// Trip is a browser's pending trip to an upstream identity provider: the
// state it carries, the nonce the ID token must carry and the PKCE code
// verifier. It is used once.
type Trip struct {
	State    string `json:"state"`
	Nonce    string `json:"nonce"`
	Verifier string `json:"verifier"`
}

// Session is a browser's sign-in at the hosted sign-in page. Its ID is the
// SHA-256 of the cookie value, so a database leak yields no usable cookie.
type Session struct {
	ID        string
	UserID    string
	AuthTime  time.Time
	SignIn    SignInRecord
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Grant is one authorization of a client by a user (one code or password
// grant). Codes, refresh tokens and the record of access tokens hang off
// it; revoking it removes them all.
type Grant struct {
	ID        string
	UserID    string
	ClientID  string
	Scope     string   // space-separated, as granted
	Resources []string // resource indicators granted (RFC 8707)
	AuthTime  time.Time
	SignIn    SignInRecord
	CreatedAt time.Time
	// ExpiresAt is when the last thing issued from the grant expires; it is
	// moved later as tokens are issued. An expired grant may be deleted.
	ExpiresAt time.Time
}

// AuthCode is an authorization code. Its ID is the SHA-256 of the code.
type AuthCode struct {
	ID            string
	GrantID       string
	ClientID      string
	UserID        string
	RedirectURI   string
	Scope         string
	Resources     []string
	Nonce         string
	CodeChallenge string // S256; "" when none was sent
	// Issuer is the issuer whose authorization endpoint issued the code;
	// only that issuer's token endpoint redeems it.
	Issuer    string
	AuthTime  time.Time
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero until redeemed
	// DPoPJKT is the thumbprint of the DPoP key the code is bound to (RFC
	// 9449 §10, dpop_jkt); "" when it is not bound.
	DPoPJKT string
}

// RefreshToken is an opaque refresh token. Its ID is the SHA-256 of the
// token.
type RefreshToken struct {
	ID        string
	GrantID   string
	ClientID  string
	UserID    string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero until rotated
	// DPoPJKT is the thumbprint (RFC 7638) of the DPoP key the token is
	// bound to (RFC 9449 §5); "" when it is not bound.
	DPoPJKT string
}

// IssuedAccessToken records a user access token issued from a grant, so that
// revoking the grant revokes it too.
type IssuedAccessToken struct {
	JTI       string
	GrantID   string
	ExpiresAt time.Time
}

// RevokedAccessToken is an access token revoked before its expiry.
type RevokedAccessToken struct {
	JTI       string
	ExpiresAt time.Time
}

// Issue is what a token response writes along with the step that produced
// it: a new refresh token (optional) and the access tokens issued.
type Issue struct {
	RefreshToken *RefreshToken
	AccessTokens []IssuedAccessToken
}

// UserStore is the persistence of users and of everything issued to them.
type UserStore interface {
	UserAccountStore
	SessionStore
	GrantStore
	RevocationStore
}

// UserAccountStore keeps users and the roles given to them.
type UserAccountStore interface {
	// Users. Create and update return ErrConflict for a username, e-mail
	// (any case) or phone another user has. Reads give the user's
	// identities too. DeleteUser also removes role links, social
	// identities, sessions and grants, revoking the grants' unexpired
	// access tokens at now.
	CreateUser(ctx context.Context, u User) error
	GetUser(ctx context.Context, id string) (User, error)
	GetUserByUsername(ctx context.Context, username string) (User, error)
	GetUserByEmail(ctx context.Context, email string) (User, error) // any case
	ListUsers(ctx context.Context, filter UserFilter, page Page) ([]User, int, error)
	// UpdateUser writes every field of u but the password hash, suspension,
	// creation and last sign-in times and the sign-in count.
	UpdateUser(ctx context.Context, u User) error
	SetUserPassword(ctx context.Context, id, hash string, updatedAt time.Time) error
	// RehashUserPassword replaces the password hash old with hash, the
	// same password hashed anew, leaving the update time: ErrNotFound when
	// the user is gone or their hash is no longer old (the password was
	// changed meanwhile).
	RehashUserPassword(ctx context.Context, id, old, hash string) error
	// SetUserSuspended sets the flag; suspending also ends the user's
	// sessions and revokes their grants, at now.
	SetUserSuspended(ctx context.Context, id string, suspended bool, now time.Time) error
	// RecordSignIn sets the last sign-in time and counts the sign-in; with
	// an origin in ctx (WithOrigin) it appends EventUserSignedIn too.
	RecordSignIn(ctx context.Context, id string, at time.Time) error
	DeleteUser(ctx context.Context, id string, now time.Time) error

	// User roles. Add* are all-or-nothing (ErrNotFound if any id is
	// unknown); links that exist are left alone. Whether the roles are User
	// roles is the caller's concern.
	AddUserRoles(ctx context.Context, userID string, roleIDs []string) error
	AddRoleUsers(ctx context.Context, roleID string, userIDs []string) error
	RemoveUserRole(ctx context.Context, userID, roleID string) error
	ListUserRoles(ctx context.Context, userID string, page Page) ([]Role, int, error)
	ListRoleUsers(ctx context.Context, roleID string, page Page) ([]User, int, error)
}
