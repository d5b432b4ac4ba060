// Package passwordless is Auth0's passwordless sign-in: a one-time code
// (internal/verifycode) sent to an e-mail address or phone number for an
// application, then exchanged for the user the address names, who is
// created at their first sign-in when sign-up is open. The faces are
// internal/auth0auth (POST /passwordless/start) and internal/oidc (the
// passwordless OTP grant); this package holds the rules between them.
package passwordless

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/verifycode"
)

// Codes sends and checks one-time codes (a *verifycode.Service).
type Codes interface {
	Send(ctx context.Context, req verifycode.Request) error
	Verify(ctx context.Context, req verifycode.Request, code string) error
}

// Config is what a Service is built from.
type Config struct {
	Codes     Codes
	Directory *directory.Directory
	// Users looks users up by e-mail address and phone number.
	Users store.UserAccountStore
	// SignUp reports whether an unknown address may become a new user at
	// its first sign-in; nil: never.
	SignUp func(context.Context) bool
	Logger *slog.Logger
}

// Service sends sign-in codes and exchanges them for users.
type Service struct{ cfg Config }

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Service{cfg: cfg}
}

// Errors of SignIn. A code that is wrong, of another application or
// address, used before or never sent is ErrWrongCode alike.
var (
	ErrWrongCode = errors.New("passwordless: wrong address or verification code")
	ErrExpired   = errors.New("passwordless: the verification code has expired")
	ErrExhausted = errors.New("passwordless: too many wrong codes")
	// ErrSignUpClosed: the code was right, but the address has no user
	// and sign-up is closed.
	ErrSignUpClosed = errors.New("passwordless: sign-up is closed")
	ErrSuspended    = errors.New("passwordless: the user is suspended")
)

// Bind is what a code sent through Auth0's API is bound to: the
// application that asked for it, so that another cannot use it.
func Bind(clientID string) string { return "auth0:" + clientID }

// Start is a request to send a sign-in code.
type Start struct {
	ClientID string
	Channel  verifycode.Channel
	To       string // as the client sent it
	Locale   string // "en" or "ja"
	ClientIP string
}

// Send sends a sign-in code to in.To for in.ClientID and returns the
// address as codes are bound to it (verifycode.Normalize). The answer
// does not tell whether a user has the address: with sign-up closed an
// unknown address is sent nothing, and the answer is the same. Errors:
// verifycode's ErrInvalidTarget, ErrNoConnector and *ThrottledError.
func (s *Service) Send(ctx context.Context, in Start) (string, error) {
	to, err := verifycode.Normalize(in.Channel, in.To)
	if err != nil {
		return "", err
	}
	u, err := s.lookup(ctx, in.Channel, to)
	if err != nil {
		return "", err
	}
	if u == nil && !s.signUp(ctx) {
		return to, nil
	}
	req := verifycode.Request{Purpose: verifycode.PurposeSignIn, Channel: in.Channel, To: to, Bind: Bind(in.ClientID),
		Locale: in.Locale, ClientIP: in.ClientIP, ApplicationID: in.ClientID}
	return to, s.cfg.Codes.Send(ctx, req)
}

// Proof is a code presented for a sign-in.
type Proof struct {
	ClientID string
	Channel  verifycode.Channel
	To       string // as the client sent it
	Code     string
	ClientIP string
}

// SignIn checks the code and returns its user: the one holding the
// address, whose e-mail address becomes verified, or a new one when
// sign-up is open (created says so: the sign-in is a registration). The
// code is used up by a right answer.
func (s *Service) SignIn(ctx context.Context, p Proof) (u store.User, created bool, err error) {
	to, err := verifycode.Normalize(p.Channel, p.To)
	if err != nil {
		return store.User{}, false, ErrWrongCode
	}
	req := verifycode.Request{Purpose: verifycode.PurposeSignIn, Channel: p.Channel, To: to, Bind: Bind(p.ClientID),
		ClientIP: p.ClientIP, ApplicationID: p.ClientID}
	if err := s.cfg.Codes.Verify(ctx, req, p.Code); err != nil {
		return store.User{}, false, verifyErr(err)
	}
	found, err := s.lookup(ctx, p.Channel, to)
	switch {
	case err != nil:
		return store.User{}, false, err
	case found == nil:
		return s.signUpUser(ctx, p.Channel, to)
	case found.IsSuspended:
		return store.User{}, false, ErrSuspended
	case p.Channel == verifycode.ChannelEmail && !found.EmailVerified:
		// The person has just shown they read mail sent to the address.
		nu, _, err := s.cfg.Directory.UpdateUser(ctx, found.ID, directory.UserFields{By: directory.ByCode})
		if err != nil {
			s.cfg.Logger.Warn("marking an e-mail address verified failed", "user_id", found.ID, "err", err)
			return *found, false, nil
		}
		return nu, false, nil
	}
	return *found, false, nil
}

// verifyErr maps verifycode's refusals onto SignIn's.
func verifyErr(err error) error {
	switch {
	case errors.Is(err, verifycode.ErrMismatch), errors.Is(err, verifycode.ErrNotFound),
		errors.Is(err, verifycode.ErrInvalidTarget), errors.Is(err, verifycode.ErrInvalidRequest):
		return ErrWrongCode
	case errors.Is(err, verifycode.ErrExpired):
		return ErrExpired
	case errors.Is(err, verifycode.ErrExhausted):
		return ErrExhausted
	}
	return err
}

// signUpUser creates the user of an address that has none, when sign-up
// is open: its e-mail address is verified (the code reached it). created
// is false when another sign-in made the user meanwhile.
func (s *Service) signUpUser(ctx context.Context, ch verifycode.Channel, to string) (store.User, bool, error) {
	if !s.signUp(ctx) {
		return store.User{}, false, ErrSignUpClosed
	}
	in := directory.NewUser{UserFields: directory.UserFields{By: directory.ByCode}}
	if ch == verifycode.ChannelEmail {
		in.PrimaryEmail = &to
	} else {
		in.PrimaryPhone = &to
	}
	// Not cancelled with the request: a half-made sign-up helps no one.
	u, err := s.cfg.Directory.CreateUser(context.WithoutCancel(ctx), in)
	if de := (*directory.Error)(nil); errors.As(err, &de) && de.Kind == directory.Conflict {
		// Another sign-in made the user meanwhile.
		if got, lerr := s.lookup(ctx, ch, to); lerr == nil && got != nil {
			return *got, false, nil
		}
	}
	if err == nil {
		s.cfg.Logger.Info("user signed up by a one-time code", "user_id", u.ID)
	}
	return u, err == nil, err
}

func (s *Service) signUp(ctx context.Context) bool { return s.cfg.SignUp != nil && s.cfg.SignUp(ctx) }

// lookup finds the user holding an address (as Normalize returns it), or
// nil. Phone numbers are stored with or without their plus sign.
func (s *Service) lookup(ctx context.Context, ch verifycode.Channel, to string) (*store.User, error) {
	if ch == verifycode.ChannelEmail {
		u, err := s.cfg.Users.GetUserByEmail(ctx, to)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		return &u, err
	}
	filter := store.UserFilter{Match: store.Search{Matches: []store.Match{
		{Field: "primaryPhone", Exact: true, Values: []string{to, "+" + strings.TrimPrefix(to, "+")}}}}}
	users, _, err := s.cfg.Users.ListUsers(ctx, filter, store.Page{Limit: 1})
	if err != nil || len(users) == 0 {
		return nil, err
	}
	return &users[0], nil
}
