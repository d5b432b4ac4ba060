package protect

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/monban/monban/internal/dpop"
	"github.com/monban/monban/internal/jws"
)

// proofKey makes DPoP proofs with one key.
type proofKey struct {
	t   *testing.T
	key *ecdsa.PrivateKey
	jwk map[string]any
}

func newProofKey(t *testing.T) *proofKey {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	b, _ := jose.JSONWebKey{Key: key.Public()}.MarshalJSON()
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return &proofKey{t: t, key: key, jwk: m}
}

func (k *proofKey) proof(method, u, token string, edit func(h, c map[string]any)) string {
	jti := make([]byte, 12)
	_, _ = rand.Read(jti)
	h := map[string]any{"typ": "dpop+jwt", "alg": "ES256", "jwk": k.jwk}
	c := map[string]any{"jti": base64.RawURLEncoding.EncodeToString(jti), "htm": method, "htu": u, "iat": time.Now().Unix()}
	if token != "" {
		c["ath"] = dpop.ATH(token)
	}
	if edit != nil {
		edit(h, c)
	}
	hb, _ := json.Marshal(h)
	cb, _ := json.Marshal(c)
	in := base64.RawURLEncoding.EncodeToString(hb) + "." + base64.RawURLEncoding.EncodeToString(cb)
	sig, err := jws.Sign("ES256", k.key, []byte(in))
	if err != nil {
		k.t.Fatal(err)
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// boundToken gets an M2M token from the shop's Monban bound to k.
func (s *shop) boundToken(t *testing.T, k *proofKey) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {s.res.Indicator}, "scope": {"read:products"}}
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Dpop": {k.proof("POST", s.srv.Issuer+"/token", "", nil)}}
	h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(s.readOnly.ID)+":"+url.QueryEscape(s.readOnly.Secret))))
	r := s.srv.Do(t, "POST", "/oidc/token", h, strings.NewReader(form.Encode()))
	if r.Status != 200 {
		t.Fatalf("bound token: %d %s", r.Status, r.Body)
	}
	m := r.JSON(t)
	if m["token_type"] != "DPoP" {
		t.Fatalf("token_type %v", m["token_type"])
	}
	return m["access_token"].(string)
}

func callDPoP(t *testing.T, h http.Handler, method, scheme, token string, proofs ...string) answer {
	t.Helper()
	req := httptest.NewRequest(method, "http://api.example/products?page=2", nil)
	req.Header.Set("Authorization", scheme+" "+token)
	for _, p := range proofs {
		req.Header.Add("DPoP", p)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	a := answer{status: rec.Code, header: rec.Header(), text: rec.Body.String()}
	if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		_ = json.Unmarshal(rec.Body.Bytes(), &a.body)
	}
	return a
}

// A DPoP-bound token from Monban is let through only in the DPoP scheme
// with a fresh proof by its key for this request and token.
func TestDPoPBoundToken(t *testing.T) {
	s := newShop(t)
	v, _ := s.verifier(t, nil)
	api := products(v)
	k := newProofKey(t)
	tok := s.boundToken(t, k)
	const u = "http://api.example/products"

	good := k.proof("GET", u, tok, nil)
	if a := callDPoP(t, api, "GET", "DPoP", tok, good); a.status != 200 {
		t.Fatalf("bound token with its proof: %d %s", a.status, a.text)
	}
	c, err := v.VerifyDPoP(t.Context(), tok, k.proof("GET", u, tok, nil), "GET", u)
	if err != nil || c.DPoPKey == "" {
		t.Fatalf("VerifyDPoP: %v %v", c, err)
	}
	if _, err := v.VerifyDPoP(t.Context(), tok, good, "GET", u); !errors.Is(err, ErrInvalidDPoPProof) || !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("VerifyDPoP of a replayed proof: %v", err)
	}
	other := newProofKey(t)
	for _, rc := range []struct {
		name, scheme string
		proofs       []string
		status       int
		code         string
	}{
		{"replayed proof", "DPoP", []string{good}, 401, "invalid_dpop_proof"},
		{"as a bearer token", "Bearer", nil, 401, "invalid_token"},
		{"as a bearer token with a proof", "Bearer", []string{k.proof("GET", u, tok, nil)}, 401, "invalid_token"},
		{"no proof", "DPoP", nil, 401, "invalid_dpop_proof"},
		{"no ath", "DPoP", []string{k.proof("GET", u, "", nil)}, 401, "invalid_dpop_proof"},
		{"another key", "DPoP", []string{other.proof("GET", u, tok, nil)}, 401, "invalid_dpop_proof"},
		{"wrong htm", "DPoP", []string{k.proof("POST", u, tok, nil)}, 401, "invalid_dpop_proof"},
		{"wrong htu", "DPoP", []string{k.proof("GET", "http://api.example/orders", tok, nil)}, 401, "invalid_dpop_proof"},
		{"stale iat", "DPoP", []string{k.proof("GET", u, tok, func(_, c map[string]any) { c["iat"] = time.Now().Add(-5 * time.Minute).Unix() })}, 401, "invalid_dpop_proof"},
		{"two proofs", "DPoP", []string{k.proof("GET", u, tok, nil), k.proof("GET", u, tok, nil)}, 400, "invalid_dpop_proof"},
	} {
		t.Run(rc.name, func(t *testing.T) {
			a := callDPoP(t, api, "GET", rc.scheme, tok, rc.proofs...)
			a.wantError(t, rc.status, rc.code, "DPoP ")
		})
	}

	// A bearer token is refused in the DPoP scheme, and, with
	// RequireDPoP, altogether.
	bearer := s.srv.Token(t, s.readOnly, s.res.Indicator, "read:products")["access_token"].(string)
	callDPoP(t, api, "GET", "DPoP", bearer, k.proof("GET", u, bearer, nil)).wantError(t, 401, "invalid_token", "DPoP ")
	if a := call(t, api, "GET", "Bearer "+bearer); a.status != 200 {
		t.Fatalf("bearer token: %d %s", a.status, a.text)
	}
	strict, _ := s.verifier(t, func(c *Config) { c.RequireDPoP = true })
	call(t, products(strict), "GET", "Bearer "+bearer).wantError(t, 401, "invalid_token", "DPoP ")
	if a := callDPoP(t, products(strict), "GET", "DPoP", tok, k.proof("GET", u, tok, nil)); a.status != 200 {
		t.Fatalf("RequireDPoP with a bound token: %d %s", a.status, a.text)
	}

	// Behind a proxy, PublicURL names the URL the client used.
	proxied, _ := s.verifier(t, func(c *Config) {
		c.PublicURL = func(r *http.Request) string { return "https://public.example/shop" + r.URL.Path }
	})
	if a := callDPoP(t, products(proxied), "GET", "DPoP", tok, k.proof("GET", "https://public.example/shop/products", tok, nil)); a.status != 200 {
		t.Fatalf("PublicURL: %d %s", a.status, a.text)
	}
}
