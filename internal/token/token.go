// Package token mints and verifies the server's JWT access tokens
// (RFC 9068: header typ "at+jwt").
package token

import (
	"errors"
	"slices"
	"strings"
)

// Claims are the verified claims of an access token.
type Claims struct {
	Issuer   string
	Subject  string
	Audience []string
	ClientID string
	Scope    string // space-separated
	JTI      string
	IssuedAt int64 // Unix seconds
	Expiry   int64 // Unix seconds
	// Extra holds every other claim (custom claims), as decoded JSON.
	Extra map[string]any
}

// Scopes returns the granted scopes.
func (c *Claims) Scopes() []string { return strings.Fields(c.Scope) }

// HasScope reports whether scope s was granted.
func (c *Claims) HasScope(s string) bool { return slices.Contains(c.Scopes(), s) }

// HasAudience reports whether aud is one of the token's audiences.
func (c *Claims) HasAudience(aud string) bool { return slices.Contains(c.Audience, aud) }

// ErrInvalid is wrapped by every verification failure. Its message is safe to
// show to the client (it never contains the token).
var ErrInvalid = errors.New("invalid token")

// Verifier checks an access token: signature by a key this server publishes,
// the algorithm pinned to that key's, typ at+jwt, iss, and exp/nbf/iat with a
// small leeway. Checking the audience and scopes is left to the caller.
type Verifier interface {
	Verify(raw string) (*Claims, error)
}
