package token

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"

	"github.com/monban/monban/internal/keys"
)

// Types for the JWS "typ" header.
const (
	TypeAccessToken = "at+jwt" // RFC 9068
	TypeJWT         = "JWT"    // ID tokens
)

// Signer signs JWTs with one key. Headers are encoded once, at creation, so a
// signature costs the hash, the key operation and one base64 pass.
type Signer struct {
	key          *keys.Key
	accessHeader string
	jwtHeader    string
}

// NewSigner prepares k for signing.
func NewSigner(k *keys.Key) *Signer {
	enc := func(typ string) string {
		h, _ := json.Marshal(struct {
			Alg string `json:"alg"`
			Kid string `json:"kid"`
			Typ string `json:"typ"`
		}{k.Algorithm, k.ID, typ})
		return base64.RawURLEncoding.EncodeToString(h)
	}
	return &Signer{key: k, accessHeader: enc(TypeAccessToken), jwtHeader: enc(TypeJWT)}
}

// KeyID returns the kid of the signing key.
func (s *Signer) KeyID() string { return s.key.ID }

// Sign returns the compact JWS of payload (a JSON object) with typ either
// TypeAccessToken or TypeJWT.
func (s *Signer) Sign(typ string, payload []byte) (string, error) {
	header := s.jwtHeader
	if typ == TypeAccessToken {
		header = s.accessHeader
	}
	enc := base64.RawURLEncoding
	buf := make([]byte, 0, len(header)+1+enc.EncodedLen(len(payload))+1+enc.EncodedLen(512))
	buf = append(buf, header...)
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, payload)
	sig, err := signBytes(s.key, buf)
	if err != nil {
		return "", err
	}
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, sig)
	return string(buf), nil
}

func signBytes(k *keys.Key, input []byte) ([]byte, error) {
	switch k.Algorithm {
	case keys.ES256:
		d := sha256.Sum256(input)
		return signECDSA(k.Signer.(*ecdsa.PrivateKey), d[:], 32)
	case keys.ES384:
		d := sha512.Sum384(input)
		return signECDSA(k.Signer.(*ecdsa.PrivateKey), d[:], 48)
	case keys.RS256:
		d := sha256.Sum256(input)
		return rsa.SignPKCS1v15(nil, k.Signer.(*rsa.PrivateKey), crypto.SHA256, d[:])
	case keys.EdDSA:
		return ed25519.Sign(k.Signer.(ed25519.PrivateKey), input), nil
	}
	return nil, keys.ErrUnsupportedAlgorithm
}

// signECDSA returns the JWS form of an ECDSA signature: r and s as fixed-size
// big-endian integers, concatenated (RFC 7518 §3.4), not ASN.1.
func signECDSA(priv *ecdsa.PrivateKey, digest []byte, size int) ([]byte, error) {
	r, s, err := ecdsa.Sign(rand.Reader, priv, digest)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 2*size)
	r.FillBytes(out[:size])
	s.FillBytes(out[size:])
	return out, nil
}

// verifySignature checks sig over input with k, the algorithm being k's own.
func verifySignature(k *keys.Key, input, sig []byte) bool {
	switch k.Algorithm {
	case keys.ES256, keys.ES384:
		pub, ok := k.Public.(*ecdsa.PublicKey)
		size := 32
		if k.Algorithm == keys.ES384 {
			size = 48
		}
		if !ok || len(sig) != 2*size {
			return false
		}
		r := new(big.Int).SetBytes(sig[:size])
		s := new(big.Int).SetBytes(sig[size:])
		if k.Algorithm == keys.ES256 {
			d := sha256.Sum256(input)
			return ecdsa.Verify(pub, d[:], r, s)
		}
		d := sha512.Sum384(input)
		return ecdsa.Verify(pub, d[:], r, s)
	case keys.RS256:
		pub, ok := k.Public.(*rsa.PublicKey)
		if !ok {
			return false
		}
		d := sha256.Sum256(input)
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, d[:], sig) == nil
	case keys.EdDSA:
		pub, ok := k.Public.(ed25519.PublicKey)
		return ok && ed25519.Verify(pub, input, sig)
	}
	return false
}

// maxTokenLen bounds what Verify will look at; real tokens are far smaller.
const maxTokenLen = 16 << 10

type jwsHeader struct {
	Alg  string          `json:"alg"`
	Kid  string          `json:"kid"`
	Typ  string          `json:"typ"`
	Crit json.RawMessage `json:"crit"`
}

// parseCompact splits and decodes a compact JWS, checks its signature with a
// key from lookup, and returns the header and the decoded payload.
func parseCompact(raw string, lookup func(kid string) (*keys.Key, bool)) (jwsHeader, []byte, error) {
	var h jwsHeader
	if len(raw) > maxTokenLen {
		return h, nil, fmt.Errorf("%w: token too long", ErrInvalid)
	}
	first := strings.IndexByte(raw, '.')
	last := strings.LastIndexByte(raw, '.')
	if first < 0 || first == last || strings.Count(raw, ".") != 2 {
		return h, nil, fmt.Errorf("%w: not a compact JWS", ErrInvalid)
	}
	enc := base64.RawURLEncoding
	hb, err := enc.DecodeString(raw[:first])
	if err != nil {
		return h, nil, fmt.Errorf("%w: malformed header", ErrInvalid)
	}
	// Header parameter names are case-sensitive (RFC 7515 §4); encoding/json
	// would read "ALG" as alg, so the names are matched exactly.
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(hb, &fields); err != nil || fields == nil {
		return h, nil, fmt.Errorf("%w: malformed header", ErrInvalid)
	}
	for name, dst := range map[string]any{"alg": &h.Alg, "kid": &h.Kid, "typ": &h.Typ, "crit": &h.Crit} {
		if raw, ok := fields[name]; ok {
			if err := json.Unmarshal(raw, dst); err != nil {
				return h, nil, fmt.Errorf("%w: malformed header", ErrInvalid)
			}
		}
	}
	if len(h.Crit) > 0 {
		return h, nil, fmt.Errorf("%w: unsupported critical header", ErrInvalid)
	}
	k, ok := lookup(h.Kid)
	if !ok {
		return h, nil, fmt.Errorf("%w: unknown signing key", ErrInvalid)
	}
	// The algorithm is pinned to the key's: "none", HMAC and any other
	// algorithm the header may claim are refused here.
	if h.Alg != k.Algorithm {
		return h, nil, fmt.Errorf("%w: algorithm does not match the key", ErrInvalid)
	}
	sig, err := enc.DecodeString(raw[last+1:])
	if err != nil {
		return h, nil, fmt.Errorf("%w: malformed signature", ErrInvalid)
	}
	if !verifySignature(k, []byte(raw[:last]), sig) {
		return h, nil, fmt.Errorf("%w: bad signature", ErrInvalid)
	}
	payload, err := enc.DecodeString(raw[first+1 : last])
	if err != nil {
		return h, nil, fmt.Errorf("%w: malformed payload", ErrInvalid)
	}
	return h, payload, nil
}
