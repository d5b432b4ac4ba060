package compat_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/monban/monban/compat/monbantest"
)

// digestFixture is a password digest made by another implementation
// (bcryptjs, Node's argon2, hash-wasm, node:crypto; see
// internal/password/testdata/README.md and compat/node/digests.mjs).
type digestFixture struct {
	Algorithm, Password, Digest, By string
}

// digestFiles are the committed fixtures: Node's argon2 (the C reference
// implementation), bcryptjs 2 and node:crypto; and hash-wasm (the argon2i
// Logto itself stores) and bcryptjs 3, made by compat/node/digests.mjs.
var digestFiles = []string{"../internal/password/testdata/digests.json", "node/testdata/digests.json"}

func readDigests(t *testing.T, path string) []digestFixture {
	t.Helper()
	file, err := os.Open(path)
	var fixtures []digestFixture
	if err == nil {
		defer file.Close()
		err = json.NewDecoder(file).Decode(&fixtures)
	}
	if err != nil {
		t.Fatal(err)
	}
	return fixtures
}

// Users migrated with the digests other systems made sign in with their
// password through the password grant of a real server; includePasswordHash
// exports the digest as imported, then Argon2id once the sign-in re-hashed
// it. Argon2d is checked the same way once the server takes it; while it
// refuses it at import (400 naming Argon2d), that is logged as SKIPPED.
//
// Each file gets its own server: every fixture costs one failed sign-in
// from the loopback address, and the sign-in back-off locks an address
// after 20 of them.
func TestPasswordImport(t *testing.T) {
	for _, path := range digestFiles {
		t.Run(path, func(t *testing.T) { signInImported(t, readDigests(t, path)) })
	}
}

func signInImported(t *testing.T, fixtures []digestFixture) {
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
		username := fmt.Sprintf("migrated%d", i)
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
		if d, a := exported(id); !strings.HasPrefix(d, "$argon2id$") || a != "Argon2id" || d == f.Digest {
			t.Errorf("%s (%s): exported %q %q after sign-in", f.Algorithm, f.By, d, a)
		}
		if s := grant(username, f.Password); s != http.StatusOK {
			t.Errorf("%s (%s): sign-in after the re-hash answered %d", f.Algorithm, f.By, s)
		}
	}
}
