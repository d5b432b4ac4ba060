// Package pwticket is password-change tickets: the one-time link
// ({endpoint}/lo/reset?ticket=…) of Auth0's reset e-mail
// (/dbconnections/change_password) and of the Management API v2's POST
// /tickets/password-change. A ticket is 32 random bytes; only its SHA-256
// is stored; it expires, and it is used once. The new password is set
// through the directory, whose rule every password writer follows.
package pwticket

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/verifycode"
)

// Lifetimes of a ticket: Auth0's default of five days, and at most 30.
const (
	DefaultTTL = 5 * 24 * time.Hour
	MaxTTL     = 30 * 24 * time.Hour
)

// Path is where the ticket's page is, under the endpoint.
const Path = "/lo/reset"

// maxTicketLen bounds what is taken for a ticket.
const maxTicketLen = 128

// Store is what tickets need of the database.
type Store interface {
	store.PasswordTicketStore
	GetUser(ctx context.Context, id string) (store.User, error)
	GetUserByEmail(ctx context.Context, email string) (store.User, error)
}

// Mail is a reset e-mail to send.
type Mail struct {
	To            string
	Locale        string // "en" or "ja"
	Link          string
	ApplicationID string
}

// Mailer sends a reset e-mail; it should queue it and return quickly.
type Mailer interface {
	SendPasswordReset(ctx context.Context, m Mail) error
}

// Outbox is the Mailer of production: the reset e-mail goes through the
// message connectors' durable outbox (a *connector.Service), as codes do,
// with the ForgotPasswordLink template, whose {{link}} is the link.
type Outbox struct{ Deliverer verifycode.Deliverer }

// SendPasswordReset queues the reset e-mail m.
func (o Outbox) SendPasswordReset(ctx context.Context, m Mail) error {
	return o.Deliverer.Deliver(ctx, verifycode.Message{Channel: verifycode.ChannelEmail, To: m.To,
		Purpose: verifycode.PurposeForgotPasswordLink, Locale: m.Locale, Link: m.Link, ApplicationID: m.ApplicationID})
}

// CanSend reports whether an e-mail connector is configured (when the
// deliverer knows).
func (o Outbox) CanSend() bool {
	if c, ok := o.Deliverer.(verifycode.ChannelChecker); ok {
		return c.HasChannel(verifycode.ChannelEmail)
	}
	return true
}

// Config is what a Service is built from.
type Config struct {
	Store     Store
	Directory *directory.Directory
	// Endpoint is the public base URL the links point to.
	Endpoint string
	// Mailer sends the reset e-mails; nil: none is configured, and a
	// reset request sends nothing (logged).
	Mailer Mailer
	Now    func() time.Time
	Logger *slog.Logger
}

// Service issues and redeems tickets.
type Service struct{ cfg Config }

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.Endpoint = strings.TrimRight(cfg.Endpoint, "/")
	return &Service{cfg: cfg}
}

// ErrInvalid: the ticket is unknown, used or expired; the page says so in
// one way for all three.
var ErrInvalid = errors.New("pwticket: the link is invalid, used or expired")

// Issue is a ticket to make.
type Issue struct {
	UserID            string
	ClientID          string
	ResultURL         string
	TTL               time.Duration // 0: DefaultTTL
	MarkEmailVerified bool
	IncludeEmail      bool
}

// Issue makes a ticket and returns its link. An unknown user is the
// store's ErrNotFound.
func (s *Service) Issue(ctx context.Context, in Issue) (string, error) {
	ttl := in.TTL
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	secret := randid.Secret(32)
	now := s.cfg.Now()
	t := store.PasswordTicket{ID: randid.ID(), Hash: hashOf(secret), UserID: in.UserID, ClientID: in.ClientID, ResultURL: in.ResultURL,
		MarkEmailVerified: in.MarkEmailVerified, IncludeEmail: in.IncludeEmail, CreatedAt: now, ExpiresAt: now.Add(min(ttl, MaxTTL))}
	if err := s.cfg.Store.CreatePasswordTicket(context.WithoutCancel(ctx), t); err != nil {
		return "", err
	}
	return s.cfg.Endpoint + Path + "?ticket=" + url.QueryEscape(secret) + "#", nil
}

// RequestReset sends a reset link to the user holding email, if any, for
// clientID. The caller answers the same whatever happens: the error is
// for its log only.
func (s *Service) RequestReset(ctx context.Context, clientID, email, locale string) error {
	u, err := s.cfg.Store.GetUserByEmail(ctx, strings.TrimSpace(email))
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if u.IsSuspended || u.PrimaryEmail == "" {
		return nil
	}
	if c, ok := s.cfg.Mailer.(interface{ CanSend() bool }); s.cfg.Mailer == nil || ok && !c.CanSend() {
		s.cfg.Logger.Warn("a password reset was asked for, but no e-mail connector is configured", "user_id", u.ID)
		return nil
	}
	link, err := s.Issue(ctx, Issue{UserID: u.ID, ClientID: clientID, MarkEmailVerified: true})
	if err != nil {
		return err
	}
	return s.cfg.Mailer.SendPasswordReset(ctx, Mail{To: u.PrimaryEmail, Locale: locale, Link: link, ApplicationID: clientID})
}

// Look returns the live ticket a link carries and its user.
func (s *Service) Look(ctx context.Context, secret string) (store.PasswordTicket, store.User, error) {
	if secret == "" || len(secret) > maxTicketLen {
		return store.PasswordTicket{}, store.User{}, ErrInvalid
	}
	t, err := s.cfg.Store.GetPasswordTicket(ctx, hashOf(secret))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return t, store.User{}, ErrInvalid
	case err != nil:
		return t, store.User{}, err
	case !t.UsedAt.IsZero() || !s.cfg.Now().Before(t.ExpiresAt):
		return t, store.User{}, ErrInvalid
	}
	u, err := s.cfg.Store.GetUser(ctx, t.UserID)
	if errors.Is(err, store.ErrNotFound) || err == nil && u.IsSuspended {
		return t, u, ErrInvalid
	}
	return t, u, err
}

// Redeem sets the new password of the ticket's user and uses the ticket
// up. A password the directory refuses (a *directory.Error) leaves the
// ticket usable; of two concurrent redemptions one succeeds. With origin
// (the request's, as webhooks report it) the password's change is recorded
// as the end of a ForgotPassword interaction of the ticket's application,
// which webhooks report as Logto's PostResetPassword.
func (s *Service) Redeem(ctx context.Context, secret, pw string, origin *store.EventOrigin) (store.PasswordTicket, store.User, error) {
	t, u, err := s.Look(ctx, secret)
	if err != nil {
		return t, u, err
	}
	// The policy first, so that a refused password leaves the ticket.
	if err := s.cfg.Directory.CheckNewPassword(ctx, pw, directory.UserInfoOf(u)); err != nil {
		return t, u, err
	}
	ctx = context.WithoutCancel(ctx)
	if err := s.cfg.Store.UsePasswordTicket(ctx, t.ID, s.cfg.Now()); err != nil {
		if errors.Is(err, store.ErrAlreadyUsed) || errors.Is(err, store.ErrNotFound) {
			return t, u, ErrInvalid
		}
		return t, u, err
	}
	setCtx := ctx
	if origin != nil {
		o := *origin
		o.ApplicationID, o.InteractionEvent = t.ClientID, "ForgotPassword"
		setCtx = store.WithOrigin(ctx, o)
	}
	if u, err = s.cfg.Directory.SetPassword(setCtx, u.ID, pw); err != nil {
		return t, u, err
	}
	if t.MarkEmailVerified && u.PrimaryEmail != "" && !u.EmailVerified {
		yes := true
		if nu, _, err := s.cfg.Directory.UpdateUser(ctx, u.ID, directory.UserFields{EmailVerified: &yes, By: directory.ByAdmin}); err == nil {
			u = nu
		} else {
			s.cfg.Logger.Warn("marking an e-mail address verified failed", "user_id", u.ID, "err", err)
		}
	}
	s.cfg.Logger.Info("password changed through a ticket", "user_id", u.ID)
	return t, u, nil
}

// hashOf is the stored form of a ticket.
func hashOf(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
