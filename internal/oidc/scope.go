package oidc

import (
	"net/http"
	"slices"
	"strings"
)

// maxScopes bounds the scopes of one request.
const maxScopes = 100

// validScopeToken is RFC 6749 §3.3's scope-token.
func validScopeToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c == '"' || c == '\\' || c > 0x7e {
			return false
		}
	}
	return s != ""
}

// requestedScopes parses a scope parameter, dropping repeats: the one
// parser of scope for the authorization and token endpoints. Its error is
// invalid_scope; the authorization endpoint sends it to the redirect URI.
func requestedScopes(v string) ([]string, *Error) {
	var out []string
	for _, s := range strings.Fields(v) {
		if !validScopeToken(s) {
			return nil, &Error{Status: http.StatusBadRequest, Code: "invalid_scope", Description: "scope holds an invalid character"}
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if len(out) > maxScopes {
		return nil, &Error{Status: http.StatusBadRequest, Code: "invalid_scope", Description: "too many scopes"}
	}
	return out, nil
}
