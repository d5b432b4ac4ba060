package auth0shape

import "github.com/monban/monban/internal/password"

// Auth0's names for a password its policy refuses.
const (
	PasswordStrengthError   = "PasswordStrengthError"
	PasswordDictionaryError = "PasswordDictionaryError"
	PasswordNoUserInfoError = "PasswordNoUserInfoError"
)

// PasswordRefusal is a refused password as Auth0 tells it: the error's
// name and message, and for a strength error the rules it failed, in the
// shape of Auth0's description.rules.
type PasswordRefusal struct {
	Name    string
	Message string
	Rules   []PasswordRule
}

// PasswordRule is one rule of Auth0's password strength description.
type PasswordRule struct {
	Message  string `json:"message"`
	Format   []any  `json:"format,omitempty"`
	Code     string `json:"code"`
	Verified bool   `json:"verified"`
}

// strengthRules are Auth0's rules for Logto's strength issues.
var strengthRules = map[string]func(password.Issue) PasswordRule{
	password.IssueTooShort: func(is password.Issue) PasswordRule {
		return PasswordRule{Message: "At least %d characters in length", Format: []any{is.Values["min"]}, Code: "lengthAtLeast"}
	},
	password.IssueTooLong: func(is password.Issue) PasswordRule {
		return PasswordRule{Message: "At most %d characters in length", Format: []any{is.Values["max"]}, Code: "lengthAtMost"}
	},
	password.IssueCharacterTypes: func(is password.Issue) PasswordRule {
		return PasswordRule{Message: "Contain at least %d of the following %d types of characters: lower case letters (a-z), upper case letters (A-Z), numbers (i.e. 0-9), special characters (e.g. !@#$%^&*)",
			Format: []any{is.Values["min"], 4}, Code: "containsAtLeast"}
	},
	password.IssueUnsupported: func(password.Issue) PasswordRule {
		return PasswordRule{Message: "Only letters (a-z, A-Z), numbers, special characters and spaces", Code: "supportedCharacters"}
	},
	password.IssueRepetition: func(password.Issue) PasswordRule {
		return PasswordRule{Message: "No more than %d identical characters in a row (e.g., \"%s\" not allowed)", Format: []any{2, "aaa"}, Code: "identicalChars"}
	},
	password.IssueSequence: func(password.Issue) PasswordRule {
		return PasswordRule{Message: "No sequences of characters (e.g., \"%s\" not allowed)", Format: []any{"123"}, Code: "sequentialChars"}
	},
}

// PasswordRefusalOf tells issues as Auth0 would: a strength error when
// any issue is one of strength (with those rules), else a dictionary
// error (a common password or a forbidden word), else a user information
// error.
func PasswordRefusalOf(issues []password.Issue) PasswordRefusal {
	var rules []PasswordRule
	dictionary, userInfo := false, false
	for _, is := range issues {
		if rule, ok := strengthRules[is.Code]; ok {
			rules = append(rules, rule(is))
		}
		dictionary = dictionary || is.Code == password.IssuePwned || is.Code == password.IssueWords
		userInfo = userInfo || is.Code == password.IssueUserInfo
	}
	switch {
	case len(rules) > 0:
		return PasswordRefusal{Name: PasswordStrengthError, Message: "Password is too weak", Rules: rules}
	case dictionary:
		return PasswordRefusal{Name: PasswordDictionaryError, Message: "Password is too common"}
	case userInfo:
		return PasswordRefusal{Name: PasswordNoUserInfoError, Message: "Password contains user information"}
	}
	return PasswordRefusal{Name: PasswordStrengthError, Message: "Password is too weak"}
}
