package mfa_test

import (
	"context"
	"errors"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/monban/monban/internal/mfa"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/store/sqlite"
	"github.com/monban/monban/internal/store/storetest"
)

func open(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	storetest.Unlock(t, st, storetest.NewKey(t))
	if err := st.CreateUser(context.Background(), store.User{ID: "u1", Username: "ada", CustomData: map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	return st
}

// Decide is the one rule: off never asks; a bound factor is always asked
// for; without one, Mandatory or a requiring request binds one.
func TestDecide(t *testing.T) {
	ctx := context.Background()
	svc := mfa.New(open(t), nil, nil)
	on := mfa.Policy{Factors: []string{mfa.TypeTotp, mfa.TypeBackupCode}, Policy: "UserControlled"}
	for _, tc := range []struct {
		p        mfa.Policy
		required bool
		want     mfa.Decision
	}{
		{mfa.Policy{Policy: "Mandatory"}, true, mfa.Pass},
		{on, false, mfa.Pass},
		{on, true, mfa.Enroll},
		{mfa.Policy{Factors: on.Factors, Policy: "PromptOnlyAtSignInMandatory"}, false, mfa.Enroll},
	} {
		if d, _, err := svc.Decide(ctx, tc.p, "u1", tc.required); err != nil || d != tc.want {
			t.Errorf("Decide(%+v, %v) = %v, %v; want %v", tc.p, tc.required, d, err, tc.want)
		}
	}
	data, err := mfa.TOTPData("JBSWY3DPEHPK3PXP")
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Add(ctx, "u1", mfa.TypeTotp, "", data); err != nil {
		t.Fatal(err)
	}
	if err := svc.Add(ctx, "u1", mfa.TypeTotp, "", data); !errors.Is(err, mfa.ErrAlreadyBound) {
		t.Fatalf("a second TOTP: %v", err)
	}
	if d, types, _ := svc.Decide(ctx, on, "u1", false); d != mfa.Verify || len(types) != 1 || types[0] != mfa.TypeTotp {
		t.Fatalf("with TOTP bound: %v %v", d, types)
	}
	if d, _, _ := svc.Decide(ctx, mfa.Policy{Policy: "Mandatory"}, "u1", true); d != mfa.Pass {
		t.Fatalf("off with TOTP bound: %v", d)
	}
}

// A code verifies once; a spent set of backup codes is replaced.
func TestVerify(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	svc := mfa.New(open(t), nil, func() time.Time { return now })
	data, _ := mfa.TOTPData("JBSWY3DPEHPK3PXP")
	if err := svc.Add(ctx, "u1", mfa.TypeTotp, "", data); err != nil {
		t.Fatal(err)
	}
	who := mfa.Subject{UserID: "u1"}
	code, _ := totp.GenerateCode("JBSWY3DPEHPK3PXP", now)
	if rec, err := svc.Verify(ctx, who, mfa.TypeTotp, url.Values{"code": {code}}, "192.0.2.1"); err != nil || rec.Type != "Totp" || rec.UserID != "u1" {
		t.Fatalf("Verify: %+v %v", rec, err)
	}
	if _, err := svc.Verify(ctx, who, mfa.TypeTotp, url.Values{"code": {code}}, "192.0.2.1"); !errors.Is(err, mfa.ErrWrongAnswer) {
		t.Fatalf("the same code again: %v", err)
	}
	prev, _ := totp.GenerateCode("JBSWY3DPEHPK3PXP", now.Add(-30*time.Second))
	if _, err := svc.Verify(ctx, who, mfa.TypeTotp, url.Values{"code": {prev}}, "192.0.2.1"); !errors.Is(err, mfa.ErrWrongAnswer) {
		t.Fatalf("an earlier step's code after a later one: %v", err)
	}
	if _, err := svc.Verify(ctx, who, mfa.TypeBackupCode, url.Values{"code": {"0123456789"}}, "192.0.2.1"); !errors.Is(err, mfa.ErrNotBound) {
		t.Fatalf("backup code without a set: %v", err)
	}
	codes := mfa.NewBackupCodes()
	if !mfa.ValidBackupCodes(codes) {
		t.Fatalf("codes %v", codes)
	}
	one := []string{codes[0], codes[0], codes[0], codes[0], codes[0], codes[0], codes[0], codes[0], codes[0], codes[0]}
	bdata, _ := mfa.BackupCodeData(one)
	if err := svc.Add(ctx, "u1", mfa.TypeBackupCode, "", bdata); err != nil {
		t.Fatal(err)
	}
	for range 10 { // ten copies of one code: each use strikes one out
		if _, err := svc.Verify(ctx, who, mfa.TypeBackupCode, url.Values{"code": {codes[0]}}, "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
	}
	bdata, _ = mfa.BackupCodeData(codes)
	if err := svc.Add(ctx, "u1", mfa.TypeBackupCode, "", bdata); err != nil {
		t.Fatalf("replacing a spent set: %v", err)
	}
	if err := svc.Add(ctx, "u1", mfa.TypeBackupCode, "", bdata); !errors.Is(err, mfa.ErrAlreadyBound) {
		t.Fatalf("replacing an unspent set: %v", err)
	}
	vs, _ := svc.List(ctx, "u1")
	if len(vs) != 2 {
		t.Fatalf("factors %+v", vs)
	}
}
