package server

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/monban/monban/internal/oidc"
	"github.com/monban/monban/internal/password"
	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/revocation"
)

// UserSettings tune end-user sign-in; zero fields take the defaults, except
// RefreshGrace, where zero means none.
type UserSettings struct {
	// PasswordParams are the argon2id costs of new hashes (default t=2,
	// m=19 MiB, p=1). Lower them only in tests.
	PasswordParams password.Params
	// PasswordConcurrency bounds the hashes running at once (default
	// GOMAXPROCS): each takes the memory cost.
	PasswordConcurrency int
	SessionTTL          time.Duration // default 14 days
	CodeTTL             time.Duration // default and maximum 10 minutes
	RefreshGrace        time.Duration // 0: a rotated refresh token is refused at once
	Throttle            oidc.ThrottleConfig
}

// settingCSRFKey names the stored key of the sign-in form's CSRF tokens,
// shared by every instance.
const settingCSRFKey = "csrf_key"

// userParts are the pieces of end-user sign-in the handlers share.
type userParts struct {
	oidc        *oidc.UsersConfig
	passwords   *password.Hasher
	revocations *revocation.List
}

func (s *Server) setUpUsers(ctx context.Context, pw *password.Hasher) (*userParts, error) {
	stored, err := s.store.EnsureSetting(ctx, settingCSRFKey, randid.Secret(32))
	if err != nil {
		return nil, fmt.Errorf("CSRF key: %w", err)
	}
	key, err := base64.RawURLEncoding.DecodeString(stored)
	if err != nil || len(key) < 32 {
		return nil, errors.New("the stored CSRF key is malformed")
	}
	set := s.cfg.Users
	rev, err := revocation.New(ctx, s.store, s.cfg.Logger, s.cfg.Clock.Now)
	if err != nil {
		return nil, fmt.Errorf("access token revocation list: %w", err)
	}
	rev.Share(s.feed)
	return &userParts{
		passwords:   pw,
		revocations: rev,
		oidc: &oidc.UsersConfig{
			Store: s.store, Passwords: pw, Revocations: rev, Endpoint: s.cfg.Endpoint, CSRFKey: key,
			ClientIP:   func(r *http.Request) string { return ClientIP(r.Context()) },
			SessionTTL: set.SessionTTL, CodeTTL: set.CodeTTL, RefreshGrace: set.RefreshGrace, Throttle: set.Throttle,
		},
	}, nil
}
