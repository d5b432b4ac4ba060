package directory

import (
	"context"
	"fmt"
	"strings"

	"github.com/monban/monban/internal/password"
	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
)

// ReasonPasswordRejected: a new password fails the password policy; the
// Error's Issues say how.
const ReasonPasswordRejected Reason = "password_rejected"

// CheckNewPassword is the one rule for a new password, whoever sets it
// (an administrator through either Management API, a sign-up, a reset,
// the configured or recovered administrator): the password's shape
// (CheckPassword), then the password policy against the user's own
// details. Imported digests are not passwords and are not checked.
func (d *Directory) CheckNewPassword(ctx context.Context, pw string, who password.UserInfo) error {
	if err := CheckPassword(pw); err != nil {
		return err
	}
	p, err := d.policy(ctx)
	if err != nil {
		return fmt.Errorf("read the password policy: %w", err)
	}
	issues := p.Check(pw, who)
	if len(issues) == 0 {
		return nil
	}
	return &Error{Kind: Invalid, Reason: ReasonPasswordRejected, Issues: issues,
		Message: "Password rejected: " + DescribeIssues(issues)}
}

// UserInfoOf is what the policy compares a user's password with.
func UserInfoOf(u store.User) password.UserInfo {
	return password.UserInfo{Username: u.Username, Email: u.PrimaryEmail, Phone: u.PrimaryPhone, Name: u.Name}
}

// DescribeIssues says in English what the issues ask for; it never repeats
// the password.
func DescribeIssues(issues []password.Issue) string {
	parts := make([]string, 0, len(issues))
	for _, is := range issues {
		parts = append(parts, describeIssue(is))
	}
	return strings.Join(parts, "; ")
}

func describeIssue(is password.Issue) string {
	switch is.Code {
	case password.IssueTooShort:
		return fmt.Sprintf("it must be at least %v characters long", is.Values["min"])
	case password.IssueTooLong:
		return fmt.Sprintf("it must be at most %v characters long", is.Values["max"])
	case password.IssueCharacterTypes:
		return fmt.Sprintf("it must hold at least %v of lower-case letters, upper-case letters, digits and symbols", is.Values["min"])
	case password.IssueUnsupported:
		return "it may hold only letters a-z and A-Z, digits, symbols and spaces"
	case password.IssuePwned:
		return "it is one of the most common passwords"
	case password.IssueRepetition:
		return "it is mostly one character repeated"
	case password.IssueSequence:
		return "it is mostly a sequence such as 123 or abc"
	case password.IssueUserInfo:
		return "it is mostly the user's own name, username, e-mail or phone"
	case password.IssueWords:
		return "it is mostly a word the policy forbids"
	}
	return is.Code
}

// maxGenerateTries bounds GeneratePassword's draws; a random password of
// 24 characters or more fails the strictest policy's character types only
// about half the time.
const maxGenerateTries = 64

// GeneratePassword returns a random password that the password policy
// accepts (at least 24 characters, 144 bits), for a first administrator
// or a recovery.
func (d *Directory) GeneratePassword(ctx context.Context) (string, error) {
	p, err := d.policy(ctx)
	if err != nil {
		return "", fmt.Errorf("read the password policy: %w", err)
	}
	n := max(18, (p.MinLength*3+3)/4) // bytes, 4 characters for 3
	for range maxGenerateTries {
		pw := randid.Secret(n)
		if r := []rune(pw); p.MaxLength > 0 && len(r) > p.MaxLength {
			pw = string(r[:p.MaxLength])
		}
		if p.Check(pw, password.UserInfo{}) == nil {
			return pw, nil
		}
	}
	return "", fmt.Errorf("no random password met the password policy in %d tries", maxGenerateTries)
}
