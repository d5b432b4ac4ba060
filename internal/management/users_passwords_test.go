package management

import (
	"encoding/json"
	"strings"
	"testing"
)

// Digests made by other implementations (see internal/password/testdata):
// bcryptjs, Node's argon2 with Logto's own Argon2i costs, and node:crypto.
const (
	importedPassword = "correct horse battery staple"
	bcryptjsDigest   = "$2a$10$1kmrqpAcJlHhmVWeeqLOT.bGITMQKV9mToeQSwJXSMPTVmT4MZOwq"
	argon2iDigest    = "$argon2i$v=19$m=8192,t=8,p=1$3WlMdiY6CFEtSH/PJZwk/g$5n2YVUr9jjumWd7Nx+5i4t35zdKoxeA0ZLi0UeBpvFk"
	sha1Digest       = "abf7aad6438836dbe526aa231abde2d0eef74d42"
	argon2dDigest    = "$argon2d$v=19$m=4096,t=2,p=1$iNtI37umqvviLWifgTY/YA$ooroQB+UOROpyHx7f6AC85a8fFEbalefMxJnvwXe8Gc"
	legacyDigest     = `["pbkdf2",["somesalt","1000","32","sha256","@"],"b626a5b675155de84801047976e170810fcdca41626beb320ac0c469355c7a39"]`
)

type passwordExport struct {
	ID                string  `json:"id"`
	HasPassword       bool    `json:"hasPassword"`
	PasswordDigest    *string `json:"passwordDigest"`
	PasswordAlgorithm *string `json:"passwordAlgorithm"`
}

func (e *env) exported(t *testing.T, id, flag string) (passwordExport, map[string]json.RawMessage) {
	t.Helper()
	var out passwordExport
	var raw map[string]json.RawMessage
	r := e.do("GET", "/api/users/"+id+flag, nil).want(t, 200, &out)
	must(t, json.Unmarshal(r.body, &raw))
	return out, raw
}

// Users imported with digests in Logto's algorithms sign in with their
// password, export the digest as given on includePasswordHash, and after the
// first successful check export the server's Argon2id instead.
func TestUserPasswordImport(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct{ alg, digest string }{
		{"Bcrypt", bcryptjsDigest}, {"Argon2i", argon2iDigest}, {"SHA1", sha1Digest}, {"Legacy", legacyDigest},
		{"Argon2d", argon2dDigest},
	} {
		t.Run(tc.alg, func(t *testing.T) {
			r := e.do("POST", "/api/users", map[string]any{"username": "imported_" + strings.ToLower(tc.alg),
				"passwordDigest": tc.digest, "passwordAlgorithm": tc.alg})
			if r.status/100 != 2 {
				t.Fatalf("create: %d %s", r.status, r.body)
			}
			var u passwordExport
			must(t, json.Unmarshal(r.body, &u))
			if !u.HasPassword || u.PasswordDigest != nil || strings.Contains(string(r.body), tc.digest[:12]) {
				t.Fatalf("create answered the digest, or no password: %s", r.body)
			}
			// Without the flag (or with a false one) no hash is exported.
			for _, flag := range []string{"", "?includePasswordHash=false", "?includePasswordHash=0"} {
				if _, raw := e.exported(t, u.ID, flag); raw["passwordDigest"] != nil || raw["passwordAlgorithm"] != nil {
					t.Errorf("%q exported the hash", flag)
				}
			}
			got, _ := e.exported(t, u.ID, "?includePasswordHash=true")
			if got.PasswordDigest == nil || *got.PasswordDigest != tc.digest || got.PasswordAlgorithm == nil || *got.PasswordAlgorithm != tc.alg {
				t.Errorf("export before sign-in: %+v", got)
			}
			e.do("POST", "/api/users/"+u.ID+"/password/verify", map[string]any{"password": "not it"}).want(t, 422, nil)
			e.do("POST", "/api/users/"+u.ID+"/password/verify", map[string]any{"password": importedPassword}).want(t, 204, nil)
			got, _ = e.exported(t, u.ID, "?includePasswordHash=1")
			if got.PasswordDigest == nil || !strings.HasPrefix(*got.PasswordDigest, "$argon2id$") || *got.PasswordAlgorithm != "Argon2id" {
				t.Errorf("export after sign-in: %+v", got)
			}
			e.do("POST", "/api/users/"+u.ID+"/password/verify", map[string]any{"password": importedPassword}).want(t, 204, nil)
		})
	}
	// A user without a password exports nulls.
	r := e.do("POST", "/api/users", map[string]any{"username": "nopassword"})
	var u passwordExport
	must(t, json.Unmarshal(r.body, &u))
	if got, raw := e.exported(t, u.ID, "?includePasswordHash=yes"); got.PasswordDigest != nil || got.PasswordAlgorithm != nil ||
		string(raw["passwordDigest"]) != "null" || string(raw["passwordAlgorithm"]) != "null" {
		t.Errorf("export without a password: %+v %s", got, raw)
	}
}

// Digests that cannot be imported are a 400 naming the field or the limit.
func TestUserPasswordImportRefused(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct{ name, alg, digest, msg, code string }{
		{"bcrypt cost", "Bcrypt", "$2b$20" + bcryptjsDigest[6:], "bcrypt cost 20 is above the limit of 13", "request.invalid_input"},
		{"argon2 memory", "Argon2i", strings.Replace(argon2iDigest, "m=8192", "m=2097152", 1), "argon2 memory 2097152 KiB is above the limit of 65536 KiB", "request.invalid_input"},
		{"argon2 time", "Argon2i", strings.Replace(argon2iDigest, "t=8", "t=1000", 1), "argon2 iterations 1000 are above the limit of 16", "request.invalid_input"},
		{"pbkdf2 iterations", "Legacy", strings.Replace(legacyDigest, `"1000"`, `"5000000"`, 1), "pbkdf2 iterations 5000000 are above the limit of 1000000", "request.invalid_input"},
		{"argon2d memory", "Argon2d", "$argon2d$v=19$m=131072,t=2,p=1$iNtI37umqvviLWifgTY/YA$ooroQB+UOROpyHx7f6AC85a8fFEbalefMxJnvwXe8Gc", "argon2 memory 131072 KiB is above the limit of 65536 KiB", "request.invalid_input"},
		{"argon2d as argon2i", "Argon2d", argon2iDigest, "Argon2d PHC string", "request.invalid_input"},
		{"unknown algorithm", "Scrypt", "x", "passwordAlgorithm must be one of", "request.invalid_input"},
		{"bcrypt as argon2", "Argon2id", bcryptjsDigest, "passwordDigest", "request.invalid_input"},
		{"sha256 not hex", "SHA256", strings.Repeat("g", 64), "passwordDigest", "request.invalid_input"},
		{"legacy without @", "Legacy", `["sha256",["salt"],"00"]`, "passwordDigest", "password.invalid_legacy_password_format"},
		{"too long", "MD5", strings.Repeat("a", 300), "at most 256", "request.invalid_input"},
		{"legacy format", "Legacy", "invalid_json", "legacy expression", "password.invalid_legacy_password_format"},
		{"legacy algorithm", "Legacy", `["whirlpool",["@"],"00"]`, `"whirlpool" is not supported`, "password.unsupported_legacy_hash_algorithm"},
		{"digest without algorithm", "", bcryptjsDigest, "passwordAlgorithm is required", "user.password_algorithm_required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := map[string]any{"passwordDigest": tc.digest}
			if tc.alg != "" {
				body["passwordAlgorithm"] = tc.alg
			}
			r := e.do("POST", "/api/users", body)
			if r.status != 400 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			if m := r.errBody(t); !strings.Contains(m["message"], tc.msg) || m["code"] != tc.code {
				t.Errorf("%s %q, want %s holding %q", m["code"], m["message"], tc.code, tc.msg)
			}
		})
	}
	r := e.do("POST", "/api/users", map[string]any{"password": "long enough", "passwordDigest": bcryptjsDigest, "passwordAlgorithm": "Bcrypt"})
	if m := r.errBody(t); r.status != 400 || m["code"] != "user.password_and_digest" {
		t.Errorf("password and digest: %d %v", r.status, m)
	}
}

// The user list exports password hashes on includePasswordHash, as Logto's
// does, and only then; includeSsoIdentities adds Logto's ssoIdentities to
// a user (empty: there is no enterprise SSO yet).
func TestUserListPasswordHashAndSSOIdentities(t *testing.T) {
	e := newEnv(t)
	e.do("POST", "/api/users", map[string]any{"username": "imported", "passwordDigest": bcryptjsDigest, "passwordAlgorithm": "Bcrypt"}).want(t, 200, nil)
	plain := e.createUser(map[string]any{"username": "plain"})
	list := func(query string) []map[string]json.RawMessage {
		t.Helper()
		var out []map[string]json.RawMessage
		e.do("GET", "/api/users"+query, nil).want(t, 200, &out)
		return out
	}
	for _, q := range []string{"", "?includePasswordHash=false", "?search=%25&includePasswordHash=0"} {
		for _, u := range list(q) {
			if u["passwordDigest"] != nil || u["passwordAlgorithm"] != nil || u["ssoIdentities"] != nil {
				t.Errorf("GET /api/users%s exported %s", q, u["passwordDigest"])
			}
		}
	}
	got := map[string]string{}
	for _, u := range list("?includePasswordHash=true&search.username=%25p%25") {
		var name string
		must(t, json.Unmarshal(u["username"], &name))
		got[name] = string(u["passwordDigest"]) + " " + string(u["passwordAlgorithm"])
	}
	if got["imported"] != `"`+bcryptjsDigest+`" "Bcrypt"` || got["plain"] != "null null" || len(got) != 2 {
		t.Errorf("includePasswordHash list: %v", got)
	}
	// Only the user list takes it; a role's users do not (Logto ignores it
	// there, Monban refuses what it does not do).
	role := e.createRole("R", "User")
	e.wantRefused(t, "/api/roles/"+role.ID+"/users", "request.invalid_input", "includePasswordHash=true", "excludeRoleId="+role.ID)
	e.wantRefused(t, "/api/users", "request.invalid_input", "includeSsoIdentities=true")

	for flag, want := range map[string]string{"": "", "?includeSsoIdentities=false": "", "?includeSsoIdentities=true": "[]",
		"?includeSsoIdentities=1&includePasswordHash=1": "[]"} {
		_, raw := e.exported(t, plain.ID, flag)
		if string(raw["ssoIdentities"]) != want {
			t.Errorf("GET /api/users/:id%s: ssoIdentities %s, want %q", flag, raw["ssoIdentities"], want)
		}
		if strings.Contains(flag, "includePasswordHash") && string(raw["passwordDigest"]) != "null" {
			t.Errorf("GET /api/users/:id%s: passwordDigest %s", flag, raw["passwordDigest"])
		}
	}
}
