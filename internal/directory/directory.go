// Package directory is the domain of applications (and their secrets),
// users, roles, API resources and their scopes: the one place their
// invariants live. It validates every value, enforces the rules between
// them (which role a user or an application may hold, the built-in
// Management API resource, redirect URIs, unique names) and writes them to
// the store. The Management API is a thin adapter over it (shapes,
// pagination and error codes only), and so is the first-start seeding;
// another API or a configuration file applied at start-up can call the
// same methods without copying a rule.
//
// Every refusal is an *Error with a Kind and a stable Reason; a failure of
// the store is returned as the store gave it (store.ErrUnavailable and
// the like), for the caller to answer.
package directory

import (
	"context"
	"errors"
	"time"

	"github.com/monban/monban/internal/password"
	"github.com/monban/monban/internal/store"
)

// Limits on values. Lengths count characters, not bytes.
const (
	maxNameLen        = 256
	maxDescriptionLen = 1024
	maxIndicatorLen   = 256
	maxIDLen          = 256
	// MaxIDsPerRequest bounds the ids one assignment may name.
	MaxIDsPerRequest = 1000
	// DefaultAccessTokenTTL and MaxAccessTokenTTL bound a resource's access
	// token lifetime in seconds. The maximum (30 days) also bounds how long
	// a retired signing key stays published.
	DefaultAccessTokenTTL = 3600
	MaxAccessTokenTTL     = 30 * 86400
)

// Config is what a Directory is built from.
type Config struct {
	Store store.Store
	// ManagementIndicator is the Management API's resource indicator: the
	// resource with it is built in and read-only, and no other resource
	// may take it in another spelling.
	ManagementIndicator string
	// ManagementV2Indicator is the identifier of the Auth0-style
	// Management API v2 ({endpoint}/api/v2/), built in and read-only like
	// the Management API; "" when there is none.
	ManagementV2Indicator string
	// HashSecret returns the keyed hash stored in place of a new
	// application secret. Only a Directory that creates secrets needs it.
	HashSecret func(secret string) []byte
	// Passwords hashes and checks user passwords; nil: argon2id with the
	// default costs.
	Passwords *password.Hasher
	// Now is the clock; nil: time.Now.
	Now func() time.Time
	// PasswordPolicy returns the policy every new password is held to
	// (the sign-in experience's); nil: password.DefaultPolicy.
	PasswordPolicy func(ctx context.Context) (password.Policy, error)
}

// Directory applies the domain's rules to the store. It is safe for
// concurrent use.
type Directory struct {
	st        store.Store
	indicator string
	v2        string
	hash      func(string) []byte
	passwords *password.Hasher
	now       func() time.Time
	policy    func(ctx context.Context) (password.Policy, error)
}

// New returns a Directory. It panics without a store.
func New(c Config) *Directory {
	if c.Store == nil {
		panic("directory: Config.Store is nil")
	}
	d := &Directory{st: c.Store, indicator: c.ManagementIndicator, v2: c.ManagementV2Indicator, hash: c.HashSecret, passwords: c.Passwords, now: c.Now,
		policy: c.PasswordPolicy}
	if d.policy == nil {
		d.policy = func(context.Context) (password.Policy, error) { return password.DefaultPolicy(), nil }
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.passwords == nil {
		d.passwords = password.NewHasher(password.DefaultParams, 0)
	}
	return d
}

// NewChecker returns a Directory without a store, for its Check methods
// alone (CheckApplication, CheckResource, CheckScope, CheckRole): a
// client of a remote server holds values to the same rules before it
// sends them. Any other method panics.
func NewChecker(managementIndicator string) *Directory {
	return &Directory{indicator: managementIndicator, now: time.Now}
}

// Kind is the sort of a refusal.
type Kind int

const (
	// Invalid: a value breaks a rule of its own (length, syntax, range) or
	// of what it is given to (a role type, an application type).
	Invalid Kind = iota + 1
	// NotFound: what the request addresses does not exist.
	NotFound
	// Conflict: the value is another entity's already (a name, an
	// identifier, an indicator).
	Conflict
	// Forbidden: the entity is built in and cannot be changed.
	Forbidden
)

// Error is a refusal: what went wrong (Kind, Reason) and a message that is
// safe to show to the caller.
type Error struct {
	Kind    Kind
	Reason  Reason
	Message string
	// Issues are the ways a new password fails the password policy
	// (Reason is ReasonPasswordRejected).
	Issues []password.Issue
}

func (e *Error) Error() string { return e.Message }

// Reason tells refusals of one Kind apart, for a caller that answers each
// in its own way. The empty Reason is the Kind's plain case.
type Reason string

// The stable reasons.
const (
	// ReasonApplicationType: the application's type cannot do this (public
	// clients hold no secrets; only machine-to-machine apps hold roles).
	ReasonApplicationType Reason = "application_type"
	// ReasonDeviceFlow: only Native applications use the device flow.
	ReasonDeviceFlow Reason = "device_flow"
	// ReasonApplicationRoleType: a role of this type cannot be given to an
	// application (asked from the application's side).
	ReasonApplicationRoleType Reason = "application_role_type"
	// ReasonUserRoleType: a role of this type cannot be given to a user
	// (asked from the user's side).
	ReasonUserRoleType Reason = "user_role_type"
	// ReasonRoleType: the role cannot be given to this kind of holder
	// (asked from the role's side).
	ReasonRoleType Reason = "role_type"
	// ReasonBuiltIn: the Management API resource is read-only.
	ReasonBuiltIn Reason = "built_in"
	// ReasonIndicatorLookalike: the indicator is the Management API's in
	// another spelling.
	ReasonIndicatorLookalike Reason = "indicator_lookalike"
	// ReasonUsernameTaken, ReasonEmailTaken and ReasonPhoneTaken: another
	// user has this identifier.
	ReasonUsernameTaken Reason = "username_taken"
	ReasonEmailTaken    Reason = "email_taken"
	ReasonPhoneTaken    Reason = "phone_taken"
	// ReasonWrongPassword: the password is not the user's.
	ReasonWrongPassword Reason = "wrong_password"
	// ReasonIdentityTaken: another user has this account at the social
	// provider.
	ReasonIdentityTaken Reason = "identity_taken"
	// ReasonIdentityNotFound: the user has no identity at the target.
	ReasonIdentityNotFound Reason = "identity_not_found"
	// ReasonNoSuchID: no application, resource or role has the id asked
	// for (Logto names the missing id in its own code for these).
	ReasonNoSuchID Reason = "no_such_id"
	// ReasonRoleNameTaken: another role has this name.
	ReasonRoleNameTaken Reason = "role_name_taken"
	// ReasonIndicatorTaken: another resource has this indicator.
	ReasonIndicatorTaken Reason = "indicator_taken"
	// ReasonScopeNameTaken: the resource has a scope with this name.
	ReasonScopeNameTaken Reason = "scope_name_taken"
	// ReasonBuiltInDelete: the Management API resource cannot be deleted.
	ReasonBuiltInDelete Reason = "built_in_delete"
	// ReasonConsoleAppDelete: the admin console's own application cannot
	// be deleted (the console signs in with it).
	ReasonConsoleAppDelete Reason = "console_app_delete"
	// ReasonLastAdminDelete: the user is the last one who can sign in to
	// the console (holding a User role with the Management API's "all"
	// permission, not suspended).
	ReasonLastAdminDelete Reason = "last_admin_delete"
	// ReasonLastAdminSuspend: the same user cannot be suspended.
	ReasonLastAdminSuspend Reason = "last_admin_suspend"
	// ReasonRelationNotFound: an organization link names an organization,
	// member, role or scope that does not exist.
	ReasonRelationNotFound Reason = "relation_not_found"
	// ReasonRelationMissing: the organization link to remove does not
	// exist.
	ReasonRelationMissing Reason = "relation_missing"
	// ReasonOrganizationConstraint: the organization link breaks a rule
	// of the model (a role of the wrong type for its holder, an
	// application that is not machine-to-machine as a member).
	ReasonOrganizationConstraint Reason = "organization_constraint"
	// ReasonRequireMembership: the user or application is not a member of
	// the organization.
	ReasonRequireMembership Reason = "require_membership"
	// ReasonRoleNamesNotFound: no organization role has one of the names
	// given.
	ReasonRoleNamesNotFound Reason = "role_names_not_found"
	// ReasonInvitationNotFound: no organization invitation has the id.
	ReasonInvitationNotFound Reason = "invitation_not_found"
	// ReasonInvitationRefused: the invitation cannot be made or changed as
	// asked (the invitee is a member already, the invitation has ended,
	// the user accepting it is not the invitee).
	ReasonInvitationRefused Reason = "invitation_refused"
)

func invalid(message string) error { return &Error{Kind: Invalid, Message: message} }

func notFound(message string) error { return &Error{Kind: NotFound, Message: message} }

func conflict(message string) error { return &Error{Kind: Conflict, Message: message} }

// orNotFound gives a store.ErrNotFound a message naming what was missing.
func orNotFound(err error, message string) error {
	if errors.Is(err, store.ErrNotFound) {
		return notFound(message)
	}
	return err
}

// orConflict gives a store.ErrConflict a message naming what clashed.
func orConflict(err error, message string) error {
	return orConflictFor(err, "", message)
}

// orConflictFor is orConflict with the reason that tells the clash apart.
func orConflictFor(err error, reason Reason, message string) error {
	if errors.Is(err, store.ErrConflict) {
		return &Error{Kind: Conflict, Reason: reason, Message: message}
	}
	return err
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// find reads the row with id, a what, with get: NotFound ("what not
// found") when there is none or no row can have that id.
func find[T any](ctx context.Context, id, what string, get func(context.Context, string) (T, error)) (T, error) {
	if !ValidID(id) {
		var zero T
		return zero, notFound(what + " not found")
	}
	v, err := get(ctx, id)
	return v, orNotFound(err, what+" not found")
}

// findByID is find for the rows whose absence Logto answers naming the
// id: its NotFound carries ReasonNoSuchID.
func findByID[T any](ctx context.Context, id, what string, get func(context.Context, string) (T, error)) (T, error) {
	v, err := find(ctx, id, what, get)
	var e *Error
	if errors.As(err, &e) && e.Kind == NotFound {
		return v, &Error{Kind: NotFound, Reason: ReasonNoSuchID, Message: e.Message}
	}
	return v, err
}

// exists is get without what it read.
func exists[T any](get func(context.Context, string) (T, error)) func(context.Context, string) error {
	return func(ctx context.Context, id string) error {
		_, err := get(ctx, id)
		return err
	}
}

// listFor lists one page of what belongs to the row with id, a what, with
// list, once load (if not nil) has found that row.
func listFor[T any](ctx context.Context, id, what string, load func(context.Context, string) error,
	list func(context.Context, string, store.Page) ([]T, int, error), page store.Page) ([]T, int, error) {
	if !ValidID(id) {
		return nil, 0, notFound(what + " not found")
	}
	if load != nil {
		if err := load(ctx, id); err != nil {
			return nil, 0, err
		}
	}
	items, total, err := list(ctx, id, page)
	return items, total, orNotFound(err, what+" not found")
}

// unlink removes the link between two rows with remove, unless an id is
// one no row can have; missing says what a store.ErrNotFound means.
func unlink(id1, what1, id2, what2 string, remove func() error, missing string) error {
	if err := validIDs(id1, what1, id2, what2); err != nil {
		return err
	}
	return orNotFound(remove(), missing)
}

// validIDs answers NotFound ("what not found") for the first of two ids
// that no stored row can have.
func validIDs(id1, what1, id2, what2 string) error {
	switch {
	case !ValidID(id1):
		return notFound(what1 + " not found")
	case !ValidID(id2):
		return notFound(what2 + " not found")
	}
	return nil
}

// ValidID reports whether id could be the id of a stored row; an id that
// cannot is answered NotFound without asking the store.
func ValidID(id string) bool {
	return id != "" && len(id) <= maxIDLen && !hasControl(id)
}
