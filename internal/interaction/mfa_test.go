package interaction

import (
	"errors"
	"reflect"
	"testing"

	"github.com/monban/monban/internal/store"
)

// Every event ends with the second-factor steps: the gate leaves StepDone
// for them, a wrong factor counts, a verified or bound one leads back to
// StepDone with its record, and nothing else is allowed there.
func TestMFASteps(t *testing.T) {
	for _, ev := range []Event{EventSignIn, EventRegister, EventForgotPassword} {
		it := &Interaction{Event: ev, Step: StepDone, AccountID: "u1", Records: []Record{PasswordRecord("p", "username", "jane")}}
		if err := it.MFARequired(); err != nil || it.Step != StepMFA {
			t.Fatalf("%s: MFARequired: %v at %s", ev, err, it.Step)
		}
		if err := it.MFAFailed(); err != nil || it.Attempts != 1 || it.Step != StepMFA {
			t.Fatalf("%s: MFAFailed: %v, %d at %s", ev, err, it.Attempts, it.Step)
		}
		for name, err := range map[string]error{
			"Identify":                     it.Identify("other"),
			"MFABound":                     it.MFABound(MFARecord(RecordTotp, "u1")),
			"MFAVerified without a record": it.MFAVerified(Record{}),
			"MFAVerified of a Password":    it.MFAVerified(PasswordRecord("x", "username", "jane")),
		} {
			if !errors.Is(err, ErrTransition) {
				t.Fatalf("%s: %s at StepMFA: %v", ev, name, err)
			}
		}
		if _, ok := it.MFAVerifiedRecord(); ok {
			t.Fatalf("%s: a second factor before one was verified", ev)
		}
		if err := it.MFAVerified(MFARecord(RecordTotp, "u1")); err != nil || it.Step != StepDone {
			t.Fatalf("%s: MFAVerified: %v at %s", ev, err, it.Step)
		}
		if r, ok := it.MFAVerifiedRecord(); !ok || r.UserID != "u1" || len(it.Records) != 2 {
			t.Fatalf("%s: records %+v", ev, it.Records)
		}

		it = &Interaction{Event: ev, Step: StepDone, AccountID: "u1"}
		if err := it.MFAEnrollRequired(); err != nil || it.Step != StepMFAEnroll {
			t.Fatalf("%s: MFAEnrollRequired: %v at %s", ev, err, it.Step)
		}
		if err := it.MFAFailed(); !errors.Is(err, ErrTransition) {
			t.Fatalf("%s: MFAFailed at StepMFAEnroll: %v", ev, err)
		}
		if err := it.MFABound(MFARecord(RecordBackupCode, "u1")); err != nil || it.Step != StepDone {
			t.Fatalf("%s: MFABound: %v at %s", ev, err, it.Step)
		}
		// Starting over forgets the account.
		it = &Interaction{Event: ev, Step: StepMFA, AccountID: "u1", Records: []Record{PasswordRecord("p", "username", "jane")}}
		if err := it.Choose(EventSignIn); err != nil || it.Step != StepIdentify || it.AccountID != "" || it.Records != nil {
			t.Fatalf("%s: Choose at StepMFA: %v, %+v", ev, err, it)
		}
	}
	if err := (&Interaction{Step: StepDone}).MFARequired(); !errors.Is(err, ErrTransition) {
		t.Fatalf("MFARequired without an account: %v", err)
	}
}

func TestAMR(t *testing.T) {
	pwd := PasswordRecord("p", "username", "jane")
	for _, tc := range []struct {
		recs []store.Verification
		want []string
	}{
		{nil, nil},
		{[]store.Verification{pwd}, []string{"pwd"}},
		{[]store.Verification{pwd, MFARecord(RecordTotp, "u")}, []string{"pwd", "otp", "mfa"}},
		{[]store.Verification{pwd, MFARecord(RecordBackupCode, "u")}, []string{"pwd", "otp", "mfa"}},
		{[]store.Verification{{Type: RecordPhoneVerificationCode, Verified: true}}, []string{"otp", "sms"}},
		{[]store.Verification{{Type: RecordEmailVerificationCode, Verified: true}, MFARecord(RecordWebAuthn, "u")}, []string{"otp", "hwk", "mfa"}},
		{[]store.Verification{pwd, {Type: RecordTotp}}, []string{"pwd"}}, // not verified
		{[]store.Verification{PasskeyRecord()}, []string{"hwk", "user"}}, // a passkey alone: one factor, its user verified
	} {
		if got := AMR(tc.recs); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("AMR(%+v) = %v, want %v", tc.recs, got, tc.want)
		}
		if HasMFA(tc.recs) != (len(tc.want) > 0 && tc.want[len(tc.want)-1] == "mfa") {
			t.Errorf("HasMFA(%+v)", tc.recs)
		}
	}
}
