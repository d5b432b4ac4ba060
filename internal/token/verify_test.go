package token

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/jws"
	"github.com/monban/monban/internal/keys"
)

// signed signs claims as an access token with set's current key.
func signed(t *testing.T, set *keys.Set, typ string, claims map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := NewSigner(set.Current).Sign(typ, payload)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// exp, nbf and iat are checked against the verifier's clock with Leeway on
// each side, to the second.
func TestVerifyTimeBoundaries(t *testing.T) {
	set := newSet(t, keys.ES256)
	now := time.Unix(1_800_000_000, 0)
	v := &KeyVerifier{Issuer: issuer, Keys: func() *keys.Set { return set }, Now: func() time.Time { return now }}
	ts, lw := now.Unix(), int64(Leeway/time.Second)
	for _, tc := range []struct {
		name   string
		claims map[string]any
		ok     bool
	}{
		{"exp in the future", map[string]any{"exp": ts + 3600}, true},
		{"exp passed, within the leeway", map[string]any{"exp": ts - lw + 1}, true},
		{"exp passed by the leeway", map[string]any{"exp": ts - lw}, false},
		{"nbf passed", map[string]any{"exp": ts + 3600, "nbf": ts - 3600}, true},
		{"nbf ahead by the leeway", map[string]any{"exp": ts + 3600, "nbf": ts + lw}, true},
		{"nbf ahead by more than the leeway", map[string]any{"exp": ts + 3600, "nbf": ts + lw + 1}, false},
		{"iat passed", map[string]any{"exp": ts + 3600, "iat": ts - 60}, true},
		{"iat ahead by the leeway", map[string]any{"exp": ts + 3600, "iat": ts + lw}, true},
		{"iat ahead by more than the leeway", map[string]any{"exp": ts + 3600, "iat": ts + lw + 1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.claims["iss"] = issuer
			_, err := v.Verify(signed(t, set, TypeAccessToken, tc.claims))
			if tc.ok && err != nil {
				t.Fatalf("Verify = %v, want ok", err)
			}
			if !tc.ok && !errors.Is(err, ErrInvalid) {
				t.Fatalf("Verify = %v, want ErrInvalid", err)
			}
		})
	}
}

// A revoked jti is refused; others pass. The list is asked only about
// tokens with a jti.
func TestVerifyRevoked(t *testing.T) {
	set := newSet(t, keys.ES256)
	var asked []string
	v := &KeyVerifier{Issuer: issuer, Keys: func() *keys.Set { return set },
		Revoked: func(jti string) bool { asked = append(asked, jti); return jti == "revoked" || jti == "" }}
	exp := time.Now().Add(time.Hour).Unix()
	for jti, ok := range map[string]bool{"revoked": false, "live": true, "": true} {
		claims := map[string]any{"iss": issuer, "exp": exp}
		if jti != "" {
			claims["jti"] = jti
		}
		_, err := v.Verify(signed(t, set, TypeAccessToken, claims))
		if ok != (err == nil) {
			t.Errorf("jti %q: Verify = %v, want ok=%v", jti, err, ok)
		}
	}
	for _, jti := range asked {
		if jti == "" {
			t.Error("the revocation list was asked about a token without jti")
		}
	}
}

// MintAccess keeps the jti it is given (the revocation list and the grant
// record it) and makes a fresh one otherwise.
func TestMintAccessJTI(t *testing.T) {
	set := newSet(t, keys.ES256)
	v := &KeyVerifier{Issuer: issuer, Keys: func() *keys.Set { return set }}
	raw, exp, err := MintAccess(NewSigner(set.Current), sample(), "given-jti")
	if err != nil {
		t.Fatal(err)
	}
	c, err := v.Verify(raw)
	if err != nil || c.JTI != "given-jti" {
		t.Fatalf("jti %q, %v; want the given one", c.JTI, err)
	}
	if c.Expiry != exp.Unix() {
		t.Fatalf("exp %v, MintAccess said %v", c.Expiry, exp)
	}
	a, _, errA := MintAccess(NewSigner(set.Current), sample(), "")
	b, _, errB := MintAccess(NewSigner(set.Current), sample(), "")
	ca, errA2 := v.Verify(a)
	cb, errB2 := v.Verify(b)
	if errors.Join(errA, errB, errA2, errB2) != nil || ca.JTI == "" || ca.JTI == cb.JTI {
		t.Fatalf("fresh jtis %q and %q: %v", ca.JTI, cb.JTI, errors.Join(errA, errB, errA2, errB2))
	}
}

// The length bound is inclusive: a token of jws.MaxLen bytes is parsed
// (and fails on its content), one byte more is refused unread.
func TestMaxTokenLen(t *testing.T) {
	set := newSet(t, keys.ES256)
	v := &KeyVerifier{Issuer: issuer, Keys: func() *keys.Set { return set }}
	at := "a." + strings.Repeat("b", jws.MaxLen-4) + ".c"
	if _, err := v.Verify(at); !errors.Is(err, ErrInvalid) || strings.Contains(err.Error(), "too long") {
		t.Fatalf("%d bytes: %v, want a content error", len(at), err)
	}
	if _, err := v.Verify(at + "c"); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "too long") {
		t.Fatalf("%d bytes: %v, want too long", len(at)+1, err)
	}
}

// An id_token_hint must be an ID token this server signed for this issuer
// with a subject; its expiry does not matter.
func TestParseIDTokenHint(t *testing.T) {
	set := newSet(t, keys.ES256)
	other := newSet(t, keys.ES256)
	old := time.Now().Add(-48 * time.Hour).Unix()
	good := map[string]any{"iss": issuer, "sub": "u1", "aud": "app", "exp": old}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for k, v := range good {
			m[k] = v
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	h, err := ParseIDTokenHint(set, issuer, signed(t, set, TypeJWT, good))
	if err != nil || h.Subject != "u1" || len(h.Audience) != 1 || h.Audience[0] != "app" {
		t.Fatalf("expired ID token as a hint: %+v, %v", h, err)
	}
	h, err = ParseIDTokenHint(set, issuer, signed(t, set, TypeJWT, with("aud", []string{"a", "b"})))
	if err != nil || len(h.Audience) != 2 || h.Audience[1] != "b" {
		t.Fatalf("audience array: %+v, %v", h, err)
	}
	for name, raw := range map[string]string{
		"access token typ":    signed(t, set, TypeAccessToken, good),
		"another issuer":      signed(t, set, TypeJWT, with("iss", "https://evil.example/oidc")),
		"no subject":          signed(t, set, TypeJWT, with("sub", nil)),
		"empty subject":       signed(t, set, TypeJWT, with("sub", "")),
		"malformed audience":  signed(t, set, TypeJWT, with("aud", 7)),
		"another server's":    signed(t, other, TypeJWT, good),
		"not a JWS":           "not-a-token",
		"claims not a object": mustSign(t, set, []byte(`[1]`)),
	} {
		if _, err := ParseIDTokenHint(set, issuer, raw); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if _, err := ParseIDTokenHint(nil, issuer, signed(t, set, TypeJWT, good)); !errors.Is(err, ErrInvalid) {
		t.Errorf("no key set: %v", err)
	}
}

func mustSign(t *testing.T, set *keys.Set, payload []byte) string {
	t.Helper()
	raw, err := NewSigner(set.Current).Sign(TypeJWT, payload)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// at_hash and c_hash take the left half of the algorithm's hash (OIDC Core
// §3.1.3.6); EdDSA uses SHA-512.
func TestHalfHash(t *testing.T) {
	half := func(sum []byte) string { return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2]) }
	s256, s384, s512 := sha256.Sum256([]byte("v")), sha512.Sum384([]byte("v")), sha512.Sum512([]byte("v"))
	for alg, want := range map[string]string{
		keys.ES256: half(s256[:]), keys.RS256: half(s256[:]), keys.ES384: half(s384[:]), keys.EdDSA: half(s512[:]),
	} {
		if got := HalfHash(alg, "v"); got != want {
			t.Errorf("HalfHash(%s) = %s, want %s", alg, got, want)
		}
	}
	set := newSet(t, keys.EdDSA)
	if NewSigner(set.Current).Algorithm() != keys.EdDSA {
		t.Error("Signer.Algorithm")
	}
}

// Claims beyond the registered and Monban's own are handed on in Extra;
// a token without any has none (nil, not an empty map).
func TestVerifyExtraClaims(t *testing.T) {
	set := newSet(t, keys.ES256)
	v := &KeyVerifier{Issuer: issuer, Keys: func() *keys.Set { return set }}
	exp := time.Now().Add(time.Hour).Unix()
	c, err := v.Verify(signed(t, set, TypeAccessToken, map[string]any{"iss": issuer, "exp": exp, "sub": "s"}))
	if err != nil || c.Extra != nil {
		t.Fatalf("no extra claims: Extra %v, %v", c.Extra, err)
	}
	c, err = v.Verify(signed(t, set, TypeAccessToken, map[string]any{"iss": issuer, "exp": exp, "tier": "gold"}))
	if err != nil || len(c.Extra) != 1 || c.Extra["tier"] != "gold" {
		t.Fatalf("one extra claim: Extra %v, %v", c.Extra, err)
	}
}
