package interaction

import (
	"slices"

	"github.com/monban/monban/internal/store"
)

// AMR is the authentication methods (RFC 8176) of a sign-in record, for
// the ID token's amr claim: "pwd" for a password, "otp" for a one-time
// code, TOTP or backup code, "hwk" for a WebAuthn authenticator (a key
// held in hardware the person proves they hold), with "user" when a
// passkey alone signed in (its user verified by the authenticator), and
// "mfa" when factors of two kinds were verified. A record of no known
// method has none.
func AMR(rec store.SignInRecord) []string {
	var out []string
	add := func(m string) {
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	recs := rec.Verifications
	if recs == nil && rec.VerificationID != "" {
		recs = []store.Verification{{Type: RecordPassword, Verified: true}}
	}
	kinds := 0
	for _, v := range recs {
		if !v.Verified {
			continue
		}
		switch v.Type {
		case RecordPassword:
			add("pwd")
		case RecordEmailVerificationCode, RecordPhoneVerificationCode, RecordTotp, RecordBackupCode:
			add("otp")
		case RecordWebAuthn:
			add("hwk")
		case RecordSignInPasskey:
			add("hwk")
			add("user")
		default:
			continue
		}
		kinds++
	}
	if kinds > 1 && slices.ContainsFunc(recs, func(v store.Verification) bool { return v.Verified && IsMFARecord(v.Type) }) {
		add("mfa")
	}
	return out
}
