package server_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/dpop"
	"github.com/monban/monban/internal/jwk"
	"github.com/monban/monban/internal/server"
)

// dpopClient holds a DPoP key and makes proofs with it.
type dpopClient struct {
	t   *testing.T
	key *ecdsa.PrivateKey
	jkt string
}

func newDPoPClient(t *testing.T) *dpopClient {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	jkt, err := jwk.Thumbprint(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	return &dpopClient{t: t, key: key, jkt: jkt}
}

// proof makes a proof for method and u; edit may change its header and
// claims before it is signed.
func (c *dpopClient) proof(method, u, accessToken string, edit func(h, cl map[string]any)) string {
	h := map[string]any{"typ": "dpop+jwt", "jwk": publicJWK(c.t, c.key, "", "")}
	cl := map[string]any{"jti": newJTI(), "htm": method, "htu": u, "iat": time.Now().Unix()}
	if accessToken != "" {
		cl["ath"] = dpop.ATH(accessToken)
	}
	if edit != nil {
		edit(h, cl)
	}
	return signJWT(c.t, "ES256", c.key, h, cl)
}

// postDPoP posts a form to path with a DPoP header (none when proof is
// "") and, when set, Basic credentials.
func postDPoP(ts *testServer, path, proof string, basic *appCreds, form url.Values) response {
	ts.t.Helper()
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	if proof != "" {
		h.Set("DPoP", proof)
	}
	if basic != nil {
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(basic.ID)+":"+url.QueryEscape(basic.Secret))))
	}
	return ts.do("POST", path, h, strings.NewReader(form.Encode()))
}

// claimsOf decodes a JWT's payload without checking it.
func claimsOf(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

// An M2M token bound to a DPoP key: cnf.jkt, token_type DPoP, introspection
// tells; every malformed, stale, replayed or misdirected proof is refused.
func TestDPoPClientCredentials(t *testing.T) {
	f := newUserFixture(t, nil)
	m2m := f.mustAPI(f.mt, "POST", "/api/applications", map[string]any{"name": "Worker", "type": "MachineToMachine"}, 200)
	worker := appCreds{m2m["id"].(string), m2m["secret"].(string)}
	tokenURL := f.Issuer + "/token"
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {shopAPI}}
	c := newDPoPClient(t)

	good := c.proof("POST", tokenURL, "", nil)
	r := postDPoP(f.testServer, "/oidc/token", good, &worker, form)
	if r.Status != 200 {
		t.Fatalf("token with a proof: %d %s", r.Status, r.Body)
	}
	body := r.json(t)
	at := body["access_token"].(string)
	if body["token_type"] != "DPoP" {
		t.Fatalf("token_type = %v", body["token_type"])
	}
	if cnf, _ := claimsOf(t, at)["cnf"].(map[string]any); cnf["jkt"] != c.jkt {
		t.Fatalf("cnf = %v, want jkt %s", cnf, c.jkt)
	}
	in := f.introspect(t, at)
	if in["token_type"] != "DPoP" || in["cnf"].(map[string]any)["jkt"] != c.jkt {
		t.Fatalf("introspection: %v", in)
	}
	// The query and fragment of htu are ignored, and scheme and host
	// compare without case.
	loose := c.proof("POST", strings.Replace(tokenURL, "http://", "HTTP://", 1)+"?x=1#y", "", nil)
	if r := postDPoP(f.testServer, "/oidc/token", loose, &worker, form); r.Status != 200 {
		t.Fatalf("htu with query and case: %d %s", r.Status, r.Body)
	}
	other := newDPoPClient(t)
	refused := []struct {
		name  string
		proof string
	}{
		{"replayed", good},
		{"wrong htu", c.proof("POST", f.URL+"/oauth/other", "", nil)},
		{"htu of another server", c.proof("POST", "https://other.example/oidc/token", "", nil)},
		{"wrong htm", c.proof("GET", tokenURL, "", nil)},
		{"stale iat", c.proof("POST", tokenURL, "", func(_, cl map[string]any) { cl["iat"] = time.Now().Add(-10 * time.Minute).Unix() })},
		{"iat ahead", c.proof("POST", tokenURL, "", func(_, cl map[string]any) { cl["iat"] = time.Now().Add(10 * time.Minute).Unix() })},
		{"no jti", c.proof("POST", tokenURL, "", func(_, cl map[string]any) { delete(cl, "jti") })},
		{"wrong typ", c.proof("POST", tokenURL, "", func(h, _ map[string]any) { h["typ"] = "JWT" })},
		{"jwk of another key", c.proof("POST", tokenURL, "", func(h, _ map[string]any) { h["jwk"] = publicJWK(t, other.key, "", "") })},
		{"no jwk", c.proof("POST", tokenURL, "", func(h, _ map[string]any) { delete(h, "jwk") })},
		{"private jwk", c.proof("POST", tokenURL, "", func(h, _ map[string]any) {
			b, _ := json.Marshal(h["jwk"])
			var m map[string]any
			_ = json.Unmarshal(b, &m)
			raw, err := c.key.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			m["d"] = base64.RawURLEncoding.EncodeToString(raw)
			h["jwk"] = m
		})},
		{"not a JWS", "not.a.proof"},
	}
	for _, rc := range refused {
		t.Run(rc.name, func(t *testing.T) {
			r := postDPoP(f.testServer, "/oidc/token", rc.proof, &worker, form)
			if r.Status != 400 || r.json(t)["error"] != "invalid_dpop_proof" {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
		})
	}
	// Two DPoP headers.
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Dpop": {c.proof("POST", tokenURL, "", nil), c.proof("POST", tokenURL, "", nil)}}
	h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(worker.ID+":"+worker.Secret)))
	if r := f.do("POST", "/oidc/token", h, strings.NewReader(form.Encode())); r.Status != 400 {
		t.Fatalf("two DPoP headers: %d %s", r.Status, r.Body)
	}

	// An app that requires DPoP gets no bearer token.
	f.mustAPI(f.mt, "PATCH", "/api/applications/"+worker.ID, map[string]any{"customClientMetadata": map[string]any{"requireDpop": true}}, 200)
	if r := postDPoP(f.testServer, "/oidc/token", "", &worker, form); r.Status != 400 || r.json(t)["error"] != "invalid_dpop_proof" {
		t.Fatalf("bearer token for a require-DPoP app: %d %s", r.Status, r.Body)
	}
	if r := postDPoP(f.testServer, "/oidc/token", c.proof("POST", tokenURL, "", nil), &worker, form); r.Status != 200 {
		t.Fatalf("DPoP token for a require-DPoP app: %d %s", r.Status, r.Body)
	}

	var doc map[string]any
	_ = json.Unmarshal(f.do("GET", "/oidc/.well-known/openid-configuration", nil, nil).Body, &doc)
	if !strings.Contains(toJSON(doc["dpop_signing_alg_values_supported"]), "ES256") {
		t.Fatalf("discovery dpop_signing_alg_values_supported = %v", doc["dpop_signing_alg_values_supported"])
	}
}

// A SPA's tokens bound at the code exchange: the refresh token only
// refreshes with a proof by the same key, and userinfo takes the access
// token only in the DPoP scheme with a proof carrying its hash.
func TestDPoPUserTokens(t *testing.T) {
	f := newUserFixture(t, nil)
	c := newDPoPClient(t)
	tokenURL, userinfoURL := f.Issuer+"/token", f.Issuer+"/me"
	b := f.signedIn(t)
	verifier, challenge := pkce()
	code := f.code(t, b, f.spa.ID, spaRedirect, challenge, url.Values{"resource": {}})
	r := postDPoP(f.testServer, "/oidc/token", c.proof("POST", tokenURL, "", nil), nil, url.Values{"grant_type": {"authorization_code"},
		"code": {code}, "redirect_uri": {spaRedirect}, "code_verifier": {verifier}, "client_id": {f.spa.ID}})
	if r.Status != 200 {
		t.Fatalf("code exchange with a proof: %d %s", r.Status, r.Body)
	}
	body := r.json(t)
	at, rt := body["access_token"].(string), body["refresh_token"].(string)
	if body["token_type"] != "DPoP" || rt == "" {
		t.Fatalf("token response: %v", body)
	}

	userinfo := func(scheme, proof string) response {
		h := http.Header{"Authorization": {scheme + " " + at}}
		if proof != "" {
			h.Set("DPoP", proof)
		}
		return f.do("GET", "/oidc/me", h, nil)
	}
	if r := userinfo("DPoP", c.proof("GET", userinfoURL, at, nil)); r.Status != 200 || r.json(t)["sub"] != f.userID {
		t.Fatalf("userinfo with a proof: %d %s", r.Status, r.Body)
	}
	other := newDPoPClient(t)
	replayed := c.proof("GET", userinfoURL, at, nil)
	if r := userinfo("DPoP", replayed); r.Status != 200 {
		t.Fatalf("userinfo: %d %s", r.Status, r.Body)
	}
	for _, rc := range []struct{ name, scheme, proof string }{
		{"bound token as Bearer", "Bearer", ""},
		{"bound token as Bearer with a proof", "Bearer", c.proof("GET", userinfoURL, at, nil)},
		{"no proof", "DPoP", ""},
		{"no ath", "DPoP", c.proof("GET", userinfoURL, "", nil)},
		{"ath of another token", "DPoP", c.proof("GET", userinfoURL, "other-token", nil)},
		{"another key", "DPoP", other.proof("GET", userinfoURL, at, nil)},
		{"replayed", "DPoP", replayed},
		{"wrong htm", "DPoP", c.proof("POST", userinfoURL, at, nil)},
		{"wrong htu", "DPoP", c.proof("GET", tokenURL, at, nil)},
	} {
		t.Run(rc.name, func(t *testing.T) {
			r := userinfo(rc.scheme, rc.proof)
			if r.Status != 401 {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			if ch := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(ch, "DPoP ") && !strings.HasPrefix(ch, "Bearer ") {
				t.Fatalf("challenge %q", ch)
			}
		})
	}

	refresh := func(proof string) response {
		return postDPoP(f.testServer, "/oidc/token", proof, nil, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {f.spa.ID}})
	}
	if r := refresh(""); r.Status != 400 || r.json(t)["error"] != "invalid_dpop_proof" {
		t.Fatalf("bound refresh token without a proof: %d %s", r.Status, r.Body)
	}
	if r := refresh(other.proof("POST", tokenURL, "", nil)); r.Status != 400 || r.json(t)["error"] != "invalid_dpop_proof" {
		t.Fatalf("bound refresh token with another key: %d %s", r.Status, r.Body)
	}
	r = refresh(c.proof("POST", tokenURL, "", nil))
	if r.Status != 200 || r.json(t)["token_type"] != "DPoP" {
		t.Fatalf("refresh with the bound key: %d %s", r.Status, r.Body)
	}

}

// With server nonces, a proof without the current nonce is answered
// use_dpop_nonce with one, and the retry with it succeeds.
func TestDPoPNonce(t *testing.T) {
	f := newUserFixture(t, func(c *server.Config) { c.DPoPNonce = true })
	m2m := f.mustAPI(f.mt, "POST", "/api/applications", map[string]any{"name": "Worker", "type": "MachineToMachine"}, 200)
	worker := appCreds{m2m["id"].(string), m2m["secret"].(string)}
	tokenURL := f.Issuer + "/token"
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {shopAPI}}
	c := newDPoPClient(t)
	r := postDPoP(f.testServer, "/oidc/token", c.proof("POST", tokenURL, "", nil), &worker, form)
	nonce := r.Header.Get("DPoP-Nonce")
	if r.Status != 400 || r.json(t)["error"] != "use_dpop_nonce" || nonce == "" {
		t.Fatalf("proof without a nonce: %d %s (DPoP-Nonce %q)", r.Status, r.Body, nonce)
	}
	bad := c.proof("POST", tokenURL, "", func(_, cl map[string]any) { cl["nonce"] = nonce + "x" })
	if r := postDPoP(f.testServer, "/oidc/token", bad, &worker, form); r.Status != 400 || r.json(t)["error"] != "use_dpop_nonce" {
		t.Fatalf("proof with a forged nonce: %d %s", r.Status, r.Body)
	}
	withNonce := c.proof("POST", tokenURL, "", func(_, cl map[string]any) { cl["nonce"] = nonce })
	r = postDPoP(f.testServer, "/oidc/token", withNonce, &worker, form)
	if r.Status != 200 || r.json(t)["token_type"] != "DPoP" || r.Header.Get("DPoP-Nonce") == "" {
		t.Fatalf("proof with the nonce: %d %s", r.Status, r.Body)
	}
}
