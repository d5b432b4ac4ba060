package server

import (
	"context"

	"github.com/monban/monban/internal/clock"
	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/passwordless"
	"github.com/monban/monban/internal/pwticket"
)

// passwordless builds Auth0's passwordless sign-in: one-time codes kept in
// the database and delivered by the connectors (or Config.CodeDeliverer),
// users made at their first sign-in when the sign-in experience opens
// sign-up.
func (s *Server) passwordless(dir *directory.Directory) *passwordless.Service {
	return passwordless.New(passwordless.Config{
		Codes: s.codes, Directory: dir, Users: s.store, Logger: s.cfg.Logger,
		SignUp: func(ctx context.Context) bool {
			ok, err := s.signUpAllowed(ctx)
			if err != nil {
				s.cfg.Logger.Warn("reading the sign-in experience failed; sign-up stays closed", "err", err)
			}
			return ok && err == nil
		},
	})
}

// passwordTickets builds the password-change tickets of Auth0's reset
// e-mail and Management API v2. The e-mail goes through the connectors'
// outbox as codes do, unless Config.ResetMailer takes it.
func (s *Server) passwordTickets(dir *directory.Directory) *pwticket.Service {
	mailer := s.cfg.ResetMailer
	if mailer == nil {
		mailer = pwticket.Outbox{Deliverer: s.deliverer}
	}
	return pwticket.New(pwticket.Config{Store: s.store, Directory: dir, Endpoint: s.cfg.Endpoint, Mailer: mailer,
		Now: s.cfg.Clock.Now, Logger: s.cfg.Logger})
}

// prunePasswordTickets deletes expired tickets, as the other expired
// records are, until ctx ends.
func (s *Server) prunePasswordTickets(ctx context.Context) {
	clock.Every(ctx, s.cfg.RefreshInterval, func(ctx context.Context) {
		if err := s.store.PrunePasswordTickets(ctx, s.cfg.Clock.Now()); err != nil && ctx.Err() == nil {
			s.cfg.Logger.Warn("pruning expired password tickets failed", "err", err)
		}
	})
}
