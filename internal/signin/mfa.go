package signin

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/monban/monban/internal/audit"
	"github.com/monban/monban/internal/interaction"
	"github.com/monban/monban/internal/mfa"
	"github.com/monban/monban/internal/store"
)

// The second-factor pages: /sign-in/mfa verifies one of the account's
// factors (a TOTP code, or a backup code to recover), /sign-in/mfa/enroll
// binds a first one when the policy requires it. The gate in finish sends
// the browser to them; both end in finish again.

// mfaPage is what the MFA screens show.
type mfaPage struct {
	// Types are the factor types to verify with (mfa) or to choose from
	// (mfa_enroll).
	Types []string
	// Bind is the type being bound, State its sealed state; Secret, URI
	// and QR a TOTP secret's, Codes the backup codes to save.
	Bind, State string
	Secret      string
	// URI is the secret's otpauth:// URI, which the mfa package made.
	URI template.URL
	// QR is a PNG data: URL the mfa package made (never a value from a
	// request), trusted as an image source.
	QR    template.URL
	Codes []string
	// Bound is the type bound before the backup codes are saved.
	Bound string
	// RememberDays, when above zero, offers to remember the browser.
	RememberDays int
	// WebAuthn is the passkey's ceremony: an assertion to verify with, or
	// the registration of the one being bound.
	WebAuthn *ceremonyForm
}

// qrURL trusts a QR code the mfa package made: a PNG data: URL, nothing
// else.
func qrURL(s string) template.URL {
	if !strings.HasPrefix(s, "data:image/png;base64,") || strings.ContainsAny(s, "\"'<> ") {
		return ""
	}
	return template.URL(s)
}

// otpauthURL trusts an otpauth://totp/ URI the mfa package made.
func otpauthURL(s string) template.URL {
	if !strings.HasPrefix(s, "otpauth://totp/") || strings.ContainsAny(s, "\"'<> ") {
		return ""
	}
	return template.URL(s)
}

// Has reports whether typ is among the types.
func (m *mfaPage) Has(typ string) bool { return m != nil && slices.Contains(m.Types, typ) }

// EnrollURL is the enrolment page of the interaction binding typ.
func (p *page) EnrollURL(typ string) string {
	return p.Action + "/mfa/enroll?" + url.Values{"interaction": {p.Interaction}, "type": {typ}}.Encode()
}

// mfaUser reads the interaction's account; on failure it has answered.
func (s *Pages) mfaUser(w http.ResponseWriter, r *http.Request, v *view, screen string) *store.User {
	u, err := s.cfg.Store.GetUser(r.Context(), v.it.AccountID)
	if err != nil {
		s.busy(w, r, v, screen, "reading the account of a sign-in failed", err)
		return nil
	}
	return &u
}

// subject is who a factor of u is bound to, named in an authenticator
// app by the account's username or e-mail address.
func subject(u *store.User) mfa.Subject {
	label := u.Username
	if label == "" {
		label = u.PrimaryEmail
	}
	return mfa.Subject{UserID: u.ID, Label: label}
}

// issuerName names the service in an authenticator app: the brand, else
// the server's host.
func (s *Pages) issuerName(v *view) string {
	if v.exp.Branding.Name != "" {
		return v.exp.Branding.Name
	}
	if u, err := url.Parse(s.cfg.Endpoint); err == nil && u.Host != "" {
		return u.Host
	}
	return "Monban"
}

// openQuery resumes the interaction named in the query of a GET; on
// failure it has answered.
func (s *Pages) openQuery(w http.ResponseWriter, r *http.Request) (*view, url.Values) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil || len(q["interaction"]) != 1 || len(q["type"]) > 1 {
		exp := s.experience(r.Context())
		s.errorPage(w, exp.chooseLanguage("", r), exp, http.StatusBadRequest, "err_malformed")
		return nil, nil
	}
	return s.open(w, r, q.Get("interaction")), q
}

// toStep sends the browser to the page of the interaction's step.
func (s *Pages) toStep(w http.ResponseWriter, r *http.Request, v *view) {
	path := Path
	switch v.it.Step {
	case interaction.StepMFA:
		path += "/mfa"
	case interaction.StepMFAEnroll:
		path += "/mfa/enroll"
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, s.cfg.Endpoint+path+"?"+url.Values{"interaction": {v.it.ID}}.Encode(), http.StatusSeeOther)
}

// mfaOff answers a second-factor page when the server has none.
func (s *Pages) mfaOff(w http.ResponseWriter, r *http.Request, v *view) bool {
	if s.cfg.MFA != nil {
		return false
	}
	s.errorPage(w, v.lang, v.exp, http.StatusNotFound, "err_malformed")
	return true
}

// mfaPageOf is what an MFA screen shows by default (a refused form's
// page): the account's factors to verify, or the types to bind.
func (s *Pages) mfaPageOf(r *http.Request, v *view, screen string) *mfaPage {
	if s.cfg.MFA == nil {
		return &mfaPage{}
	}
	if screen == "mfa_enroll" {
		return &mfaPage{Types: s.cfg.MFA.Bindable(v.exp.MFA)}
	}
	types, err := s.cfg.MFA.Bound(r.Context(), v.it.AccountID, v.exp.MFA.Factors)
	if err != nil {
		s.cfg.Logger.Warn("reading a user's second factors failed", "err", err)
	}
	return &mfaPage{Types: types, RememberDays: int(s.cfg.MFARemember.Hours() / 24)}
}

// serveMFA shows the verification page.
func (s *Pages) serveMFA(w http.ResponseWriter, r *http.Request) {
	v, _ := s.openQuery(w, r)
	if v == nil || s.mfaOff(w, r, v) {
		return
	}
	if v.it.Step != interaction.StepMFA {
		s.toStep(w, r, v)
		return
	}
	s.showMFA(w, r, v, http.StatusOK, nil)
}

// showMFA renders the verification page with the account's factors.
func (s *Pages) showMFA(w http.ResponseWriter, r *http.Request, v *view, status int, fill func(*page)) {
	s.show(w, r, v, status, "mfa", fill)
}

// serveMFAVerify checks a second factor: a TOTP code (type Totp, field
// code) or a backup code (type BackupCode, field backup_code), under the
// back-off.
func (s *Pages) serveMFAVerify(w http.ResponseWriter, r *http.Request) {
	f, v := s.form(w, r, "mfa", "type", "code", "backup_code", "remember")
	if v == nil || s.mfaOff(w, r, v) {
		return
	}
	it := v.it
	if it.Step != interaction.StepMFA {
		s.toStep(w, r, v)
		return
	}
	typ, field := f.Get("type"), "code"
	if typ == mfa.TypeBackupCode {
		field = "backup_code"
	}
	refuse := func(status int, key string) {
		s.showMFA(w, r, v, status, func(p *page) { p.Errors = map[string]string{field: p.T(key)} })
	}
	if !v.exp.MFA.Offers(typ) {
		refuse(http.StatusBadRequest, "err_mfa_type")
		return
	}
	answer := strings.Join(strings.Fields(f.Get(field)), "")
	wrong, given := "err_mfa_code", url.Values{"code": {answer}}
	if typ == mfa.TypeWebAuthn {
		refuse = func(status int, key string) { s.showMFA(w, r, v, status, func(p *page) { p.Error = p.T(key) }) }
		wrong, given, answer = "err_passkey_failed", passkeyAnswer(f, r), "-"
		if given.Get("response") == "" {
			refuse(http.StatusBadRequest, "err_passkey_script")
			return
		}
	}
	if answer == "" || len(answer) > 64 {
		refuse(http.StatusBadRequest, "err_mfa_code")
		return
	}
	u := s.mfaUser(w, r, v, "mfa")
	if u == nil {
		return
	}
	rec, err := s.cfg.MFA.Verify(r.Context(), subject(u), typ, given, s.clientIP(r))
	ev := audit.Interaction{Key: audit.VerificationKey(string(it.Event), typ, "Submit"), ClientID: it.ClientID, UserID: u.ID}
	switch {
	case errors.Is(err, mfa.ErrWrongAnswer):
		ev.Error = "invalid_code"
		s.report(r, ev)
		if it.MFAFailed() == nil {
			if err := s.interactions.Save(r.Context(), it); err != nil && !isInteractionGone(err) {
				s.cfg.Logger.Warn("recording a wrong second factor failed", "err", err)
			}
		}
		refuse(http.StatusUnauthorized, wrong)
		return
	case errors.Is(err, mfa.ErrBadState):
		refuse(http.StatusBadRequest, "err_passkey_expired")
		return
	case errors.Is(err, mfa.ErrLocked):
		ev.Error = "locked"
		s.report(r, ev)
		w.Header().Set("Retry-After", "60")
		refuse(http.StatusTooManyRequests, "err_locked")
		return
	case errors.Is(err, mfa.ErrNotBound), errors.Is(err, mfa.ErrUnknownType):
		refuse(http.StatusBadRequest, "err_mfa_type")
		return
	case err != nil:
		s.busy(w, r, v, "error", "verifying a second factor failed", err)
		return
	}
	s.report(r, ev)
	if f.Get("remember") == "1" && s.cfg.MFARemember > 0 {
		if token, err := s.cfg.MFA.RememberToken(u.ID, s.cfg.MFARemember); err == nil {
			s.cfg.Cookies.Set(w, mfaDeviceCookie, token, int(s.cfg.MFARemember.Seconds()))
		}
	}
	s.advance(w, r, v, it.MFAVerified(rec), u)
}

// serveMFAEnroll shows the binding page: the choice of factor types, or
// the one chosen (type=) or the only one, begun.
func (s *Pages) serveMFAEnroll(w http.ResponseWriter, r *http.Request) {
	v, q := s.openQuery(w, r)
	if v == nil || s.mfaOff(w, r, v) {
		return
	}
	if v.it.Step != interaction.StepMFAEnroll {
		s.toStep(w, r, v)
		return
	}
	types := s.cfg.MFA.Bindable(v.exp.MFA)
	typ := q.Get("type")
	if typ == "" && len(types) == 1 {
		typ = types[0]
	}
	if typ != "" && !slices.Contains(types, typ) {
		s.errorPage(w, v.lang, v.exp, http.StatusBadRequest, "err_malformed")
		return
	}
	s.beginBind(w, r, v, http.StatusOK, types, typ, nil)
}

// beginBind shows the binding page of typ ("": the choice of types),
// begun anew.
func (s *Pages) beginBind(w http.ResponseWriter, r *http.Request, v *view, status int, types []string, typ string, fill func(*page)) {
	m := &mfaPage{Types: types, Bind: typ}
	if typ != "" {
		u := s.mfaUser(w, r, v, "mfa_enroll")
		if u == nil {
			return
		}
		state, shown, err := s.cfg.MFA.BeginBind(r.Context(), subject(u), typ, v.it.ID, s.issuerName(v))
		if err != nil {
			s.bindFailed(w, r, v, err)
			return
		}
		m.State, m.Secret, m.URI, m.QR = state, shown["secret"], otpauthURL(shown["uri"]), qrURL(shown["qr"])
		if o := shown["options"]; o != "" && typ == mfa.TypeWebAuthn {
			m.WebAuthn = &ceremonyForm{Options: o, State: state}
		}
	}
	s.show(w, r, v, status, "mfa_enroll", func(p *page) {
		p.MFA = m
		if fill != nil {
			fill(p)
		}
	})
}

// bindFailed answers a binding the domain refused.
func (s *Pages) bindFailed(w http.ResponseWriter, r *http.Request, v *view, err error) {
	switch {
	case errors.Is(err, mfa.ErrAlreadyBound):
		// Bound meanwhile (another tab): the sign-in verifies it instead.
		if v.it.Choose(v.it.Event) == nil && s.save(w, r, v) {
			s.redirectToScreen(w, r, v, "")
		}
	case errors.Is(err, mfa.ErrUnknownType):
		s.errorPage(w, v.lang, v.exp, http.StatusBadRequest, "err_malformed")
	default:
		s.busy(w, r, v, "error", "binding a second factor failed", err)
	}
}

// serveMFABind finishes binding: a TOTP code of the new secret (then,
// when backup codes are offered, the codes to save), or the saved backup
// codes.
func (s *Pages) serveMFABind(w http.ResponseWriter, r *http.Request) {
	f, v := s.form(w, r, "mfa_enroll", "type", "state", "code", "bound")
	if v == nil || s.mfaOff(w, r, v) {
		return
	}
	it := v.it
	if it.Step != interaction.StepMFAEnroll {
		s.toStep(w, r, v)
		return
	}
	typ, bound := f.Get("type"), f.Get("bound")
	types := s.cfg.MFA.Bindable(v.exp.MFA)
	if !(slices.Contains(types, typ) && bound == "") && !(typ == mfa.TypeBackupCode && slices.Contains(types, bound)) {
		s.errorPage(w, v.lang, v.exp, http.StatusBadRequest, "err_malformed")
		return
	}
	u := s.mfaUser(w, r, v, "mfa_enroll")
	if u == nil {
		return
	}
	who, ip := subject(u), s.clientIP(r)
	bindTo := it.ID
	if bound != "" {
		bindTo += "/" + bound
	}
	code := strings.Join(strings.Fields(f.Get("code")), "")
	given := url.Values{"code": {code}}
	if typ == mfa.TypeWebAuthn {
		if given = passkeyAnswer(f, r); given.Get("response") == "" {
			s.beginBind(w, r, v, http.StatusBadRequest, types, typ, func(p *page) { p.Error = p.T("err_passkey_script") })
			return
		}
	}
	rec, _, err := s.cfg.MFA.FinishBind(r.Context(), who, typ, bindTo, f.Get("state"), given, ip)
	ev := audit.Interaction{Key: audit.VerificationKey(string(it.Event), typ, "Create"), ClientID: it.ClientID, UserID: u.ID}
	switch {
	case errors.Is(err, mfa.ErrWrongAnswer), errors.Is(err, mfa.ErrLocked):
		ev.Error = "invalid_code"
		status, key := http.StatusUnauthorized, "err_mfa_code"
		if errors.Is(err, mfa.ErrLocked) {
			ev.Error, status, key = "locked", http.StatusTooManyRequests, "err_locked"
			w.Header().Set("Retry-After", "60")
		}
		s.report(r, ev)
		if typ == mfa.TypeWebAuthn { // a new ceremony: the last one's state is used
			if key != "err_locked" {
				key = "err_passkey_failed"
			}
			s.beginBind(w, r, v, status, types, typ, func(p *page) { p.Error = p.T(key) })
			return
		}
		shown, ok := s.cfg.MFA.ShowAgain(who, typ, bindTo, f.Get("state"), s.issuerName(v))
		if !ok {
			s.beginBind(w, r, v, status, types, typ, func(p *page) { p.Error = p.T("err_expired_form") })
			return
		}
		s.show(w, r, v, status, "mfa_enroll", func(p *page) {
			p.MFA = &mfaPage{Types: types, Bind: typ, State: f.Get("state"), Secret: shown["secret"], URI: otpauthURL(shown["uri"]), QR: qrURL(shown["qr"])}
			p.Errors = map[string]string{"code": p.T(key)}
		})
		return
	case errors.Is(err, mfa.ErrBadState):
		s.beginBind(w, r, v, http.StatusBadRequest, types, typ, func(p *page) { p.Error = p.T("err_expired_form") })
		return
	case err != nil:
		s.bindFailed(w, r, v, err)
		return
	}
	s.report(r, ev)
	if bound != "" { // the backup codes are saved: the factor bound first signs in
		s.advance(w, r, v, it.MFABound(interaction.MFARecord(bound, u.ID)), u)
		return
	}
	if v.exp.MFA.Offers(mfa.TypeBackupCode) {
		if _, ok := s.cfg.MFA.Factor(mfa.TypeBackupCode); ok {
			state, shown, err := s.cfg.MFA.BeginBind(r.Context(), who, mfa.TypeBackupCode, it.ID+"/"+typ, s.issuerName(v))
			switch {
			case errors.Is(err, mfa.ErrAlreadyBound):
			case err != nil:
				s.busy(w, r, v, "error", "making backup codes failed", err)
				return
			default:
				s.show(w, r, v, http.StatusOK, "mfa_codes", func(p *page) {
					p.MFA = &mfaPage{Bind: mfa.TypeBackupCode, Bound: typ, State: state, Codes: strings.Split(shown["codes"], "\n")}
				})
				return
			}
		}
	}
	s.advance(w, r, v, it.MFABound(rec), u)
}
