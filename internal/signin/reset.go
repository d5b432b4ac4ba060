package signin

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/pwticket"
	"github.com/monban/monban/internal/store"
)

// The page of a password-change ticket's link ({endpoint}/lo/reset?
// ticket=…, sent by Auth0's /dbconnections/change_password and made by
// the Management API v2's password-change tickets): a screen of the
// pages, in their layout and languages, with their CSRF check. The
// tickets themselves are internal/pwticket's.

// Tickets is what the reset page needs of tickets (a *pwticket.Service).
type Tickets interface {
	Look(ctx context.Context, secret string) (store.PasswordTicket, store.User, error)
	Redeem(ctx context.Context, secret, pw string, origin *store.EventOrigin) (store.PasswordTicket, store.User, error)
}

// resetFields are the reset form's fields, each taken at most once.
var resetFields = []string{"csrf", "ticket", "lang", "password", "password_confirm"}

// serveResetPage shows the form of a live ticket, or says the link cannot
// be used.
func (s *Pages) serveResetPage(w http.ResponseWriter, r *http.Request) {
	exp := s.experience(r.Context())
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil || len(q["ticket"]) > 1 || len(q["ui_locales"]) > 1 {
		s.errorPage(w, exp.chooseLanguage("", r), exp, http.StatusBadRequest, "err_malformed")
		return
	}
	lang := exp.chooseLanguage(q.Get("ui_locales"), r)
	secret := q.Get("ticket")
	_, u, err := s.cfg.Tickets.Look(r.Context(), secret)
	if err != nil {
		s.resetFailure(w, lang, exp, err)
		return
	}
	s.resetForm(w, r, http.StatusOK, lang, exp, secret, u.PrimaryEmail, nil)
}

// serveReset sets the new password from the form: then the ticket's
// result_url, or a page that says it is done.
func (s *Pages) serveReset(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	exp := s.experience(r.Context())
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, exp.chooseLanguage("", r), exp, http.StatusBadRequest, "err_malformed")
		return
	}
	f := r.PostForm
	for _, name := range resetFields {
		if len(f[name]) > 1 {
			s.errorPage(w, exp.chooseLanguage("", r), exp, http.StatusBadRequest, "err_malformed")
			return
		}
	}
	lang := exp.chooseLanguage(f.Get("lang"), r)
	secret, pw := f.Get("ticket"), f.Get("password")
	_, u, err := s.cfg.Tickets.Look(r.Context(), secret)
	if err != nil {
		s.resetFailure(w, lang, exp, err)
		return
	}
	switch {
	case !s.cfg.Cookies.CheckCSRF(r, f.Get("csrf")):
		s.resetForm(w, r, http.StatusForbidden, lang, exp, secret, u.PrimaryEmail, func(p *page) { p.Error = p.T("err_expired_form") })
		return
	case pw == "":
		s.resetForm(w, r, http.StatusBadRequest, lang, exp, secret, u.PrimaryEmail, func(p *page) {
			p.Errors = map[string]string{"password": p.T("err_required")}
		})
		return
	case pw != f.Get("password_confirm"):
		s.resetForm(w, r, http.StatusBadRequest, lang, exp, secret, u.PrimaryEmail, func(p *page) {
			p.Errors = map[string]string{"password_confirm": p.T("err_mismatch")}
		})
		return
	}
	origin := &store.EventOrigin{Method: r.Method, Path: r.URL.Path, Route: r.URL.Path, UserAgent: r.UserAgent(), IP: s.clientIP(r)}
	t, u, err := s.cfg.Tickets.Redeem(context.WithoutCancel(r.Context()), secret, pw, origin)
	var de *directory.Error
	switch {
	case errors.As(err, &de):
		s.resetForm(w, r, http.StatusBadRequest, lang, exp, secret, u.PrimaryEmail, func(p *page) {
			p.Errors = map[string]string{"password": p.T("err_password")}
			for _, is := range de.Issues {
				p.Issues = append(p.Issues, p.issueText(is))
			}
			if len(de.Issues) == 0 {
				p.Issues = []string{de.Message}
			}
		})
		return
	case err != nil:
		s.resetFailure(w, lang, exp, err)
		return
	}
	if t.ResultURL != "" {
		http.Redirect(w, r, resultURL(t, u), http.StatusSeeOther)
		return
	}
	p := s.resetPage(lang, exp, "reset_done_title")
	p.Notice = p.T("reset_done")
	s.tpl.render(w, http.StatusOK, "notice", p)
}

// resetPage is a page of the reset link in lang, titled by key.
func (s *Pages) resetPage(lang string, exp Experience, key string) *page {
	p := s.basePage(lang, exp)
	p.Title, p.NoReferrer = p.T(key), true
	p.Action = s.cfg.Endpoint + pwticket.Path
	return p
}

// resetForm shows the form of the ticket secret for the account of
// email; fill adds the errors.
func (s *Pages) resetForm(w http.ResponseWriter, r *http.Request, status int, lang string, exp Experience, secret, email string, fill func(*page)) {
	p := s.resetPage(lang, exp, "reset_title")
	p.CSRF, p.Ticket, p.SentTo = s.cfg.Cookies.CSRF(w, r), secret, email
	if fill != nil {
		fill(p)
	}
	s.tpl.render(w, status, "reset", p)
}

// resetFailure answers a link that cannot be used, or a store that
// failed.
func (s *Pages) resetFailure(w http.ResponseWriter, lang string, exp Experience, err error) {
	if errors.Is(err, pwticket.ErrInvalid) {
		p := s.resetPage(lang, exp, "reset_invalid_title")
		p.Error = p.T("reset_invalid")
		s.tpl.render(w, http.StatusNotFound, "notice", p)
		return
	}
	if !errors.Is(err, store.ErrUnavailable) {
		s.cfg.Logger.Error("the password reset page failed", "err", err)
	}
	w.Header().Set("Retry-After", "5")
	p := s.resetPage(lang, exp, "reset_title")
	p.Error = p.T("err_busy")
	s.tpl.render(w, http.StatusServiceUnavailable, "notice", p)
}

// resultURL is where a ticket's user goes once the password is set, with
// Auth0's success and message (and the address when the ticket says so).
func resultURL(t store.PasswordTicket, u store.User) string {
	dst, err := url.Parse(t.ResultURL)
	if err != nil {
		return t.ResultURL
	}
	q := dst.Query()
	q.Set("success", "true")
	q.Set("message", "You can now login to the application with the new password.")
	if t.IncludeEmail && u.PrimaryEmail != "" {
		q.Set("email", u.PrimaryEmail)
	}
	dst.RawQuery = q.Encode()
	return dst.String()
}
