package oidc

import (
	"encoding/json"
	"net/url"
	"slices"
	"testing"
)

// The grant types are listed once: the token endpoint, discovery and the
// exported list agree, the end-user grants need Config.Users, and the
// password-realm and passwordless OTP grants Auth0's face.
func TestGrantRegistry(t *testing.T) {
	logto := []string{"authorization_code", "refresh_token", "client_credentials", "password", GrantTypeTokenExchange, DeviceCodeGrantType}
	all := []string{"authorization_code", "refresh_token", "client_credentials", "password",
		"http://auth0.com/oauth/grant-type/password-realm", "http://auth0.com/oauth/grant-type/passwordless/otp", GrantTypeTokenExchange,
		DeviceCodeGrantType}
	if got := GrantTypes(); !slices.Equal(got, all) {
		t.Fatalf("GrantTypes() = %v, want %v", got, all)
	}
	lf, af := LogtoProfile("https://id.test/oidc"), Auth0Profile("https://id.test")
	for _, f := range []*Profile{&lf, &af} {
		if got := offeredGrantTypes(f, false); !slices.Equal(got, []string{"client_credentials"}) {
			t.Errorf("without users: %v", got)
		}
	}
	with := &Provider{u: &users{}}
	without := &Provider{}
	for _, gt := range all {
		g := with.grant(&af, gt)
		if g == nil || g.Type() != gt {
			t.Errorf("grant(%q) = %v", gt, g)
			continue
		}
		if (without.grant(&af, gt) == nil) != g.EndUser() {
			t.Errorf("%s offered without users: %v", gt, without.grant(&af, gt))
		}
		if (with.grant(&lf, gt) == nil) != !slices.Contains(logto, gt) {
			t.Errorf("%s on Logto's face: %v", gt, with.grant(&lf, gt))
		}
	}
	for _, gt := range []string{"", "urn:ietf:params:oauth:grant-type:jwt-bearer", "implicit", "CLIENT_CREDENTIALS"} {
		if g := with.grant(&af, gt); g != nil {
			t.Errorf("grant(%q) = %v", gt, g)
		}
	}
	for f, want := range map[*Profile][]string{&lf: logto, &af: all} {
		var doc map[string]any
		must(t, json.Unmarshal(buildDiscovery(f, true, false), &doc))
		var listed []string
		for _, v := range doc["grant_types_supported"].([]any) {
			listed = append(listed, v.(string))
		}
		if !slices.Equal(listed, want) {
			t.Errorf("%s discovery lists %v", f.Issuer, listed)
		}
	}
}

// A grant type the registry does not hold is unsupported_grant_type; no
// grant_type at all is invalid_request.
func TestUnknownGrantType(t *testing.T) {
	_, base := m2mProvider(t)
	for _, gt := range []string{"urn:ietf:params:oauth:grant-type:jwt-bearer", "implicit"} {
		res, m := postForm(t, base+"/oidc/token", url.Values{"grant_type": {gt}})
		if res.StatusCode != 400 || m["error"] != "unsupported_grant_type" {
			t.Errorf("%s: %d %v", gt, res.StatusCode, m)
		}
	}
	if res, m := postForm(t, base+"/oidc/token", url.Values{}); res.StatusCode != 400 || m["error"] != "invalid_request" {
		t.Errorf("no grant_type: %d %v", res.StatusCode, m)
	}
}
