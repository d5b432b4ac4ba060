package connector

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

func TestSocialConfigs(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	for _, tc := range []struct {
		factory, config string
		ok              bool
	}{
		{FactoryOIDC, `{"issuer":"https://id.example","clientId":"c","scope":"openid"}`, true},
		{FactoryOIDC, `{"clientId":"c","scope":"openid"}`, false}, // no issuer: any issuer's token would pass
		{FactoryOIDC, `{"authorizationEndpoint":"https://id.example/a","tokenEndpoint":"https://id.example/t","clientId":"c","idTokenVerificationConfig":{"issuer":"https://id.example"}}`, false},
		{FactoryOIDC, `{"authorizationEndpoint":"https://id.example/a","tokenEndpoint":"https://id.example/t","clientId":"c","idTokenVerificationConfig":{"issuer":"https://id.example","jwksUri":"https://id.example/k"}}`, true},
		{FactoryOIDC, `{"issuer":"https://id.example","clientId":"c","tokenEndpointAuthMethod":"private_key_jwt"}`, false},
		{FactoryOIDC, `{"issuer":"ftp://id.example","clientId":"c"}`, false},
		{FactoryOAuth2, `{"authorizationEndpoint":"https://p.example/a","tokenEndpoint":"https://p.example/t","userInfoEndpoint":"https://p.example/u","clientId":"c","clientSecret":"s","profileMap":{"id":"user_id"}}`, true},
		{FactoryOAuth2, `{"authorizationEndpoint":"https://p.example/a","tokenEndpoint":"https://p.example/t","userInfoEndpoint":"https://p.example/u","clientId":"c","profileMap":{"shoe":"x"}}`, false},
		{FactoryGoogle, `{"clientId":"c","clientSecret":"s"}`, true},
		{FactoryGoogle, `{"clientId":"c"}`, false},
		{FactoryGoogle, `{"clientId":"c","clientSecret":"s","extra":1}`, false},
		{FactoryGitHub, `{"clientId":"c","clientSecret":"s","enterpriseUrl":"javascript:x"}`, false},
		{FactoryMicrosoft, `{"clientId":"c","clientSecret":"s","tenantId":"common"}`, true},
		{FactoryMicrosoft, `{"clientId":"c","clientSecret":"s","tenantId":"../evil"}`, false},
		{FactoryApple, `{"clientId":"c","teamId":"T","keyId":"K","privateKey":` + jsonString(pemKey) + `}`, true},
		{FactoryApple, `{"clientId":"c","teamId":"T","keyId":"K","privateKey":"not a key"}`, false},
	} {
		f, _ := FactoryByID(tc.factory)
		if err := f.Check([]byte(tc.config)); (err == nil) != tc.ok {
			t.Errorf("%s %s: %v", tc.factory, tc.config, err)
		}
	}

	if iss, tmpl := MicrosoftIssuer("https://login.microsoftonline.com/", "organizations"); iss != "https://login.microsoftonline.com/organizations/v2.0" ||
		tmpl != "https://login.microsoftonline.com/{tenantid}/v2.0" {
		t.Errorf("MicrosoftIssuer multi-tenant: %s %s", iss, tmpl)
	}
	if _, tmpl := MicrosoftIssuer("https://login.microsoftonline.com", "8eaef023-2b34-4da1-9baa-8bc8c9d6a490"); tmpl != "" {
		t.Errorf("a single tenant has no template: %s", tmpl)
	}

	now := time.Unix(1_800_000_000, 0)
	raw, err := AppleClientSecret(key, "K", "T", "svc", "https://appleid.apple.com", now)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil || tok.Headers[0].KeyID != "K" {
		t.Fatalf("Apple's client secret %v", err)
	}
	var c jwt.Claims
	if err := tok.Claims(&key.PublicKey, &c); err != nil || c.Issuer != "T" || c.Subject != "svc" || !c.Audience.Contains("https://appleid.apple.com") ||
		c.Expiry.Time().Sub(now) != 5*time.Minute {
		t.Fatalf("Apple's client secret claims %+v %v", c, err)
	}
}

func jsonString(s string) string {
	b := []byte{'"'}
	for _, r := range s {
		switch r {
		case '\n':
			b = append(b, '\\', 'n')
		case '"':
			b = append(b, '\\', '"')
		default:
			b = append(b, string(r)...)
		}
	}
	return string(append(b, '"'))
}
