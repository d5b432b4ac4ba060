package server

import (
	"context"

	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/passwordless"
	"github.com/monban/monban/internal/verifycode"
)

// passwordless builds Auth0's passwordless sign-in: one-time codes kept in
// the database and delivered through Config.CodeDeliverer, users made at
// their first sign-in when Config.SignUp opens sign-up.
func (s *Server) passwordless(dir *directory.Directory) *passwordless.Service {
	codes := verifycode.New(s.store, s.cfg.CodeDeliverer, verifycode.Options{Now: s.cfg.Clock.Now})
	signUp := s.cfg.SignUp
	return passwordless.New(passwordless.Config{
		Codes: codes, Directory: dir, Users: s.store, Logger: s.cfg.Logger,
		SignUp: func(context.Context) bool { return signUp },
	})
}
