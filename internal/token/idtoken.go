package token

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash"
	"strings"

	"github.com/monban/monban/internal/keys"
)

// MintJWT signs claims as a JWT with typ "JWT" (ID tokens). The caller
// supplies every claim.
func MintJWT(s *Signer, claims map[string]any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("encode token: %w", err)
	}
	return s.Sign(TypeJWT, payload)
}

// Algorithm returns the JWS algorithm the signer uses.
func (s *Signer) Algorithm() string { return s.key.Algorithm }

// HalfHash is the at_hash (or c_hash) of value for a token signed with alg
// (OIDC Core §3.1.3.6): the left half of the hash that alg uses, base64url.
// EdDSA (Ed25519) uses SHA-512, as the OpenID Foundation's libraries do.
func HalfHash(alg, value string) string {
	var h hash.Hash
	switch alg {
	case keys.ES384:
		h = sha512.New384()
	case keys.EdDSA:
		h = sha512.New()
	default: // ES256, RS256
		h = sha256.New()
	}
	h.Write([]byte(value))
	sum := h.Sum(nil)
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

// IDTokenHint is what RP-initiated logout reads from an id_token_hint.
type IDTokenHint struct {
	Subject  string
	Audience []string
}

// ParseIDTokenHint checks that raw is an ID token this server signed (with a
// key it still publishes) for issuer, and returns its subject and audience.
// Expiry is not checked: a hint may be an old ID token (OIDC RP-Initiated
// Logout §2).
func ParseIDTokenHint(set *keys.Set, issuer, raw string) (*IDTokenHint, error) {
	if set == nil {
		return nil, fmt.Errorf("%w: no keys", ErrInvalid)
	}
	h, payload, err := parseCompact(raw, set.Lookup)
	if err != nil {
		return nil, err
	}
	if h.Typ != "" && !strings.EqualFold(h.Typ, TypeJWT) {
		return nil, fmt.Errorf("%w: not an ID token (typ)", ErrInvalid)
	}
	var c struct {
		Iss string          `json:"iss"`
		Sub string          `json:"sub"`
		Aud json.RawMessage `json:"aud"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, fmt.Errorf("%w: malformed claims", ErrInvalid)
	}
	if c.Iss != issuer || c.Sub == "" {
		return nil, fmt.Errorf("%w: wrong issuer or no subject", ErrInvalid)
	}
	hint := &IDTokenHint{Subject: c.Sub}
	var one string
	if json.Unmarshal(c.Aud, &one) == nil {
		hint.Audience = []string{one}
	} else if json.Unmarshal(c.Aud, &hint.Audience) != nil {
		return nil, fmt.Errorf("%w: claim aud is malformed", ErrInvalid)
	}
	return hint, nil
}
