package signin

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/monban/monban/internal/audit"
	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/interaction"
	"github.com/monban/monban/internal/password"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/verifycode"
)

// channelOf is the code channel of an identifier type.
func channelOf(identifierType string) verifycode.Channel {
	if identifierType == "phone" {
		return verifycode.ChannelSMS
	}
	return verifycode.ChannelEmail
}

// canSend reports whether codes can be delivered to identifiers of type
// ("email" or "phone").
func (s *Pages) canSend(identifierType string) bool {
	return s.cfg.Codes != nil && s.cfg.Codes.HasConnector(channelOf(identifierType))
}

// codeScreen is the screen that asks for the identifier of event.
func codeScreen(event interaction.Event) string { return backScreen(event) }

// allowed reports whether the pages take codes of identifierType for
// event, and the words when they do not.
func (v *view) allowed(event interaction.Event, identifierType string) (bool, string) {
	sc, email := v.screens, identifierType == "email"
	switch event {
	case interaction.EventSignIn:
		return email && sc.CodeEmail || !email && sc.CodePhone, "err_method_disabled"
	case interaction.EventRegister:
		return email && sc.SignUpEmail || !email && sc.SignUpPhone, "err_signup_disabled"
	}
	return email && sc.ResetEmail || !email && sc.ResetPhone, "err_method_disabled"
}

// codeRequest names the code of the interaction's identifier, for event.
func (s *Pages) codeRequest(r *http.Request, v *view, event interaction.Event, to, identifierType string) verifycode.Request {
	return verifycode.Request{Purpose: verifycode.Purpose(event), Channel: channelOf(identifierType), To: to,
		Bind: "interaction:" + v.it.ID, Locale: v.lang, ClientIP: s.clientIP(r), ApplicationID: v.it.ClientID}
}

// serveSendCode sends a one-time code to the e-mail address or phone
// number given, for the event of the form (SignIn: a passwordless
// sign-in; Register: a sign-up; ForgotPassword: a reset), and shows the
// code screen. Whether an account has the address is never told: a
// sign-in or reset for an unknown address (with sign-up closed to it)
// sends nothing and answers the same.
func (s *Pages) serveSendCode(w http.ResponseWriter, r *http.Request) {
	f, v := s.form(w, r, "signin", "event", "code_identifier")
	if v == nil {
		return
	}
	event := interaction.Event(f.Get("event"))
	if !event.Valid() {
		s.errorPage(w, v.lang, v.exp, http.StatusBadRequest, "err_malformed")
		return
	}
	screen, raw := codeScreen(event), strings.TrimSpace(f.Get("code_identifier"))
	refuse := func(status int, key string, args ...any) {
		s.show(w, r, v, status, screen, func(p *page) {
			p.Values = map[string]string{"code_identifier": raw}
			p.Errors = map[string]string{"code_identifier": p.T(key, args...)}
		})
	}
	if raw == "" {
		refuse(http.StatusBadRequest, "err_required")
		return
	}
	if len(raw) > interaction.MaxIdentifierLen {
		raw = ""
		refuse(http.StatusBadRequest, "err_too_long")
		return
	}
	identifierType := "phone"
	if strings.Contains(raw, "@") {
		identifierType = "email"
	}
	to, err := verifycode.Normalize(channelOf(identifierType), raw)
	if err != nil {
		refuse(http.StatusBadRequest, map[string]string{"email": "err_email", "phone": "err_phone"}[identifierType])
		return
	}
	if ok, key := v.allowed(event, identifierType); !ok {
		s.show(w, r, v, http.StatusForbidden, screen, func(p *page) { p.Error = p.T(key) })
		return
	}
	if err := s.begin(r, v.it, event, interaction.ActCodeSent); err != nil {
		s.interactionError(w, r, v.exp, "starting an interaction over", err)
		return
	}
	send, err := s.shouldSend(r.Context(), v, event, to, identifierType)
	if err != nil {
		s.busy(w, r, v, screen, "looking up a user failed", err)
		return
	}
	if send {
		err = s.cfg.Codes.Send(r.Context(), s.codeRequest(r, v, event, to, identifierType))
	}
	var throttled *verifycode.ThrottledError
	switch {
	case errors.As(err, &throttled):
		w.Header().Set("Retry-After", retryAfter(throttled.RetryAfter))
		refuse(http.StatusTooManyRequests, "err_code_throttled", int(max(throttled.RetryAfter.Round(time.Second), time.Second)/time.Second))
		return
	case errors.Is(err, verifycode.ErrNoConnector):
		refuse(http.StatusServiceUnavailable, "err_no_connector")
		return
	case errors.Is(err, verifycode.ErrInvalidTarget):
		refuse(http.StatusBadRequest, map[string]string{"email": "err_email", "phone": "err_phone"}[identifierType])
		return
	case err != nil:
		s.busy(w, r, v, screen, "sending a one-time code failed", err)
		return
	}
	if err := v.it.CodeSent(to, identifierType); err != nil {
		s.interactionError(w, r, v.exp, "a code interaction", err)
		return
	}
	if !s.save(w, r, v) {
		return
	}
	s.report(r, audit.Interaction{Key: audit.VerificationKey(string(event), v.it.CodeRecord("").Type, "Create"),
		ClientID: v.it.ClientID, IdentifierType: identifierType})
	s.redirectToScreen(w, r, v, "")
}

// shouldSend decides whether a code goes to the address: for a sign-up
// always (the owner of a taken address is signed in after proving it);
// for a sign-in when an account has it or a sign-up may take it; for a
// reset when an account has it.
func (s *Pages) shouldSend(ctx context.Context, v *view, event interaction.Event, to, identifierType string) (bool, error) {
	if event == interaction.EventRegister {
		return true, nil
	}
	user, err := s.cfg.Accounts.Lookup(ctx, to)
	if err != nil {
		return false, err
	}
	if user.ID != "" {
		return true, nil
	}
	ok, _ := v.allowed(interaction.EventRegister, identifierType)
	return event == interaction.EventSignIn && ok, nil
}

// retryAfter is a Retry-After value of d, at least a second.
func retryAfter(d time.Duration) string {
	secs := int(max(d.Round(time.Second), time.Second) / time.Second)
	return itoa(secs)
}

// redirectToScreen sends the browser to the interaction's page showing
// screen ("" for its own), after a form that changed it: a reload does
// not post the form again.
func (s *Pages) redirectToScreen(w http.ResponseWriter, r *http.Request, v *view, screen string) {
	q := url.Values{"interaction": {v.it.ID}}
	if screen != "" {
		q.Set("screen", screen)
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, s.cfg.Endpoint+Path+"?"+q.Encode(), http.StatusSeeOther)
}

// serveVerifyCode checks the code sent to the interaction's identifier.
// A right one proves the identifier: a sign-in signs in to its account (a
// sign-up with it if none has it and sign-up is open); a sign-up makes
// the account (or signs in to the account that has it); a reset asks for
// the new password.
func (s *Pages) serveVerifyCode(w http.ResponseWriter, r *http.Request) {
	f, v := s.form(w, r, "code", "code")
	if v == nil {
		return
	}
	it := v.it
	if it.Step != interaction.StepCode {
		s.redirectToScreen(w, r, v, "")
		return
	}
	code := strings.Join(strings.Fields(f.Get("code")), "")
	refuse := func(status int, key string) {
		s.show(w, r, v, status, "code", func(p *page) { p.Errors = map[string]string{"code": p.T(key)} })
	}
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		refuse(http.StatusBadRequest, "err_code_format")
		return
	}
	event := it.Event
	req := s.codeRequest(r, v, event, it.Identifier, it.IdentifierType)
	err := s.cfg.Codes.Verify(r.Context(), req, code)
	if err != nil {
		s.codeFailed(w, r, v, err, refuse)
		return
	}
	rec := it.CodeRecord(string(event))
	s.report(r, audit.Interaction{Key: audit.VerificationKey(string(event), rec.Type, "Submit"), ClientID: it.ClientID,
		IdentifierType: it.IdentifierType})
	user, err := s.cfg.Accounts.Lookup(r.Context(), it.Identifier)
	if err != nil {
		s.busy(w, r, v, "code", "looking up a user failed", err)
		return
	}
	switch {
	case user.ID != "" && user.IsSuspended:
		s.show(w, r, v, http.StatusForbidden, "code", func(p *page) { p.Error = p.T("err_suspended") })
	case user.ID != "" && event == interaction.EventRegister:
		s.advance(w, r, v, it.SignInInstead(rec, user.ID), &user)
	case user.ID != "" && event == interaction.EventSignIn:
		s.advance(w, r, v, it.CodeVerified(rec, user.ID), &user)
	case user.ID != "": // a reset: the new password next
		if s.advance(w, r, v, it.CodeVerified(rec, user.ID), nil) {
			s.redirectToScreen(w, r, v, "")
		}
	case event == interaction.EventForgotPassword:
		refuse(http.StatusBadRequest, "err_code_wrong") // no code was sent
	case event == interaction.EventSignIn:
		if ok, _ := v.allowed(interaction.EventRegister, it.IdentifierType); !ok {
			s.show(w, r, v, http.StatusBadRequest, "signin", func(p *page) { p.Error = p.T("err_no_account") })
			return
		}
		if s.advance(w, r, v, it.RegisterInstead(rec), nil) {
			s.fulfil(w, r, v, "")
		}
	default:
		if s.advance(w, r, v, it.CodeVerified(rec, ""), nil) {
			s.fulfil(w, r, v, "")
		}
	}
}

// codeFailed answers a code Verify refused.
func (s *Pages) codeFailed(w http.ResponseWriter, r *http.Request, v *view, err error, refuse func(int, string)) {
	key := ""
	switch {
	case errors.Is(err, verifycode.ErrMismatch), errors.Is(err, verifycode.ErrNotFound):
		key = "err_code_wrong"
	case errors.Is(err, verifycode.ErrExhausted):
		key = "err_code_exhausted"
	case errors.Is(err, verifycode.ErrExpired):
		key = "err_code_expired"
	default:
		s.busy(w, r, v, "code", "checking a one-time code failed", err)
		return
	}
	s.report(r, audit.Interaction{Key: audit.VerificationKey(string(v.it.Event), v.it.CodeRecord("").Type, "Submit"),
		ClientID: v.it.ClientID, IdentifierType: v.it.IdentifierType, Error: strings.TrimPrefix(key, "err_")})
	// The code's own tries are counted durably by verifycode. The
	// interaction is not written: a tab whose code lost to another tab's
	// (already used, so "wrong") must not advance the interaction's
	// version under the tab that won, whose sign-in would then be
	// refused as advanced elsewhere and no one signed in.
	_ = v.it.CodeFailed()
	refuse(http.StatusBadRequest, key)
}

// advance answers err of a step (false), or, with user, finishes the done
// interaction for them; otherwise it saves the interaction (true when
// saved).
func (s *Pages) advance(w http.ResponseWriter, r *http.Request, v *view, err error, user *store.User) bool {
	if err != nil {
		s.interactionError(w, r, v.exp, "advancing an interaction failed", err)
		return false
	}
	if user != nil {
		s.finish(w, r, v, user)
		return false
	}
	return s.save(w, r, v)
}

// fulfil goes on with a sign-up whose identifier is proved: it asks for a
// password when the experience requires one (pw "" so far), or makes the
// account and finishes.
func (s *Pages) fulfil(w http.ResponseWriter, r *http.Request, v *view, pw string) {
	if v.exp.SignUpPassword && pw == "" {
		s.redirectToScreen(w, r, v, "")
		return
	}
	it := v.it
	fields := directory.UserFields{By: directory.ByCode}
	if it.IdentifierType == "email" {
		fields.PrimaryEmail = &it.Identifier
	} else {
		fields.PrimaryPhone = &it.Identifier
	}
	in := directory.NewUser{UserFields: fields}
	if pw != "" {
		in.Password = &pw
	}
	user, err := s.cfg.Directory.CreateUser(context.WithoutCancel(r.Context()), in)
	var de *directory.Error
	switch {
	case errors.As(err, &de) && de.Kind == directory.Conflict:
		// Made meanwhile (another tab): the owner signs in to it.
		s.show(w, r, v, http.StatusConflict, "signin", func(p *page) { p.Error = p.T("err_identifier_taken") })
		return
	case err != nil:
		s.busy(w, r, v, "password", "creating a user at sign-up failed", err)
		return
	}
	if pw != "" {
		err = it.PasswordSet(user.ID)
	} else {
		err = it.ProfileFulfilled(user.ID)
	}
	if err != nil {
		s.interactionError(w, r, v.exp, "a sign-up interaction", err)
		return
	}
	s.finish(w, r, v, &user)
}

// serveNewPassword takes the password of a sign-up whose identifier is
// proved, or the new password of a reset, held to the password policy.
func (s *Pages) serveNewPassword(w http.ResponseWriter, r *http.Request) {
	f, v := s.form(w, r, "password", "new_password")
	if v == nil {
		return
	}
	it := v.it
	if it.Step != interaction.StepProfile {
		s.redirectToScreen(w, r, v, "")
		return
	}
	pw := f.Get("new_password")
	refuse := func(key string, issues []password.Issue) {
		if it.PasswordRejected() == nil {
			_ = s.interactions.Save(context.WithoutCancel(r.Context()), it)
		}
		s.show(w, r, v, http.StatusBadRequest, "password", func(p *page) {
			p.Errors = map[string]string{}
			if key != "" {
				p.Errors["new_password"] = p.T(key)
			}
			for _, is := range issues {
				p.Issues = append(p.Issues, p.issueText(is))
			}
		})
	}
	switch {
	case pw == "":
		refuse("err_required", nil)
		return
	case len(pw) > password.MaxLen:
		refuse("err_too_long", nil)
		return
	}
	var user store.User
	if it.AccountID != "" {
		var err error
		if user, err = s.cfg.Directory.User(r.Context(), it.AccountID); err != nil {
			s.busy(w, r, v, "password", "reading a user failed", err)
			return
		}
	} else if it.IdentifierType == "email" {
		user.PrimaryEmail = it.Identifier
	} else {
		user.PrimaryPhone = it.Identifier
	}
	if issues := v.exp.checkPassword(pw, userInfo(&user)); len(issues) > 0 {
		refuse("", issues)
		return
	}
	if it.Event != interaction.EventForgotPassword {
		s.fulfil(w, r, v, pw)
		return
	}
	updated, err := s.cfg.Directory.SetPassword(context.WithoutCancel(r.Context()), user.ID, pw)
	if err != nil {
		s.busy(w, r, v, "password", "setting a new password failed", err)
		return
	}
	if err := it.PasswordSet(user.ID); err != nil {
		s.interactionError(w, r, v.exp, "a reset interaction", err)
		return
	}
	s.finish(w, r, v, &updated)
}

func itoa(n int) string { return strconv.Itoa(n) }

// codeMinutes is the lifetime of a code sent now, in whole minutes
// (the sign-in experience's verificationCodePolicy, else the server's).
func (s *Pages) codeMinutes(ctx context.Context) int {
	ttl := verifycode.DefaultTTL
	if s.cfg.Codes != nil {
		if lim, err := s.cfg.Codes.Limits(ctx); err == nil {
			ttl = lim.TTL
		}
	}
	return verifycode.Minutes(ttl)
}
