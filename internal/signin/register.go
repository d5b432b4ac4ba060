package signin

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/interaction"
	"github.com/monban/monban/internal/password"
	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
)

var errorsIs = errors.Is

// RecordNewPasswordIdentity is Logto's record of an account made with a
// username and a new password.
const RecordNewPasswordIdentity = "NewPasswordIdentity"

// serveRegister is a sign-up by username and password. Whether a
// username is taken cannot be hidden (the person must choose another),
// as in Logto and Auth0; e-mail addresses and phone numbers are never
// told (serveSendCode).
func (s *Pages) serveRegister(w http.ResponseWriter, r *http.Request) {
	f, v := s.form(w, r, "register", "username", "new_password")
	if v == nil {
		return
	}
	username, pw := strings.TrimSpace(f.Get("username")), f.Get("new_password")
	refuse := func(status int, field, key string, issues []password.Issue) {
		s.show(w, r, v, status, "register", func(p *page) {
			p.Values = map[string]string{"username": username}
			p.Errors = map[string]string{}
			if key != "" {
				p.Errors[field] = p.T(key)
			}
			for _, is := range issues {
				p.Issues = append(p.Issues, p.issueText(is))
			}
		})
	}
	if !v.screens.SignUpUsername {
		s.show(w, r, v, http.StatusForbidden, "register", func(p *page) { p.Error = p.T("err_signup_disabled") })
		return
	}
	switch {
	case username == "":
		refuse(http.StatusBadRequest, "username", "err_required", nil)
		return
	case len(username) > 128:
		username = ""
		refuse(http.StatusBadRequest, "username", "err_too_long", nil)
		return
	case directory.CheckUsername(username) != nil:
		refuse(http.StatusBadRequest, "username", "err_username", nil)
		return
	case pw == "":
		refuse(http.StatusBadRequest, "new_password", "err_required", nil)
		return
	case len(pw) > password.MaxLen:
		refuse(http.StatusBadRequest, "new_password", "err_too_long", nil)
		return
	}
	if issues := v.exp.checkPassword(pw, password.UserInfo{Username: username}); len(issues) > 0 {
		refuse(http.StatusBadRequest, "new_password", "", issues)
		return
	}
	if err := s.begin(r, v.it, interaction.EventRegister, interaction.ActIdentified); err != nil {
		s.interactionError(w, r, v.exp, "starting a sign-up over", err)
		return
	}
	user, err := s.cfg.Directory.CreateUser(context.WithoutCancel(r.Context()), directory.NewUser{Password: &pw,
		UserFields: directory.UserFields{Username: &username, By: directory.BySignUp}})
	var de *directory.Error
	switch {
	case errors.As(err, &de) && de.Kind == directory.Conflict:
		refuse(http.StatusConflict, "username", "err_username_taken", nil)
		return
	case errors.As(err, &de) && de.Kind == directory.Invalid:
		refuse(http.StatusBadRequest, "new_password", "err_password", nil)
		return
	case err != nil:
		s.busy(w, r, v, "register", "creating a user at sign-up failed", err)
		return
	}
	if err := v.it.Identify(username); err != nil {
		s.interactionError(w, r, v.exp, "a sign-up interaction", err)
		return
	}
	v.it.Records = append(v.it.Records, store.Verification{ID: randid.ID(), Type: RecordNewPasswordIdentity,
		IdentifierType: "username", IdentifierValue: username, Verified: true})
	if err := v.it.PasswordSet(user.ID); err != nil {
		s.interactionError(w, r, v.exp, "a sign-up interaction", err)
		return
	}
	s.finish(w, r, v, &user)
}

// busy answers a failure of the store or the hashing slots on screen.
func (s *Pages) busy(w http.ResponseWriter, r *http.Request, v *view, screen, what string, err error) {
	if !errors.Is(err, store.ErrUnavailable) && !errors.Is(err, password.ErrBusy) {
		s.cfg.Logger.Error(what, "err", err)
	}
	w.Header().Set("Retry-After", "5")
	s.show(w, r, v, http.StatusServiceUnavailable, screen, func(p *page) { p.Error = p.T("err_busy") })
}
