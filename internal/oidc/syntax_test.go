package oidc

import (
	"strings"
	"testing"
)

// A code_verifier or S256 code_challenge is 43 to 128 unreserved
// characters (RFC 7636 §4.1), bounds included.
func TestValidPKCE(t *testing.T) {
	ok := strings.Repeat("a", 43)
	for s, want := range map[string]bool{
		ok:                       true,
		strings.Repeat("Z", 128): true,
		strings.Repeat("a", 42):  false,
		strings.Repeat("a", 129): false,
		ok[:39] + "-._~":         true,
		ok[:42] + "0":            true,
		ok[:42] + "9":            true,
		ok[:42] + "A":            true,
		ok[:42] + "z":            true,
		ok[:42] + "+":            false,
		ok[:42] + "/":            false,
		ok[:42] + "=":            false,
		ok[:42] + " ":            false,
		ok[:42] + "@":            false, // just before 'A'
		ok[:42] + "[":            false, // just after 'Z'
		ok[:42] + "`":            false, // just before 'a'
		ok[:42] + "{":            false, // just after 'z'
		ok[:42] + ":":            false, // just after '9'
		"":                       false,
	} {
		if got := validPKCE(s); got != want {
			t.Errorf("validPKCE(%q) = %v, want %v", s, got, want)
		}
	}
}

// A scope-token is one or more of %x21 / %x23-5B / %x5D-7E (RFC 6749
// §3.3): printable ASCII without space, '"' and '\'.
func TestValidScopeToken(t *testing.T) {
	for s, want := range map[string]bool{
		"read:products": true,
		"!":             true, // 0x21, the lowest
		"~":             true, // 0x7e, the highest
		"#[]":           true,
		"":              false,
		" ":             false, // 0x20
		"a b":           false,
		"\x7f":          false,
		"caf\u00e9":     false,
		`say"`:          false,
		`a\b`:           false,
		"\x00":          false,
	} {
		if got := validScopeToken(s); got != want {
			t.Errorf("validScopeToken(%q) = %v, want %v", s, got, want)
		}
	}
}
