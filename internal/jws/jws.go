// Package jws reads and writes compact JSON Web Signatures (RFC 7515) for
// the asymmetric algorithms of RFC 7518 and RFC 8037: the one JWS
// implementation behind the server's tokens (package token) and the
// resource servers' verifier (package protect).
//
// It is written on the standard library rather than on go-jose, which costs
// more per token: splitting a token, reading its protected header by exact
// parameter names, and checking or making a signature. What a caller then
// requires of the header (typ, which key, which algorithms) is left to it;
// Supported, Critical and the key's own algorithm are the checks it uses.
package jws

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
)

// MaxLen bounds the length of a compact JWS that Split reads; real tokens
// are far smaller.
const MaxLen = 16 << 10

// Errors returned by Split and the decoding methods of Compact.
var (
	ErrTooLong   = errors.New("jws: token too long")
	ErrMalformed = errors.New("jws: not a compact JWS")
	ErrHeader    = errors.New("jws: malformed header")
	ErrEncoding  = errors.New("jws: malformed base64url")
)

// Encoding says how the base64url parts of a token are read.
type Encoding uint8

const (
	// Strict refuses stray bits at the end of a part, so that a token has
	// one encoding only.
	Strict Encoding = iota
	// Lenient ignores stray bits, as encoding/base64's RawURLEncoding
	// and go-jose do.
	Lenient
)

var (
	strictB64  = base64.RawURLEncoding.Strict()
	lenientB64 = base64.RawURLEncoding
)

func (e Encoding) b64() *base64.Encoding {
	if e == Lenient {
		return lenientB64
	}
	return strictB64
}

// Compact is a token in the JWS compact serialization, split at its two
// dots but not decoded.
type Compact struct {
	raw         string
	first, last int
	enc         Encoding
}

// Split checks that raw has the shape of a compact JWS (at most MaxLen
// bytes, exactly three dot-separated parts) and splits it. The parts are
// decoded by the methods of Compact, with enc.
func Split(raw string, enc Encoding) (Compact, error) {
	if len(raw) > MaxLen {
		return Compact{}, ErrTooLong
	}
	first := strings.IndexByte(raw, '.')
	last := strings.LastIndexByte(raw, '.')
	if first < 0 || first == last || strings.IndexByte(raw[first+1:last], '.') >= 0 {
		return Compact{}, ErrMalformed
	}
	return Compact{raw: raw, first: first, last: last, enc: enc}, nil
}

// RawHeader returns the encoded protected header.
func (c Compact) RawHeader() string { return c.raw[:c.first] }

// SigningInput returns what the signature is over: the encoded header and
// payload with the dot between them.
func (c Compact) SigningInput() string { return c.raw[:c.last] }

// Header decodes the protected header.
func (c Compact) Header() (Header, error) {
	b, err := c.enc.b64().DecodeString(c.raw[:c.first])
	if err != nil {
		return Header{}, ErrHeader
	}
	return ParseHeader(b)
}

// Payload decodes the payload.
func (c Compact) Payload() ([]byte, error) { return c.decode(c.raw[c.first+1 : c.last]) }

// Signature decodes the signature.
func (c Compact) Signature() ([]byte, error) { return c.decode(c.raw[c.last+1:]) }

func (c Compact) decode(s string) ([]byte, error) {
	b, err := c.enc.b64().DecodeString(s)
	if err != nil {
		return nil, ErrEncoding
	}
	return b, nil
}

// Header is the part of a JWS protected header that is read.
type Header struct {
	Alg  string
	Kid  string
	Typ  string
	Crit json.RawMessage // as given, if present (even as null)
}

// ParseHeader decodes a protected header, a JSON object, by its parameters'
// exact names.
func ParseHeader(b []byte) (Header, error) {
	var h Header
	if err := UnmarshalExact(b, map[string]any{"alg": &h.Alg, "kid": &h.Kid, "typ": &h.Typ, "crit": &h.Crit}); err != nil {
		return Header{}, ErrHeader
	}
	return h, nil
}

// Critical reports whether the header names critical extensions (RFC 7515
// §4.1.11). None is understood here, so a token that has any is refused.
func (h Header) Critical() bool { return h.Crit != nil }

// UnmarshalExact decodes the JSON object b into fields by their exact
// names. Header parameter and claim names are case-sensitive (RFC 7515 §4,
// RFC 7519 §4), but encoding/json matches struct fields in any case, so
// that "ALG" or a private claim "Aud" would be read as alg or aud. A name
// given twice keeps its last value; names not in fields are skipped.
func UnmarshalExact(b []byte, fields map[string]any) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	if m == nil {
		return errors.New("jws: not a JSON object")
	}
	for name, dst := range fields {
		if raw, ok := m[name]; ok {
			if err := json.Unmarshal(raw, dst); err != nil {
				return err
			}
		}
	}
	return nil
}
