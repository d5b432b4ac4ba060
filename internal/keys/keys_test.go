package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/monban/monban/internal/store"
)

func gen(t *testing.T, alg string, status store.KeyStatus, created time.Time) store.SigningKey {
	t.Helper()
	k, err := Generate(alg, status, created)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Every algorithm generates a key that parses, signs, and publishes a JWK
// that verifies its signature.
func TestGenerateParseAndPublish(t *testing.T) {
	for _, tc := range []struct {
		alg, kty, crv string
		jose          jose.SignatureAlgorithm
	}{
		{ES256, "EC", "P-256", jose.ES256},
		{ES384, "EC", "P-384", jose.ES384},
		{RS256, "RSA", "", jose.RS256},
		{EdDSA, "OKP", "Ed25519", jose.EdDSA},
	} {
		t.Run(tc.alg, func(t *testing.T) {
			if !Supported(tc.alg) {
				t.Fatal("not Supported")
			}
			sk := gen(t, tc.alg, store.KeyCurrent, origin)
			if sk.ID == "" || sk.Algorithm != tc.alg || sk.Status != store.KeyCurrent || !sk.CreatedAt.Equal(origin) {
				t.Fatalf("stored key %+v", sk)
			}
			k, err := Parse(sk)
			if err != nil {
				t.Fatal(err)
			}
			j := k.PublicJWK()
			if j.Kid != sk.ID || j.Alg != tc.alg || j.Use != "sig" || j.Kty != tc.kty || j.Crv != tc.crv {
				t.Fatalf("JWK %+v", j)
			}
			// The published JWK, read by go-jose, verifies the key's signature.
			raw, err := json.Marshal(j)
			if err != nil {
				t.Fatal(err)
			}
			var pub jose.JSONWebKey
			if err := pub.UnmarshalJSON(raw); err != nil || !pub.Valid() || !pub.IsPublic() {
				t.Fatalf("JWK does not parse as a public key: %v", err)
			}
			signer, err := jose.NewSigner(jose.SigningKey{Algorithm: tc.jose, Key: k.Signer}, nil)
			if err != nil {
				t.Fatal(err)
			}
			jws, err := signer.Sign([]byte("payload"))
			if err != nil {
				t.Fatal(err)
			}
			if got, err := jws.Verify(pub.Key); err != nil || string(got) != "payload" {
				t.Fatalf("published key does not verify: %v", err)
			}
		})
	}
	if Supported("HS256") || Supported("none") || Supported("") {
		t.Fatal("Supported accepts an unsupported algorithm")
	}
	if _, err := Generate("HS256", store.KeyCurrent, origin); !errors.Is(err, ErrUnsupportedAlgorithm) {
		t.Fatalf("Generate(HS256) = %v", err)
	}
}

// A stored key is refused unless its key type fits its algorithm.
func TestParseRefusesMismatches(t *testing.T) {
	der := func(k crypto.Signer) []byte {
		b, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	rsa2048, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, alg string
		key       []byte
		ok        bool
	}{
		{"P-256 as ES256", ES256, der(p256), true},
		{"P-384 as ES256", ES256, der(p384), false},
		{"P-256 as ES384", ES384, der(p256), false},
		{"P-384 as ES384", ES384, der(p384), true},
		{"P-521 as ES384", ES384, der(p521), false},
		{"Ed25519 as ES256", ES256, der(ed), false},
		{"Ed25519 as EdDSA", EdDSA, der(ed), true},
		{"P-256 as EdDSA", EdDSA, der(p256), false},
		{"RSA 2048 as RS256", RS256, der(rsa2048), true},
		{"RSA 1024 as RS256", RS256, der(rsa1024), false},
		{"RSA 2048 as ES256", ES256, der(rsa2048), false},
		{"RSA 2048 as HS256", "HS256", der(rsa2048), false},
		{"garbage", ES256, []byte("not a key"), false},
		{"empty", ES256, nil, false},
	} {
		_, err := Parse(store.SigningKey{ID: "k", Algorithm: tc.alg, PrivateKey: tc.key})
		if (err == nil) != tc.ok {
			t.Errorf("%s: Parse error %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

// The JWK's coordinates are fixed-size and its RSA exponent minimal, as
// RFC 7518 §6.2.1 and §6.3.1 require.
func TestJWKEncoding(t *testing.T) {
	k, err := Parse(gen(t, ES256, store.KeyCurrent, origin))
	if err != nil {
		t.Fatal(err)
	}
	j := k.PublicJWK()
	if len(j.X) != 43 || len(j.Y) != 43 || j.N != "" || j.E != "" {
		t.Fatalf("P-256 JWK %+v: x and y must be 32 bytes each", j)
	}
	r, err := Parse(gen(t, RS256, store.KeyCurrent, origin))
	if err != nil {
		t.Fatal(err)
	}
	j = r.PublicJWK()
	pub := r.Public.(*rsa.PublicKey)
	if j.E != "AQAB" || pub.E != 65537 || j.X != "" || j.Crv != "" {
		t.Fatalf("RSA JWK %+v", j)
	}
	n, err := base64.RawURLEncoding.DecodeString(j.N)
	if err != nil || new(big.Int).SetBytes(n).Cmp(pub.N) != 0 || n[0] == 0 {
		t.Fatalf("RSA JWK n differs from the key's modulus or is not minimal: %v", err)
	}
}

// NewSet publishes every key but the previous ones retired before
// dropBefore, and signs with the newest current key or next key created at
// or before activateBefore; later next keys are pending.
func TestNewSetSelectsTheSigningKey(t *testing.T) {
	at := func(m int) time.Time { return origin.Add(time.Duration(m) * time.Minute) }
	oldCur := gen(t, ES256, store.KeyCurrent, at(0))
	newCur := gen(t, ES256, store.KeyCurrent, at(1)) // two current keys: a rotation raced
	droppedPrev := gen(t, ES256, store.KeyPrevious, at(-10))
	droppedPrev.RetiredAt = at(-5)
	keptPrev := gen(t, ES256, store.KeyPrevious, at(-9))
	keptPrev.RetiredAt = at(-4) // exactly dropBefore: kept
	ready := gen(t, EdDSA, store.KeyNext, at(2))
	pending := gen(t, ES384, store.KeyNext, at(3))
	all := []store.SigningKey{droppedPrev, keptPrev, oldCur, newCur, ready, pending}

	for _, tc := range []struct {
		name           string
		activateBefore time.Time
		signer         string
		pending        []string
	}{
		{"next keys too new", at(1), newCur.ID, []string{ready.ID, pending.ID}},
		{"a next key published long enough", at(2), ready.ID, []string{pending.ID}},
		{"every next key ready: the newest signs", at(3), pending.ID, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewSet(all, at(-4), tc.activateBefore)
			if err != nil {
				t.Fatal(err)
			}
			if s.Current == nil || s.Current.ID != tc.signer {
				t.Fatalf("signer %v, want %s", s.Current, tc.signer)
			}
			var pend []string
			for _, k := range s.Pending {
				pend = append(pend, k.ID)
			}
			if len(pend) != len(tc.pending) || (len(pend) > 0 && pend[0] != tc.pending[0]) {
				t.Fatalf("pending %v, want %v", pend, tc.pending)
			}
			var set jose.JSONWebKeySet
			if err := json.Unmarshal(s.JWKS, &set); err != nil {
				t.Fatal(err)
			}
			if len(set.Keys) != 5 || len(set.Key(droppedPrev.ID)) != 0 || len(set.Key(keptPrev.ID)) != 1 || len(set.Key(pending.ID)) != 1 {
				t.Fatalf("published %d keys; the previous key retired before dropBefore must be the only one left out", len(set.Keys))
			}
			for _, k := range set.Keys {
				if !k.IsPublic() {
					t.Fatalf("key %s is published with its private half", k.KeyID)
				}
			}
			if _, ok := s.Lookup(droppedPrev.ID); ok {
				t.Fatal("Lookup finds a dropped key")
			}
			if k, ok := s.Lookup(keptPrev.ID); !ok || k.ID != keptPrev.ID {
				t.Fatal("Lookup misses a published key")
			}
			sum := sha256.Sum256(s.JWKS)
			if want := `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`; s.ETag != want {
				t.Fatalf("ETag %q, want %q", s.ETag, want)
			}
		})
	}

	// A next key alone, not yet ready, leaves nothing to sign with.
	s, err := NewSet([]store.SigningKey{pending}, at(0), at(0))
	if err != nil || s.Current != nil || len(s.Pending) != 1 {
		t.Fatalf("only a pending key: current %v, %v", s.Current, err)
	}
	// The ETag follows the published set.
	a, errA := NewSet([]store.SigningKey{oldCur}, at(0), at(0))
	b, errB := NewSet([]store.SigningKey{oldCur, pending}, at(0), at(0))
	if errA != nil || errB != nil || a.ETag == b.ETag {
		t.Fatalf("the ETag did not change with the key set: %v %v", errA, errB)
	}
	// An empty set still encodes as {"keys":[]}.
	e, err := NewSet(nil, at(0), at(0))
	if err != nil || string(e.JWKS) != `{"keys":[]}` || e.Current != nil {
		t.Fatalf("empty set: %s, %v", e.JWKS, err)
	}
	// A stored key that does not parse fails the whole set.
	bad := oldCur
	bad.Algorithm = ES384
	if _, err := NewSet([]store.SigningKey{bad}, at(0), at(0)); err == nil {
		t.Fatal("NewSet accepted a key that does not fit its algorithm")
	}
}
