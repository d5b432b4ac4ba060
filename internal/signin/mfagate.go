package signin

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/monban/monban/internal/interaction"
	"github.com/monban/monban/internal/mfa"
	"github.com/monban/monban/internal/store"
)

// mfaDeviceCookie remembers, for a bounded time, that this browser gave
// a second factor for an account (Config.MFARemember).
const mfaDeviceCookie = "monban_mfa_device"

// mfaGate is the second-factor gate of the pages' completion: for a done
// interaction of an account that needs a second factor and has not
// given one, it moves the interaction to the MFA step (verify or bind),
// saves it and sends the browser to that page, and reports true (it has
// answered). Otherwise it reports false and the sign-in completes.
func (s *Pages) mfaGate(w http.ResponseWriter, r *http.Request, v *view, user *store.User) bool {
	if s.cfg.MFA == nil || !v.exp.MFA.On() || v.it.Step != interaction.StepDone {
		return false
	}
	if _, ok := v.it.MFAVerifiedRecord(); ok {
		return false
	}
	if _, ok := v.it.Record(interaction.RecordSignInPasskey); ok {
		return false // a passkey is a second factor in itself, as in Logto
	}
	// An authorization request that names the multi-factor class in
	// acr_values requires a second factor, as the Mandatory policy does,
	// and a remembered browser does not stand in for it.
	required := slices.Contains(strings.Fields(v.it.Request.Get("acr_values")), interaction.ACRMultiFactor)
	if !required && s.cfg.MFARemember > 0 && s.cfg.MFA.Remembered(user.ID, s.cfg.Cookies.Value(r, mfaDeviceCookie)) {
		return false
	}
	decision, _, err := s.cfg.MFA.Decide(r.Context(), v.exp.MFA, user.ID, required)
	if err != nil {
		s.interactionError(w, r, v.exp, "reading a user's second factors failed", err)
		return true
	}
	path := Path + "/mfa"
	switch decision {
	case mfa.Pass:
		return false
	case mfa.Verify:
		err = v.it.MFARequired()
	case mfa.Enroll:
		err, path = v.it.MFAEnrollRequired(), Path+"/mfa/enroll"
	}
	if err != nil {
		s.interactionError(w, r, v.exp, "moving a sign-in to its second factor failed", err)
		return true
	}
	if !s.save(w, r, v) {
		return true
	}
	http.Redirect(w, r, s.cfg.Endpoint+path+"?"+url.Values{"interaction": {v.it.ID}}.Encode(), http.StatusSeeOther)
	return true
}
