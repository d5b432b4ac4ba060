package server

import (
	"maps"
	"testing"
)

func TestGrantLogKeys(t *testing.T) {
	want := map[string]string{
		"client_credentials": "ExchangeTokenBy.ClientCredentials",
		"authorization_code": "ExchangeTokenBy.AuthorizationCode",
		"refresh_token":      "ExchangeTokenBy.RefreshToken",
		"password":           "ExchangeTokenBy.Password",
		// Auth0's grant type is a URI: its last segment names the key.
		"http://auth0.com/oauth/grant-type/password-realm":   "ExchangeTokenBy.PasswordRealm",
		"http://auth0.com/oauth/grant-type/passwordless/otp": "ExchangeTokenBy.Otp",
		// A URN's last segment too: Logto's key for token exchange.
		"urn:ietf:params:oauth:grant-type:token-exchange": "ExchangeTokenBy.TokenExchange",
		"urn:ietf:params:oauth:grant-type:device_code":    "ExchangeTokenBy.DeviceCode",
	}
	if !maps.Equal(grantLogKeys, want) {
		t.Fatalf("grantLogKeys = %v, want %v", grantLogKeys, want)
	}
}
