package jws

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"math/big"
	"slices"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// Signature algorithms (RFC 7518 §3.1, RFC 8037 §3.1). Only asymmetric
// algorithms are known: "none" and HMAC are never accepted.
const (
	ES256 = "ES256"
	ES384 = "ES384"
	ES512 = "ES512"
	EdDSA = "EdDSA"
	RS256 = "RS256"
	RS384 = "RS384"
	RS512 = "RS512"
	PS256 = "PS256"
	PS384 = "PS384"
	PS512 = "PS512"
)

// Algorithms lists every algorithm Verify knows.
var Algorithms = []string{ES256, ES384, ES512, EdDSA, RS256, RS384, RS512, PS256, PS384, PS512}

// Supported reports whether alg is one of Algorithms.
func Supported(alg string) bool { return slices.Contains(Algorithms, alg) }

// ErrUnsupportedAlgorithm is returned by Sign for an algorithm it cannot
// sign with, or a key that is not of that algorithm's type.
var ErrUnsupportedAlgorithm = errors.New("jws: unsupported signing algorithm")

// Verify checks sig, a JWS signature over input (the encoded header and
// payload), with the public key pub by the algorithm alg, which the caller
// has pinned to the key's. pub is an *ecdsa.PublicKey (on the curve alg
// names), an ed25519.PublicKey or an *rsa.PublicKey; any other key, or an
// algorithm not in Algorithms, fails.
func Verify(alg string, pub crypto.PublicKey, input string, sig []byte) bool {
	switch alg {
	case ES256:
		d := sha256.Sum256([]byte(input))
		return verifyEC(pub, d[:], sig, 32)
	case ES384:
		d := sha512.Sum384([]byte(input))
		return verifyEC(pub, d[:], sig, 48)
	case ES512:
		d := sha512.Sum512([]byte(input))
		return verifyEC(pub, d[:], sig, 66)
	case EdDSA:
		k, ok := pub.(ed25519.PublicKey)
		return ok && len(k) == ed25519.PublicKeySize && ed25519.Verify(k, []byte(input), sig)
	case RS256, PS256:
		d := sha256.Sum256([]byte(input))
		return verifyRSA(alg, pub, crypto.SHA256, d[:], sig)
	case RS384, PS384:
		d := sha512.Sum384([]byte(input))
		return verifyRSA(alg, pub, crypto.SHA384, d[:], sig)
	case RS512, PS512:
		d := sha512.Sum512([]byte(input))
		return verifyRSA(alg, pub, crypto.SHA512, d[:], sig)
	}
	return false
}

// verifyEC checks an ECDSA signature in JWS form: r and s as big-endian
// integers of the curve's size, concatenated (RFC 7518 §3.4), not ASN.1.
func verifyEC(pub crypto.PublicKey, digest, sig []byte, size int) bool {
	k, ok := pub.(*ecdsa.PublicKey)
	if !ok || k.Curve == nil || len(sig) != 2*size || (k.Curve.Params().BitSize+7)/8 != size {
		return false
	}
	r := new(big.Int).SetBytes(sig[:size])
	s := new(big.Int).SetBytes(sig[size:])
	return ecdsa.Verify(k, digest, r, s)
}

func verifyRSA(alg string, pub crypto.PublicKey, h crypto.Hash, digest, sig []byte) bool {
	k, ok := pub.(*rsa.PublicKey)
	if !ok {
		return false
	}
	switch alg {
	case PS256, PS384, PS512:
		return rsa.VerifyPSS(k, h, digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}) == nil
	}
	return rsa.VerifyPKCS1v15(k, h, digest, sig) == nil
}

// Sign returns the JWS signature of input by alg with priv: ES256 and
// ES384 with an *ecdsa.PrivateKey on that curve, RS256 with an
// *rsa.PrivateKey, EdDSA with an ed25519.PrivateKey.
func Sign(alg string, priv crypto.Signer, input []byte) ([]byte, error) {
	switch alg {
	case ES256, ES384:
		k, ok := priv.(*ecdsa.PrivateKey)
		size := 32
		if alg == ES384 {
			size = 48
		}
		if !ok || (k.Curve.Params().BitSize+7)/8 != size {
			return nil, ErrUnsupportedAlgorithm
		}
		if alg == ES256 {
			d := sha256.Sum256(input)
			return signEC(k, d[:], size)
		}
		d := sha512.Sum384(input)
		return signEC(k, d[:], size)
	case RS256:
		k, ok := priv.(*rsa.PrivateKey)
		if !ok {
			return nil, ErrUnsupportedAlgorithm
		}
		d := sha256.Sum256(input)
		return rsa.SignPKCS1v15(nil, k, crypto.SHA256, d[:])
	case EdDSA:
		k, ok := priv.(ed25519.PrivateKey)
		if !ok || len(k) != ed25519.PrivateKeySize {
			return nil, ErrUnsupportedAlgorithm
		}
		return ed25519.Sign(k, input), nil
	}
	return nil, ErrUnsupportedAlgorithm
}

// signEC returns the JWS form of an ECDSA signature: r and s as fixed-size
// big-endian integers, concatenated (RFC 7518 §3.4), not ASN.1.
// The ASN.1 form ecdsa.SignASN1 returns is read in place rather than
// through ecdsa.Sign, whose big.Int results cost several allocations.
func signEC(priv *ecdsa.PrivateKey, digest []byte, size int) ([]byte, error) {
	der, err := ecdsa.SignASN1(rand.Reader, priv, digest)
	if err != nil {
		return nil, err
	}
	var r, s cryptobyte.String
	in, seq := cryptobyte.String(der), cryptobyte.String(nil)
	if !in.ReadASN1(&seq, asn1.SEQUENCE) || !in.Empty() ||
		!seq.ReadASN1(&r, asn1.INTEGER) || !seq.ReadASN1(&s, asn1.INTEGER) || !seq.Empty() {
		return nil, errors.New("jws: malformed ECDSA signature")
	}
	out := make([]byte, 2*size)
	if !fillInt(out[:size], r) || !fillInt(out[size:], s) {
		return nil, errors.New("jws: malformed ECDSA signature")
	}
	return out, nil
}

// fillInt writes the positive DER INTEGER v right-aligned into dst,
// dropping the leading zero DER adds before a high bit.
func fillInt(dst []byte, v []byte) bool {
	if len(v) > 0 && v[0] == 0 {
		v = v[1:]
	}
	if len(v) == 0 || len(v) > len(dst) {
		return false
	}
	copy(dst[len(dst)-len(v):], v)
	return true
}
