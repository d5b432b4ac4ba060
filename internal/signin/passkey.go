package signin

import (
	"context"
	_ "embed"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/monban/monban/internal/audit"
	"github.com/monban/monban/internal/interaction"
	"github.com/monban/monban/internal/mfa"
	"github.com/monban/monban/internal/passkey"
	"github.com/monban/monban/internal/store"
)

// Passkeys runs the WebAuthn ceremonies of the pages over the accounts'
// registered authenticators (internal/passkey over the WebAuthn MFA
// verifications).
type Passkeys interface {
	// BeginSignIn starts a sign-in by a discoverable credential for the
	// interaction.
	BeginSignIn(interaction string) (passkey.Ceremony, error)
	// FinishSignIn checks the response of that sign-in and returns the
	// account it proves, having stored the credential's new counter and
	// its use. Its errors are internal/passkey's.
	FinishSignIn(ctx context.Context, interaction, state string, response []byte) (userID string, err error)
}

// ceremonyForm is a form that runs a WebAuthn ceremony in the browser
// (static/webauthn.js).
type ceremonyForm struct {
	Options string // the options, JSON
	State   string // sealed, posted back
}

//go:embed static/webauthn.js
var webauthnJS []byte

// serveScript serves the pages' one script.
func serveScript(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(webauthnJS)))
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(webauthnJS)
}

// passkeySignIn is whether the sign-in screen offers a passkey.
func (s *Pages) passkeySignIn(v *view) bool {
	return s.cfg.Passkeys != nil && v.exp.SignIn && v.exp.PasskeySignIn
}

// passkeyForm puts the passkey sign-in's ceremony on the sign-in screen
// p of v; a failure to begin one leaves it off (and is logged).
func (s *Pages) passkeyForm(p *page, v *view) {
	if !s.passkeySignIn(v) {
		return
	}
	c, err := s.cfg.Passkeys.BeginSignIn(v.it.ID)
	if err != nil {
		s.cfg.Logger.Error("beginning a passkey sign-in failed", "err", err)
		return
	}
	p.Passkey, p.Script = &ceremonyForm{Options: string(c.Options), State: c.State}, p.Action+"/webauthn.js"
}

// servePasskey signs in with a passkey: the response of the ceremony the
// sign-in screen began. The account is the one the credential names,
// whatever the interaction had identified.
func (s *Pages) servePasskey(w http.ResponseWriter, r *http.Request) {
	f, v := s.form(w, r, "signin", "state", "response")
	if v == nil {
		return
	}
	refuse := func(status int, key string) {
		s.show(w, r, v, status, "signin", func(p *page) { p.Error = p.T(key) })
	}
	if !s.passkeySignIn(v) {
		refuse(http.StatusForbidden, "err_method_disabled")
		return
	}
	response := f.Get("response")
	if response == "" {
		refuse(http.StatusBadRequest, "err_passkey_script")
		return
	}
	if err := s.begin(r, v.it, interaction.EventSignIn, interaction.ActPasskeyVerified); err != nil {
		s.interactionError(w, r, v.exp, "starting a sign-in over", err)
		return
	}
	key := audit.VerificationKey(string(interaction.EventSignIn), interaction.RecordSignInPasskey, "Submit")
	userID, err := s.cfg.Passkeys.FinishSignIn(r.Context(), v.it.ID, f.Get("state"), []byte(response))
	if err != nil {
		why := passkeyRefusal(err)
		if why == "" {
			s.busy(w, r, v, "signin", "checking a passkey failed", err)
			return
		}
		s.report(r, audit.Interaction{Key: key, ClientID: v.it.ClientID, Error: why})
		status := http.StatusUnauthorized
		if why == "expired" {
			status = http.StatusBadRequest
		}
		if why == "cloned" {
			s.cfg.Logger.Warn("a passkey's signature counter did not move forward: the authenticator may be cloned", "client", v.it.ClientID)
			why = "failed"
		}
		refuse(status, "err_passkey_"+why)
		return
	}
	user, err := s.cfg.Store.GetUser(r.Context(), userID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		refuse(http.StatusUnauthorized, "err_passkey_failed")
		return
	case err != nil:
		s.busy(w, r, v, "signin", "reading a user failed", err)
		return
	case user.IsSuspended:
		s.report(r, audit.Interaction{Key: key, ClientID: v.it.ClientID, UserID: user.ID, Error: "suspended"})
		refuse(http.StatusForbidden, "err_suspended")
		return
	}
	s.report(r, audit.Interaction{Key: key, ClientID: v.it.ClientID, UserID: user.ID})
	if err := v.it.PasskeyVerified(user.ID, interaction.PasskeyRecord()); err != nil {
		s.interactionError(w, r, v.exp, "completing a sign-in interaction failed", err)
		return
	}
	s.finish(w, r, v, &user)
}

// passkeyRefusal is the short reason of a refused ceremony ("" for a
// failure of the server).
func passkeyRefusal(err error) string {
	switch {
	case errors.Is(err, passkey.ErrState), errors.Is(err, passkey.ErrReplayed):
		return "expired"
	case errors.Is(err, passkey.ErrUnknownCredential):
		return "unknown"
	case errors.Is(err, passkey.ErrCloned):
		return "cloned"
	case errors.Is(err, passkey.ErrRefused), errors.Is(err, passkey.ErrMalformed):
		return "failed"
	}
	return ""
}

// webauthnForm is what the "webauthn" template shows: a ceremony's form
// posting to Path, of Kind ("get" or "create"), with Button's words and,
// for a registration, a field for the authenticator's name.
type webauthnForm struct {
	Page       *page
	Form       *ceremonyForm
	Path, Kind string
	Button     string
	Name       bool
	Type       string // the MFA forms' factor type
}

// ceremony is the "webauthn" template's data.
func ceremony(p *page, f *ceremonyForm, path, kind, button string) webauthnForm {
	w := webauthnForm{Page: p, Form: f, Path: path, Kind: kind, Button: button, Name: kind == "create"}
	if strings.HasPrefix(path, "mfa") {
		w.Type = mfa.TypeWebAuthn
	}
	return w
}

// passkeyAnswer is what a passkey's form answers the MFA service: the
// ceremony's state and response, the name given to a new passkey and the
// browser's User-Agent (kept as Logto keeps it).
func passkeyAnswer(f url.Values, r *http.Request) url.Values {
	return url.Values{"state": {f.Get("state")}, "response": {f.Get("response")}, "name": {f.Get("name")}, "agent": {r.UserAgent()}}
}

// mfaPasskeyForm puts the assertion ceremony on the verification page p
// when the account verifies with a passkey; a failure to begin one
// leaves it off (and is logged).
func (s *Pages) mfaPasskeyForm(r *http.Request, v *view, p *page) {
	if p.MFA == nil || !p.MFA.Has(mfa.TypeWebAuthn) || s.cfg.MFA == nil {
		return
	}
	shown, err := s.cfg.MFA.BeginVerify(r.Context(), mfa.Subject{UserID: v.it.AccountID}, mfa.TypeWebAuthn)
	if err != nil || shown == nil {
		if err != nil {
			s.cfg.Logger.Error("beginning a passkey verification failed", "err", err)
		}
		return
	}
	p.MFA.WebAuthn = &ceremonyForm{Options: shown["options"], State: shown["state"]}
}
