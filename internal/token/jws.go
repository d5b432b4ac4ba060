package token

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/monban/monban/internal/jws"
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
	sig, err := jws.Sign(k.Algorithm, k.Signer, input)
	if errors.Is(err, jws.ErrUnsupportedAlgorithm) {
		return nil, keys.ErrUnsupportedAlgorithm
	}
	return sig, err
}

// parseCompact splits and decodes a compact JWS, checks its signature with a
// key from lookup, and returns the header and the decoded payload.
func parseCompact(raw string, lookup func(kid string) (*keys.Key, bool)) (jws.Header, []byte, error) {
	var h jws.Header
	c, err := jws.Split(raw, jws.Lenient)
	if errors.Is(err, jws.ErrTooLong) {
		return h, nil, fmt.Errorf("%w: token too long", ErrInvalid)
	} else if err != nil {
		return h, nil, fmt.Errorf("%w: not a compact JWS", ErrInvalid)
	}
	if h, err = c.Header(); err != nil {
		return h, nil, fmt.Errorf("%w: malformed header", ErrInvalid)
	}
	if h.Critical() {
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
	sig, err := c.Signature()
	if err != nil {
		return h, nil, fmt.Errorf("%w: malformed signature", ErrInvalid)
	}
	if !jws.Verify(k.Algorithm, k.Public, c.SigningInput(), sig) {
		return h, nil, fmt.Errorf("%w: bad signature", ErrInvalid)
	}
	payload, err := c.Payload()
	if err != nil {
		return h, nil, fmt.Errorf("%w: malformed payload", ErrInvalid)
	}
	return h, payload, nil
}
