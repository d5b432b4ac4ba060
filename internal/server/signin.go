package server

import (
	"net/http"

	"github.com/monban/monban/internal/browser"
	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/experience"
	"github.com/monban/monban/internal/oidc"
	"github.com/monban/monban/internal/replay"
	"github.com/monban/monban/internal/signin"
	"github.com/monban/monban/internal/verifycode"
)

// signInPages builds the hosted sign-in pages over the provider's
// authorization endpoints and password checks, the directory and the
// sign-in experience; codes (nil: no code methods) sends one-time codes;
// used records the passkey ceremonies' single use; tickets are the
// password-change tickets whose link's page they serve.
func (s *Server) signInPages(provider *oidc.Provider, dir *directory.Directory, exp *experience.Service, codes *verifycode.Service,
	used replay.Cache, tickets signin.Tickets) *signin.Pages {
	var passkeys signin.Passkeys
	if pk := s.passkeys(s.mfa, used); pk != nil {
		passkeys = pk
	}
	var social signin.SocialConnectors
	if s.connectors != nil {
		social = s.connectors // social connectors reach providers through the connectors' egress policy
	}
	return signin.New(signin.Config{
		Social:   social,
		Endpoint: s.cfg.Endpoint, Store: s.store, Authorization: provider, Devices: provider, Accounts: provider.Accounts(),
		Directory: dir, Cookies: browser.New(s.cfg.Endpoint, s.users.oidc.CSRFKey), Codes: codes, Tickets: tickets,
		Experience: signin.ExperienceOf(exp), App: exp.App, Audit: interactionAuditor(s.audit), SSO: s.sso,
		MFA: s.mfa, MFARemember: min(s.cfg.MFARememberDevice, MaxMFARememberDevice), Passkeys: passkeys,
		ClientIP: func(r *http.Request) string { return ClientIP(r.Context()) },
		Logger:   s.cfg.Logger, Now: s.cfg.Clock.Now,
	})
}
