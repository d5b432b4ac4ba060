package server

import (
	"github.com/monban/monban/internal/mfa"
	"github.com/monban/monban/internal/passkey"
	"github.com/monban/monban/internal/replay"
)

// passkeys registers WebAuthn as a second-factor type of m and returns
// it as the pages' passkey sign-in; nil (logged) when the endpoint's
// host cannot be a WebAuthn relying party id (an IP address).
func (s *Server) passkeys(m *mfa.Service, used replay.Cache) *passkey.Factor {
	svc, err := passkey.New(passkey.Config{Endpoint: s.cfg.Endpoint, Sealer: s.store.Sealer, Used: used, Now: s.cfg.Clock.Now})
	if err != nil {
		s.cfg.Logger.Warn("passkeys are off: the endpoint needs a host name for them", "endpoint", s.cfg.Endpoint, "err", err)
		return nil
	}
	f := &passkey.Factor{S: svc, MFA: m, Users: s.store}
	m.Register(f)
	return f
}
