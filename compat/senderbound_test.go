package compat_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/monban/monban/compat/monbantest"
)

func pkcs8PEM(t *testing.T, key any) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// openid-client with PrivateKeyJwt, and with a DPoP handle, on Logto's face.
func TestOpenIDClientSenderBound(t *testing.T) {
	requireNode(t)
	srv := monbantest.Start(t, monbantest.Options{})
	shop := srv.CreateShop(t, 0)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pub, _ := jose.JSONWebKey{Key: key.Public(), KeyID: "ci-1", Algorithm: "ES256", Use: "sig"}.MarshalJSON()
	var jwk map[string]any
	_ = json.Unmarshal(pub, &jwk)
	signer := srv.MustCall(t, "POST", "/api/applications", map[string]any{"name": "Signer", "type": "MachineToMachine",
		"customClientMetadata": map[string]any{"tokenEndpointAuthMethod": "private_key_jwt", "jwks": map[string]any{"keys": []any{jwk}}}}, 200)
	plain := srv.CreateAppWith(t, "DPoP worker", "Shop reader", shop, "read:products")
	runSteps(t, "openid-client private_key_jwt and DPoP (Node.js)", "senderbound.mjs", map[string]string{
		"ISSUER": srv.Issuer, "APP_ID": signer["id"].(string), "APP_KEY": pkcs8PEM(t, key), "KID": "ci-1",
		"SECRET_APP_ID": plain.ID, "SECRET_APP_SECRET": plain.Secret, "RESOURCE": shop.Indicator,
	}, []string{"private_key_jwt: PrivateKeyJwt at the token endpoint", "DPoP: client_credentials bound to the handle's key"})
}

// Auth0's ManagementClient with clientAssertionSigningKey: the client's
// credential registered through the Management API v2 as Auth0's docs do,
// the SDK unchanged.
func TestAuth0AssertionSDK(t *testing.T) {
	requireNode(t)
	e := startAuth0Env(t)
	srv := e.srv
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	der, _ := x509.MarshalPKIXPublicKey(key.Public())
	pemPub := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	// The client holds the v2 permissions through the admin role, as the
	// bootstrap app does.
	role := srv.RoleID(t, "Management API access")
	app := srv.CreateApp(t, "Assertion admin", role)
	v2 := srv.URL + "/api/v2/"
	tok := srv.Token(t, monbantest.App{ID: monbantest.AdminID, Secret: monbantest.AdminSecret}, v2, "create:client_credentials", "update:clients")["access_token"].(string)
	call := func(method, path string, body any, want int) map[string]any {
		t.Helper()
		b, _ := json.Marshal(body)
		r := srv.Do(t, method, path, map[string][]string{"Authorization": {"Bearer " + tok}, "Content-Type": {"application/json"}}, bytesReader(b))
		if r.Status != want {
			t.Fatalf("%s %s: %d %s", method, path, r.Status, r.Body)
		}
		var m map[string]any
		_ = json.Unmarshal(r.Body, &m)
		return m
	}
	cred := call("POST", "/api/v2/clients/"+app.ID+"/credentials", map[string]any{"credential_type": "public_key", "name": "sdk", "pem": pemPub, "alg": "RS256"}, 201)
	call("PATCH", "/api/v2/clients/"+app.ID, map[string]any{"client_authentication_methods": map[string]any{
		"private_key_jwt": map[string]any{"credentials": []any{map[string]any{"id": cred["id"]}}}}}, 200)
	runSteps(t, "auth0 ManagementClient with clientAssertionSigningKey (Node.js)", "auth0-assertion.mjs", e.nodeEnv(map[string]string{
		"CLIENT_ID": app.ID, "SIGNING_KEY": pkcs8PEM(t, key),
	}), []string{"token: a client assertion at /oauth/token", "credentials: the SDK lists the client's credentials"})
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
