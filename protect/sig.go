package protect

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"math/big"

	jose "github.com/go-jose/go-jose/v4"
)

// verifySignature checks a JWS signature over input (the encoded header and
// payload) with k, by k's own algorithm (RFC 7518 §3). go-jose reads the
// keys; the check itself is done with the standard library, which costs
// less per token than going through go-jose's JWS parser.
func verifySignature(k key, input string, sig []byte) bool {
	switch k.alg {
	case jose.ES256:
		d := sha256.Sum256([]byte(input))
		return verifyEC(k.pub, d[:], sig, 32)
	case jose.ES384:
		d := sha512.Sum384([]byte(input))
		return verifyEC(k.pub, d[:], sig, 48)
	case jose.ES512:
		d := sha512.Sum512([]byte(input))
		return verifyEC(k.pub, d[:], sig, 66)
	case jose.EdDSA:
		pub, ok := k.pub.(ed25519.PublicKey)
		return ok && ed25519.Verify(pub, []byte(input), sig)
	case jose.RS256, jose.PS256:
		d := sha256.Sum256([]byte(input))
		return verifyRSA(k, crypto.SHA256, d[:], sig)
	case jose.RS384, jose.PS384:
		d := sha512.Sum384([]byte(input))
		return verifyRSA(k, crypto.SHA384, d[:], sig)
	case jose.RS512, jose.PS512:
		d := sha512.Sum512([]byte(input))
		return verifyRSA(k, crypto.SHA512, d[:], sig)
	}
	return false
}

// verifyEC checks an ECDSA signature in JWS form: r and s as big-endian
// integers of the curve's size, concatenated (not ASN.1).
func verifyEC(pub any, digest, sig []byte, size int) bool {
	k, ok := pub.(*ecdsa.PublicKey)
	if !ok || len(sig) != 2*size || (k.Curve.Params().BitSize+7)/8 != size {
		return false
	}
	r := new(big.Int).SetBytes(sig[:size])
	s := new(big.Int).SetBytes(sig[size:])
	return ecdsa.Verify(k, digest, r, s)
}

func verifyRSA(k key, h crypto.Hash, digest, sig []byte) bool {
	pub, ok := k.pub.(*rsa.PublicKey)
	if !ok {
		return false
	}
	switch k.alg {
	case jose.PS256, jose.PS384, jose.PS512:
		return rsa.VerifyPSS(pub, h, digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}) == nil
	}
	return rsa.VerifyPKCS1v15(pub, h, digest, sig) == nil
}
