// Package keys generates the server's signing keys, turns stored keys into
// ready signers, and publishes their public halves as a JWK Set.
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
	"fmt"
	"math/big"
	"time"

	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
)

// Algorithms the server can sign with. ES256 is the default: on a small
// machine it signs about six times faster than ES384 and far faster than RS256.
const (
	ES256 = "ES256"
	ES384 = "ES384"
	RS256 = "RS256"
	EdDSA = "EdDSA"

	DefaultAlgorithm = ES256
)

// ErrUnsupportedAlgorithm is returned for an algorithm name not listed above.
var ErrUnsupportedAlgorithm = errors.New("unsupported signing key algorithm (use ES256, ES384, RS256 or EdDSA)")

// Supported reports whether alg names a signing algorithm the server supports.
func Supported(alg string) bool {
	switch alg {
	case ES256, ES384, RS256, EdDSA:
		return true
	}
	return false
}

// Generate makes a new private key for alg, ready to be stored.
func Generate(alg string, status store.KeyStatus, now time.Time) (store.SigningKey, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case ES384:
		priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case RS256:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case EdDSA:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		return store.SigningKey{}, ErrUnsupportedAlgorithm
	}
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("generate %s key: %w", alg, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("encode %s key: %w", alg, err)
	}
	return store.SigningKey{
		ID:         randid.ID(),
		Algorithm:  alg,
		Status:     status,
		PrivateKey: der,
		CreatedAt:  now,
	}, nil
}

// Key is a parsed signing key.
type Key struct {
	ID        string
	Algorithm string
	Status    store.KeyStatus
	CreatedAt time.Time
	RetiredAt time.Time
	Signer    crypto.Signer
	Public    crypto.PublicKey
}

// Parse decodes a stored key and checks that it fits its algorithm.
func Parse(k store.SigningKey) (*Key, error) {
	raw, err := x509.ParsePKCS8PrivateKey(k.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", k.ID, err)
	}
	signer, ok := raw.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("key %s: not a signing key", k.ID)
	}
	fits := false
	switch p := signer.(type) {
	case *ecdsa.PrivateKey:
		fits = (k.Algorithm == ES256 && p.Curve == elliptic.P256()) || (k.Algorithm == ES384 && p.Curve == elliptic.P384())
	case *rsa.PrivateKey:
		fits = k.Algorithm == RS256 && p.N.BitLen() >= 2048
	case ed25519.PrivateKey:
		fits = k.Algorithm == EdDSA
	}
	if !fits {
		return nil, fmt.Errorf("key %s: key type does not fit algorithm %s", k.ID, k.Algorithm)
	}
	return &Key{
		ID: k.ID, Algorithm: k.Algorithm, Status: k.Status,
		CreatedAt: k.CreatedAt, RetiredAt: k.RetiredAt,
		Signer: signer, Public: signer.Public(),
	}, nil
}

// JWK is the public half of a key in RFC 7517 form.
type JWK struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
}

// PublicJWK returns the key's public JWK.
func (k *Key) PublicJWK() JWK {
	b64 := base64.RawURLEncoding.EncodeToString
	j := JWK{Kid: k.ID, Alg: k.Algorithm, Use: "sig"}
	switch p := k.Public.(type) {
	case *ecdsa.PublicKey:
		// Bytes is the uncompressed point: 0x04 || X || Y, each of fixed size.
		pt, _ := p.Bytes()
		size := (len(pt) - 1) / 2
		j.Kty, j.Crv = "EC", p.Curve.Params().Name
		j.X, j.Y = b64(pt[1:1+size]), b64(pt[1+size:])
	case *rsa.PublicKey:
		j.Kty = "RSA"
		j.N = b64(p.N.Bytes())
		j.E = b64(big.NewInt(int64(p.E)).Bytes())
	case ed25519.PublicKey:
		j.Kty, j.Crv, j.X = "OKP", "Ed25519", b64(p)
	}
	return j
}

// Set is the server's keys at one moment: the one that signs and all that are
// published.
type Set struct {
	Current *Key
	// Pending are next keys published but not yet signing.
	Pending []*Key
	byID    map[string]*Key
	// JWKS is the encoded JWK Set of every published key, and ETag its hash,
	// both computed once so serving /jwks costs nothing.
	JWKS []byte
	ETag string
}

// NewSet builds a Set from stored keys. Previous keys retired before
// dropBefore are left out: no unexpired token can carry their signature.
// Every other key is published. The newest key that is current, or next and
// created at or before activateBefore (published long enough for every
// verifier to have it), signs.
func NewSet(stored []store.SigningKey, dropBefore, activateBefore time.Time) (*Set, error) {
	s := &Set{byID: make(map[string]*Key, len(stored))}
	jwks := struct {
		Keys []JWK `json:"keys"`
	}{Keys: []JWK{}}
	for _, sk := range stored {
		if sk.Status == store.KeyPrevious && sk.RetiredAt.Before(dropBefore) {
			continue
		}
		k, err := Parse(sk)
		if err != nil {
			return nil, err
		}
		s.byID[k.ID] = k
		jwks.Keys = append(jwks.Keys, k.PublicJWK())
		signs := k.Status == store.KeyCurrent || (k.Status == store.KeyNext && !k.CreatedAt.After(activateBefore))
		if signs && (s.Current == nil || k.CreatedAt.After(s.Current.CreatedAt)) {
			s.Current = k
		}
		if k.Status == store.KeyNext && k.CreatedAt.After(activateBefore) {
			s.Pending = append(s.Pending, k)
		}
	}
	var err error
	if s.JWKS, err = json.Marshal(jwks); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(s.JWKS)
	s.ETag = `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
	return s, nil
}

// Lookup returns the published key with the given kid.
func (s *Set) Lookup(kid string) (*Key, bool) {
	k, ok := s.byID[kid]
	return k, ok
}
