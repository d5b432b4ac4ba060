package interaction

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/monban/monban/internal/password"
	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/ratelimit"
	"github.com/monban/monban/internal/store"
)

// MaxIdentifierLen bounds an identifier (username, e-mail address or
// phone number) typed into a sign-in form or sent to a grant.
const MaxIdentifierLen = 254

// Accounts checks an account's password under the sign-in back-off: the
// one rule for every way a password is proved (the hosted pages, the
// password grant).
type Accounts struct {
	Store     store.Store
	Passwords *password.Hasher
	Throttle  *ratelimit.SignIn
	// HashWait bounds how long a check waits for a hashing slot before it
	// is answered CheckBusy.
	HashWait time.Duration
	Logger   *slog.Logger
}

// CheckResult is the outcome of a password check.
type CheckResult int

// The outcomes of a password check.
const (
	CheckOK        CheckResult = iota
	CheckFailed                // wrong password or unknown account (never told apart)
	CheckLocked                // the back-off holds the account or the address
	CheckSuspended             // the right password of a suspended account
	CheckBusy                  // no hashing slot in time, or the store failed
)

// IdentifierType is the type of identifier as Logto names it: "email"
// when it holds an @, "phone" for digits with an optional leading +,
// else "username".
func IdentifierType(identifier string) string {
	switch {
	case strings.Contains(identifier, "@"):
		return "email"
	case isPhone(identifier):
		return "phone"
	}
	return "username"
}

// isPhone reports whether s is a phone number as typed: 6 to 20 digits
// after an optional +, with spaces and hyphens ignored.
func isPhone(s string) bool {
	s = strings.TrimPrefix(s, "+")
	n := 0
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			n++
		case c == ' ' || c == '-':
		default:
			return false
		}
	}
	return n >= 6 && n <= 20
}

// Lookup finds the account identifier names (by username, e-mail address
// or phone number). An unknown one is a zero user and no error.
func (a *Accounts) Lookup(ctx context.Context, identifier string) (store.User, error) {
	var (
		user store.User
		err  error
	)
	switch IdentifierType(identifier) {
	case "email":
		user, err = a.Store.GetUserByEmail(ctx, identifier)
	case "phone":
		user, err = a.byPhone(ctx, identifier)
	default:
		user, err = a.Store.GetUserByUsername(ctx, identifier)
	}
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, nil
	}
	return user, err
}

// byPhone finds the user whose primary phone number is phone, exactly.
func (a *Accounts) byPhone(ctx context.Context, phone string) (store.User, error) {
	users, _, err := a.Store.ListUsers(ctx, store.UserFilter{Match: store.Search{All: true, CaseSensitive: true,
		Matches: []store.Match{{Field: "primaryPhone", Exact: true, Values: []string{phone}}}}}, store.Page{Limit: 1})
	if err != nil {
		return store.User{}, err
	}
	if len(users) == 0 {
		return store.User{}, store.ErrNotFound
	}
	return users[0], nil
}

// CheckPassword checks an identifier and password under the back-off,
// for a request from ip. On a refusal the user is the account the
// identifier names, or nil, and is only for the audit log. An unknown
// identifier costs one argon2id check too, so the answer's timing does
// not tell either. rec is the verification record of the check.
func (a *Accounts) CheckPassword(ctx context.Context, identifier, pw, ip string) (*store.User, store.SignInRecord, CheckResult) {
	rec := store.SignInRecord{VerificationID: randid.ID(), IdentifierType: IdentifierType(identifier), IdentifierValue: identifier}
	if rec.IdentifierType == "phone" {
		rec.IdentifierType = "username" // a password sign-in names a username or an e-mail address
	}
	user, err := a.lookupForPassword(ctx, identifier)
	if err != nil {
		a.Logger.Error("looking up a user failed", "err", err)
		return nil, rec, CheckBusy
	}
	// The account is looked up before the back-off is asked, for known
	// and unknown identifiers alike, so that its username and e-mail
	// address share one count.
	accounts := ratelimit.AccountKeys(user.ID, identifier)
	known := &user // the account named, for the audit log of a refusal
	if user.ID == "" {
		known = nil
	}
	if a.Throttle.Wait(ctx, accounts, ip) > 0 {
		return known, rec, CheckLocked
	}
	hctx, cancel := context.WithTimeout(ctx, a.HashWait)
	defer cancel()
	ok, verr := a.Passwords.Verify(hctx, user.PasswordHash, pw) // "" for no user: a dummy check
	switch {
	case errors.Is(verr, password.ErrBusy):
		return nil, rec, CheckBusy
	case verr != nil:
		a.Logger.Warn("a stored password hash is malformed", "user_id", user.ID)
		ok = false
	}
	if !ok {
		a.Throttle.Fail(ctx, accounts, ip)
		return known, rec, CheckFailed
	}
	a.Throttle.Succeed(ctx, ratelimit.SuccessKeys(user.ID, user.Username, user.PrimaryEmail))
	a.rehash(hctx, &user, pw)
	if user.IsSuspended {
		return known, rec, CheckSuspended
	}
	return &user, rec, CheckOK
}

// lookupForPassword finds the account of a password sign-in: by e-mail
// address when the identifier holds an @, else by username.
func (a *Accounts) lookupForPassword(ctx context.Context, identifier string) (store.User, error) {
	var (
		user store.User
		err  error
	)
	if strings.Contains(identifier, "@") {
		user, err = a.Store.GetUserByEmail(ctx, identifier)
	} else {
		user, err = a.Store.GetUserByUsername(ctx, identifier)
	}
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, nil
	}
	return user, err
}

// rehash replaces the password hash of user, just checked against pw, by
// the server's argon2id when it is a digest imported from another system
// or its costs changed. A failure is logged: the sign-in goes on, and the
// next one tries again.
func (a *Accounts) rehash(ctx context.Context, user *store.User, pw string) {
	hash, err := a.Passwords.Upgrade(ctx, user.PasswordHash, pw)
	if err == nil && hash != "" {
		err = a.Store.RehashUserPassword(context.WithoutCancel(ctx), user.ID, user.PasswordHash, hash)
	}
	switch {
	case err == nil && hash != "":
		user.PasswordHash = hash
	case err != nil && !errors.Is(err, store.ErrNotFound):
		a.Logger.Warn("re-hashing a password failed", "user_id", user.ID, "err", err)
	}
}
