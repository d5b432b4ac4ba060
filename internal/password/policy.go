package password

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Policy is what a new password must satisfy: Logto's passwordPolicy
// (length.min/max, characterTypes.min, rejects.pwned,
// rejects.repetitionAndSequence, rejects.userInfo, rejects.words), with the
// same checks and the same issue codes. "Breached" is checked against the
// list of common passwords shipped with the binary (see IsCommon), never
// over the network.
type Policy struct {
	MinLength         int // characters; Logto's length.min (default 8)
	MaxLength         int // characters; Logto's length.max (default 256)
	MinCharacterTypes int // of lower case, upper case, digits, symbols: 1 to 4

	RejectBreached             bool     // rejects.pwned: the password is a common one
	RejectRepetitionOrSequence bool     // rejects.repetitionAndSequence: "aaa", "123", "qwerty"
	RejectUserInfo             bool     // rejects.userInfo: the username, e-mail's local part, phone, name
	RejectWords                []string // rejects.words: custom words, compared without case
}

// UserInfo is what RejectUserInfo compares a password with.
type UserInfo struct {
	Username, Email, Phone, Name string
}

// Issue is one way a password fails a policy, with Logto's code
// ("password_rejected.too_short") and its interpolation values ({"min": 8}).
type Issue struct {
	Code   string         `json:"code"`
	Values map[string]any `json:"interpolation,omitempty"`
}

// Logto's issue codes.
const (
	IssueTooShort       = "password_rejected.too_short"
	IssueTooLong        = "password_rejected.too_long"
	IssueCharacterTypes = "password_rejected.character_types"
	IssueUnsupported    = "password_rejected.unsupported_characters"
	IssuePwned          = "password_rejected.pwned"
	IssueRepetition     = "password_rejected.restricted.repetition"
	IssueSequence       = "password_rejected.restricted.sequence"
	IssueUserInfo       = "password_rejected.restricted.user_info"
	IssueWords          = "password_rejected.restricted.words"
)

// Bounds of a policy's numbers, as Logto's guard and the console allow.
const (
	PolicyMaxLength   = 256 // the longest length.max
	MaxRejectWords    = 1000
	MaxRejectWordSize = 256
)

// DefaultPolicy is Logto's default: at least 8 and at most 256 characters,
// one character type, and every reject rule on.
func DefaultPolicy() Policy {
	return Policy{
		MinLength:                  8,
		MaxLength:                  PolicyMaxLength,
		MinCharacterTypes:          1,
		RejectBreached:             true,
		RejectRepetitionOrSequence: true,
		RejectUserInfo:             true,
	}
}

// symbols are the characters Logto counts as symbols (the space included).
const symbols = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ "

// sequences are the runs Logto counts as sequential (read both ways).
var sequences = []string{
	"0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl", "zxcvbnm",
	"1qaz", "2wsx", "3edc", "4rfv", "5tgb", "6yhn", "7ujm", "8ik", "9ol",
}

const (
	// runThreshold is the shortest repetition or sequence that counts.
	runThreshold = 3
	// restrictedTolerance: a password with more than this many characters
	// outside restricted phrases passes the phrase rules.
	restrictedTolerance = 3
)

// Check returns the ways pw fails the policy, in Logto's order: length,
// character types, breached, then the restricted phrases (repetition,
// sequence, words, user info, in the order first met), which count only when all but
// restrictedTolerance characters of the password are in one. It returns
// nil when the password is acceptable.
func (p Policy) Check(pw string, u UserInfo) []Issue {
	if len(pw) > MaxLen {
		return []Issue{{Code: IssueTooLong, Values: map[string]any{"max": p.MaxLength}}}
	}
	issues := p.fastCheck(pw)
	if p.RejectBreached && IsCommon(pw) {
		issues = append(issues, Issue{Code: IssuePwned})
	}
	issues = append(issues, p.restricted(pw, u)...)
	if len(issues) == 0 {
		return nil
	}
	return issues
}

func (p Policy) fastCheck(pw string) []Issue {
	var issues []Issue
	n := utf8.RuneCountInString(pw)
	switch {
	case n < p.MinLength:
		issues = append(issues, Issue{Code: IssueTooShort, Values: map[string]any{"min": p.MinLength}})
	case p.MaxLength > 0 && n > p.MaxLength:
		issues = append(issues, Issue{Code: IssueTooLong, Values: map[string]any{"max": p.MaxLength}})
	}
	types, ok := characterTypes(pw)
	switch {
	case !ok:
		issues = append(issues, Issue{Code: IssueUnsupported})
	case types < p.MinCharacterTypes:
		issues = append(issues, Issue{Code: IssueCharacterTypes, Values: map[string]any{"min": p.MinCharacterTypes}})
	}
	return issues
}

// characterTypes counts the kinds of character in pw; ok is false when pw
// holds a character of none of them.
func characterTypes(pw string) (n int, ok bool) {
	var lower, upper, digit, symbol bool
	for _, r := range pw {
		switch {
		case 'a' <= r && r <= 'z':
			lower = true
		case 'A' <= r && r <= 'Z':
			upper = true
		case '0' <= r && r <= '9':
			digit = true
		case r < utf8.RuneSelf && strings.ContainsRune(symbols, r):
			symbol = true
		default:
			return 0, false
		}
	}
	for _, b := range []bool{lower, upper, digit, symbol} {
		if b {
			n++
		}
	}
	return n, true
}

// restricted marks every character that starts or continues a restricted
// phrase, and reports the phrases' codes when too few characters are left.
func (p Policy) restricted(pw string, u UserInfo) []Issue {
	if !p.RejectRepetitionOrSequence && !p.RejectUserInfo && len(p.RejectWords) == 0 {
		return nil
	}
	runes := []rune(pw)
	lower := []rune(strings.ToLower(pw))
	if len(lower) != len(runes) { // a case mapping changed the length: compare as is
		lower = runes
	}
	marked := make([]bool, len(runes))
	var found []string // the codes, in the order first met (as Logto lists them)
	mark := func(i, n int, code string) {
		if n <= 0 {
			return
		}
		for j := i; j < i+n && j < len(marked); j++ {
			marked[j] = true
		}
		if !slices.Contains(found, code) {
			found = append(found, code)
		}
	}
	info := userPhrases(u)
	words := lowerAll(p.RejectWords)
	for i := range runes {
		if p.RejectRepetitionOrSequence {
			mark(i, repetitionLength(runes[i:]), IssueRepetition)
			mark(i, sequenceLength(runes[i:]), IssueSequence)
		}
		if len(words) > 0 {
			mark(i, longestPrefix(lower[i:], words), IssueWords)
		}
		if p.RejectUserInfo {
			mark(i, longestPrefix(lower[i:], info), IssueUserInfo)
		}
	}
	count := 0
	for _, m := range marked {
		if m {
			count++
		}
	}
	if count <= max(1, len(runes)-restrictedTolerance) {
		return nil
	}
	issues := make([]Issue, len(found))
	for i, code := range found {
		issues[i] = Issue{Code: code}
	}
	return issues
}

func repetitionLength(rs []rune) int {
	if len(rs) == 0 {
		return 0
	}
	n := 1
	for n < len(rs) && rs[n] == rs[0] {
		n++
	}
	if n < runThreshold {
		return 0
	}
	return n
}

func sequenceLength(rs []rune) int {
	n := 0
	for n < len(rs) && (n == 0 || isSequential(string(rs[:n+1]))) {
		n++
	}
	if n < runThreshold {
		return 0
	}
	return n
}

// sequenceVariants are the sequences forwards and backwards, in lower and
// upper case.
var sequenceVariants = func() []string {
	var out []string
	for _, seq := range sequences {
		rev := reverse(seq)
		out = append(out, seq, rev, strings.ToUpper(seq), strings.ToUpper(rev))
	}
	return out
}()

func isSequential(s string) bool {
	for _, v := range sequenceVariants {
		if strings.Contains(v, s) {
			return true
		}
	}
	return false
}

func reverse(s string) string {
	b := []byte(s) // the sequences are ASCII
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}

// userPhrases are the lower-cased pieces of u a password may not be made
// of: the name (whole, without spaces, and each word), the username, the
// e-mail's local part and the phone number.
func userPhrases(u UserInfo) [][]rune {
	var out []string
	if u.Name != "" {
		out = append(out, u.Name, strings.Join(strings.FieldsFunc(u.Name, unicode.IsSpace), ""))
		out = append(out, strings.Split(u.Name, " ")...)
	}
	local, _, _ := strings.Cut(u.Email, "@")
	out = append(out, u.Username, local, u.Phone)
	return lowerAll(out)
}

func lowerAll(ss []string) [][]rune {
	var out [][]rune
	for _, s := range ss {
		if s != "" {
			out = append(out, []rune(strings.ToLower(s)))
		}
	}
	return out
}

// longestPrefix returns the length of the longest of phrases that rs
// starts with.
func longestPrefix(rs []rune, phrases [][]rune) int {
	best := 0
	for _, ph := range phrases {
		if len(ph) > best && len(ph) <= len(rs) && string(rs[:len(ph)]) == string(ph) {
			best = len(ph)
		}
	}
	return best
}
