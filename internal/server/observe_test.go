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
	}
	if !maps.Equal(grantLogKeys, want) {
		t.Fatalf("grantLogKeys = %v, want %v", grantLogKeys, want)
	}
}
