// Package store holds Monban's domain types and the Store interface that every
// storage backend implements. Backends live in sub-packages (sqlite, and later
// postgres); storetest is the conformance suite that all of them must pass.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Errors every backend returns, so callers can map them to HTTP statuses
// without knowing the engine.
var (
	// ErrNotFound: the addressed row (or one named in a batch) does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a unique constraint would be violated (indicator, role
	// name, scope name within a resource, secret name within an app, id).
	ErrConflict = errors.New("already exists")
	// ErrUnavailable: the database could not serve the request for a reason
	// of its own, not the request's: the connection was lost or refused,
	// the database was shut down or dropped, it is out of resources, or it
	// stayed locked. The same request may succeed later.
	ErrUnavailable = errors.New("database unavailable")
)

// AppType is an application's kind, with Logto's names.
type AppType string

const (
	AppMachineToMachine AppType = "MachineToMachine"
	AppTraditional      AppType = "Traditional"
	AppSPA              AppType = "SPA"
	AppNative           AppType = "Native"
)

// Valid reports whether t is one of the known application types.
func (t AppType) Valid() bool {
	switch t {
	case AppMachineToMachine, AppTraditional, AppSPA, AppNative:
		return true
	}
	return false
}

// RoleType says who a role can be given to.
type RoleType string

const (
	RoleUser             RoleType = "User"
	RoleMachineToMachine RoleType = "MachineToMachine"
)

// Valid reports whether t is one of the known role types.
func (t RoleType) Valid() bool { return t == RoleUser || t == RoleMachineToMachine }

// Holder is the kind of subject a role can be given to.
type Holder int

const (
	HolderUser        Holder = iota // an end user
	HolderApplication               // a machine-to-machine application
)

// GivenTo is the role-type rule, the one place it is written: a User role
// is given to users and a MachineToMachine role to applications. A role
// held against this rule (it cannot be assigned, but may be read from an
// older database) grants its holder nothing.
func (t RoleType) GivenTo(h Holder) bool {
	switch h {
	case HolderUser:
		return t == RoleUser
	case HolderApplication:
		return t == RoleMachineToMachine
	}
	return false
}

// Application is a client of the authorization server.
type Application struct {
	ID          string
	Name        string
	Description string
	Type        AppType
	CreatedAt   time.Time

	// OIDC client metadata of apps that sign users in (all but M2M).
	// Redirect URIs are matched exactly.
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	// CORSAllowedOrigins may call the token, userinfo and revocation
	// endpoints from a browser, besides the origins of RedirectURIs.
	CORSAllowedOrigins []string
	// RotateRefreshToken: a new refresh token on every use. Public clients
	// always rotate.
	RotateRefreshToken bool
	// RefreshTokenTTLDays is a refresh token's lifetime; 0 means 14 days.
	RefreshTokenTTLDays int
	// AllowPasswordGrant enables the resource owner password grant.
	AllowPasswordGrant bool
	// AllowPasswordlessGrant enables Auth0's passwordless OTP grant
	// (http://auth0.com/oauth/grant-type/passwordless/otp).
	AllowPasswordlessGrant bool
	// AllowTokenExchange: the app may use the token exchange grant (RFC
	// 8693), as Logto's customClientMetadata.allowTokenExchange.
	AllowTokenExchange bool
	// RequirePAR: the authorization endpoint takes this app's requests
	// only as pushed ones (RFC 9126 request_uri), never in the query.
	RequirePAR bool
	// IsDeviceFlow: a native app signs users in through the device
	// authorization grant (RFC 8628), as Logto's
	// customClientMetadata.isDeviceFlow.
	IsDeviceFlow bool

	// CustomData is the application's own JSON object; empty is nil.
	CustomData map[string]any
	// Logto's client metadata that is kept and returned but not acted
	// upon yet. A TTL of 0 is unset.
	BackchannelLogoutURI             string
	BackchannelLogoutSessionRequired bool
	LogoURI                          string
	IDTokenTTL                       int // seconds
	RefreshTokenTTL                  int // seconds
	AlwaysIssueRefreshToken          bool

	// TokenEndpointAuthMethod is how the app authenticates at the token,
	// introspection and revocation endpoints: "" for its secrets
	// (client_secret_basic or client_secret_post; a public app sends its
	// id alone), AuthPrivateKeyJWT for client assertions signed with
	// ClientKeys or the keys at JWKSURI (RFC 7523), and then only those.
	TokenEndpointAuthMethod string
	// ClientKeys are the public keys the app registered (at most one of
	// ClientKeys and JWKSURI is set).
	ClientKeys []ClientKey
	// JWKSURI is where the app publishes its public keys.
	JWKSURI string
	// RequireDPoP refuses the app tokens not bound to a DPoP key (RFC 9449).
	RequireDPoP bool
}

// AuthPrivateKeyJWT is the private_key_jwt token endpoint authentication
// method (OIDC Core §9).
const AuthPrivateKeyJWT = "private_key_jwt"

// ClientKey is one public key an application registered for its client
// assertions (Auth0's credential of type public_key).
type ClientKey struct {
	ID        string          // the credential's id
	Name      string          // "" when none was given
	JWK       json.RawMessage // the public key as a JWK (RFC 7517), with its kid and alg
	CreatedAt time.Time
	ExpiresAt time.Time // zero: never expires
}

// AppSecret is one named secret of an application. Only a keyed hash of the
// secret is stored; the value is shown once, when it is created.
type AppSecret struct {
	AppID     string
	Name      string
	Hash      []byte
	CreatedAt time.Time
	ExpiresAt time.Time // zero: never expires
}

// Expired reports whether the secret no longer authenticates at now.
func (s AppSecret) Expired(now time.Time) bool {
	return !s.ExpiresAt.IsZero() && !now.Before(s.ExpiresAt)
}

// Resource is an API resource, named by its indicator (RFC 8707).
type Resource struct {
	ID             string
	Name           string
	Indicator      string
	AccessTokenTTL int // seconds
	IsDefault      bool
	// RBACDisabled turns Auth0's "Enable RBAC" off for the resource: a
	// user token gets every requested scope the resource defines, whatever
	// the user's roles. The zero value enforces roles, as Logto always does.
	RBACDisabled bool
	// PermissionsClaim is Auth0's "Add Permissions in the Access Token":
	// tokens for the resource carry its granted scopes as a "permissions"
	// array besides "scope".
	PermissionsClaim bool
	CreatedAt        time.Time
}

// Scope is a permission defined by a resource.
type Scope struct {
	ID          string
	ResourceID  string
	Name        string
	Description string
	CreatedAt   time.Time
}

// Role groups scopes; M2M roles are given to M2M applications.
type Role struct {
	ID          string
	Name        string
	Description string
	Type        RoleType
	CreatedAt   time.Time
	// IsDefault User roles are given to every new user.
	IsDefault bool
}

// KeyStatus is a signing key's place in its rotation.
type KeyStatus string

const (
	KeyNext     KeyStatus = "next"     // published, not yet signing
	KeyCurrent  KeyStatus = "current"  // signs new tokens
	KeyPrevious KeyStatus = "previous" // published until its last token has expired
)

// SigningKey is a private key the server signs tokens with.
type SigningKey struct {
	ID         string // the JWK "kid"
	Algorithm  string // ES256, ES384, RS256, EdDSA
	Status     KeyStatus
	PrivateKey []byte // PKCS #8, DER
	CreatedAt  time.Time
	// RetiredAt is when the key stopped being current (zero while it is
	// next or current).
	RetiredAt time.Time
}

// RoleScope links a role to a scope it grants.
type RoleScope struct{ RoleID, ScopeID string }

// RoleApplication links an M2M role to an application holding it.
type RoleApplication struct{ RoleID, AppID string }

// Catalog is everything the token endpoint needs, read in one consistent
// snapshot. The hot path works from an in-memory copy of it.
type Catalog struct {
	Applications     []Application
	Secrets          []AppSecret
	Resources        []Resource
	Scopes           []Scope
	Roles            []Role
	RoleScopes       []RoleScope
	RoleApplications []RoleApplication
	SigningKeys      []SigningKey
	JWTCustomizers   []JWTCustomizer
}

// Page selects part of a list. Limit 0 means no limit.
type Page struct {
	Offset int
	Limit  int
}

// RoleFilter narrows a role listing.
type RoleFilter struct {
	Type RoleType // empty: all types
	// Match is Logto's search, on id, name and description.
	Match Search
	// ExcludeUserID and ExcludeApplicationID leave out the roles the user
	// or the application holds.
	ExcludeUserID        string
	ExcludeApplicationID string
	// UserID and ApplicationID keep only the roles the user or the
	// application holds.
	UserID        string
	ApplicationID string
}

// Store is the persistence interface: one interface per aggregate, each
// declared in the file of its aggregate and with its own section of the
// conformance suite (package storetest). Implementations must be safe for
// concurrent use. Lists return the rows of the page and the total count.
// Listings are ordered by creation time, oldest first, then id.
type Store interface {
	ApplicationStore
	AppSecretStore
	ResourceStore
	ScopeStore
	RoleStore
	SigningKeyStore
	SettingStore
	CatalogStore
	UserStore
	IdentityStore
	MFAStore
	CustomizerStore
	AuditStore
	SecretStore
	Interactions
	Events
	WebhookStore
	PasswordTicketStore
	VerificationCodeStore
	ConnectorStore
	MessageOutbox
	SignInExperienceStore
	ExperienceTextStore
	OrganizationStore
	ReplayStore
	PushedRequestStore
	ExchangeStore
	SSOConnectorStore
	DeviceStore

	// Ping checks that the database answers.
	Ping(ctx context.Context) error

	// LockSetUp waits until no other instance sharing the database is
	// seeding it (first-start resources, apps and administrator), then
	// holds that lock until release is called (or the instance dies).
	// Engines that one process owns need no lock and return at once.
	LockSetUp(ctx context.Context) (release func(), err error)

	Close() error
}
