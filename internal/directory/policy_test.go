package directory

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/monban/monban/internal/password"
	"github.com/monban/monban/internal/store"
)

// policyDir is a directory whose password policy is *p, read on every
// write as the server's sign-in experience is.
func policyDir(t *testing.T, p *password.Policy) *Directory {
	t.Helper()
	base, st := newDir(t)
	return New(Config{Store: st, ManagementIndicator: testIndicator, Passwords: base.passwords,
		PasswordPolicy: func(context.Context) (password.Policy, error) { return *p, nil }})
}

// Every writer of a password is held to the policy in force, with the
// user's own details; digests are not.
func TestPasswordPolicyEnforced(t *testing.T) {
	ctx := context.Background()
	p := password.DefaultPolicy()
	d := policyDir(t, &p)

	_, err := d.CreateUser(ctx, NewUser{UserFields: UserFields{Username: ptr("kazuko")}, Password: ptr("kazuko20")})
	refused(t, err, Invalid, ReasonPasswordRejected)
	var e *Error
	if errors.As(err, &e); !reflect.DeepEqual(e.Issues, []password.Issue{{Code: password.IssueUserInfo}}) || strings.Contains(e.Message, "kazuko20") {
		t.Errorf("issues %v, message %q", e.Issues, e.Message)
	}
	_, err = d.CreateUser(ctx, NewUser{Password: ptr("password")})
	refused(t, err, Invalid, ReasonPasswordRejected)
	u, err := d.CreateUser(ctx, NewUser{UserFields: UserFields{Username: ptr("kazuko"), PrimaryEmail: ptr("k.sato@example.jp")}, Password: ptr("Sakura-2026!")})
	ok(t, err)
	_, err = d.SetPassword(ctx, u.ID, "k.sato123")
	refused(t, err, Invalid, ReasonPasswordRejected)
	_, err = d.SetPassword(ctx, u.ID, "qwertyuiop")
	refused(t, err, Invalid, ReasonPasswordRejected)

	// A stricter policy applies at the next write, and a looser one too.
	p.MinLength, p.MinCharacterTypes = 14, 3
	_, err = d.SetPassword(ctx, u.ID, "Sakura-2026!")
	refused(t, err, Invalid, ReasonPasswordRejected)
	errors.As(err, &e)
	if len(e.Issues) != 1 || e.Issues[0].Code != password.IssueTooShort || e.Issues[0].Values["min"] != 14 {
		t.Errorf("issues under min 14: %v", e.Issues)
	}
	p = password.Policy{MinLength: 4, MaxLength: 256, MinCharacterTypes: 1}
	_, err = d.SetPassword(ctx, u.ID, "abcd")
	ok(t, err)

	// An imported digest is not a password.
	p = password.DefaultPolicy()
	_, err = d.CreateUser(ctx, NewUser{PasswordDigest: ptr("$2a$04$EIDVcgKL0q61cfYdD5RE9Op7b5SMme5zAM3uVi6k29ietYlV0PTjO"), PasswordAlgorithm: ptr("Bcrypt")})
	ok(t, err)

	// The configured administrator's password too; a generated one always
	// passes, even the strictest policy.
	_, err = d.EnsureAdmin(ctx, "boss", "boss12345")
	refused(t, err, Invalid, ReasonPasswordRejected)
	p = password.Policy{MinLength: 40, MaxLength: 40, MinCharacterTypes: 4, RejectBreached: true, RejectRepetitionOrSequence: true}
	for range 20 {
		pw, err := d.GeneratePassword(ctx)
		ok(t, err)
		if got := p.Check(pw, password.UserInfo{}); got != nil || len(pw) != 40 {
			t.Fatalf("generated %d characters failing %v", len(pw), got)
		}
	}
}

func TestPasswordPolicyUnreadable(t *testing.T) {
	_, st := newDir(t)
	d := New(Config{Store: st, ManagementIndicator: testIndicator, Passwords: password.NewHasher(fast, 1),
		PasswordPolicy: func(context.Context) (password.Policy, error) { return password.Policy{}, store.ErrUnavailable }})
	_, err := d.CreateUser(context.Background(), NewUser{Password: ptr("Sakura-2026!")})
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("CreateUser with the policy unreadable = %v, want ErrUnavailable", err)
	}
}
