package oidc

import (
	"reflect"
	"testing"

	"github.com/monban/monban/internal/interaction"
	"github.com/monban/monban/internal/store"
)

// The tokens' amr and acr come from the grant's sign-in records: a
// grant from before the records is a password sign-in; acr only with a
// verified second factor.
func TestSignInMethods(t *testing.T) {
	pwd := interaction.PasswordRecord("p", "username", "jane")
	for _, tc := range []struct {
		rec  store.SignInRecord
		amr  []string
		acr  string
		name string
	}{
		{store.SignInRecord{}, nil, "", "no sign-in"},
		{store.SignInRecord{VerificationID: "v", IdentifierType: "username"}, []string{"pwd"}, "", "an old password grant"},
		{store.SignInRecord{Verifications: []store.Verification{pwd}}, []string{"pwd"}, "", "a password"},
		{store.SignInRecord{Verifications: []store.Verification{pwd, interaction.MFARecord(interaction.RecordTotp, "u")}},
			[]string{"pwd", "otp", "mfa"}, interaction.ACRMultiFactor, "a password and TOTP"},
	} {
		amr, acr := signInMethods(tc.rec)
		if !reflect.DeepEqual(amr, tc.amr) || acr != tc.acr {
			t.Errorf("%s: amr %v acr %q, want %v %q", tc.name, amr, acr, tc.amr, tc.acr)
		}
	}
}
