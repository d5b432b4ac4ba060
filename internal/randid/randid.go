// Package randid makes random identifiers and secrets from crypto/rand.
package randid

import (
	"crypto/rand"
	"encoding/base64"
)

const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"

// ID returns a 21-character lowercase alphanumeric id (about 108 bits), the
// form Logto uses for its ids; it is URL-safe and case-insensitive.
func ID() string {
	const n = 21
	var b [n]byte
	// 252 is the largest multiple of 36 below 256: rejecting bytes at or above
	// it keeps every character equally likely.
	out := make([]byte, 0, n)
	for len(out) < n {
		if _, err := rand.Read(b[:]); err != nil {
			panic("randid: crypto/rand failed: " + err.Error())
		}
		for _, c := range b {
			if c < 252 && len(out) < n {
				out = append(out, alphabet[c%36])
			}
		}
	}
	return string(out)
}

// Secret returns nBytes random bytes encoded as unpadded base64url.
func Secret(nBytes int) string {
	b := make([]byte, nBytes)
	if _, err := rand.Read(b); err != nil {
		panic("randid: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
