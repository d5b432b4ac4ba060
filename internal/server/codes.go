package server

import (
	"github.com/monban/monban/internal/connector"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/verifycode"
)

// setUpCodes builds the message connectors (whose outbox Serve runs) and
// the one-time codes sent through them.
func (s *Server) setUpCodes(st store.Store) {
	opts := s.cfg.Connectors
	if opts.IsZero() {
		opts = connector.DefaultOptions()
	}
	opts.Audit, opts.Logger, opts.Now = s.audit.Log, s.cfg.Logger, s.cfg.Clock.Now
	s.connectors = connector.New(st, opts)
	var d verifycode.Deliverer = s.connectors
	if s.cfg.CodeDeliverer != nil {
		d = s.cfg.CodeDeliverer
	}
	s.deliverer = d
	s.codes = verifycode.New(st, d, verifycode.Options{Now: s.cfg.Clock.Now, Policy: s.experience.CodePolicy})
}

// Codes issues and checks one-time codes, for the faces that send them
// (hosted pages, passwordless).
func (s *Server) Codes() *verifycode.Service { return s.codes }
