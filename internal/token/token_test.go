package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/monban/monban/internal/keys"
	"github.com/monban/monban/internal/store"
)

const issuer = "http://localhost:3001/oidc"

func newSet(t testing.TB, alg string) *keys.Set {
	t.Helper()
	sk, err := keys.Generate(alg, store.KeyCurrent, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	set, err := keys.NewSet([]store.SigningKey{sk}, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func mint(t testing.TB, set *keys.Set, a Access) string {
	t.Helper()
	tok, _, err := MintAccess(NewSigner(set.Current), a, "")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func sample() Access {
	return Access{Issuer: issuer, Subject: "app1", Audience: "https://shopping.api", ClientID: "app1",
		Scope: "read:products", IssuedAt: time.Now(), TTL: time.Hour}
}

// Every algorithm's tokens verify with an independent JOSE library, against
// the published JWKS, and with our own verifier.
func TestSignedTokensVerifyWithJOSE(t *testing.T) {
	for _, alg := range []string{keys.ES256, keys.ES384, keys.RS256, keys.EdDSA} {
		t.Run(alg, func(t *testing.T) {
			set := newSet(t, alg)
			raw := mint(t, set, sample())

			var jwks jose.JSONWebKeySet
			if err := json.Unmarshal(set.JWKS, &jwks); err != nil {
				t.Fatal(err)
			}
			parsed, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
			if err != nil {
				t.Fatal(err)
			}
			if typ := parsed.Headers[0].ExtraHeaders["typ"]; typ != "at+jwt" {
				t.Errorf("typ = %v", typ)
			}
			var claims map[string]any
			if err := parsed.Claims(jwks.Key(set.Current.ID)[0].Key, &claims); err != nil {
				t.Fatalf("go-jose rejects the signature: %v", err)
			}
			for k, want := range map[string]any{"iss": issuer, "sub": "app1", "aud": "https://shopping.api", "client_id": "app1", "scope": "read:products"} {
				if claims[k] != want {
					t.Errorf("%s = %v, want %v", k, claims[k], want)
				}
			}
			if _, ok := claims["nbf"]; ok {
				t.Error("nbf should be absent")
			}
			if exp, iat := claims["exp"].(float64), claims["iat"].(float64); exp-iat != 3600 {
				t.Errorf("exp-iat = %v", exp-iat)
			}

			v := &KeyVerifier{Issuer: issuer, Keys: func() *keys.Set { return set }}
			c, err := v.Verify(raw)
			if err != nil {
				t.Fatal(err)
			}
			if !c.HasAudience("https://shopping.api") || !c.HasScope("read:products") || c.Subject != "app1" {
				t.Errorf("claims = %+v", c)
			}
		})
	}
}

func TestEmptyScopeOmittedAndExtraClaimsCannotOverride(t *testing.T) {
	set := newSet(t, keys.ES256)
	a := sample()
	a.Scope = ""
	a.Extra = map[string]any{"sub": "evil", "scope": "all", "tier": "gold", "iss": "x"}
	raw := mint(t, set, a)
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[1])
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatal(err)
	}
	if m["sub"] != "app1" || m["iss"] != issuer || m["tier"] != "gold" {
		t.Errorf("claims = %v", m)
	}
	if _, ok := m["scope"]; ok {
		t.Errorf("scope should be omitted, got %v", m["scope"])
	}
}

func TestVerifyRejectsForgeries(t *testing.T) {
	set := newSet(t, keys.ES256)
	other := newSet(t, keys.ES256)
	now := time.Now()
	v := &KeyVerifier{Issuer: issuer, Keys: func() *keys.Set { return set }}
	good := mint(t, set, sample())
	parts := strings.Split(good, ".")
	enc := base64.RawURLEncoding.EncodeToString

	header := func(h map[string]any) string { b, _ := json.Marshal(h); return enc(b) }
	kid := set.Current.ID
	// An HMAC token keyed with the public JWKS: the classic confusion attack.
	hs := header(map[string]any{"alg": "HS256", "kid": kid, "typ": "at+jwt"}) + "." + parts[1]
	mac := hmac.New(sha256.New, set.JWKS)
	mac.Write([]byte(hs))
	hs += "." + enc(mac.Sum(nil))

	expired := sample()
	expired.IssuedAt = now.Add(-2 * time.Hour)
	wrongIss := sample()
	wrongIss.Issuer = "https://evil.example/oidc"
	future := sample()
	future.IssuedAt = now.Add(time.Hour)

	cases := map[string]string{
		"empty":           "",
		"garbage":         "not-a-jwt",
		"two parts":       parts[0] + "." + parts[1],
		"four parts":      good + ".x",
		"alg none":        header(map[string]any{"alg": "none", "kid": kid, "typ": "at+jwt"}) + "." + parts[1] + ".",
		"hmac with jwks":  hs,
		"alg mismatch":    header(map[string]any{"alg": "ES384", "kid": kid, "typ": "at+jwt"}) + "." + parts[1] + "." + parts[2],
		"unknown kid":     mint(t, other, sample()),
		"tampered claims": parts[0] + "." + enc([]byte(`{"sub":"admin","exp":9999999999,"iss":"`+issuer+`"}`)) + "." + parts[2],
		"bad signature":   parts[0] + "." + parts[1] + "." + enc(make([]byte, 64)),
		"bad base64":      parts[0] + "." + parts[1] + ".!!!",
		"expired":         mint(t, set, expired),
		"wrong issuer":    mint(t, set, wrongIss),
		"issued ahead":    mint(t, set, future),
		"too long":        strings.Repeat("a", 20000),
		"crit header":     header(map[string]any{"alg": "ES256", "kid": kid, "typ": "at+jwt", "crit": []string{"x"}}) + "." + parts[1] + "." + parts[2],
	}
	// A correctly signed ID-token-typed JWT is not an access token.
	idTok, err := NewSigner(set.Current).Sign(TypeJWT, []byte(`{"iss":"`+issuer+`","exp":9999999999}`))
	if err != nil {
		t.Fatal(err)
	}
	cases["typ JWT"] = idTok
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := v.Verify(raw); !errors.Is(err, ErrInvalid) {
				t.Fatalf("Verify = %v, want ErrInvalid", err)
			}
		})
	}
}

func BenchmarkMintAccessES256(b *testing.B) {
	set := newSet(b, keys.ES256)
	s := NewSigner(set.Current)
	a := sample()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := MintAccess(s, a, ""); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyES256(b *testing.B) {
	set := newSet(b, keys.ES256)
	raw := mint(b, set, sample())
	v := &KeyVerifier{Issuer: issuer, Keys: func() *keys.Set { return set }}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(raw); err != nil {
			b.Fatal(err)
		}
	}
}
