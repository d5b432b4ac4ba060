// Package jwk reads the public JSON Web Keys (RFC 7517) that clients
// present: the keys an application registers for its client assertions
// (inline or at its jwks_uri) and the key in a DPoP proof's header. Only
// asymmetric signature keys are read: a private key, a symmetric ("oct")
// key, an encryption key, an unknown type or curve, and RSA under 2048 bits
// are refused. Thumbprint is RFC 7638's, as DPoP binds tokens with it.
package jwk

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/monban/monban/internal/jws"
)

// MaxLen bounds one JWK's JSON; an RSA key of 8192 bits is under 2 KiB.
const MaxLen = 8 << 10

// MaxSetKeys bounds the keys of one set.
const MaxSetKeys = 32

// Key is a public signature key read from a JWK.
type Key struct {
	Pub crypto.PublicKey // *ecdsa.PublicKey, ed25519.PublicKey or *rsa.PublicKey
	Kid string           // "" when the JWK has none
	// Alg is the JWK's alg, "" when it names none: any algorithm of the
	// key's type is then allowed.
	Alg string
	// Thumbprint is the RFC 7638 SHA-256 thumbprint, base64url.
	Thumbprint string
}

// Errors of Parse and ParseSet.
var (
	ErrMalformed = errors.New("malformed JWK")
	ErrPrivate   = errors.New("the JWK holds a private or symmetric key")
	ErrUnusable  = errors.New("the JWK is not an asymmetric signature key this server accepts")
)

// Parse reads one public JWK.
func Parse(raw []byte) (Key, error) {
	if len(raw) > MaxLen {
		return Key{}, ErrMalformed
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil || members == nil {
		return Key{}, ErrMalformed
	}
	for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"} {
		if _, ok := members[private]; ok {
			return Key{}, ErrPrivate
		}
	}
	var j jose.JSONWebKey
	if err := j.UnmarshalJSON(raw); err != nil {
		return Key{}, ErrMalformed
	}
	if !j.IsPublic() {
		return Key{}, ErrPrivate
	}
	if j.Use != "" && j.Use != "sig" {
		return Key{}, ErrUnusable
	}
	if !usable(j.Key) || (j.Algorithm != "" && !Fits(j.Key, j.Algorithm)) {
		return Key{}, ErrUnusable
	}
	tp, err := Thumbprint(j.Key)
	if err != nil {
		return Key{}, ErrUnusable
	}
	return Key{Pub: j.Key, Kid: j.KeyID, Alg: j.Algorithm, Thumbprint: tp}, nil
}

// ParseSet reads a JWK Set ({"keys": [...]}), every key of which must be
// usable: a registered set is checked whole, so that a mistake is told
// when it is made rather than when a key goes missing.
func ParseSet(raw []byte) ([]Key, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil || doc.Keys == nil {
		return nil, fmt.Errorf("%w: not a JWK Set", ErrMalformed)
	}
	if len(doc.Keys) > MaxSetKeys {
		return nil, fmt.Errorf("%w: more than %d keys", ErrMalformed, MaxSetKeys)
	}
	out := make([]Key, 0, len(doc.Keys))
	for i, r := range doc.Keys {
		k, err := Parse(r)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", i, err)
		}
		out = append(out, k)
	}
	return out, nil
}

// usable reports whether pub is a key type and size this server accepts.
func usable(pub any) bool {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return k.Curve == elliptic.P256() || k.Curve == elliptic.P384() || k.Curve == elliptic.P521()
	case ed25519.PublicKey:
		return len(k) == ed25519.PublicKeySize
	case *rsa.PublicKey:
		return k.N.BitLen() >= 2048
	}
	return false
}

// Fits reports whether signature algorithm alg (one of package jws's, never
// "none" or HMAC) is of pub's type: ES256 with P-256, ES384 with P-384,
// ES512 with P-521, EdDSA with Ed25519, RS* and PS* with RSA.
func Fits(pub any, alg string) bool {
	if !jws.Supported(alg) {
		return false
	}
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch alg {
		case jws.ES256:
			return k.Curve == elliptic.P256()
		case jws.ES384:
			return k.Curve == elliptic.P384()
		case jws.ES512:
			return k.Curve == elliptic.P521()
		}
	case ed25519.PublicKey:
		return alg == jws.EdDSA
	case *rsa.PublicKey:
		switch alg {
		case jws.RS256, jws.RS384, jws.RS512, jws.PS256, jws.PS384, jws.PS512:
			return true
		}
	}
	return false
}

// Allows reports whether k may verify a signature by alg: alg fits the key
// and is the JWK's own alg when it names one.
func (k Key) Allows(alg string) bool {
	return Fits(k.Pub, alg) && (k.Alg == "" || k.Alg == alg)
}

// Thumbprint returns the RFC 7638 SHA-256 thumbprint of a public key,
// base64url without padding.
func Thumbprint(pub crypto.PublicKey) (string, error) {
	j := jose.JSONWebKey{Key: pub}
	sum, err := j.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", err
	}
	if len(sum) != sha256.Size {
		return "", ErrUnusable
	}
	return base64.RawURLEncoding.EncodeToString(sum), nil
}
