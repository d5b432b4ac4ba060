package server

import (
	"net/http"

	"github.com/monban/monban/internal/browser"
	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/experience"
	"github.com/monban/monban/internal/oidc"
	"github.com/monban/monban/internal/signin"
	"github.com/monban/monban/internal/verifycode"
)

// signInPages builds the hosted sign-in pages over the provider's
// authorization endpoints and password checks, the directory and the
// sign-in experience; codes (nil: no code methods) sends one-time codes.
func (s *Server) signInPages(provider *oidc.Provider, dir *directory.Directory, exp *experience.Service, codes *verifycode.Service) *signin.Pages {
	return signin.New(signin.Config{
		Endpoint: s.cfg.Endpoint, Store: s.store, Authorization: provider, Devices: provider, Accounts: provider.Accounts(),
		Directory: dir, Cookies: browser.New(s.cfg.Endpoint, s.users.oidc.CSRFKey), Codes: codes,
		Experience: signin.ExperienceOf(exp), Audit: interactionAuditor(s.audit),
		ClientIP: func(r *http.Request) string { return ClientIP(r.Context()) },
		Logger:   s.cfg.Logger, Now: s.cfg.Clock.Now,
	})
}
