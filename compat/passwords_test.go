package compat_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/monban/monban/compat/monbantest"
)

// digestFixture is a password digest made by another implementation
// (bcryptjs, Node's argon2, node:crypto; see
// internal/password/testdata/README.md).
type digestFixture struct {
	Algorithm, Password, Digest, By string
}

// Users migrated with the digests other systems made sign in with their
// password through the password grant of a real server; includePasswordHash
// exports the digest as imported, then Argon2id once the sign-in re-hashed
// it.
func TestPasswordImport(t *testing.T) {
	file, err := os.Open("../internal/password/testdata/digests.json")
	var fixtures []digestFixture
	if err == nil {
		defer file.Close()
		err = json.NewDecoder(file).Decode(&fixtures)
	}
	if err != nil {
		t.Fatal(err)
	}
	srv := monbantest.Start(t, monbantest.Options{})
	web := srv.Call(t, "POST", "/api/applications", map[string]any{"name": "Web", "type": "Traditional",
		"oidcClientMetadata":   map[string]any{"redirectUris": []string{"https://web.example/cb"}},
		"customClientMetadata": map[string]any{"allowPasswordGrant": true}}).JSON(t)
	grant := func(username, password string) int {
		form := url.Values{"grant_type": {"password"}, "username": {username}, "password": {password}, "scope": {"openid"}}
		req, err := http.NewRequest("POST", srv.Issuer+"/token", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth(web["id"].(string), web["secret"].(string))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	exported := func(id string) (string, string) {
		m := srv.Call(t, "GET", "/api/users/"+id+"?includePasswordHash=true", nil).JSON(t)
		d, _ := m["passwordDigest"].(string)
		a, _ := m["passwordAlgorithm"].(string)
		return d, a
	}
	for i, f := range fixtures {
		username := "migrated" + string(rune('a'+i))
		r := srv.Call(t, "POST", "/api/users", map[string]any{"username": username, "passwordDigest": f.Digest, "passwordAlgorithm": f.Algorithm})
		if r.Status/100 != 2 {
			t.Fatalf("%s (%s): import %d %s", f.Algorithm, f.By, r.Status, r.Body)
		}
		id := r.JSON(t)["id"].(string)
		if d, a := exported(id); d != f.Digest || a != f.Algorithm {
			t.Errorf("%s (%s): exported %q %q before sign-in", f.Algorithm, f.By, d, a)
		}
		if s := grant(username, f.Password+"?"); s != http.StatusBadRequest {
			t.Errorf("%s (%s): wrong password answered %d", f.Algorithm, f.By, s)
		}
		if s := grant(username, f.Password); s != http.StatusOK {
			t.Errorf("%s (%s): sign-in answered %d", f.Algorithm, f.By, s)
			continue
		}
		if d, a := exported(id); !strings.HasPrefix(d, "$argon2id$") || a != "Argon2id" {
			t.Errorf("%s (%s): exported %q %q after sign-in", f.Algorithm, f.By, d, a)
		}
		if s := grant(username, f.Password); s != http.StatusOK {
			t.Errorf("%s (%s): sign-in after the re-hash answered %d", f.Algorithm, f.By, s)
		}
	}
}
