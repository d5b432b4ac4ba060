package mfa

import (
	"context"
	"slices"
)

// Policy is the sign-in experience's mfa setting, in Logto's shape:
// Factors offered (Totp, BackupCode, WebAuthn; none is MFA off) and the
// policy (Logto's MfaPolicy).
type Policy struct {
	Factors []string
	Policy  string
}

// Mandatory reports whether the policy makes every account bind a
// factor (at its next sign-in): Logto's Mandatory and the
// *Mandatory prompts.
func (p Policy) Mandatory() bool {
	switch p.Policy {
	case "Mandatory", "PromptAtSignInAndSignUpMandatory", "PromptOnlyAtSignInMandatory":
		return true
	}
	return false
}

// On reports whether any factor is offered.
func (p Policy) On() bool { return len(p.Factors) > 0 }

// Offers reports whether typ is offered.
func (p Policy) Offers(typ string) bool { return slices.Contains(p.Factors, typ) }

// Decision is what a verified sign-in needs before it completes.
type Decision int

// The decisions of Decide.
const (
	// Pass: no second factor is needed.
	Pass Decision = iota
	// Verify: the account has factors; one must be verified.
	Verify
	// Enroll: the account has none but must bind one.
	Enroll
)

// Decide is the one rule of whether a sign-in of userID needs a second
// factor under p: with MFA off, never; an account with an offered factor
// bound verifies one (under every policy: a factor the person chose to
// bind is always asked for); an account without binds one when the
// policy is mandatory or the application requires MFA (appRequires),
// else passes.
func (s *Service) Decide(ctx context.Context, p Policy, userID string, appRequires bool) (Decision, []string, error) {
	if !p.On() {
		return Pass, nil, nil
	}
	bound, err := s.Bound(ctx, userID, p.Factors)
	if err != nil {
		return Pass, nil, err
	}
	if len(bound) > 0 {
		return Verify, bound, nil
	}
	if p.Mandatory() || appRequires {
		return Enroll, nil, nil
	}
	return Pass, nil, nil
}

// Bindable is the offered, registered factor types a person may bind at
// the enrolment page: backup codes only beside another factor (as Logto:
// they recover, they do not stand alone).
func (s *Service) Bindable(p Policy) []string {
	var out []string
	for _, typ := range p.Factors {
		if _, ok := s.Factor(typ); ok && typ != TypeBackupCode {
			out = append(out, typ)
		}
	}
	return out
}
