package jws

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"strconv"
	"testing"
)

// Each algorithm verifies its own signatures (made by Sign or by go-jose),
// and refuses them under any other algorithm, with a key of the wrong type
// or curve, and once a byte of the input or the signature changes.
func TestVerify(t *testing.T) {
	ks := testKeys(t)
	for _, k := range ks {
		toks := []string{joseToken(t, k, `{"sub":"a"}`)}
		if signable(k.alg) {
			toks = append(toks, compact(t, k, header(k.alg, k.kid), `{"sub":"a"}`))
		}
		for _, tok := range toks {
			c, err := Split(tok, Strict)
			if err != nil {
				t.Fatal(err)
			}
			sig, _ := c.Signature()
			in := c.SigningInput()
			if !Verify(k.alg, k.public(), in, sig) {
				t.Fatalf("%s: own signature refused", k.alg)
			}
			for _, other := range ks {
				if other.alg != k.alg && Verify(other.alg, other.public(), in, sig) {
					t.Errorf("%s signature accepted as %s", k.alg, other.alg)
				}
				if other.alg != k.alg && Verify(other.alg, k.public(), in, sig) {
					t.Errorf("%s signature accepted as %s with its own key", k.alg, other.alg)
				}
			}
			if Verify(k.alg, k.public(), in+"x", sig) || Verify(k.alg, k.public(), in[1:], sig) {
				t.Errorf("%s: changed input accepted", k.alg)
			}
			bad := append([]byte(nil), sig...)
			bad[len(bad)/2] ^= 1
			if Verify(k.alg, k.public(), in, bad) || Verify(k.alg, k.public(), in, sig[:len(sig)-1]) || Verify(k.alg, k.public(), in, append(sig, 0)) {
				t.Errorf("%s: changed signature accepted", k.alg)
			}
			for _, pub := range []any{nil, "key", k.priv, &ecdsa.PublicKey{}, ed25519.PublicKey{1, 2}, &rsa.PublicKey{}} {
				if Verify(k.alg, pub, in, sig) {
					t.Errorf("%s: accepted with key %T", k.alg, pub)
				}
			}
			for _, alg := range []string{"", "none", "HS256", "es256"} {
				if Verify(alg, k.public(), in, sig) {
					t.Errorf("%s signature accepted as %q", k.alg, alg)
				}
			}
		}
	}
	// An ES256 signature checked with a P-384 key of the same size
	// signature is refused on the curve, not attempted.
	p384 := keyFor(t, ES384).public().(*ecdsa.PublicKey)
	k := keyFor(t, ES256)
	tok := compact(t, k, header(ES256, ""), "{}")
	c, _ := Split(tok, Strict)
	sig, _ := c.Signature()
	if Verify(ES256, p384, c.SigningInput(), sig) || Verify(ES384, k.public(), c.SigningInput(), append(sig, make([]byte, 32)...)) {
		t.Error("signature accepted with a key of another curve")
	}
}

func TestSign(t *testing.T) {
	for _, k := range testKeys(t) {
		sig, err := Sign(k.alg, k.priv, []byte("a.b"))
		if !signable(k.alg) {
			if !errors.Is(err, ErrUnsupportedAlgorithm) {
				t.Errorf("%s: %v, want ErrUnsupportedAlgorithm", k.alg, err)
			}
			continue
		}
		if err != nil || !Verify(k.alg, k.public(), "a.b", sig) {
			t.Errorf("%s: %v", k.alg, err)
		}
		for _, other := range testKeys(t) {
			if other.alg == k.alg || k.alg == RS256 && (other.alg[0] == 'R' || other.alg[0] == 'P') {
				continue // the same key
			}
			if _, err := Sign(k.alg, other.priv, []byte("a.b")); !errors.Is(err, ErrUnsupportedAlgorithm) {
				t.Errorf("%s with a %s key: %v", k.alg, other.alg, err)
			}
		}
	}
	for _, alg := range []string{"", "none", "HS256"} {
		if _, err := Sign(alg, keyFor(t, ES256).priv, []byte("a.b")); !errors.Is(err, ErrUnsupportedAlgorithm) {
			t.Errorf("%q: %v", alg, err)
		}
	}
}

// r and s are written at their fixed size whatever their DER form: with the
// leading zero DER adds before a high bit (half of all values) and shorter
// than the size (1 in 128 signatures has one such). Enough signatures are
// made that both forms occur many times.
func TestSignECFixedSize(t *testing.T) {
	for _, alg := range []string{ES256, ES384} {
		k := keyFor(t, alg)
		size := 32
		if alg == ES384 {
			size = 48
		}
		short := 0
		for i := range 3000 {
			input := []byte("a.b" + strconv.Itoa(i))
			sig, err := Sign(alg, k.priv, input)
			if err != nil || len(sig) != 2*size {
				t.Fatalf("%s: %d bytes, %v", alg, len(sig), err)
			}
			if sig[0] == 0 || sig[size] == 0 {
				short++
			}
			if !Verify(alg, k.public(), string(input), sig) {
				t.Fatalf("%s: signature %d does not verify", alg, i)
			}
		}
		if short == 0 {
			t.Errorf("%s: no signature with a short r or s among 3000", alg)
		}
	}
}
