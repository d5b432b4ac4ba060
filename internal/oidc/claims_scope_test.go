package oidc

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/monban/monban/internal/store"
)

// claimNames lists the keys of c, sorted.
func claimNames(c map[string]any) []string {
	names := make([]string, 0, len(c))
	for k := range c {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// Each scope alone releases exactly its own claims, in the ID token and
// at userinfo alike, except custom_data, which only userinfo releases.
// Scopes that are not claim scopes release nothing.
func TestClaimsReleasedPerScope(t *testing.T) {
	u := &store.User{ID: "u1", Username: "jane", Name: "Jane Doe", Avatar: "https://img.test/j.png",
		PrimaryEmail: "jane@example.com", EmailVerified: true, PrimaryPhone: "+15550100", CustomData: map[string]any{"tier": "gold"},
		Profile: store.UserProfile{FamilyName: "Doe", GivenName: "Jane", MiddleName: "Q", Nickname: "jd",
			PreferredUsername: "janed", Profile: "https://p.test/jane", Website: "https://jane.test", Gender: "female",
			Birthdate: "1990-01-02", Zoneinfo: "Pacific/Auckland", Locale: "en-NZ",
			Address: &store.UserAddress{Formatted: "1 Main St, Wellington", StreetAddress: "1 Main St",
				Locality: "Wellington", Region: "WGN", PostalCode: "6011", Country: "NZ"}},
		UpdatedAt: time.Unix(1700000000, 0)}
	roles := []store.Role{{ID: "ro1", Name: "Admin", Type: store.RoleUser},
		{ID: "ro2", Name: "Robot", Type: store.RoleMachineToMachine}, {ID: "ro3", Name: "Editor", Type: store.RoleUser}}
	profile := []string{"birthdate", "family_name", "gender", "given_name", "locale", "middle_name", "name", "nickname",
		"picture", "preferred_username", "profile", "updated_at", "username", "website", "zoneinfo"}
	for _, tc := range []struct {
		scope         string
		idToken, info []string
	}{
		{"", nil, nil},
		{"openid", nil, nil},
		{"offline_access", nil, nil},
		{"read", nil, nil},
		{"profile", profile, profile},
		{"email", []string{"email", "email_verified"}, []string{"email", "email_verified"}},
		{"phone", []string{"phone_number", "phone_number_verified"}, []string{"phone_number", "phone_number_verified"}},
		{"address", []string{"address"}, []string{"address"}},
		{"roles", []string{"roles"}, []string{"roles"}},
		{"custom_data", nil, []string{"custom_data"}},
	} {
		scopes := []string{"openid"}
		if tc.scope != "" {
			scopes = append(scopes, tc.scope)
		}
		for _, userinfo := range []bool{false, true} {
			want := tc.idToken
			if userinfo {
				want = tc.info
			}
			if want == nil {
				want = []string{}
			}
			c := userClaims(u, scopes, userinfo, roles)
			if got := claimNames(c); !slices.Equal(got, want) {
				t.Errorf("scope %q, userinfo %v: claims %v, want %v", tc.scope, userinfo, got, want)
			}
		}
	}

	// The values are the user's own.
	all := []string{"openid", "profile", "email", "phone", "address", "roles", "custom_data"}
	c := userClaims(u, all, true, roles)
	for k, want := range map[string]any{"name": "Jane Doe", "picture": "https://img.test/j.png", "username": "jane",
		"preferred_username": "janed", "given_name": "Jane", "family_name": "Doe", "middle_name": "Q", "nickname": "jd",
		"profile": "https://p.test/jane", "website": "https://jane.test", "gender": "female", "birthdate": "1990-01-02",
		"zoneinfo": "Pacific/Auckland", "locale": "en-NZ", "updated_at": int64(1700000000),
		"email": "jane@example.com", "email_verified": true, "phone_number": "+15550100", "phone_number_verified": true} {
		if c[k] != want {
			t.Errorf("%s = %#v, want %#v", k, c[k], want)
		}
	}
	wantAddr := map[string]any{"formatted": "1 Main St, Wellington", "street_address": "1 Main St",
		"locality": "Wellington", "region": "WGN", "postal_code": "6011", "country": "NZ"}
	if !reflect.DeepEqual(c["address"], wantAddr) {
		t.Errorf("address %#v, want %#v", c["address"], wantAddr)
	}
	// Only user roles are listed, machine-to-machine ones never.
	if !reflect.DeepEqual(c["roles"], []string{"Admin", "Editor"}) {
		t.Errorf("roles %#v", c["roles"])
	}
	if !reflect.DeepEqual(c["custom_data"], map[string]any{"tier": "gold"}) {
		t.Errorf("custom_data %#v", c["custom_data"])
	}
	if _, ok := userClaims(u, all, false, roles)["custom_data"]; ok {
		t.Error("custom_data in an ID token")
	}
}

// A user with nothing set releases no empty claims: no empty strings, no
// updated_at, no unverified flags, no empty address. roles is always a
// list and custom_data at userinfo always an object.
func TestClaimsLeaveOutEmptyValues(t *testing.T) {
	all := []string{"openid", "profile", "email", "phone", "address", "roles", "custom_data"}
	for _, u := range []*store.User{{ID: "u1"}, {ID: "u1", Profile: store.UserProfile{Address: &store.UserAddress{}}}} {
		id := userClaims(u, all, false, nil)
		if !reflect.DeepEqual(id, map[string]any{"roles": []string{}}) {
			t.Errorf("ID token claims of an empty user %#v", id)
		}
		info := userClaims(u, all, true, []store.Role{{Name: "Robot", Type: store.RoleMachineToMachine}})
		if !reflect.DeepEqual(info, map[string]any{"roles": []string{}, "custom_data": map[string]any{}}) {
			t.Errorf("userinfo claims of an empty user %#v", info)
		}
	}
	// Empty address parts are left out, set ones kept.
	u := &store.User{ID: "u1", Profile: store.UserProfile{Address: &store.UserAddress{Locality: "Wellington", Country: "NZ"}}}
	if a := userClaims(u, []string{"address"}, false, nil)["address"]; !reflect.DeepEqual(a,
		map[string]any{"locality": "Wellington", "country": "NZ"}) {
		t.Errorf("partial address %#v", a)
	}
}
