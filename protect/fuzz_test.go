package protect

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

const (
	fuzzIssuer   = "https://id.fuzz.test/oidc"
	fuzzAudience = "https://api.fuzz.test"
)

// fuzzKey is a key the fuzz issuer publishes.
type fuzzKey struct {
	kid  string
	alg  jose.SignatureAlgorithm
	priv crypto.Signer
}

func (k fuzzKey) sign(input string) []byte {
	switch p := k.priv.(type) {
	case *ecdsa.PrivateKey:
		d := hashFor(k.alg, input)
		r, s, err := ecdsa.Sign(rand.Reader, p, d)
		if err != nil {
			panic(err)
		}
		out := make([]byte, 64)
		r.FillBytes(out[:32])
		s.FillBytes(out[32:])
		return out
	case ed25519.PrivateKey:
		return ed25519.Sign(p, []byte(input))
	}
	panic("unknown key")
}

func hashFor(_ jose.SignatureAlgorithm, input string) []byte {
	d := crypto.SHA256.New()
	d.Write([]byte(input))
	return d.Sum(nil)
}

// fuzzVerifier is a Verifier of the fuzz issuer, whose JWKS (an ES256 and
// an EdDSA key) is served over loopback, with a fixed clock and no cache.
func fuzzVerifier(f *testing.F) (*Verifier, []fuzzKey, time.Time) {
	f.Helper()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	ks := []fuzzKey{{"es", jose.ES256, ec}, {"ed", jose.EdDSA, ed}}
	var set jose.JSONWebKeySet
	for _, k := range ks {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.priv.Public(), KeyID: k.kid, Algorithm: string(k.alg), Use: "sig"})
	}
	jwks, err := json.Marshal(set)
	if err != nil {
		f.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(jwks)
	}))
	f.Cleanup(srv.Close)
	v, err := New(Config{Issuer: fuzzIssuer, Audience: fuzzAudience, JWKSURL: srv.URL, CacheSize: -1})
	if err != nil {
		f.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	v.now = func() time.Time { return now }
	if err := v.Refresh(context.Background()); err != nil {
		f.Fatal(err)
	}
	return v, ks, now
}

// FuzzVerify signs arbitrary headers and payloads with a published key,
// optionally corrupts the token, and verifies it. Any token Verify accepts
// must verify with go-jose too (with the key's algorithm, pinned), and an
// independent reading of its claims (registered names matched exactly, as
// RFC 7519 says) must agree that it is valid and for this API.
func FuzzVerify(f *testing.F) {
	okPayload := `{"iss":"` + fuzzIssuer + `","aud":"` + fuzzAudience + `","sub":"app","client_id":"app","exp":1800003600,"iat":1800000000,"scope":"read write","jti":"j"}`
	f.Add(`{"alg":"ES256","kid":"es","typ":"at+jwt"}`, okPayload, uint8(0), []byte(nil))
	f.Add(`{"alg":"EdDSA","kid":"ed","typ":"application/at+jwt"}`, okPayload, uint8(1), []byte(nil))
	f.Add(`{"alg":"ES256","kid":"es","typ":"JWT"}`, okPayload, uint8(0), []byte(nil))
	f.Add(`{"alg":"EdDSA","kid":"es","typ":"at+jwt"}`, okPayload, uint8(1), []byte(nil))
	f.Add(`{"alg":"none","kid":"es","typ":"at+jwt"}`, okPayload, uint8(0), []byte(nil))
	f.Add(`{"alg":"HS256","kid":"es","typ":"at+jwt"}`, okPayload, uint8(0), []byte(nil))
	f.Add(`{"alg":"ES256","kid":"es","typ":"at+jwt","crit":["exp"]}`, okPayload, uint8(0), []byte(nil))
	f.Add(`{"ALG":"ES256","KID":"es","TYP":"at+jwt"}`, okPayload, uint8(0), []byte(nil))
	f.Add(`{"alg":"ES256","kid":"es","typ":"at+jwt"}`, `{"ISS":"`+fuzzIssuer+`","AUD":"`+fuzzAudience+`","EXP":1800003600}`, uint8(0), []byte(nil))
	f.Add(`{"alg":"ES256","kid":"es","typ":"at+jwt"}`, `{"iss":"`+fuzzIssuer+`","aud":["x","`+fuzzAudience+`"],"exp":1800000001.5,"nbf":1800000030,"scp":["a"]}`, uint8(0), []byte(nil))
	f.Add(`{"alg":"ES256","kid":"es","typ":"at+jwt"}`, `{"iss":"`+fuzzIssuer+`","aud":"x","Aud":"`+fuzzAudience+`","exp":1800003600}`, uint8(0), []byte(nil))
	f.Add(`{"alg":"ES256","kid":"es","typ":"at+jwt"}`, `{"iss":"`+fuzzIssuer+`","aud":"`+fuzzAudience+`","exp":1e400}`, uint8(0), []byte(nil))
	f.Add(`{"alg":"ES256","kid":"es","typ":"at+jwt"}`, okPayload, uint8(0), []byte{5, 1})
	f.Add(`{"alg":"ES256","kid":"es","typ":"at+jwt"}`, okPayload, uint8(0), []byte{200, '.'})
	v, ks, now := fuzzVerifier(f)
	f.Fuzz(func(t *testing.T, header, payload string, which uint8, tamper []byte) {
		k := ks[int(which)%len(ks)]
		b64 := base64.RawURLEncoding
		input := b64.EncodeToString([]byte(header)) + "." + b64.EncodeToString([]byte(payload))
		tok := []byte(input + "." + b64.EncodeToString(k.sign(input)))
		// tamper is pairs (position, byte): overwrite bytes of the token.
		for i := 0; i+1 < len(tamper); i += 2 {
			tok[int(tamper[i])%len(tok)] = tamper[i+1]
		}
		c, err := v.Verify(context.Background(), string(tok))
		if err != nil {
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("error %v is not ErrInvalidToken", err)
			}
			if strings.Contains(err.Error(), string(tok)) {
				t.Fatal("the error quotes the token")
			}
			return
		}
		// go-jose, with the algorithm pinned to the key's, must agree.
		jws, err := jose.ParseSignedCompact(string(tok), []jose.SignatureAlgorithm{k.alg})
		if err != nil {
			t.Fatalf("accepted, but go-jose cannot parse it: %v", err)
		}
		// No kid is allowed when one published key has the algorithm (here
		// each key has its own).
		if kid := jws.Signatures[0].Header.KeyID; len(jws.Signatures) != 1 || (kid != k.kid && kid != "") {
			t.Fatalf("accepted, but go-jose reads the key id %q", kid)
		}
		body, err := jws.Verify(k.priv.Public())
		if err != nil {
			t.Fatalf("accepted, but go-jose says the signature is bad: %v", err)
		}
		if typ, _ := jws.Signatures[0].Header.ExtraHeaders["typ"].(string); !strings.EqualFold(typ, "at+jwt") && !strings.EqualFold(typ, "application/at+jwt") {
			t.Fatalf("accepted a token of typ %q", typ)
		}
		checkClaimsExactly(t, body, c, now)
	})
}

// checkClaimsExactly reads the registered claims of payload by their exact
// names and checks that they make a valid token for the API, and that the
// Claims returned agree with them.
func checkClaimsExactly(t *testing.T, payload []byte, c *Claims, now time.Time) {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatalf("accepted a payload that is not a JSON object: %v", err)
	}
	str := func(name string) string {
		var s string
		if raw, ok := m[name]; ok && json.Unmarshal(raw, &s) != nil {
			t.Fatalf("accepted a non-string %s: %s", name, raw)
		}
		return s
	}
	if iss := str("iss"); iss != fuzzIssuer || c.Issuer != iss {
		t.Fatalf("accepted iss %q (Claims say %q)", iss, c.Issuer)
	}
	var aud []string
	if raw := m["aud"]; len(raw) > 0 && raw[0] == '"' {
		aud = []string{str("aud")}
	} else if err := json.Unmarshal(raw, &aud); err != nil {
		t.Fatalf("accepted aud %s", raw)
	}
	if !slices.Contains(aud, fuzzAudience) || !slices.Equal(aud, c.Audience) {
		t.Fatalf("accepted aud %q (Claims say %q)", aud, c.Audience)
	}
	var exp float64
	if err := json.Unmarshal(m["exp"], &exp); err != nil || math.IsNaN(exp) {
		t.Fatalf("accepted exp %s", m["exp"])
	}
	if now.After(time.Unix(int64(exp), 0).Add(DefaultLeeway + time.Second)) {
		t.Fatalf("accepted an expired token: exp %v at %v", exp, now.Unix())
	}
	for _, name := range []string{"nbf", "iat"} {
		if raw, ok := m[name]; ok {
			var n float64
			if err := json.Unmarshal(raw, &n); err != nil || now.Add(DefaultLeeway).Before(time.Unix(int64(n), 0)) {
				t.Fatalf("accepted %s %s", name, raw)
			}
		}
	}
	if c.Subject != str("sub") || c.ID != str("jti") {
		t.Fatalf("Claims %+v disagree with the payload %s", c, payload)
	}
	if raw, ok := m["scope"]; ok && string(raw) != "null" && !slices.Equal(c.Scopes, strings.Fields(str("scope"))) {
		t.Fatalf("scopes %q from scope %s", c.Scopes, raw)
	}
}

// FuzzParseJWKS feeds the key set parser arbitrary documents: it never
// panics, and a set it accepts has only usable signature keys.
func FuzzParseJWKS(f *testing.F) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	good, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: ec.Public(), KeyID: "k", Algorithm: "ES256", Use: "sig"}}})
	f.Add(good)
	f.Add([]byte(`{"keys":[{"kty":"oct","k":"AAAA","alg":"HS256"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"","y":""}]}`))
	f.Add([]byte(`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB","alg":"RS256"}]}`))
	f.Add([]byte(`{"keys":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ks, err := parseJWKS(body)
		if err != nil {
			return
		}
		if len(ks.all) == 0 {
			t.Fatal("an empty set accepted")
		}
		for _, k := range ks.all {
			if !supported(k.alg) || k.pub == nil {
				t.Fatalf("unusable key %+v", k)
			}
		}
	})
}
