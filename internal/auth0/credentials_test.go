package auth0_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/jws"
)

// rs256Assertion is an assertion as Auth0's SDK signs it: RS256, no kid,
// aud the tenant's https://{domain}/.
func rs256Assertion(t *testing.T, key *rsa.PrivateKey, clientID, aud string) string {
	t.Helper()
	now := time.Now()
	hb, _ := json.Marshal(map[string]any{"alg": "RS256"})
	cb, _ := json.Marshal(map[string]any{"iss": clientID, "sub": clientID, "aud": aud, "iat": now.Unix(),
		"exp": now.Add(3 * time.Minute).Unix(), "jti": base64.RawURLEncoding.EncodeToString([]byte(now.String()))})
	in := base64.RawURLEncoding.EncodeToString(hb) + "." + base64.RawURLEncoding.EncodeToString(cb)
	sig, err := jws.Sign("RS256", key, []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// A client's public-key credentials through the Management API v2, and
// the client switched to private_key_jwt: Auth0's shapes, and a token at
// /oauth/token with an assertion as Auth0's SDK makes it.
func TestClientCredentials(t *testing.T) {
	ts := start(t, nil)
	tok := ts.admin()
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	der, _ := x509.MarshalPKIXPublicKey(key.Public())
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	client := ts.must(tok, "POST", "/api/v2/clients", map[string]any{"name": "Signer", "app_type": "non_interactive"}, 201)
	id := client["client_id"].(string)
	api := ts.must(tok, "POST", "/api/v2/resource-servers", map[string]any{"name": "Shop", "identifier": "https://shop.example/api",
		"scopes": []map[string]any{{"value": "read:products"}}}, 201)
	ts.must(tok, "POST", "/api/v2/client-grants", map[string]any{"client_id": id, "audience": api["identifier"], "scope": []string{"read:products"}}, 201)

	cred := ts.must(tok, "POST", "/api/v2/clients/"+id+"/credentials", map[string]any{"credential_type": "public_key", "name": "ci", "pem": pemKey, "alg": "RS256"}, 201)
	if cred["credential_type"] != "public_key" || cred["alg"] != "RS256" || cred["kid"] == "" || !strings.HasPrefix(cred["id"].(string), "cred_") {
		t.Fatalf("credential %v", cred)
	}
	credID := cred["id"].(string)
	if list := ts.api(tok, "GET", "/api/v2/clients/"+id+"/credentials", nil).list(t); len(list) != 1 || list[0]["id"] != credID {
		t.Fatalf("credentials %v", list)
	}
	patched := ts.must(tok, "PATCH", "/api/v2/clients/"+id, map[string]any{"client_authentication_methods": map[string]any{
		"private_key_jwt": map[string]any{"credentials": []any{map[string]any{"id": credID}}}}}, 200)
	if patched["token_endpoint_auth_method"] != nil || !strings.Contains(toJSON(patched["client_authentication_methods"]), credID) {
		t.Fatalf("client after the switch: %v %v", patched["token_endpoint_auth_method"], patched["client_authentication_methods"])
	}

	tokenWith := func(assertion string) response {
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "audience": {"https://shop.example/api"},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion}}
		return ts.do("POST", "/oauth/token", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, strings.NewReader(form.Encode()))
	}
	if r := tokenWith(rs256Assertion(t, key, id, ts.URL+"/")); r.Status != 200 || r.json(t)["scope"] != "read:products" {
		t.Fatalf("token with Auth0's assertion: %d %s", r.Status, r.Body)
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	if r := tokenWith(rs256Assertion(t, other, id, ts.URL+"/")); r.Status != 401 {
		t.Fatalf("assertion by another key: %d %s", r.Status, r.Body)
	}

	// The last credential of a private_key_jwt client stays; an expiry in
	// the past stops it; switching back to a secret method lets it go.
	wantError(t, ts.api(tok, "DELETE", "/api/v2/clients/"+id+"/credentials/"+credID, nil), 400, "invalid_body")
	ts.must(tok, "PATCH", "/api/v2/clients/"+id+"/credentials/"+credID, map[string]any{"expires_at": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)}, 200)
	if r := tokenWith(rs256Assertion(t, key, id, ts.URL+"/")); r.Status != 401 {
		t.Fatalf("assertion by an expired credential: %d %s", r.Status, r.Body)
	}
	ts.must(tok, "PATCH", "/api/v2/clients/"+id, map[string]any{"token_endpoint_auth_method": "client_secret_post"}, 200)
	if r := ts.api(tok, "DELETE", "/api/v2/clients/"+id+"/credentials/"+credID, nil); r.Status != 204 {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}

	for _, c := range []struct {
		method, path string
		body         any
		status       int
		code         string
	}{
		{"POST", "/api/v2/clients/" + id + "/credentials", map[string]any{"credential_type": "public_key", "pem": "not a pem"}, 400, "invalid_body"},
		{"POST", "/api/v2/clients/" + id + "/credentials", map[string]any{"credential_type": "x509_cert", "pem": pemKey}, 400, "invalid_body"},
		{"POST", "/api/v2/clients/" + id + "/credentials", map[string]any{"credential_type": "public_key", "pem": pemKey, "alg": "HS256"}, 400, "invalid_body"},
		{"POST", "/api/v2/clients/missing/credentials", map[string]any{"credential_type": "public_key", "pem": pemKey}, 404, "inexistent_client"},
		{"GET", "/api/v2/clients/" + id + "/credentials/cred_missing", nil, 404, "inexistent_client_credential"},
		{"PATCH", "/api/v2/clients/" + id, map[string]any{"client_authentication_methods": map[string]any{"private_key_jwt": map[string]any{"credentials": []any{}}}}, 400, "invalid_body"},
	} {
		wantError(t, ts.api(tok, c.method, c.path, c.body), c.status, c.code)
	}
	spa := ts.must(tok, "POST", "/api/v2/clients", map[string]any{"name": "SPA", "app_type": "spa"}, 201)
	wantError(t, ts.api(tok, "PATCH", "/api/v2/clients/"+spa["client_id"].(string), map[string]any{"client_authentication_methods": map[string]any{
		"private_key_jwt": map[string]any{"credentials": []any{map[string]any{"credential_type": "public_key", "pem": pemKey}}}}}), 400, "invalid_body")
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
