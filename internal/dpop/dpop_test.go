package dpop

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/monban/monban/internal/jwk"
	"github.com/monban/monban/internal/jws"
)

const htu = "https://id.example/oidc/token"

var now = time.Unix(1_800_000_000, 0)

type signer struct {
	alg string
	key crypto.Signer
	jwk map[string]any
}

func newSigner(alg string) signer {
	var key crypto.Signer
	if alg == jws.EdDSA {
		_, k, _ := ed25519.GenerateKey(rand.Reader)
		key = k
	} else {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		key = k
	}
	b, _ := jose.JSONWebKey{Key: key.Public()}.MarshalJSON()
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return signer{alg, key, m}
}

func encode(h, c map[string]any) string {
	hb, _ := json.Marshal(h)
	cb, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(hb) + "." + base64.RawURLEncoding.EncodeToString(cb)
}

// proof signs a proof for POST htu at now; edit changes it first.
func (s signer) proof(t testing.TB, edit func(h, c map[string]any)) string {
	h := map[string]any{"typ": Type, "alg": s.alg, "jwk": s.jwk}
	c := map[string]any{"jti": "j1", "htm": "POST", "htu": htu, "iat": now.Unix()}
	if edit != nil {
		edit(h, c)
	}
	in := encode(h, c)
	sig, err := jws.Sign(s.alg, s.key, []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestCheck(t *testing.T) {
	es, ed := newSigner(jws.ES256), newSigner(jws.EdDSA)
	want := Expect{Method: "POST", URL: htu}
	for _, s := range []signer{es, ed} {
		p, err := Check(s.proof(t, nil), want, now)
		if err != nil {
			t.Fatalf("%s: %v", s.alg, err)
		}
		tp, _ := jwk.Thumbprint(s.key.Public())
		if p.JKT != tp || p.JTI != "j1" || !p.Until.After(now) {
			t.Fatalf("%s: proof %+v", s.alg, p)
		}
	}
	p1, _ := Check(es.proof(t, nil), want, now)
	p2, _ := Check(ed.proof(t, nil), want, now)
	if p1.ReplayID() == p2.ReplayID() {
		t.Fatal("the same jti under two keys has one replay id")
	}

	withToken := Expect{Method: "GET", URL: "https://api.example/x", AccessToken: "tok"}
	if _, err := Check(es.proof(t, func(_, c map[string]any) {
		c["htm"], c["htu"], c["ath"] = "GET", "https://api.example/x", ATH("tok")
	}), withToken, now); err != nil {
		t.Fatalf("ath: %v", err)
	}
	refused := map[string]string{
		"wrong typ":           es.proof(t, func(h, _ map[string]any) { h["typ"] = "JWT" }),
		"alg none":            encode(map[string]any{"typ": Type, "alg": "none", "jwk": es.jwk}, map[string]any{"jti": "j", "htm": "POST", "htu": htu, "iat": now.Unix()}) + ".",
		"HS256":               encode(map[string]any{"typ": Type, "alg": "HS256", "jwk": es.jwk}, map[string]any{"jti": "j", "htm": "POST", "htu": htu, "iat": now.Unix()}) + ".AAAA",
		"alg of another type": es.proof(t, func(h, _ map[string]any) { h["alg"] = "EdDSA" }),
		"jwk of another key":  es.proof(t, func(h, _ map[string]any) { h["jwk"] = newSigner(jws.ES256).jwk }),
		"symmetric jwk":       es.proof(t, func(h, _ map[string]any) { h["jwk"] = map[string]any{"kty": "oct", "k": "c2VjcmV0"} }),
		"crit":                es.proof(t, func(h, _ map[string]any) { h["crit"] = []string{"x"} }),
		"no jti":              es.proof(t, func(_, c map[string]any) { delete(c, "jti") }),
		"jti not a string":    es.proof(t, func(_, c map[string]any) { c["jti"] = 5 }),
		"wrong htm":           es.proof(t, func(_, c map[string]any) { c["htm"] = "post" }),
		"wrong htu path":      es.proof(t, func(_, c map[string]any) { c["htu"] = "https://id.example/oidc/token/x" }),
		"wrong htu host":      es.proof(t, func(_, c map[string]any) { c["htu"] = "https://evil.example/oidc/token" }),
		"htu not absolute":    es.proof(t, func(_, c map[string]any) { c["htu"] = "/oidc/token" }),
		"stale":               es.proof(t, func(_, c map[string]any) { c["iat"] = now.Add(-2 * time.Minute).Unix() }),
		"ahead":               es.proof(t, func(_, c map[string]any) { c["iat"] = now.Add(time.Minute).Unix() }),
		"no iat":              es.proof(t, func(_, c map[string]any) { delete(c, "iat") }),
		"upper-case claim":    es.proof(t, func(_, c map[string]any) { c["HTM"] = c["htm"]; delete(c, "htm") }),
	}
	for name, p := range refused {
		var de *Error
		if _, err := Check(p, want, now); !errors.As(err, &de) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := Check(es.proof(t, nil), Expect{Method: "GET", URL: "https://api.example/x", AccessToken: "tok"}, now); err == nil {
		t.Error("a proof without ath for a token")
	}
	nonce := Expect{Method: "POST", URL: htu, Nonce: func(n string) bool { return n == "n1" }}
	if _, err := Check(es.proof(t, nil), nonce, now); !errors.Is(err, ErrNonce) {
		t.Errorf("no nonce: %v", err)
	}
	if _, err := Check(es.proof(t, func(_, c map[string]any) { c["nonce"] = "n1" }), nonce, now); err != nil {
		t.Errorf("nonce: %v", err)
	}
}

// SameURL is RFC 9449 §4.3's comparison: no query or fragment, scheme and
// host without case, default ports, percent-encodings of unreserved
// characters; a reserved character's encoding stays.
func TestSameURL(t *testing.T) {
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"https://id.example/oidc/token", "https://id.example/oidc/token", true},
		{"HTTPS://ID.Example/oidc/token", "https://id.example/oidc/token", true},
		{"https://id.example:443/oidc/token", "https://id.example/oidc/token", true},
		{"http://id.example:80/x", "http://id.example/x", true},
		{"https://id.example/oidc/token?a=b#c", "https://id.example/oidc/token", true},
		{"https://id.example/%6Fidc/token", "https://id.example/oidc/token", true},
		{"https://id.example", "https://id.example/", true},
		{"https://id.example/a%2fb", "https://id.example/a%2Fb", true},
		{"https://id.example/a%2Fb", "https://id.example/a/b", false},
		{"https://id.example/OIDC/token", "https://id.example/oidc/token", false},
		{"http://id.example/oidc/token", "https://id.example/oidc/token", false},
		{"https://id.example:8443/oidc/token", "https://id.example/oidc/token", false},
		{"https://user@id.example/oidc/token", "https://id.example/oidc/token", false},
		{"ftp://id.example/x", "ftp://id.example/x", false},
		{"/oidc/token", "/oidc/token", false},
	} {
		if got := SameURL(c.a, c.b); got != c.same {
			t.Errorf("SameURL(%q, %q) = %v", c.a, c.b, got)
		}
	}
}

// FuzzCheck feeds arbitrary proofs: no panic, and any proof accepted is one
// that verifies by its own jwk with an allowed algorithm.
func FuzzCheck(f *testing.F) {
	s := newSigner(jws.ES256)
	f.Add(s.proof(f, nil))
	f.Add(s.proof(f, func(h, _ map[string]any) { h["alg"] = "none" }))
	f.Add(s.proof(f, func(_, c map[string]any) { c["iat"] = "x" }))
	f.Add(newSigner(jws.EdDSA).proof(f, nil))
	f.Add("e30.e30.")
	f.Add("")
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := Check(raw, Expect{Method: "POST", URL: htu, AccessToken: ""}, now)
		if err != nil {
			return
		}
		if p.JKT == "" || p.JTI == "" {
			t.Fatalf("accepted without a key or jti: %+v", p)
		}
	})
}

// FuzzSameURL compares arbitrary URLs: no panic, symmetric, and a URL is
// the same as itself when it is one at all.
func FuzzSameURL(f *testing.F) {
	f.Add("https://id.example/oidc/token", "HTTPS://id.example:443/oidc/token?x")
	f.Add("http://[::1]:80/%7e", "http://[::1]/~")
	f.Add("%", "https://a/%zz")
	f.Fuzz(func(t *testing.T, a, b string) {
		if SameURL(a, b) != SameURL(b, a) {
			t.Fatalf("not symmetric: %q %q", a, b)
		}
		if SameURL(a, b) && !SameURL(a, a) {
			t.Fatalf("%q is the same as %q but not as itself", a, b)
		}
	})
}
