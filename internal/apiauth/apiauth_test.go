package apiauth

import (
	"strings"
	"testing"
)

// HeaderSafe keeps a description from breaking out of its quoted-string in
// WWW-Authenticate: no quote, backslash, control character or non-ASCII,
// and at most 200 bytes.
func TestHeaderSafe(t *testing.T) {
	for in, want := range map[string]string{
		`plain text: ok (1-2)`:   `plain text: ok (1-2)`,
		`say "hi"`:               `say 'hi'`,
		`a\b`:                    `a'b`,
		"line\r\nSet-Cookie: x":  "line  Set-Cookie: x",
		"tab\there\x00\x7f":      "tab here  ",
		"caf\u00e9 \u2028":       "caf   ",
		"~ and space are kept ~": "~ and space are kept ~",
		"":                       "",
	} {
		if got := HeaderSafe(in); got != want {
			t.Errorf("HeaderSafe(%q) = %q, want %q", in, got, want)
		}
	}
	long := strings.Repeat("x", 500)
	if got := HeaderSafe(long); len(got) != 200 {
		t.Errorf("HeaderSafe of 500 bytes kept %d, want 200", len(got))
	}
	if got := HeaderSafe(strings.Repeat("x", 200)); len(got) != 200 {
		t.Errorf("HeaderSafe of 200 bytes kept %d", len(got))
	}
}
