package interaction

import (
	"slices"
	"testing"

	"github.com/monban/monban/internal/store"
)

func TestAMR(t *testing.T) {
	v := func(types ...string) store.SignInRecord {
		rec := store.SignInRecord{VerificationID: "x"}
		for _, typ := range types {
			rec.Verifications = append(rec.Verifications, store.Verification{ID: typ, Type: typ, Verified: true})
		}
		return rec
	}
	for _, tc := range []struct {
		rec  store.SignInRecord
		want []string
	}{
		{store.SignInRecord{VerificationID: "v1"}, []string{"pwd"}}, // stored before records
		{store.SignInRecord{}, nil},
		{v(RecordPassword), []string{"pwd"}},
		{v(RecordEmailVerificationCode), []string{"otp"}},
		{v(RecordSignInPasskey), []string{"hwk", "user"}},
		{v(RecordPassword, "WebAuthn"), []string{"pwd", "hwk", "mfa"}},
		{v(RecordPassword, "Totp"), []string{"pwd", "otp", "mfa"}},
		{v(RecordEmailVerificationCode, "BackupCode"), []string{"otp", "mfa"}},
		{v(RecordEmailVerificationCode, RecordPassword), []string{"otp", "pwd"}},                         // a sign-up's: one factor each time
		{store.SignInRecord{Verifications: []store.Verification{{Type: "WebAuthn"}}}, nil},               // not verified
		{store.SignInRecord{Verifications: []store.Verification{{Type: "Social", Verified: true}}}, nil}, // not a method here
	} {
		if got := AMR(tc.rec); !slices.Equal(got, tc.want) {
			t.Errorf("%+v: %v, want %v", tc.rec.Verifications, got, tc.want)
		}
	}
}
