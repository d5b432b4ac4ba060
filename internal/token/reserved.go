package token

import (
	"slices"
	"strings"
)

// reservedClaims are the claims the server sets on the tokens it issues
// (access and ID tokens, RFC 7519 §4.1, RFC 9068 §2.2, OIDC Core §2, and
// token exchange's delegation claims, RFC 8693 §4): no custom claim may
// carry one of these names. Sorted.
var reservedClaims = []string{
	"act", "at_hash", "aud", "auth_time", "azp", "client_id", "cnf", "exp", "iat",
	"iss", "jti", "may_act", "nbf", "nonce", "scope", "sid", "sub", "typ",
}

// Reserved reports whether name is a claim the server sets, by its exact
// name: a custom claims script may not set it.
func Reserved(name string) bool {
	_, ok := slices.BinarySearch(reservedClaims, name)
	return ok
}

// ReservedClaims returns the reserved claim names, sorted.
func ReservedClaims() []string { return slices.Clone(reservedClaims) }

// reservedFold reports whether name is a reserved claim in any letter case.
// Claim names are case-sensitive (RFC 7519 §4), but verifiers built on
// encoding/json (protect was one) read "Scope" or "AUD" as scope or aud, and
// the last one wins; so an extra claim must not be one of these in another
// case either.
func reservedFold(name string) bool {
	if Reserved(name) {
		return true
	}
	for _, r := range reservedClaims {
		if strings.EqualFold(name, r) {
			return true
		}
	}
	return false
}
