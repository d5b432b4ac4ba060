package password

import (
	"strings"
	"testing"
)

// Whatever a client sends as a digest, Import answers a stored hash or an
// *ImportError, never a panic; a stored hash parses again, exports under
// its algorithm and verifies without error.
func FuzzImport(f *testing.F) {
	for _, fx := range []struct{ alg, digest string }{
		{Argon2d, "$argon2d$v=19$m=64,t=1,p=2$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5"},
		{Argon2i, "$argon2i$v=19$m=8192,t=8,p=1$3WlMdiY6CFEtSH/PJZwk/g$5n2YVUr9jjumWd7Nx+5i4t35zdKoxeA0ZLi0UeBpvFk"},
		{Argon2id, "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5"},
		{Bcrypt, "$2a$04$EIDVcgKL0q61cfYdD5RE9Op7b5SMme5zAM3uVi6k29ietYlV0PTjO"},
		{SHA1, "abf7aad6438836dbe526aa231abde2d0eef74d42"},
		{Legacy, `["pbkdf2",["hex:80ff","10","4","sha256","@"],"00112233"]`},
		{Legacy, `["sha256",["salt123","@"],"c465f66c6ac481a7a17e9ed5b4e2e7e7288d892f12bf1c95c140901e9a70436e"]`},
	} {
		f.Add(fx.alg, fx.digest, "password")
	}
	h := NewHasher(fast, 1)
	f.Fuzz(func(t *testing.T, alg, digest, pw string) {
		stored, err := Import(alg, digest)
		if err != nil {
			if _, ok := err.(*ImportError); !ok {
				t.Fatalf("Import(%q, %q) = %T %v, want an *ImportError", alg, digest, err, err)
			}
			return
		}
		if _, got := Export(stored); !strings.EqualFold(got, alg) {
			t.Fatalf("Import(%q) stored %q, exported as %q", alg, stored, got)
		}
		if _, err := h.Verify(t.Context(), stored, pw); err != nil {
			t.Fatalf("Verify(%q): %v", stored, err)
		}
	})
}

// Whatever the password, the user's details and the policy's words, Check
// answers without a panic, only Logto's codes, each once, and nothing for
// a password the policy accepts under every rule turned off.
func FuzzPolicyCheck(f *testing.F) {
	for _, seed := range []struct{ pw, name, word string }{
		{"aL1!aL1!", "aL1!", "aaaaaate"}, {"123456", "Foo bar", ""}, {"aaa😀", "", "silverhand"},
		{"パスワード", "山田 太郎", "パス"}, {"\xff\xfe", "\xff", "\x00"}, {"", "", ""},
	} {
		f.Add(seed.pw, seed.name, seed.word, 8, 2)
	}
	known := map[string]bool{IssueTooShort: true, IssueTooLong: true, IssueCharacterTypes: true, IssueUnsupported: true,
		IssuePwned: true, IssueRepetition: true, IssueSequence: true, IssueUserInfo: true, IssueWords: true}
	f.Fuzz(func(t *testing.T, pw, name, word string, minLen, types int) {
		p := DefaultPolicy()
		p.MinLength, p.MinCharacterTypes, p.RejectWords = minLen, types, []string{word}
		seen := map[string]bool{}
		for _, is := range p.Check(pw, UserInfo{Username: name, Email: name + "@example.com", Phone: name, Name: name}) {
			if !known[is.Code] || seen[is.Code] {
				t.Fatalf("Check(%q) gave %q (unknown or twice)", pw, is.Code)
			}
			seen[is.Code] = true
		}
		open := Policy{MinLength: 0, MaxLength: MaxLen, MinCharacterTypes: 0}
		for _, is := range open.Check(pw, UserInfo{}) {
			if is.Code != IssueUnsupported && is.Code != IssueTooLong {
				t.Fatalf("an open policy refused %q: %v", pw, is)
			}
		}
	})
}
