package server_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/monban/monban/internal/egress"
	"github.com/monban/monban/internal/jws"
	"github.com/monban/monban/internal/server"
)

// signJWT makes a compact JWS of header and claims, signed by key with alg.
func signJWT(t *testing.T, alg string, key crypto.Signer, header, claims map[string]any) string {
	t.Helper()
	h := map[string]any{"alg": alg}
	for k, v := range header {
		h[k] = v
	}
	hb, _ := json.Marshal(h)
	cb, _ := json.Marshal(claims)
	input := base64.RawURLEncoding.EncodeToString(hb) + "." + base64.RawURLEncoding.EncodeToString(cb)
	sig, err := jws.Sign(alg, key, []byte(input))
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// publicJWK is the public JWK of key, with kid (and alg, when given).
func publicJWK(t *testing.T, key crypto.Signer, kid, alg string) map[string]any {
	t.Helper()
	b, err := jose.JSONWebKey{Key: key.Public(), KeyID: kid, Algorithm: alg, Use: "sig"}.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

// assertionClaims are a good client assertion's claims for client id and
// audience aud, at now.
func assertionClaims(id, aud string, now time.Time) map[string]any {
	return map[string]any{"iss": id, "sub": id, "aud": aud, "jti": newJTI(), "iat": now.Unix(), "exp": now.Add(time.Minute).Unix()}
}

func newJTI() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// assertionForm is a client_credentials request authenticated by a client
// assertion.
func assertionForm(assertion string, extra url.Values) url.Values {
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {shopAPI},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion}}
	for k, v := range extra {
		form[k] = v
	}
	return form
}

func postForm(ts *testServer, path string, form url.Values) response {
	ts.t.Helper()
	return ts.do("POST", path, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, strings.NewReader(form.Encode()))
}

// An M2M app registers an ES256 key and authenticates with signed
// assertions only: each assertion once, for this server, briefly valid,
// signed by its key with an allowed algorithm.
func TestPrivateKeyJWT(t *testing.T) {
	ts := startUserServer(t, nil)
	mt := ts.managementToken()
	ts.mustAPI(mt, "POST", "/api/resources", map[string]any{"name": "Shop", "indicator": shopAPI}, 201)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	app := ts.mustAPI(mt, "POST", "/api/applications", map[string]any{"name": "Signer", "type": "MachineToMachine",
		"customClientMetadata": map[string]any{"tokenEndpointAuthMethod": "private_key_jwt",
			"jwks": map[string]any{"keys": []any{publicJWK(t, key, "k1", "")}}}}, 200)
	id, secret := app["id"].(string), app["secret"].(string)
	meta := app["customClientMetadata"].(map[string]any)
	if meta["tokenEndpointAuthMethod"] != "private_key_jwt" || meta["jwks"] == nil {
		t.Fatalf("customClientMetadata = %v", meta)
	}
	now := time.Now()
	sign := func(header, claims map[string]any) string { return signJWT(t, "ES256", key, header, claims) }
	kid := map[string]any{"kid": "k1", "typ": "JWT"}

	good := sign(kid, assertionClaims(id, ts.Issuer, now))
	if r := postForm(ts, "/oidc/token", assertionForm(good, nil)); r.Status != 200 {
		t.Fatalf("assertion with aud = issuer: %d %s", r.Status, r.Body)
	}
	if r := postForm(ts, "/oidc/token", assertionForm(good, nil)); r.Status != 401 || r.json(t)["error"] != "invalid_client" {
		t.Fatalf("replayed assertion: %d %s", r.Status, r.Body)
	}
	// The token endpoint as aud, no kid, client_id in the body.
	tokAud := sign(nil, assertionClaims(id, ts.Issuer+"/token", now))
	if r := postForm(ts, "/oidc/token", assertionForm(tokAud, url.Values{"client_id": {id}})); r.Status != 200 {
		t.Fatalf("assertion with aud = token endpoint: %d %s", r.Status, r.Body)
	}
	// The app's secret no longer authenticates it.
	if r := ts.tokenForm(id, secret, url.Values{"grant_type": {"client_credentials"}, "resource": {shopAPI}}); r.Status != 401 {
		t.Fatalf("secret of a private_key_jwt app: %d %s", r.Status, r.Body)
	}

	claims := func(edit func(map[string]any)) map[string]any {
		c := assertionClaims(id, ts.Issuer, now)
		edit(c)
		return c
	}
	hs256 := func() string {
		// HS256 keyed with the public key's JWK: the old confusion attack.
		pub, _ := json.Marshal(publicJWK(t, key, "k1", ""))
		hb, _ := json.Marshal(map[string]any{"alg": "HS256", "kid": "k1"})
		cb, _ := json.Marshal(assertionClaims(id, ts.Issuer, now))
		in := base64.RawURLEncoding.EncodeToString(hb) + "." + base64.RawURLEncoding.EncodeToString(cb)
		m := hmac.New(sha256.New, pub)
		m.Write([]byte(in))
		return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	}
	none := func() string {
		hb, _ := json.Marshal(map[string]any{"alg": "none"})
		cb, _ := json.Marshal(assertionClaims(id, ts.Issuer, now))
		return base64.RawURLEncoding.EncodeToString(hb) + "." + base64.RawURLEncoding.EncodeToString(cb) + "."
	}
	refused := []struct {
		name      string
		assertion string
	}{
		{"expired", sign(kid, claims(func(c map[string]any) { c["exp"] = now.Add(-2 * time.Minute).Unix() }))},
		{"far-future exp", sign(kid, claims(func(c map[string]any) { c["exp"] = now.Add(time.Hour).Unix() }))},
		{"no exp", sign(kid, claims(func(c map[string]any) { delete(c, "exp") }))},
		{"iat ahead", sign(kid, claims(func(c map[string]any) { c["iat"] = now.Add(10 * time.Minute).Unix() }))},
		{"nbf ahead", sign(kid, claims(func(c map[string]any) { c["nbf"] = now.Add(10 * time.Minute).Unix() }))},
		{"aud of another server", sign(kid, claims(func(c map[string]any) { c["aud"] = "https://other.example/oidc" }))},
		{"aud list of others", sign(kid, claims(func(c map[string]any) { c["aud"] = []string{"https://a.example", "https://b.example"} }))},
		{"iss not the client", sign(kid, claims(func(c map[string]any) { c["iss"] = "someone" }))},
		{"no jti", sign(kid, claims(func(c map[string]any) { delete(c, "jti") }))},
		{"unknown kid", sign(map[string]any{"kid": "nope"}, assertionClaims(id, ts.Issuer, now))},
		{"signed by another key", signJWT(t, "ES256", other, kid, assertionClaims(id, ts.Issuer, now))},
		{"alg none", none()},
		{"HS256 with the public key", hs256()},
		{"ES384 named for an ES256 key", signWithAlgHeader(t, key, "ES384", id, ts.Issuer, now)},
		{"critical header", sign(map[string]any{"kid": "k1", "crit": []string{"exp"}}, assertionClaims(id, ts.Issuer, now))},
		{"not a JWS", "abc.def"},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			r := postForm(ts, "/oidc/token", assertionForm(c.assertion, url.Values{"client_id": {id}}))
			if r.Status != 401 || r.json(t)["error"] != "invalid_client" {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
		})
	}

	badRequests := []struct {
		name string
		form url.Values
	}{
		{"unknown assertion type", assertionForm(good, url.Values{"client_assertion_type": {"urn:example:other"}})},
		{"assertion and secret", assertionForm(good, url.Values{"client_id": {id}, "client_secret": {secret}})},
		{"assertion type without assertion", url.Values{"grant_type": {"client_credentials"}, "client_id": {id},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}}},
	}
	for _, c := range badRequests {
		t.Run(c.name, func(t *testing.T) {
			if r := postForm(ts, "/oidc/token", c.form); r.Status != 400 || r.json(t)["error"] != "invalid_request" {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
		})
	}

	// Introspection and revocation take the assertion too.
	at := postForm(ts, "/oidc/token", assertionForm(sign(kid, assertionClaims(id, ts.Issuer, now)), nil)).json(t)["access_token"].(string)
	r := postForm(ts, "/oidc/token/introspection", url.Values{"token": {at},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {sign(kid, assertionClaims(id, ts.Issuer+"/token/introspection", now))}})
	if r.Status != 200 || r.json(t)["active"] != true {
		t.Fatalf("introspection with an assertion: %d %s", r.Status, r.Body)
	}

	// Discovery says so.
	var doc map[string]any
	_ = json.Unmarshal(ts.do("GET", "/oidc/.well-known/openid-configuration", nil, nil).Body, &doc)
	if !strings.Contains(toJSON(doc["token_endpoint_auth_methods_supported"]), "private_key_jwt") ||
		!strings.Contains(toJSON(doc["token_endpoint_auth_signing_alg_values_supported"]), "ES256") {
		t.Fatalf("discovery: %v %v", doc["token_endpoint_auth_methods_supported"], doc["token_endpoint_auth_signing_alg_values_supported"])
	}
}

// signWithAlgHeader signs with key but names alg in the header: an ES256
// key must not verify an ES384 claim.
func signWithAlgHeader(t *testing.T, key *ecdsa.PrivateKey, alg, id, aud string, now time.Time) string {
	t.Helper()
	hb, _ := json.Marshal(map[string]any{"alg": alg, "kid": "k1"})
	cb, _ := json.Marshal(assertionClaims(id, aud, now))
	in := base64.RawURLEncoding.EncodeToString(hb) + "." + base64.RawURLEncoding.EncodeToString(cb)
	sig, err := jws.Sign("ES256", key, []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// The Management API refuses client authentication settings that cannot
// work: keys for a SPA, a private key, no keys, keys and a URL at once.
func TestPrivateKeyJWTSettings(t *testing.T) {
	ts := startUserServer(t, nil)
	mt := ts.managementToken()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	priv, _ := jose.JSONWebKey{Key: key, KeyID: "p"}.MarshalJSON()
	var privJWK map[string]any
	_ = json.Unmarshal(priv, &privJWK)
	jwks := map[string]any{"keys": []any{publicJWK(t, key, "k1", "")}}
	for _, c := range []struct {
		name string
		body map[string]any
	}{
		{"SPA", map[string]any{"name": "s", "type": "SPA", "customClientMetadata": map[string]any{"tokenEndpointAuthMethod": "private_key_jwt", "jwks": jwks}}},
		{"private key", map[string]any{"name": "s", "type": "MachineToMachine", "customClientMetadata": map[string]any{"jwks": map[string]any{"keys": []any{privJWK}}}}},
		{"symmetric key", map[string]any{"name": "s", "type": "MachineToMachine", "customClientMetadata": map[string]any{"jwks": map[string]any{"keys": []any{map[string]any{"kty": "oct", "k": "c2VjcmV0"}}}}}},
		{"no keys", map[string]any{"name": "s", "type": "MachineToMachine", "customClientMetadata": map[string]any{"tokenEndpointAuthMethod": "private_key_jwt"}}},
		{"keys and URL", map[string]any{"name": "s", "type": "MachineToMachine", "customClientMetadata": map[string]any{"jwks": jwks, "jwksUri": "https://keys.example/jwks.json"}}},
		{"unknown method", map[string]any{"name": "s", "type": "MachineToMachine", "customClientMetadata": map[string]any{"tokenEndpointAuthMethod": "client_secret_jwt"}}},
		{"relative URL", map[string]any{"name": "s", "type": "MachineToMachine", "customClientMetadata": map[string]any{"jwksUri": "/jwks.json"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if r := ts.api(mt, "POST", "/api/applications", c.body); r.Status != 400 {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
		})
	}
}

// An app whose keys are at its jwks_uri: fetched under the egress policy,
// cached, and fetched again when an assertion names a new kid; a jwks_uri
// on a private address is not fetched without an allow-list.
func TestPrivateKeyJWTJWKSURI(t *testing.T) {
	k1, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, k2, _ := ed25519.GenerateKey(rand.Reader)
	var published atomic.Value
	var fetches atomic.Int32
	published.Store([]any{})
	keysrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": published.Load()})
	}))
	t.Cleanup(keysrv.Close)
	published.Store([]any{publicJWK(t, k1, "k1", "ES256")})

	ts := startUserServer(t, func(c *server.Config) {
		c.ClientKeysEgress = egress.Policy{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	})
	mt := ts.managementToken()
	ts.mustAPI(mt, "POST", "/api/resources", map[string]any{"name": "Shop", "indicator": shopAPI}, 201)
	id := ts.mustAPI(mt, "POST", "/api/applications", map[string]any{"name": "Remote", "type": "MachineToMachine",
		"customClientMetadata": map[string]any{"tokenEndpointAuthMethod": "private_key_jwt", "jwksUri": keysrv.URL + "/jwks.json"}}, 200)["id"].(string)
	now := time.Now()
	for i := range 2 {
		a := signJWT(t, "ES256", k1, map[string]any{"kid": "k1"}, assertionClaims(id, ts.Issuer, now))
		if r := postForm(ts, "/oidc/token", assertionForm(a, nil)); r.Status != 200 {
			t.Fatalf("assertion %d by the published key: %d %s", i, r.Status, r.Body)
		}
	}
	if n := fetches.Load(); n != 1 {
		t.Fatalf("the key set was fetched %d times for two assertions, want once", n)
	}
	// A new key is published; an assertion naming it makes the server
	// fetch again at once (the first unknown kid since the last fetch).
	published.Store([]any{publicJWK(t, k1, "k1", "ES256"), publicJWK(t, k2, "k2", "")})
	a := signJWT(t, "EdDSA", k2, map[string]any{"kid": "k2"}, assertionClaims(id, ts.Issuer, now))
	r := postForm(ts, "/oidc/token", assertionForm(a, nil))
	// The least interval between fetches may not have passed: then the
	// unknown kid is refused until it has.
	if fetches.Load() == 1 && r.Status != 401 {
		t.Fatalf("unknown kid within the interval: %d %s", r.Status, r.Body)
	}
	// A flood of unknown kids fetches at most once per interval.
	before := fetches.Load()
	for range 5 {
		a := signJWT(t, "EdDSA", k2, map[string]any{"kid": "made-up-" + newJTI()}, assertionClaims(id, ts.Issuer, now))
		if r := postForm(ts, "/oidc/token", assertionForm(a, nil)); r.Status != 401 {
			t.Fatalf("made-up kid: %d %s", r.Status, r.Body)
		}
	}
	if n := fetches.Load() - before; n > 1 {
		t.Fatalf("five made-up kids fetched the key set %d times", n)
	}

	// Without the allow-list the same URL (127.0.0.1) is refused at dial
	// time: the assertion fails and nothing is fetched.
	ts2 := startUserServer(t, nil)
	mt2 := ts2.managementToken()
	ts2.mustAPI(mt2, "POST", "/api/resources", map[string]any{"name": "Shop", "indicator": shopAPI}, 201)
	id2 := ts2.mustAPI(mt2, "POST", "/api/applications", map[string]any{"name": "Internal", "type": "MachineToMachine",
		"customClientMetadata": map[string]any{"tokenEndpointAuthMethod": "private_key_jwt", "jwksUri": keysrv.URL + "/jwks.json"}}, 200)["id"].(string)
	before = fetches.Load()
	a = signJWT(t, "ES256", k1, map[string]any{"kid": "k1"}, assertionClaims(id2, ts2.Issuer, now))
	if r := postForm(ts2, "/oidc/token", assertionForm(a, nil)); r.Status != 401 {
		t.Fatalf("jwks_uri on a private address: %d %s", r.Status, r.Body)
	}
	if fetches.Load() != before {
		t.Fatal("the key set on a private address was fetched")
	}
	if !strings.Contains(ts2.Logs.String(), "key set could not be fetched") {
		t.Fatalf("no log of the refused fetch:\n%s", ts2.Logs.String())
	}
}
