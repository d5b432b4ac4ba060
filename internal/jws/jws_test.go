package jws

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/monban/monban/internal/keys"
	"github.com/monban/monban/internal/store"
)

// testKey is a key pair of one algorithm.
type testKey struct {
	alg  string
	kid  string
	priv crypto.Signer
}

func (k testKey) public() crypto.PublicKey { return k.priv.Public() }

var (
	keysOnce sync.Once
	allKeys  []testKey
)

// testKeys returns one key for each algorithm of Algorithms, made once:
// the server's own keys (package keys) for the algorithms it signs with,
// and a P-521 key and the RSA key for the others.
func testKeys(t testing.TB) []testKey {
	t.Helper()
	keysOnce.Do(func() {
		server := map[string]crypto.Signer{}
		for _, alg := range []string{ES256, ES384, RS256, EdDSA} {
			sk, err := keys.Generate(alg, store.KeyCurrent, time.Now())
			if err != nil {
				panic(err)
			}
			k, err := keys.Parse(sk)
			if err != nil {
				panic(err)
			}
			server[alg] = k.Signer
		}
		p521, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
		if err != nil {
			panic(err)
		}
		rk := server[RS256]
		for _, k := range []testKey{
			{ES256, "", server[ES256]},
			{ES384, "", server[ES384]},
			{ES512, "", p521},
			{EdDSA, "", server[EdDSA]},
			{RS256, "", rk}, {RS384, "", rk}, {RS512, "", rk},
			{PS256, "", rk}, {PS384, "", rk}, {PS512, "", rk},
		} {
			k.kid = "k-" + k.alg
			allKeys = append(allKeys, k)
		}
	})
	return allKeys
}

func keyFor(t testing.TB, alg string) testKey {
	for _, k := range testKeys(t) {
		if k.alg == alg {
			return k
		}
	}
	t.Fatalf("no key for %s", alg)
	return testKey{}
}

var b64 = base64.RawURLEncoding

// compact signs header and payload with k by Sign.
func compact(t testing.TB, k testKey, header, payload string) string {
	t.Helper()
	input := b64.EncodeToString([]byte(header)) + "." + b64.EncodeToString([]byte(payload))
	sig, err := Sign(k.alg, k.priv, []byte(input))
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + b64.EncodeToString(sig)
}

// joseToken signs payload with k by go-jose's signer, an implementation
// independent of this package's, with the header kid and typ at+jwt.
func joseToken(t testing.TB, k testKey, payload string) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("at+jwt").WithHeader("kid", k.kid)
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(k.alg), Key: k.priv}, opts)
	var obj *jose.JSONWebSignature
	if err == nil {
		obj, err = s.Sign([]byte(payload))
	}
	var tok string
	if err == nil {
		tok, err = obj.CompactSerialize()
	}
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// signable reports whether Sign knows alg (what the server signs with).
func signable(alg string) bool {
	return alg == ES256 || alg == ES384 || alg == RS256 || alg == EdDSA
}

// verifyToken is the full check a caller makes: split, header, algorithm
// pinned to the key's, no critical extension, signature, payload.
func verifyToken(tok string, enc Encoding, k testKey) (Header, []byte, error) {
	c, err := Split(tok, enc)
	if err != nil {
		return Header{}, nil, err
	}
	h, err := c.Header()
	if err != nil {
		return h, nil, err
	}
	if h.Critical() || h.Alg != k.alg || !Supported(h.Alg) {
		return h, nil, errors.New("header refused")
	}
	sig, err := c.Signature()
	if err != nil {
		return h, nil, err
	}
	if !Verify(h.Alg, k.public(), c.SigningInput(), sig) {
		return h, nil, errors.New("bad signature")
	}
	p, err := c.Payload()
	return h, p, err
}

func header(alg, kid string) string {
	return `{"alg":"` + alg + `","kid":"` + kid + `","typ":"at+jwt"}`
}
