package testkit

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// Claims decodes a JWT's payload without verifying it: for tests whose
// point is the claims; the signature is verified by the tests of keys,
// protect and the compatibility suite.
func Claims(t TB, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", jwt)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
