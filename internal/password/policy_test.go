package password

import (
	"reflect"
	"strings"
	"testing"
)

// issue builds an expected Issue.
func issue(code string, kv ...any) Issue {
	is := Issue{Code: code}
	if len(kv) > 0 {
		is.Values = map[string]any{kv[0].(string): kv[1]}
	}
	return is
}

// Logto's own cases for its checker (packages/toolkit/core-kit), with the
// same policy, the same answers and the same order.
func TestPolicyCheckLogtoCases(t *testing.T) {
	p := Policy{
		MinLength: 7, MaxLength: 15, MinCharacterTypes: 3,
		RejectBreached: true, RejectRepetitionOrSequence: true, RejectUserInfo: true,
		RejectWords: []string{"aaaaaate", "aaaaaaaa", "silverhand"},
	}
	for _, tc := range []struct {
		pw   string
		u    UserInfo
		want []Issue
	}{
		{"aL1!aL1!", UserInfo{}, nil},
		{"silverHAnd213", UserInfo{}, nil},
		{"lo9KI8mJu112", UserInfo{}, nil},
		{"aL1!aL1!", UserInfo{Name: "aL1!"}, []Issue{issue(IssueUserInfo)}},
		{"lo9KI8mju78911", UserInfo{}, []Issue{issue(IssueSequence)}},
		{"lo9KI8MJU789111", UserInfo{}, []Issue{issue(IssueSequence), issue(IssueRepetition)}},
		{"aaa😀", UserInfo{}, []Issue{issue(IssueTooShort, "min", 7), issue(IssueUnsupported), issue(IssueRepetition)}},
		{"123456", UserInfo{Phone: "12345"}, []Issue{
			issue(IssueTooShort, "min", 7), issue(IssueCharacterTypes, "min", 3), issue(IssuePwned),
			issue(IssueSequence), issue(IssueUserInfo),
		}},
		{"aaaaaaaaAAAAAAAAbcdCOK", UserInfo{Name: "CO"}, []Issue{
			issue(IssueTooLong, "max", 15), issue(IssueCharacterTypes, "min", 3),
			issue(IssueRepetition), issue(IssueWords), issue(IssueSequence), issue(IssueUserInfo),
		}},
	} {
		if got := p.Check(tc.pw, tc.u); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Check(%q, %+v) = %v, want %v", tc.pw, tc.u, got, tc.want)
		}
	}
}

func TestCharacterTypes(t *testing.T) {
	for _, tc := range []struct {
		pw string
		n  int
		ok bool
	}{
		{"😀", 0, false}, {"aA1!😀", 0, false}, {"パスワード", 0, false}, {"a\tb", 0, false},
		{"a", 1, true}, {"aA", 2, true}, {"aA1!0", 4, true}, {"a b", 2, true}, {"", 0, true},
	} {
		if n, ok := characterTypes(tc.pw); n != tc.n || ok != tc.ok {
			t.Errorf("characterTypes(%q) = %d, %v; want %d, %v", tc.pw, n, ok, tc.n, tc.ok)
		}
	}
}

func TestRunLengths(t *testing.T) {
	for _, tc := range []struct {
		pw        string
		rep, sequ int
	}{
		{"aaaa", 4, 0}, {"aaa12", 3, 0}, {"AAAAAA😀", 6, 0}, {"a", 0, 0}, {"aa", 0, 0},
		{"aaAaaAaa", 0, 0}, {"aL!bbbbb", 0, 0}, {"aL1!bbbbbbbbbbbb", 0, 0},
		{"1234", 0, 4}, {"edcba", 0, 5}, {"BCDEDC", 0, 4}, {"YUIOP##", 0, 5},
		{"2wsx3edc1", 0, 4}, {"lo9KI8mJu7890", 0, 3}, {"z", 0, 0}, {"FE", 0, 0}, {"aL1!BCDEFA", 0, 0},
	} {
		rs := []rune(tc.pw)
		if got := repetitionLength(rs); got != tc.rep {
			t.Errorf("repetitionLength(%q) = %d, want %d", tc.pw, got, tc.rep)
		}
		if got := sequenceLength(rs); got != tc.sequ {
			t.Errorf("sequenceLength(%q) = %d, want %d", tc.pw, got, tc.sequ)
		}
	}
}

func TestUserInfoLength(t *testing.T) {
	for _, tc := range []struct {
		pw   string
		u    UserInfo
		want int
	}{
		{"test", UserInfo{Name: "test"}, 4},
		{"test", UserInfo{Name: "test2"}, 0},
		{"FOO", UserInfo{Name: "Foo bar"}, 3},
		{"Foo", UserInfo{Name: "bar fOo"}, 3},
		{"barFooBaz12", UserInfo{Name: "bar   fOo   baz"}, 9},
		{"bar   fOo   baz12", UserInfo{Name: "bar   fOo   baz"}, 15},
		{"bar   fOo baz12", UserInfo{Name: "bar   fOo   baz"}, 3},
		{"test1!", UserInfo{Username: "teST"}, 4},
		{"test123", UserInfo{Username: "test2"}, 0},
		{"teST1", UserInfo{Email: "test@foo.com"}, 4},
		{"TEST2", UserInfo{Email: "test1@foo.com"}, 0},
		{"FOO", UserInfo{Email: "test@foo.com"}, 0},
		{"123456789ST", UserInfo{Phone: "123456789"}, 9},
		{"teST1234567890.", UserInfo{Phone: "123456789"}, 0},
		{"123456789ST", UserInfo{Name: "1234 56789", Username: "12345", Email: "1234567", Phone: "1234"}, 9},
	} {
		rs := []rune(strings.ToLower(tc.pw))
		if got := longestPrefix(rs, userPhrases(tc.u)); got != tc.want {
			t.Errorf("user info in %q of %+v: %d, want %d", tc.pw, tc.u, got, tc.want)
		}
	}
}

func TestDefaultPolicy(t *testing.T) {
	p := DefaultPolicy()
	for pw, want := range map[string][]string{
		"":                       {IssueTooShort, IssueCharacterTypes},
		"short1":                 {IssueTooShort},
		"password":               {IssuePwned},
		"PassWord":               {IssuePwned},       // the list is compared without case
		"iloveyou":               {IssuePwned},       // common, not a sequence
		"alice2026x":             {IssueUserInfo},    // all but 3 characters are the username
		"abcdefgh":               {IssueSequence},    // a sequence
		"Xk9#mP2$vL":             nil,                // nothing wrong
		"correct horse battery":  nil,                // spaces are symbols
		"パスワードパスワード":             {IssueUnsupported}, // as Logto: ASCII only
		strings.Repeat("a", 257): {IssueTooLong, IssueRepetition},
	} {
		var got []string
		for _, is := range p.Check(pw, UserInfo{Username: "alice2026", Email: "Alice@example.com"}) {
			got = append(got, is.Code)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("DefaultPolicy().Check(%q) = %v, want %v", pw, got, want)
		}
	}
}

func TestPolicyZeroRules(t *testing.T) {
	p := Policy{MinLength: 1, MaxLength: 256, MinCharacterTypes: 1}
	if got := p.Check("123456", UserInfo{Username: "123456"}); got != nil {
		t.Errorf("a policy with every reject off refused 123456: %v", got)
	}
	if got := p.Check(strings.Repeat("a", MaxLen+1), UserInfo{}); len(got) != 1 || got[0].Code != IssueTooLong {
		t.Errorf("a password past MaxLen bytes: %v, want too_long alone", got)
	}
}

func TestCommonList(t *testing.T) {
	if n := CommonCount(); n != 10000 {
		t.Errorf("the shipped list holds %d passwords, want 10000", n)
	}
	for _, pw := range []string{"123456", "password", "qwerty", "DRAGON", "letmein"} {
		if !IsCommon(pw) {
			t.Errorf("IsCommon(%q) = false", pw)
		}
	}
	for _, pw := range []string{"", "Xk9#mP2$vL", "# The 10,000 most common passwords, most common first: the first 10,000", strings.Repeat("1", 100)} {
		if IsCommon(pw) {
			t.Errorf("IsCommon(%q) = true", pw)
		}
	}
}

func BenchmarkPolicyCheck(b *testing.B) {
	p := DefaultPolicy()
	p.RejectWords = []string{"monban", "example", "company"}
	u := UserInfo{Username: "alice", Email: "alice@example.com", Phone: "+819012345678", Name: "Alice Liddell"}
	for b.Loop() {
		p.Check("Tr0ub4dor&3-correct-horse", u)
	}
}
