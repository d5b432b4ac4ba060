package signin

import (
	"context"
	"net/http"
	"strings"

	"github.com/monban/monban/internal/audit"
	"github.com/monban/monban/internal/interaction"
	"github.com/monban/monban/internal/password"
	"github.com/monban/monban/internal/store"
)

// servePassword is a sign-in by identifier (username or e-mail address)
// and password, under the back-off. A wrong password and an unknown
// account get the same words, so the page tells nothing about which
// accounts exist.
func (s *Pages) servePassword(w http.ResponseWriter, r *http.Request) {
	f, v := s.form(w, r, "signin", "identifier", "password")
	if v == nil {
		return
	}
	identifier, pw := strings.TrimSpace(f.Get("identifier")), f.Get("password")
	refuse := func(status int, key, shown string) {
		s.show(w, r, v, status, "signin", func(p *page) {
			p.Error = p.T(key)
			p.Values = map[string]string{"identifier": shown}
		})
	}
	if c, ok := s.ssoConnectorFor(r, v, identifier); ok {
		// Logto's domain routing: the connector's provider signs in
		// the addresses of its domains, whatever the password.
		s.startSSO(w, r, v, c)
		return
	}
	if !v.exp.PasswordSignIn {
		refuse(http.StatusForbidden, "err_method_disabled", "")
		return
	}
	if identifier == "" || pw == "" || len(identifier) > interaction.MaxIdentifierLen || len(pw) > password.MaxLen {
		refuse(http.StatusUnauthorized, "err_bad_credentials", "")
		return
	}
	if err := s.begin(r, v.it, interaction.EventSignIn, interaction.ActIdentified); err != nil {
		s.interactionError(w, r, v.exp, "starting a sign-in over", err)
		return
	}
	user, rec, status := s.cfg.Accounts.CheckPassword(r.Context(), identifier, pw, s.clientIP(r))
	if status != interaction.CheckBusy {
		ev := audit.Interaction{Key: audit.VerificationKey("SignIn", "Password", "Submit"), ClientID: v.it.ClientID, IdentifierType: rec.IdentifierType}
		if user != nil {
			ev.UserID = user.ID
		}
		if status != interaction.CheckOK {
			ev.Error = map[interaction.CheckResult]string{interaction.CheckLocked: "locked", interaction.CheckFailed: "invalid_credentials",
				interaction.CheckSuspended: "suspended"}[status]
		}
		s.report(r, ev)
	}
	if status != interaction.CheckOK && status != interaction.CheckBusy {
		ev := audit.Interaction{Key: audit.KeySignIn, ClientID: v.it.ClientID, IdentifierType: rec.IdentifierType,
			Error: map[interaction.CheckResult]string{interaction.CheckLocked: "locked", interaction.CheckFailed: "invalid_credentials",
				interaction.CheckSuspended: "suspended"}[status]}
		if user != nil {
			ev.UserID = user.ID
		}
		s.report(r, ev)
	}
	switch status {
	case interaction.CheckLocked:
		w.Header().Set("Retry-After", "60")
		refuse(http.StatusTooManyRequests, "err_locked", identifier)
		return
	case interaction.CheckBusy:
		w.Header().Set("Retry-After", "5")
		refuse(http.StatusServiceUnavailable, "err_busy", identifier)
		return
	case interaction.CheckFailed:
		s.recordFailure(r, v.it, identifier)
		refuse(http.StatusUnauthorized, "err_bad_credentials", identifier)
		return
	case interaction.CheckSuspended:
		refuse(http.StatusForbidden, "err_suspended", identifier)
		return
	}
	err := v.it.Identify(identifier)
	if err == nil {
		err = v.it.PasswordVerified(user.ID, interaction.PasswordRecord(rec.VerificationID, rec.IdentifierType, identifier))
	}
	if err != nil {
		s.interactionError(w, r, v.exp, "completing a sign-in interaction failed", err)
		return
	}
	s.finish(w, r, v, user)
}

// recordFailure saves a wrong password (or unknown account) in the
// interaction. The count is a record, not a limit (the back-off is), so
// a failure to save it, or another tab's save first, changes no answer.
func (s *Pages) recordFailure(r *http.Request, it *interaction.Interaction, identifier string) {
	if it.Identify(identifier) != nil || it.PasswordFailed() != nil {
		return
	}
	if err := s.interactions.Save(context.WithoutCancel(r.Context()), it); err != nil && !isInteractionGone(err) {
		s.cfg.Logger.Warn("recording a failed sign-in attempt failed", "err", err)
	}
}

// isInteractionGone reports an interaction another tab advanced or ended.
func isInteractionGone(err error) bool {
	return errorsIs(err, interaction.ErrConflict) || errorsIs(err, interaction.ErrUnknown)
}

// userInfo is what a new password of u must not contain.
func userInfo(u *store.User) password.UserInfo {
	return password.UserInfo{Username: u.Username, Email: u.PrimaryEmail, Phone: u.PrimaryPhone, Name: u.Name}
}
