package password

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

type fixture struct {
	Algorithm, Password, Digest, By string
}

func fixtures(t *testing.T) []fixture {
	t.Helper()
	b, err := os.ReadFile("testdata/digests.json")
	if err != nil {
		t.Fatal(err)
	}
	var fs []fixture
	if err := json.Unmarshal(b, &fs); err != nil {
		t.Fatal(err)
	}
	return fs
}

// Digests made by other implementations import, verify their password and
// no other, export as they came, and ask to be re-hashed.
func TestImportedDigests(t *testing.T) {
	h := NewHasher(fast, 2)
	ctx := t.Context()
	for _, f := range fixtures(t) {
		t.Run(f.Algorithm+" "+f.By, func(t *testing.T) {
			stored, err := Import(f.Algorithm, f.Digest)
			if err != nil {
				t.Fatalf("Import: %v", err)
			}
			if ok, err := h.Verify(ctx, stored, f.Password); !ok || err != nil {
				t.Errorf("Verify(right password) = %v, %v", ok, err)
			}
			for _, wrong := range []string{f.Password + "x", strings.ToUpper(f.Password), ""} {
				if ok, err := h.Verify(ctx, stored, wrong); ok || err != nil {
					t.Errorf("Verify(%q) = %v, %v", wrong, ok, err)
				}
			}
			digest, alg := Export(stored)
			if digest != strings.ToLower(f.Digest) && digest != f.Digest || alg != f.Algorithm {
				t.Errorf("Export = %q, %q; want %q, %q", digest, alg, f.Digest, f.Algorithm)
			}
			if !h.NeedsRehash(stored) {
				t.Error("an imported digest does not ask to be re-hashed")
			}
		})
	}
}

// bcrypt reads only a password's first 72 bytes, in every implementation:
// a longer password verifies by them, as it did where it was hashed.
func TestBcryptLongPassword(t *testing.T) {
	long := strings.Repeat("a", 72)
	digest, err := bcrypt.GenerateFromPassword([]byte(long), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := Import(Bcrypt, string(digest))
	if err != nil {
		t.Fatal(err)
	}
	h := NewHasher(fast, 1)
	for pw, want := range map[string]bool{long: true, long + "bcd": true, long[:71]: false} {
		if ok, err := h.Verify(t.Context(), stored, pw); ok != want || err != nil {
			t.Errorf("Verify(%d bytes) = %v, %v; want %v", len(pw), ok, err, want)
		}
	}
}

// Monban's own hashes export as Argon2id and are re-hashed only when the
// costs changed.
func TestExportAndRehashOwn(t *testing.T) {
	h := NewHasher(fast, 1)
	enc, err := h.Hash(t.Context(), "pw")
	if err != nil {
		t.Fatal(err)
	}
	if d, a := Export(enc); d != enc || a != Argon2id {
		t.Errorf("Export(own) = %q, %q", d, a)
	}
	if d, a := Export(""); d != "" || a != "" {
		t.Errorf("Export(none) = %q, %q", d, a)
	}
	if h.NeedsRehash(enc) {
		t.Error("a hash with the current costs asks to be re-hashed")
	}
	if !NewHasher(Params{Time: 2, Memory: 64, Threads: 1}, 1).NeedsRehash(enc) {
		t.Error("a hash with older costs does not ask to be re-hashed")
	}
	// Algorithm names are Logto's, in any case; an imported SHA digest is
	// case-insensitive hex.
	stored, err := Import("sha1", "ABF7AAD6438836DBE526AA231ABDE2D0EEF74D42")
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := h.Verify(t.Context(), stored, "correct horse battery staple"); !ok {
		t.Error("upper-case SHA1 digest does not verify")
	}
}

// Digests that are malformed, or whose costs pass the ceilings, are refused
// at import naming the field or the limit, and at verification are not
// run.
func TestImportRefuses(t *testing.T) {
	salt, key := "c2FsdHNhbHRzYWx0", "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5"
	bc := "$2a$10$1kmrqpAcJlHhmVWeeqLOT.bGITMQKV9mToeQSwJXSMPTVmT4MZOwq"
	for _, tc := range []struct {
		name, alg, digest, want string
	}{
		{"unknown algorithm", "Scrypt", "x", "passwordAlgorithm must be one of"},
		{"argon2d memory", "Argon2d", "$argon2d$v=19$m=4194304,t=1,p=1$" + salt + "$" + key, "limit of 65536 KiB"},
		{"argon2d work", "Argon2d", "$argon2d$v=19$m=65536,t=5,p=1$" + salt + "$" + key, "memory times iterations 327680 is above the limit of 262144"},
		{"argon2d threads", "Argon2d", "$argon2d$v=19$m=4096,t=1,p=64$" + salt + "$" + key, "limit of 16"},
		{"argon2d variant mismatch", "Argon2d", "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key, "Argon2d PHC string"},
		{"argon2 memory", "Argon2id", "$argon2id$v=19$m=4194304,t=1,p=1$" + salt + "$" + key, "limit of 65536 KiB"},
		{"argon2 time", "Argon2i", "$argon2i$v=19$m=64,t=100,p=1$" + salt + "$" + key, "limit of 16"},
		{"argon2 work", "Argon2id", "$argon2id$v=19$m=65536,t=5,p=1$" + salt + "$" + key, "memory times iterations 327680 is above the limit of 262144"},
		{"argon2 threads", "Argon2id", "$argon2id$v=19$m=4096,t=1,p=64$" + salt + "$" + key, "limit of 16"},
		{"argon2 variant mismatch", "Argon2i", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key, "Argon2i PHC string"},
		{"argon2 old version", "Argon2id", "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key, "argon2 PHC string"},
		{"argon2 short key", "Argon2id", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$c2hvcnQ", "not a valid Argon2id digest"},
		{"argon2 repeated cost", "Argon2id", "$argon2id$v=19$m=64,m=4194304,t=1,p=1$" + salt + "$" + key, "not a valid"},
		{"bcrypt cost", "Bcrypt", "$2b$31" + bc[6:], "bcrypt cost 31 is above the limit of 13"},
		{"bcrypt shape", "Bcrypt", "$2x$10" + bc[6:], "bcrypt string"},
		{"bcrypt short", "Bcrypt", bc[:50], "bcrypt string"},
		{"md5 not hex", "MD5", strings.Repeat("z", 32), "32-character hex digest"},
		{"sha256 wrong length", "SHA256", "abcd", "64-character hex digest"},
		{"too long", "SHA1", strings.Repeat("a", 257), "at most 256"},
		{"legacy not json", "Legacy", "invalid_json", "legacy expression"},
		{"legacy no @", "Legacy", `["sha256",["salt"],"abcd"]`, "legacy expression"},
		{"legacy args not array", "Legacy", `["sha256","@","abcd"]`, "legacy expression"},
		{"legacy algorithm", "Legacy", `["whirlpool",["@"],"abcd"]`, `"whirlpool" is not supported`},
		{"legacy firebase", "Legacy", `["firebase-scrypt",["@"],"abcd"]`, "not supported"},
		{"legacy digest length", "Legacy", `["sha256",["@"],"abcd"]`, "legacy expression"},
		{"pbkdf2 iterations", "Legacy", `["pbkdf2",["s","100000000","2","sha256","@"],"abcd"]`, "limit of 1000000"},
		{"pbkdf2 keylen", "Legacy", `["pbkdf2",["s","10","3","sha256","@"],"abcd"]`, "keylen"},
		{"pbkdf2 hex salt", "Legacy", `["pbkdf2",["hex:zz","10","2","sha256","@"],"abcd"]`, "hex"},
		{"pbkdf2 args", "Legacy", `["pbkdf2",["s","@"],"abcd"]`, "[salt, iterations, keylen, digest"},
		{"pbkdf2 digest", "Legacy", `["pbkdf2",["s","10","2","md4","@"],"abcd"]`, `"md4" is not supported`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stored, err := Import(tc.alg, tc.digest)
			var ie *ImportError
			if !errors.As(err, &ie) || !strings.Contains(ie.Message, tc.want) {
				t.Fatalf("Import = %q, %v; want an error holding %q", stored, err, tc.want)
			}
		})
	}
	// A stored digest past a ceiling (written before the ceiling, or by
	// hand) is refused by Verify without being run.
	h := NewHasher(fast, 1)
	for _, enc := range []string{"$2b$31" + bc[6:], "$argon2i$v=19$m=4194304,t=1,p=1$" + salt + "$" + key,
		"$argon2d$v=19$m=65536,t=16,p=1$" + salt + "$" + key,
		prefixLegacy + `["pbkdf2",["s","100000000","2","sha256","@"],"abcd"]`, "$sha1$zz"} {
		if ok, err := h.Verify(t.Context(), enc, "x"); ok || !errors.Is(err, ErrMalformed) {
			t.Errorf("Verify(%q) = %v, %v; want ErrMalformed", enc, ok, err)
		}
	}
}
