package signin

import (
	"net/url"
	"slices"
	"testing"
)

// Every path of the pages writes Logto's Interaction.* keys for each of
// its steps, in order: the event changed (an interaction starts as a
// sign-in; the authorization endpoint writes Interaction.Create and
// Interaction.SignIn.Create), the verification made and submitted, the
// account identified, the profile written, the interaction submitted and
// ended.
func TestAuditKeys(t *testing.T) {
	for name, c := range map[string]struct {
		walk func(f *flows)
		want []string
	}{
		"password sign-in": {func(f *flows) {
			v := f.visitor("en").start(nil)
			v.submit("", url.Values{"identifier": {"jane"}, "password": {"wrong password here"}}).want(401, en["err_bad_credentials"])
			v.submit("", url.Values{"identifier": {"jane"}, "password": {janePassword}}).signedIn()
		}, []string{
			"Interaction.SignIn.Verification.Password.Submit:invalid_credentials", "Interaction.SignIn.Submit:invalid_credentials",
			"Interaction.SignIn.Verification.Password.Submit",
			"Interaction.SignIn.Identifier.Submit", "Interaction.SignIn.Submit", "Interaction.End"}},
		"sign-up by username": {func(f *flows) {
			f.visitor("en").start(url.Values{"first_screen": {"register"}}).
				submit("/register", url.Values{"username": {"kenji"}, "new_password": {"Kenji's long passphrase 9"}}).signedIn()
		}, []string{"Interaction.Register.Update",
			"Interaction.Register.Identifier.Submit", "Interaction.Register.Profile.Update", "Interaction.Register.Submit", "Interaction.End"}},
		"sign-up by e-mail code": {func(f *flows) {
			v := f.visitor("en").start(url.Values{"first_screen": {"register"}})
			v.submit("/code", url.Values{"event": {"Register"}, "code_identifier": {"mika@example.com"}}).want(200, en["enter_code"])
			v.submit("/code/verify", url.Values{"code": {f.code("mika@example.com")}}).want(200, en["set_password"])
			v.submit("/password/new", url.Values{"new_password": {"Mika's long passphrase 3"}}).signedIn()
		}, []string{"Interaction.Register.Update",
			"Interaction.Register.Verification.EmailVerificationCode.Create", "Interaction.Register.Verification.EmailVerificationCode.Submit",
			"Interaction.Register.Identifier.Submit", "Interaction.Register.Profile.Update", "Interaction.Register.Submit", "Interaction.End"}},
		"passwordless by e-mail": {func(f *flows) {
			v := f.visitor("en").start(nil)
			v.submit("/code", url.Values{"event": {"SignIn"}, "code_identifier": {"jane@example.com"}}).want(200, en["enter_code"])
			v.submit("/code/verify", url.Values{"code": {f.code("jane@example.com")}}).signedIn()
		}, []string{
			"Interaction.SignIn.Verification.EmailVerificationCode.Create", "Interaction.SignIn.Verification.EmailVerificationCode.Submit",
			"Interaction.SignIn.Identifier.Submit", "Interaction.SignIn.Submit", "Interaction.End"}},
		"forgot password": {func(f *flows) {
			v := f.visitor("en").start(nil)
			v.submit("/code", url.Values{"event": {"ForgotPassword"}, "code_identifier": {"jane@example.com"}}).want(200, en["enter_code"])
			v.submit("/code/verify", url.Values{"code": {f.code("jane@example.com")}}).want(200, en["new_password_hint"])
			v.submit("/password/new", url.Values{"new_password": {"Jane's new passphrase 77"}}).signedIn()
		}, []string{"Interaction.ForgotPassword.Update",
			"Interaction.ForgotPassword.Verification.EmailVerificationCode.Create", "Interaction.ForgotPassword.Verification.EmailVerificationCode.Submit",
			"Interaction.ForgotPassword.Identifier.Submit", "Interaction.ForgotPassword.Profile.Update", "Interaction.ForgotPassword.Submit", "Interaction.End"}},
		"changed event": {func(f *flows) {
			v := f.visitor("en").start(nil)
			v.submit("", url.Values{"identifier": {"jane"}, "password": {"wrong password here"}}).want(401, en["err_bad_credentials"])
			v.submit("/register", url.Values{"username": {"kenji"}, "new_password": {"Kenji's long passphrase 9"}}).signedIn()
		}, []string{
			"Interaction.SignIn.Verification.Password.Submit:invalid_credentials", "Interaction.SignIn.Submit:invalid_credentials",
			"Interaction.Register.Update",
			"Interaction.Register.Identifier.Submit", "Interaction.Register.Profile.Update", "Interaction.Register.Submit", "Interaction.End"}},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFlows(t)
			c.walk(f)
			if got := f.auditKeys(); !slices.Equal(got, c.want) {
				t.Errorf("keys\n got %q\nwant %q", got, c.want)
			}
		})
	}
}
