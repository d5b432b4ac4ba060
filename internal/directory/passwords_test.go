package directory

import (
	"context"
	"strings"
	"testing"

	"github.com/monban/monban/internal/password"
	"github.com/monban/monban/internal/store"
)

// Digests made by other implementations (bcryptjs, Node's argon2, a
// Legacy expression; see internal/password/testdata).
const (
	importedPassword = "correct horse battery staple"
	bcryptjsDigest   = "$2a$10$1kmrqpAcJlHhmVWeeqLOT.bGITMQKV9mToeQSwJXSMPTVmT4MZOwq"
	argon2iDigest    = "$argon2i$v=19$m=8192,t=8,p=1$3WlMdiY6CFEtSH/PJZwk/g$5n2YVUr9jjumWd7Nx+5i4t35zdKoxeA0ZLi0UeBpvFk"
	legacyDigest     = `["sha256",["salt123","@"],"8b9c9abcb66ecfedfc6706673cbfabe525710958544b7e3c2752e82938330289"]`
)

// An imported digest is checked with its own algorithm; a wrong password
// leaves it alone, the right one re-hashes it to the server's argon2id,
// which then still verifies.
func TestImportedPasswordRehashed(t *testing.T) {
	ctx := context.Background()
	d, _ := newDir(t)
	for i, tc := range []struct{ alg, digest string }{
		{"Bcrypt", bcryptjsDigest}, {"Argon2i", argon2iDigest}, {"Legacy", legacyDigest}, {"sha256", "c4bbcb1fbec99d65bf59d85c8cb62ee2db963f0fe106f483d9afa73bd4e39a8a"},
	} {
		u := must[store.User](t)(d.CreateUser(ctx, NewUser{UserFields: UserFields{Username: ptr("imported" + string(rune('a'+i)))},
			PasswordDigest: ptr(tc.digest), PasswordAlgorithm: ptr(tc.alg)}))
		u = must[store.User](t)(d.User(ctx, u.ID))
		before := u.PasswordHash
		if digest, _ := password.Export(before); digest != tc.digest {
			t.Errorf("%s: stored %q does not export as the digest given", tc.alg, before)
		}
		refused(t, d.VerifyPassword(ctx, u.ID, importedPassword+"!"), Invalid, ReasonWrongPassword)
		if got := must[store.User](t)(d.User(ctx, u.ID)); got.PasswordHash != before {
			t.Errorf("%s: a wrong password changed the hash", tc.alg)
		}
		if err := d.VerifyPassword(ctx, u.ID, importedPassword); err != nil {
			t.Fatalf("%s: the imported password does not verify: %v", tc.alg, err)
		}
		got := must[store.User](t)(d.User(ctx, u.ID))
		if !strings.HasPrefix(got.PasswordHash, "$argon2id$") || d.passwords.NeedsRehash(got.PasswordHash) {
			t.Errorf("%s: after a successful check the hash is %q, not the server's argon2id", tc.alg, got.PasswordHash)
		}
		if !got.UpdatedAt.Equal(u.UpdatedAt) {
			t.Errorf("%s: the re-hash changed updatedAt", tc.alg)
		}
		if err := d.VerifyPassword(ctx, u.ID, importedPassword); err != nil {
			t.Errorf("%s: the re-hashed password does not verify: %v", tc.alg, err)
		}
	}
	// The server's own hashes are not re-hashed.
	u := must[store.User](t)(d.CreateUser(ctx, NewUser{UserFields: UserFields{Username: ptr("native")}, Password: ptr(importedPassword)}))
	if err := d.VerifyPassword(ctx, u.ID, importedPassword); err != nil {
		t.Fatal(err)
	}
	if got := must[store.User](t)(d.User(ctx, u.ID)); got.PasswordHash != u.PasswordHash {
		t.Error("a current hash was re-hashed")
	}
}

// Digests that cannot be imported are refused with a message naming the
// field or the limit.
func TestImportRefused(t *testing.T) {
	ctx := context.Background()
	d, _ := newDir(t)
	for _, tc := range []struct {
		alg, digest, want string
		reason            Reason
	}{
		{"Bcrypt", "$2b$31" + bcryptjsDigest[6:], "limit of 13", ""},
		{"Argon2i", strings.Replace(argon2iDigest, "m=8192", "m=1048576", 1), "limit of 65536 KiB", ""},
		{"Argon2d", "$argon2d$v=19$m=65536,t=8,p=1$iNtI37umqvviLWifgTY/YA$ooroQB+UOROpyHx7f6AC85a8fFEbalefMxJnvwXe8Gc", "limit of 262144", ""},
		{"Whirlpool", "x", "passwordAlgorithm", ""},
		{"Legacy", `["sha256",["salt"],"00"]`, "passwordDigest", ReasonLegacyFormat},
		{"Legacy", `["whirlpool",["@"],"00"]`, "whirlpool", ReasonLegacyAlgorithm},
		{"Legacy", `["pbkdf2",["s","10","1","md4","@"],"00"]`, "md4", ReasonLegacyAlgorithm},
	} {
		_, err := d.CreateUser(ctx, NewUser{PasswordDigest: ptr(tc.digest), PasswordAlgorithm: ptr(tc.alg)})
		refused(t, err, Invalid, tc.reason)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want it to name %q", tc.alg, err, tc.want)
		}
	}
	_, err := d.CreateUser(ctx, NewUser{PasswordDigest: ptr(bcryptjsDigest)})
	refused(t, err, Invalid, ReasonNoPasswordAlgorithm)
}
