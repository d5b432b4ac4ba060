package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

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
	minPasswordLen    = 1 // the password policy's length.min is the real bound
	maxPasswordLen    = 256
	maxCustomDataSize = 16 << 10
	maxSearchLen      = 128
)

var (
	// A letter or underscore, then word characters.
	usernameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// Digits, optionally after a plus sign (E.164 without formatting).
	phoneRe = regexp.MustCompile(`^\+?[0-9]{4,20}$`)
)

// UserFields are the profile fields a new user or a change may give. A nil
// field is left as it is; "" clears it.
type UserFields struct {
	Username     *string
	PrimaryEmail *string
	PrimaryPhone *string
	Name         *string
	Avatar       *string
	CustomData   *map[string]any
	// AppMetadata is Auth0's app_metadata, which only the Management APIs
	// write; an empty object clears it.
	AppMetadata *map[string]any
	Profile     *store.UserProfile
	// IsSuspended is accepted only as the user's state already (false for
	// a new user), so that a user read can be sent back: suspension has
	// its own change, which ends the user's sessions.
	IsSuspended *bool
	// EmailVerified says whether the primary e-mail address is verified;
	// nil leaves it to By (see verifyEmail).
	EmailVerified *bool
	// By is who writes the user, which decides whether the primary
	// e-mail address counts as verified; the zero value is BySignUp.
	By Writer
}

// Writer is who creates or changes a user. Whether a primary e-mail
// address is verified is decided by the writer, in verifyEmail, and
// nowhere else. The zero Writer is BySignUp, so that a caller that names
// no writer never vouches for an address.
type Writer int

const (
	// BySignUp is the person themselves, through open sign-up: nobody
	// has checked that they own the address, so it is unverified, and
	// EmailVerified is refused.
	BySignUp Writer = iota
	// ByAdmin is an administrator through Logto's Management API or the
	// console. Logto has no verification flag: an address an
	// administrator sets counts as verified, unless EmailVerified says
	// otherwise.
	ByAdmin
	// ByAdminUnverified is an administrator through Auth0's Management
	// API, where a new address is unverified unless EmailVerified says it
	// is (Auth0's email_verified).
	ByAdminUnverified
	// ByCode is the person themselves, having entered a one-time code
	// sent to the address (sign-up or sign-in by code at the hosted
	// pages, Auth0's passwordless sign-in): the address is verified, and
	// EmailVerified is refused.
	ByCode
	// ByProvider is the person themselves, signed in through an upstream
	// identity provider that says it verified the address: the address
	// is verified, and EmailVerified is refused. An address a provider
	// did not verify is never written by it.
	ByProvider
)

// NewUser is what creating a user gives: the fields, and a password or an
// imported digest (PasswordDigest, with PasswordAlgorithm one of Logto's
// algorithms: see password.Import), or neither.
type NewUser struct {
	UserFields
	Password          *string
	PasswordDigest    *string
	PasswordAlgorithm *string
}

// apply validates the given fields and writes them into u; it reports
// whether any was given.
func (f *UserFields) apply(u *store.User) (bool, error) {
	if f.IsSuspended != nil && *f.IsSuspended != u.IsSuspended {
		return false, invalid("isSuspended is changed only by the user's is-suspended route")
	}
	given, oldEmail := false, u.PrimaryEmail
	set := func(v *string, dst *string, check func(string) error) error {
		if v == nil {
			return nil
		}
		given = true
		if *v != "" {
			if err := check(*v); err != nil {
				return err
			}
		}
		*dst = *v
		return nil
	}
	for _, err := range []error{
		set(f.Username, &u.Username, CheckUsername),
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
	if f.AppMetadata != nil {
		if err := checkObject("app_metadata", *f.AppMetadata); err != nil {
			return false, err
		}
		u.AppMetadata, given = *f.AppMetadata, true
		if len(u.AppMetadata) == 0 {
			u.AppMetadata = nil
		}
	}
	if f.Profile != nil {
		if err := checkProfile(*f.Profile); err != nil {
			return false, err
		}
		u.Profile, given = *f.Profile, true
	}
	if err := f.verifyEmail(u, oldEmail); err != nil {
		return false, err
	}
	// A code proves the address: that is a change to write even when no
	// field is given.
	return given || f.EmailVerified != nil || f.By == ByCode || f.By == ByProvider, nil
}

// verifyEmail sets whether u's primary e-mail address is verified, after
// a write by f.By that found the address oldEmail: the one rule of who
// may say an address is verified and what each writer gives.
//   - Only an administrator may say so (EmailVerified); on sign-up it is
//     refused.
//   - An address the person proved by entering a code sent to it
//     (ByCode) is verified.
//   - Otherwise a new address (one that differs from oldEmail other than
//     in case; a new user's address is new) is verified when an
//     administrator of Logto's API sets it, and unverified otherwise.
//   - An address that did not change keeps its state.
//   - A user without an address is unverified, and cannot be said to be
//     verified.
func (f *UserFields) verifyEmail(u *store.User, oldEmail string) error {
	changed := !strings.EqualFold(u.PrimaryEmail, oldEmail)
	switch {
	case f.EmailVerified != nil && (f.By == BySignUp || f.By == ByCode || f.By == ByProvider):
		return invalid("email_verified is set only by an administrator")
	case f.By == ByCode || f.By == ByProvider:
		u.EmailVerified = u.PrimaryEmail != ""
	case f.EmailVerified != nil && *f.EmailVerified && u.PrimaryEmail == "":
		return invalid("email_verified cannot be true for a user without an e-mail address")
	case f.EmailVerified != nil:
		u.EmailVerified = *f.EmailVerified
	case changed:
		u.EmailVerified = f.By == ByAdmin
	}
	if u.PrimaryEmail == "" {
		u.EmailVerified = false
	}
	return nil
}

// CheckUsername applies the rule for a username: a letter or underscore,
// then letters, digits and underscores, at most 128 in all.
func CheckUsername(v string) error {
	if len(v) > maxUsernameLen || !usernameRe.MatchString(v) {
		return invalid(fmt.Sprintf("username must start with a letter or underscore and hold only letters, digits and underscores (at most %d)", maxUsernameLen))
	}
	return nil
}

// CheckPassword applies the shape of any new password: 1 to 256
// characters, no NUL. The password policy (CheckNewPassword) asks for
// more. Its messages never repeat the password.
func CheckPassword(v string) error {
	if n := utf8.RuneCountInString(v); n < minPasswordLen || n > maxPasswordLen || len(v) > password.MaxLen {
		return invalid(fmt.Sprintf("password must be %d to %d characters long", minPasswordLen, maxPasswordLen))
	}
	if strings.IndexByte(v, 0) >= 0 {
		return invalid("password must not contain NUL")
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

func checkCustomData(m map[string]any) error { return checkObject("customData", m) }

// checkObject bounds a user's JSON object field.
func checkObject(field string, m map[string]any) error {
	if m == nil {
		return invalid(field + " must be a JSON object")
	}
	b, err := json.Marshal(m)
	if err != nil || len(b) > maxCustomDataSize {
		return invalid(fmt.Sprintf("%s must be a JSON object of at most %d bytes", field, maxCustomDataSize))
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

// userConflict names the identifier another user already has, or answers
// generically when it cannot tell.
func (d *Directory) userConflict(ctx context.Context, u store.User, err error) error {
	if !errors.Is(err, store.ErrConflict) {
		return err
	}
	if u.Username != "" {
		if other, e := d.st.GetUserByUsername(ctx, u.Username); e == nil && other.ID != u.ID {
			return &Error{Kind: Conflict, Reason: ReasonUsernameTaken, Message: "this username is already in use"}
		}
	}
	if u.PrimaryEmail != "" {
		if other, e := d.st.GetUserByEmail(ctx, u.PrimaryEmail); e == nil && other.ID != u.ID {
			return &Error{Kind: Conflict, Reason: ReasonEmailTaken, Message: "this e-mail address is already in use"}
		}
	}
	if u.PrimaryPhone != "" {
		return &Error{Kind: Conflict, Reason: ReasonPhoneTaken, Message: "this phone number or another identifier is already in use"}
	}
	return conflict("a user with this id already exists")
}

// User returns the user with id.
func (d *Directory) User(ctx context.Context, id string) (store.User, error) {
	return find(ctx, id, "user", d.st.GetUser)
}

// Users lists one page of the users filter matches (see UserSearch) and
// their total.
func (d *Directory) Users(ctx context.Context, filter store.UserFilter, page store.Page) ([]store.User, int, error) {
	return d.st.ListUsers(ctx, filter, page)
}

// Refusals of a password import that Logto gives codes of their own.
const (
	// ReasonPasswordAndDigest: both a password and a digest were given.
	ReasonPasswordAndDigest Reason = "password_and_digest"
	// ReasonNoPasswordAlgorithm: a digest came without its algorithm.
	ReasonNoPasswordAlgorithm Reason = "password_algorithm_required"
	// ReasonLegacyFormat: a Legacy digest is not Logto's expression.
	ReasonLegacyFormat Reason = "invalid_legacy_password_format"
	// ReasonLegacyAlgorithm: a Legacy digest names an algorithm not
	// supported.
	ReasonLegacyAlgorithm Reason = "unsupported_legacy_hash_algorithm"
)

var legacyReasons = map[password.LegacyProblem]Reason{
	password.LegacyFormat: ReasonLegacyFormat, password.LegacyAlgorithm: ReasonLegacyAlgorithm,
}

// CreateUser creates a user.
func (d *Directory) CreateUser(ctx context.Context, in NewUser) (store.User, error) {
	now := d.now()
	u := store.User{ID: randid.ID(), CustomData: map[string]any{}, CreatedAt: now, UpdatedAt: now}
	if _, err := in.apply(&u); err != nil {
		return u, err
	}
	switch {
	case in.Password != nil && in.PasswordDigest != nil:
		return u, &Error{Kind: Invalid, Reason: ReasonPasswordAndDigest, Message: "give either password or passwordDigest, not both"}
	case in.Password != nil:
		if err := d.CheckNewPassword(ctx, *in.Password, UserInfoOf(u)); err != nil {
			return u, err
		}
		hash, err := d.passwords.Hash(ctx, *in.Password)
		if err != nil {
			return u, err
		}
		u.PasswordHash = hash
	case in.PasswordDigest != nil:
		// A digest made elsewhere, checked with its own algorithm until
		// the first successful sign-in re-hashes it.
		if in.PasswordAlgorithm == nil {
			return u, &Error{Kind: Invalid, Reason: ReasonNoPasswordAlgorithm, Message: "passwordAlgorithm is required when passwordDigest is given"}
		}
		stored, err := password.Import(*in.PasswordAlgorithm, *in.PasswordDigest)
		if ie := (*password.ImportError)(nil); errors.As(err, &ie) {
			return u, &Error{Kind: Invalid, Reason: legacyReasons[ie.Legacy], Message: ie.Message}
		}
		u.PasswordHash = stored
	case in.PasswordAlgorithm != nil:
		return u, invalid("passwordAlgorithm is only meaningful with passwordDigest")
	}
	if err := d.st.CreateUser(ctx, u); err != nil {
		return u, d.userConflict(ctx, u, err)
	}
	err := d.giveDefaultRoles(ctx, u.ID)
	if err == nil && u.EmailVerified {
		err = d.provision(ctx, u)
	}
	if err != nil {
		if derr := d.st.DeleteUser(ctx, u.ID, d.now()); derr != nil {
			err = fmt.Errorf("%w (and removing the user again failed: %v)", err, derr)
		}
		return store.User{}, fmt.Errorf("give the new user its default roles and organizations: %w", err)
	}
	return u, nil
}

// UpdateUser changes a user's profile fields. changed is false when the
// change gave nothing, and nothing was written.
func (d *Directory) UpdateUser(ctx context.Context, id string, in UserFields) (u store.User, changed bool, err error) {
	if u, err = d.User(ctx, id); err != nil {
		return u, false, err
	}
	if changed, err = in.apply(&u); err != nil || !changed {
		return u, false, err
	}
	u.UpdatedAt = d.now()
	if err := d.st.UpdateUser(ctx, u); err != nil {
		return u, false, d.userConflict(ctx, u, orNotFound(err, "user not found"))
	}
	return u, true, nil
}

// DeleteUser removes a user, ending their sessions and revoking their
// grants. The last administrator is refused (Forbidden,
// ReasonLastAdminDelete): nobody could sign in to the console after.
func (d *Directory) DeleteUser(ctx context.Context, id string) error {
	if !ValidID(id) {
		return notFound("user not found")
	}
	if last, err := d.lastAdmin(ctx, id); err != nil || last {
		if err == nil {
			err = &Error{Kind: Forbidden, Reason: ReasonLastAdminDelete,
				Message: "this user is the last administrator (the only one holding a role with the Management API's \"" + ManagementScope +
					"\" permission who is not suspended): give such a role to another user first"}
		}
		return err
	}
	return orNotFound(d.st.DeleteUser(ctx, id, d.now()), "user not found")
}

// SetPassword gives a user a new password, held to the password policy.
func (d *Directory) SetPassword(ctx context.Context, id, pw string) (store.User, error) {
	if err := CheckPassword(pw); err != nil {
		return store.User{}, err
	}
	u, err := d.User(ctx, id)
	if err != nil {
		return u, err
	}
	if err := d.CheckNewPassword(ctx, pw, UserInfoOf(u)); err != nil {
		return u, err
	}
	hash, err := d.passwords.Hash(ctx, pw)
	if err != nil {
		return u, err
	}
	u.PasswordHash, u.UpdatedAt = hash, d.now()
	return u, orNotFound(d.st.SetUserPassword(ctx, u.ID, hash, u.UpdatedAt), "user not found")
}

// VerifyPassword checks that pw is the user's password (Invalid,
// ReasonWrongPassword when it is not, or the user has none).
func (d *Directory) VerifyPassword(ctx context.Context, id, pw string) error {
	if pw == "" || len(pw) > password.MaxLen {
		return invalid(fmt.Sprintf("password must be 1 to %d bytes long", password.MaxLen))
	}
	u, err := d.User(ctx, id)
	if err != nil {
		return err
	}
	ok, err := d.passwords.Verify(ctx, u.PasswordHash, pw)
	if err != nil && !errors.Is(err, password.ErrMalformed) {
		return err
	}
	if !ok {
		return &Error{Kind: Invalid, Reason: ReasonWrongPassword, Message: "the password does not match"}
	}
	return d.Rehash(ctx, u, pw)
}

// Rehash replaces the password hash of u, just checked against pw, by a
// hash with the server's own argon2id costs when it is an imported digest
// or its costs changed. A password changed meanwhile is left alone.
func (d *Directory) Rehash(ctx context.Context, u store.User, pw string) error {
	hash, err := d.passwords.Upgrade(ctx, u.PasswordHash, pw)
	if err != nil || hash == "" {
		return err
	}
	if err := d.st.RehashUserPassword(ctx, u.ID, u.PasswordHash, hash); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// SetSuspended suspends a user, ending their sessions and revoking their
// grants, or reactivates them. Suspending the last administrator is
// refused (Forbidden, ReasonLastAdminSuspend): a restart would not help,
// since a suspended administrator still counts as one.
func (d *Directory) SetSuspended(ctx context.Context, id string, suspended bool) (store.User, error) {
	u, err := d.User(ctx, id)
	if err != nil {
		return u, err
	}
	if suspended && !u.IsSuspended {
		if last, err := d.lastAdmin(ctx, u.ID); err != nil || last {
			if err == nil {
				err = &Error{Kind: Forbidden, Reason: ReasonLastAdminSuspend,
					Message: "this user is the last administrator who is not suspended: give a role with the Management API's \"" + ManagementScope +
						"\" permission to another user first"}
			}
			return u, err
		}
	}
	now := d.now()
	if err := d.st.SetUserSuspended(ctx, u.ID, suspended, now); err != nil {
		return u, orNotFound(err, "user not found")
	}
	u.IsSuspended, u.UpdatedAt = suspended, now
	return u, nil
}

// MergeCustomData merges data's keys into a user's custom data and returns
// the result.
func (d *Directory) MergeCustomData(ctx context.Context, id string, data map[string]any) (map[string]any, error) {
	u, err := d.User(ctx, id)
	if err != nil {
		return nil, err
	}
	merged := make(map[string]any, len(u.CustomData)+len(data))
	maps.Copy(merged, u.CustomData)
	maps.Copy(merged, data)
	if err := checkCustomData(merged); err != nil {
		return nil, err
	}
	u.CustomData, u.UpdatedAt = merged, d.now()
	if err := d.st.UpdateUser(ctx, u); err != nil {
		return nil, orNotFound(err, "user not found")
	}
	return merged, nil
}
