package signin

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/interaction"
	"github.com/monban/monban/internal/mfa"
	"github.com/monban/monban/internal/sealed"
	"github.com/monban/monban/internal/store"
)

var (
	secretRe = regexp.MustCompile(`<code id="totp-secret">([A-Z2-7]+)</code>`)
	uriRe    = regexp.MustCompile(`<a id="totp-uri" href="([^"]+)"`)
	stateRe  = regexp.MustCompile(`name="state" value="([^"]*)"`)
	codesRe  = regexp.MustCompile(`<li><code>([0-9a-f]{10})</code></li>`)
)

// mfaOn offers TOTP and backup codes under policy.
func (f *flows) mfaOn(policy string) {
	f.setExperience(func(e *Experience) {
		e.MFA = mfa.Policy{Factors: []string{mfa.TypeTotp, mfa.TypeBackupCode}, Policy: policy}
	})
}

// totpCode is the code of secret at the fixture's clock, moved by d.
func (f *flows) totpCode(secret string, d time.Duration) string {
	f.t.Helper()
	c, err := totp.GenerateCodeCustom(secret, f.clock.Now().Add(d), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	must(f.t, err)
	return c
}

// passwordSignIn signs jane in with her password from a fresh
// authorization request.
func (v *visitor) passwordSignIn() *visitor {
	v.f.t.Helper()
	return v.start(url.Values{"prompt": {"login"}}).want(http.StatusOK).submit("", url.Values{"identifier": {"jane"}, "password": {janePassword}})
}

// keep is the current page's form credentials (CSRF token and
// interaction), for posting after an answer without a form.
func (v *visitor) keep() url.Values {
	v.f.t.Helper()
	return url.Values{"csrf": {v.formValue(csrfRe)}, "interaction": {v.formValue(interactionRe)}}
}

// post posts fields with the kept credentials to path (below /sign-in).
func (v *visitor) post(kept url.Values, path string, fields url.Values) *visitor {
	v.f.t.Helper()
	form := url.Values{}
	for k, vs := range kept {
		form[k] = vs
	}
	for k, vs := range fields {
		form[k] = vs
	}
	return v.do("POST", Path+path, form)
}

// formValue is the first match of re on the page, unescaped.
func (v *visitor) formValue(re *regexp.Regexp) string {
	v.f.t.Helper()
	m := re.FindStringSubmatch(v.body)
	if m == nil {
		v.f.t.Fatalf("not on the page: %s\n%s", re, v.body)
	}
	return html.UnescapeString(m[1])
}

// enrollJane signs jane in under a mandatory policy, binds TOTP and saves
// the backup codes: her secret and codes.
func enrollJane(t *testing.T, f *flows) (string, []string) {
	f.mfaOn("Mandatory")
	v := f.visitor("en").passwordSignIn()
	if v.want(http.StatusOK, "Set up two-step verification", "Key:"); !strings.Contains(v.body, `src="data:image/png;base64,`) {
		t.Fatalf("no QR code on the enrolment page: %s", v.body)
	}
	secret := v.formValue(secretRe)
	uri, err := url.Parse(v.formValue(uriRe))
	must(t, err)
	if uri.Scheme != "otpauth" || uri.Host != "totp" || uri.Query().Get("secret") != secret || !strings.HasSuffix(uri.Path, ":jane") {
		t.Fatalf("otpauth URI %s", uri)
	}
	state := v.formValue(stateRe)
	// A wrong code shows the same secret again, with the error.
	v.submit("/mfa/enroll", url.Values{"type": {"Totp"}, "state": {state}, "code": {"000000"}}).
		want(http.StatusUnauthorized, "The code is incorrect.")
	if got := v.formValue(secretRe); got != secret {
		t.Fatalf("the secret changed after a wrong code: %s, want %s", got, secret)
	}
	v.submit("/mfa/enroll", url.Values{"type": {"Totp"}, "state": {state}, "code": {f.totpCode(secret, 0)}}).
		want(http.StatusOK, "Save your backup codes")
	var codes []string
	for _, m := range codesRe.FindAllStringSubmatch(v.body, -1) {
		codes = append(codes, m[1])
	}
	if len(codes) != 10 {
		t.Fatalf("%d backup codes shown: %s", len(codes), v.body)
	}
	v.submit("/mfa/enroll", url.Values{"type": {"BackupCode"}, "bound": {"Totp"}, "state": {v.formValue(stateRe)}})
	v.signedIn()
	rec := v.sessionRecord()
	if !slices.ContainsFunc(rec.Verifications, func(r store.Verification) bool { return r.Type == "Totp" && r.Verified && r.UserID != "" }) {
		t.Fatalf("the session's records lack the bound Totp: %+v", rec.Verifications)
	}
	return secret, codes
}

func TestMFAEnrolThenVerify(t *testing.T) {
	f := newFlows(t)
	secret, codes := enrollJane(t, f)
	u, err := f.st.GetUserByUsername(context.Background(), "jane")
	must(t, err)
	vs, err := f.st.ListMFAVerifications(context.Background(), u.ID)
	must(t, err)
	if len(vs) != 2 || !slices.ContainsFunc(vs, func(v store.MFAVerification) bool { return v.Type == "Totp" }) ||
		!slices.ContainsFunc(vs, func(v store.MFAVerification) bool { return v.Type == "BackupCode" }) {
		t.Fatalf("stored factors %+v", vs)
	}
	for _, v := range vs { // sealed at rest: neither the secret nor a code is readable
		if strings.Contains(string(v.Data), secret) || strings.Contains(string(v.Data), codes[0]) || !sealed.IsSealedString(string(v.Data)) {
			t.Fatalf("factor %s stored in the clear: %q", v.Type, v.Data)
		}
	}

	// The next sign-in asks for a code; the code just used (same step)
	// is refused, a wrong one too; the next step's code signs in.
	v := f.visitor("en").passwordSignIn().want(http.StatusOK, "Verify it's you", "Code from your authenticator app", "Backup code")
	if !strings.Contains(v.body, `action="`+f.srv.URL+Path+`/mfa"`) {
		t.Fatalf("not the MFA page's form: %s", v.body)
	}
	v.submit("/mfa", url.Values{"type": {"Totp"}, "code": {f.totpCode(secret, 0)}}).want(http.StatusUnauthorized, "The code is incorrect.")
	v.submit("/mfa", url.Values{"type": {"Totp"}, "code": {"12345"}}).want(http.StatusUnauthorized)
	f.clock.Advance(30 * time.Second)
	code := f.totpCode(secret, 0)
	v.submit("/mfa", url.Values{"type": {"Totp"}, "code": {code}})
	v.signedIn()
	if rec := v.sessionRecord(); !slices.ContainsFunc(rec.Verifications, func(r store.Verification) bool { return r.Type == "Totp" }) {
		t.Fatalf("no Totp record: %+v", rec)
	}
	// The same code, in another browser within its window: refused.
	w := f.visitor("en").passwordSignIn().want(http.StatusOK, "Verify it's you")
	w.submit("/mfa", url.Values{"type": {"Totp"}, "code": {code}}).want(http.StatusUnauthorized)

	// Recovery by a backup code, once.
	w.submit("/mfa", url.Values{"type": {"BackupCode"}, "backup_code": {strings.ToUpper(codes[3])}})
	w.signedIn()
	if rec := w.sessionRecord(); !slices.ContainsFunc(rec.Verifications, func(r store.Verification) bool { return r.Type == "BackupCode" }) {
		t.Fatalf("no BackupCode record: %+v", rec)
	}
	x := f.visitor("ja").passwordSignIn().want(http.StatusOK, "本人確認")
	x.submit("/mfa", url.Values{"type": {"BackupCode"}, "backup_code": {codes[3]}}).want(http.StatusUnauthorized, "コードが正しくありません")
	x.submit("/mfa", url.Values{"type": {"BackupCode"}, "backup_code": {codes[4]}})
	x.signedIn()
	if want := "Interaction.SignIn.Verification.BackupCode.Submit"; !slices.Contains(f.auditKeys(), want) {
		t.Fatalf("audit keys %v lack %s", f.auditKeys(), want)
	}
}

func TestMFAPolicies(t *testing.T) {
	f := newFlows(t)
	// Off: no second factor, whatever the policy.
	f.setExperience(func(e *Experience) { e.MFA = mfa.Policy{Policy: "Mandatory"} })
	f.visitor("en").passwordSignIn().signedIn()
	// User's choice, no factor bound: signed in directly.
	f.mfaOn("UserControlled")
	f.visitor("en").passwordSignIn().signedIn()
	// Mandatory: enrol.
	secret, _ := enrollJane(t, f)
	// User's choice with a factor bound: it is asked for.
	f.mfaOn("UserControlled")
	v := f.visitor("en").passwordSignIn().want(http.StatusOK, "Verify it's you")
	// MFA turned off meanwhile: the bound factor is not asked for.
	f.setExperience(func(e *Experience) { e.MFA = mfa.Policy{Policy: "UserControlled"} })
	f.visitor("en").passwordSignIn().signedIn()
	// The page of an interaction at the MFA step sends back to it; going
	// to the sign-in screen starts over.
	f.mfaOn("UserControlled")
	v.do("GET", Path+"?interaction="+url.QueryEscape(v.formValue(interactionRe)), nil).want(http.StatusOK, "Verify it's you")
	f.clock.Advance(30 * time.Second)
	v.submit("/mfa", url.Values{"type": {"Totp"}, "code": {f.totpCode(secret, 0)}})
	v.signedIn()
}

func TestMFARememberDevice(t *testing.T) {
	f := newFlows(t)
	secret, _ := enrollJane(t, f)
	v := f.visitor("en").passwordSignIn().want(http.StatusOK, "Don't ask again on this device for 30 days")
	f.clock.Advance(30 * time.Second)
	v.submit("/mfa", url.Values{"type": {"Totp"}, "code": {f.totpCode(secret, 0)}, "remember": {"1"}})
	v.signedIn()
	v.passwordSignIn().signedIn() // remembered
	f.visitor("en").passwordSignIn().want(http.StatusOK, "Verify it's you")
	f.clock.Advance(31 * 24 * time.Hour) // run out
	v.passwordSignIn().want(http.StatusOK, "Verify it's you")
}

func TestMFAAttacks(t *testing.T) {
	f := newFlows(t)
	secret, _ := enrollJane(t, f)
	v := f.visitor("en").passwordSignIn().want(http.StatusOK, "Verify it's you")
	kept := v.keep()

	// A form without its CSRF token is refused.
	form := url.Values{"interaction": {v.formValue(interactionRe)}, "csrf": {"forged"}, "type": {"Totp"}, "code": {f.totpCode(secret, 30*time.Second)}}
	v.do("POST", Path+"/mfa", form).want(http.StatusForbidden)
	// A type the experience does not offer, or repeated fields.
	v.post(kept, "/mfa", url.Values{"type": {"WebAuthn"}, "code": {"123456"}}).want(http.StatusBadRequest)
	v.post(kept, "/mfa", url.Values{"type": {"Totp", "Totp"}, "code": {"123456"}}).want(http.StatusBadRequest)
	v.post(kept, "/mfa", url.Values{"type": {"Totp"}, "code": {strings.Repeat("1", 100)}}).want(http.StatusBadRequest)
	// A second factor cannot be skipped: the enrolment form of this
	// interaction sends back to the verification page.
	v.post(kept, "/mfa/enroll", url.Values{"type": {"Totp"}, "state": {"x"}, "code": {"123456"}}).want(http.StatusOK, "Verify it's you")

	// Wrong codes are limited: after five, even the right code waits.
	for range 5 {
		v.submit("/mfa", url.Values{"type": {"Totp"}, "code": {"000000"}}).want(http.StatusUnauthorized)
	}
	v.submit("/mfa", url.Values{"type": {"Totp"}, "code": {f.totpCode(secret, 30*time.Second)}}).want(http.StatusTooManyRequests, "Too many failed attempts")
	f.clock.Advance(20 * time.Minute)
	v.submit("/mfa", url.Values{"type": {"Totp"}, "code": {f.totpCode(secret, 0)}})
	v.signedIn()
}

func TestMFAEnrolAttacks(t *testing.T) {
	f := newFlows(t)
	f.mfaOn("Mandatory")
	v := f.visitor("en").passwordSignIn().want(http.StatusOK, "Set up two-step verification")
	secret, state, kept := v.formValue(secretRe), v.formValue(stateRe), v.keep()
	// A state altered, or made up: refused, a new secret shown.
	v.submit("/mfa/enroll", url.Values{"type": {"Totp"}, "state": {state[:len(state)-2] + "AA"}, "code": {f.totpCode(secret, 0)}}).
		want(http.StatusBadRequest, "The form has expired")
	// The backup codes' step cannot be posted without the state a bound
	// factor earns: the factor would not be bound.
	v.post(kept, "/mfa/enroll", url.Values{"type": {"BackupCode"}, "bound": {"Totp"}, "state": {state}}).want(http.StatusBadRequest)
	// Backup codes alone cannot be bound.
	v.post(kept, "/mfa/enroll", url.Values{"type": {"BackupCode"}, "state": {state}}).want(http.StatusBadRequest)
	v.do("GET", Path+"/mfa/enroll?interaction="+url.QueryEscape(kept.Get("interaction"))+"&type=BackupCode", nil).want(http.StatusBadRequest)
	// Another interaction's state does not bind here.
	w := f.visitor("en").passwordSignIn().want(http.StatusOK, "Set up two-step verification")
	w.submit("/mfa/enroll", url.Values{"type": {"Totp"}, "state": {state}, "code": {f.totpCode(secret, 0)}}).want(http.StatusBadRequest)
	// The state runs out.
	f.clock.Advance(mfa.BindTTL + time.Second)
	v.post(kept, "/mfa/enroll", url.Values{"type": {"Totp"}, "state": {w.formValue(stateRe)}, "code": {"123456"}}).want(http.StatusBadRequest)
	u, err := f.st.GetUserByUsername(context.Background(), "jane")
	must(t, err)
	if vs, _ := f.st.ListMFAVerifications(context.Background(), u.ID); len(vs) != 0 {
		t.Fatalf("factors bound by refused forms: %+v", vs)
	}
}

// acr_values naming the multi-factor class requires a second factor: a
// session without one signs in again, a person without a factor binds
// one under the user's-choice policy, and a remembered browser does not
// stand in for it.
func TestMFARequiredByACR(t *testing.T) {
	f := newFlows(t)
	secret, _ := enrollJane(t, f)
	acr := url.Values{"acr_values": {"urn:other " + interaction.ACRMultiFactor}}

	f.setExperience(func(e *Experience) { e.MFA = mfa.Policy{Policy: "UserControlled"} }) // off
	v := f.visitor("en").passwordSignIn()
	v.signedIn()
	f.mfaOn("UserControlled")
	v.start(acr).want(http.StatusOK, "Sign in") // the session lacks a second factor
	v.submit("", url.Values{"identifier": {"jane"}, "password": {janePassword}}).want(http.StatusOK, "Verify it's you")
	f.clock.Advance(30 * time.Second)
	v.submit("/mfa", url.Values{"type": {"Totp"}, "code": {f.totpCode(secret, 0)}, "remember": {"1"}})
	v.signedIn()
	v.start(acr) // now it has one
	v.signedIn()
	// Remembered, yet asked when acr_values requires it.
	v.start(url.Values{"prompt": {"login"}}).submit("", url.Values{"identifier": {"jane"}, "password": {janePassword}})
	v.signedIn()
	acr.Set("prompt", "login")
	v.start(acr).submit("", url.Values{"identifier": {"jane"}, "password": {janePassword}}).want(http.StatusOK, "Verify it's you")

	// A user without a factor binds one.
	email, pass := "kim@example.com", "Kim's long passphrase 42"
	kim := "kim"
	_, err := f.dir.CreateUser(context.Background(), directory.NewUser{Password: &pass,
		UserFields: directory.UserFields{Username: &kim, PrimaryEmail: &email, By: directory.ByAdmin}})
	must(t, err)
	w := f.visitor("en")
	w.start(nil).submit("", url.Values{"identifier": {"kim"}, "password": {pass}})
	w.signedIn()
	w.start(acr).submit("", url.Values{"identifier": {"kim"}, "password": {pass}}).want(http.StatusOK, "Set up two-step verification")
}
