package logto

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/monban/monban/internal/store"
)

// Unset strings are null, customData and identities are never null, the
// password is only said to exist, and times are Unix milliseconds in
// Logto's field order.
func TestUserOf(t *testing.T) {
	at := time.UnixMilli(1700000000123)
	u := store.User{ID: "u1", Username: "jane", PasswordHash: "$argon2id$x", CreatedAt: at, UpdatedAt: at.Add(time.Second),
		Profile: store.UserProfile{GivenName: "Jane"}}
	b, err := json.Marshal(UserOf(&u))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"u1","username":"jane","primaryEmail":null,"primaryPhone":null,"name":null,"avatar":null,` +
		`"customData":{},"identities":{},"profile":{"givenName":"Jane"},"applicationId":null,"isSuspended":false,` +
		`"hasPassword":true,"lastSignInAt":null,"createdAt":1700000000123,"updatedAt":1700000001123}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	u.PasswordHash, u.IsSuspended, u.LastSignInAt = "", true, at.Add(time.Minute)
	u.CustomData = map[string]any{"tier": "gold"}
	got := UserOf(&u)
	if got.HasPassword || !got.IsSuspended || got.LastSignInAt == nil || *got.LastSignInAt != at.Add(time.Minute).UnixMilli() ||
		got.CustomData["tier"] != "gold" {
		t.Errorf("UserOf = %+v", got)
	}
	if OrNull("") != nil || *OrNull("x") != "x" {
		t.Error("OrNull")
	}
}

// A user's social identities are Logto's identities object, by target;
// details are left out when there are none.
func TestUserOfIdentities(t *testing.T) {
	u := store.User{ID: "u1", Identities: []store.Identity{
		{UserID: "u1", Target: "github", ExternalID: "gh-1", Details: map[string]any{"login": "jane"}},
		{UserID: "u1", Target: "google", ExternalID: "g-1"},
	}}
	b, err := json.Marshal(UserOf(&u).Identities)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"github":{"userId":"gh-1","details":{"login":"jane"}},"google":{"userId":"g-1"}}`; string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}
