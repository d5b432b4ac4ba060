package password

import (
	"crypto/md5"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Password digests made elsewhere, imported under one of Logto's
// passwordAlgorithm names and stored self-describing:
//
//	Argon2i, Argon2id, Argon2d
//	                   the PHC string as given ($argon2i$v=19$m=…,t=…,p=…$salt$hash)
//	Bcrypt             the modular crypt string as given ($2a$, $2b$ or $2y$)
//	MD5, SHA1, SHA256  "$md5$", "$sha1$" or "$sha256$" and the lowercase hex
//	                   digest of the bare password
//	Legacy             "$legacy$" and Logto's JSON expression
//	                   [algorithm, [args…], hexDigest], where the "@" among the
//	                   args stands for the password
//
// Every cost a digest can name has a ceiling (the Max* constants), checked
// when it is imported and again before it is run.

// Logto's passwordAlgorithm names.
const (
	Argon2i  = "Argon2i"
	Argon2id = "Argon2id"
	Argon2d  = "Argon2d"
	Bcrypt   = "Bcrypt"
	MD5      = "MD5"
	SHA1     = "SHA1"
	SHA256   = "SHA256"
	Legacy   = "Legacy"
)

// Ceilings on the costs of an imported digest.
const (
	// MaxArgon2Memory, MaxArgon2Time and MaxArgon2Threads bound argon2's
	// m (KiB), t and p.
	MaxArgon2Memory  = maxMemory
	MaxArgon2Time    = maxTime
	MaxArgon2Threads = maxThreads
	// MaxArgon2Work bounds memory times iterations (KiB × passes), so that
	// the two ceilings together cannot be reached at once: 256 MiB of
	// passes, four times Logto's own Argon2i costs (8 MiB × 8) and about
	// Node's argon2 defaults (64 MiB × 3).
	MaxArgon2Work = 4 * maxMemory
	// MaxBcryptCost bounds bcrypt's cost (2^cost rounds; 13 is about half a
	// second on a small core).
	MaxBcryptCost = 13
	// MaxPBKDF2Iterations and MaxPBKDF2KeyLen bound a Legacy pbkdf2
	// expression.
	MaxPBKDF2Iterations = 1_000_000
	MaxPBKDF2KeyLen     = 128
	// MaxDigestLen bounds an imported digest, as Logto's guard does.
	MaxDigestLen = 256
	// bcrypt reads at most this many bytes of a password; every
	// implementation ignores the rest.
	bcryptMaxPasswordLen = 72
)

const (
	prefixMD5    = "$md5$"
	prefixSHA1   = "$sha1$"
	prefixSHA256 = "$sha256$"
	prefixLegacy = "$legacy$"
)

// ImportError is a digest refused at import; Field names the request field
// at fault (passwordDigest or passwordAlgorithm), and Legacy tells a Legacy
// expression's own problems apart, as Logto does.
type ImportError struct {
	Field, Message string
	Legacy         LegacyProblem
}

// LegacyProblem is what is wrong with a Legacy expression.
type LegacyProblem int

// Legacy problems.
const (
	LegacyOK        LegacyProblem = iota // not a Legacy problem
	LegacyFormat                         // not the expression's shape
	LegacyAlgorithm                      // an algorithm not supported
)

func (e *ImportError) Error() string { return e.Field + ": " + e.Message }

func badDigest(format string, a ...any) error {
	return &ImportError{Field: "passwordDigest", Message: fmt.Sprintf(format, a...)}
}

// Import checks digest, made by another system with algorithm (one of
// Logto's passwordAlgorithm names, any case), and returns the string to
// store.
func Import(algorithm, digest string) (string, error) {
	if len(digest) > MaxDigestLen {
		return "", badDigest("passwordDigest must be at most %d characters long", MaxDigestLen)
	}
	var stored string
	switch {
	case strings.EqualFold(algorithm, Argon2i), strings.EqualFold(algorithm, Argon2id), strings.EqualFold(algorithm, Argon2d):
		variant := strings.ToLower(algorithm)
		if !strings.HasPrefix(digest, "$"+variant+"$") {
			return "", badDigest("passwordDigest must be an %s PHC string ($%s$v=19$m=…,t=…,p=…$salt$hash)", algorithm, variant)
		}
		stored = digest
	case strings.EqualFold(algorithm, Bcrypt):
		stored = digest
	case strings.EqualFold(algorithm, MD5):
		stored = prefixMD5 + strings.ToLower(digest)
	case strings.EqualFold(algorithm, SHA1):
		stored = prefixSHA1 + strings.ToLower(digest)
	case strings.EqualFold(algorithm, SHA256):
		stored = prefixSHA256 + strings.ToLower(digest)
	case strings.EqualFold(algorithm, Legacy):
		stored = prefixLegacy + digest
	default:
		return "", &ImportError{Field: "passwordAlgorithm", Message: "passwordAlgorithm must be one of Argon2i, Argon2id, Argon2d, Bcrypt, SHA1, SHA256, MD5, Legacy"}
	}
	if _, err := parseStored(stored); err != nil {
		if ie := (*ImportError)(nil); errors.As(err, &ie) {
			return "", err
		}
		return "", badDigest("passwordDigest is not a valid %s digest", algorithm)
	}
	return stored, nil
}

// Export returns a stored hash as Logto's passwordDigest and
// passwordAlgorithm ("", "" for none).
func Export(stored string) (digest, algorithm string) {
	switch {
	case stored == "":
		return "", ""
	case strings.HasPrefix(stored, "$argon2id$"):
		return stored, Argon2id
	case strings.HasPrefix(stored, "$argon2i$"):
		return stored, Argon2i
	case strings.HasPrefix(stored, "$argon2d$"):
		return stored, Argon2d
	case strings.HasPrefix(stored, "$2"):
		return stored, Bcrypt
	case strings.HasPrefix(stored, prefixMD5):
		return stored[len(prefixMD5):], MD5
	case strings.HasPrefix(stored, prefixSHA1):
		return stored[len(prefixSHA1):], SHA1
	case strings.HasPrefix(stored, prefixSHA256):
		return stored[len(prefixSHA256):], SHA256
	case strings.HasPrefix(stored, prefixLegacy):
		return stored[len(prefixLegacy):], Legacy
	}
	return stored, ""
}

// check verifies one password against a parsed stored hash.
type check struct {
	fast  bool // rejects a wrong password much faster than argon2id
	match func(password string) bool
}

// parseStored parses any stored hash, refusing one whose costs pass the
// ceilings: the error is an *ImportError naming the limit.
func parseStored(stored string) (check, error) {
	switch {
	case strings.HasPrefix(stored, "$argon2id$"), strings.HasPrefix(stored, "$argon2i$"), strings.HasPrefix(stored, "$argon2d$"):
		variant := strings.SplitN(stored, "$", 3)[1]
		p, salt, want, err := parsePHC(stored)
		if err != nil {
			return check{}, err
		}
		key := map[string]func(pw []byte) []byte{
			"argon2id": func(pw []byte) []byte { return argon2.IDKey(pw, salt, p.Time, p.Memory, p.Threads, uint32(len(want))) },
			"argon2i":  func(pw []byte) []byte { return argon2.Key(pw, salt, p.Time, p.Memory, p.Threads, uint32(len(want))) },
			"argon2d": func(pw []byte) []byte {
				return argon2dKey(pw, salt, nil, nil, p.Time, p.Memory, p.Threads, uint32(len(want)))
			},
		}[variant]
		return check{match: func(pw string) bool {
			return subtle.ConstantTimeCompare(key([]byte(pw)), want) == 1
		}}, nil
	case strings.HasPrefix(stored, "$2"):
		return parseBcrypt(stored)
	case strings.HasPrefix(stored, prefixMD5):
		return hexCheck(stored[len(prefixMD5):], md5.New)
	case strings.HasPrefix(stored, prefixSHA1):
		return hexCheck(stored[len(prefixSHA1):], sha1.New)
	case strings.HasPrefix(stored, prefixSHA256):
		return hexCheck(stored[len(prefixSHA256):], sha256.New)
	case strings.HasPrefix(stored, prefixLegacy):
		return parseLegacy(stored[len(prefixLegacy):])
	}
	return check{}, badDigest("unsupported password digest")
}

func legacyError(problem LegacyProblem, format string, a ...any) error {
	return &ImportError{Field: "passwordDigest", Message: fmt.Sprintf(format, a...), Legacy: problem}
}

func parseBcrypt(stored string) (check, error) {
	if len(stored) != 60 || !(strings.HasPrefix(stored, "$2a$") || strings.HasPrefix(stored, "$2b$") || strings.HasPrefix(stored, "$2y$")) {
		return check{}, badDigest("passwordDigest must be a bcrypt string ($2a$, $2b$ or $2y$, 60 characters)")
	}
	cost, err := bcrypt.Cost([]byte(stored))
	if err != nil {
		return check{}, badDigest("passwordDigest must be a bcrypt string ($2a$, $2b$ or $2y$, 60 characters)")
	}
	if cost > MaxBcryptCost {
		return check{}, badDigest("bcrypt cost %d is above the limit of %d", cost, MaxBcryptCost)
	}
	// Go's bcrypt reads $2y$ as its own minor version; the algorithm is the
	// same as $2b$.
	h := []byte(stored)
	if h[2] == 'y' {
		h[2] = 'b'
	}
	return check{match: func(pw string) bool {
		b := []byte(pw)
		if len(b) > bcryptMaxPasswordLen {
			b = b[:bcryptMaxPasswordLen]
		}
		return bcrypt.CompareHashAndPassword(h, b) == nil
	}}, nil
}

// hexCheck compares a hex digest with the digest of the bare password.
func hexCheck(digest string, newHash func() hash.Hash) (check, error) {
	want, err := hex.DecodeString(digest)
	if err != nil || len(want) != newHash().Size() {
		return check{}, badDigest("passwordDigest must be the %d-character hex digest of the password", 2*newHash().Size())
	}
	return check{fast: true, match: func(pw string) bool {
		h := newHash()
		h.Write([]byte(pw))
		return subtle.ConstantTimeCompare(h.Sum(nil), want) == 1
	}}, nil
}

// legacyHashes are the digests a Legacy expression may name, by Node's
// names for them.
var legacyHashes = map[string]func() hash.Hash{
	"md5": md5.New, "sha1": sha1.New, "sha224": sha256.New224, "sha256": sha256.New,
	"sha384": sha512.New384, "sha512": sha512.New, "sha512-224": sha512.New512_224, "sha512-256": sha512.New512_256,
	"sha3-224": func() hash.Hash { return sha3.New224() }, "sha3-256": func() hash.Hash { return sha3.New256() },
	"sha3-384": func() hash.Hash { return sha3.New384() }, "sha3-512": func() hash.Hash { return sha3.New512() },
}

const legacyFormat = `passwordDigest must be Logto's legacy expression ["algorithm", ["arg", …, "@"], "hexDigest"], "@" standing for the password`

// parseLegacy parses Logto's legacy expression: a digest algorithm applied
// to its args joined, "@" replaced by the password, or pbkdf2 with args
// [salt, iterations, keylen, digest, "@"] (a salt "hex:…" is hex bytes).
func parseLegacy(expr string) (check, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal([]byte(expr), &raw); err != nil || len(raw) != 3 {
		return check{}, legacyError(LegacyFormat, legacyFormat)
	}
	var (
		algorithm, digest string
		args              []string
	)
	if json.Unmarshal(raw[0], &algorithm) != nil || json.Unmarshal(raw[1], &args) != nil || json.Unmarshal(raw[2], &digest) != nil {
		return check{}, legacyError(LegacyFormat, legacyFormat)
	}
	at := -1
	for i, a := range args {
		if a == "@" {
			at = i
		}
	}
	if at < 0 {
		return check{}, legacyError(LegacyFormat, legacyFormat)
	}
	want, err := hex.DecodeString(digest)
	if err != nil || len(want) == 0 {
		return check{}, legacyError(LegacyFormat, legacyFormat)
	}
	algorithm = strings.ToLower(algorithm)
	if algorithm == "pbkdf2" || algorithm == "pbkdf2sync" {
		return parsePBKDF2(args, want)
	}
	newHash, ok := legacyHashes[algorithm]
	if !ok {
		return check{}, legacyError(LegacyAlgorithm, "legacy hash algorithm %q is not supported", algorithm)
	}
	if len(want) != newHash().Size() {
		return check{}, legacyError(LegacyFormat, legacyFormat)
	}
	return check{fast: true, match: func(pw string) bool {
		h := newHash()
		for _, a := range args {
			if a == "@" {
				a = pw
			}
			h.Write([]byte(a))
		}
		return subtle.ConstantTimeCompare(h.Sum(nil), want) == 1
	}}, nil
}

func parsePBKDF2(args []string, want []byte) (check, error) {
	if len(args) < 5 || args[4] != "@" {
		return check{}, legacyError(LegacyFormat, `a legacy pbkdf2 expression's args must be [salt, iterations, keylen, digest, "@"]`)
	}
	salt := []byte(args[0])
	if h, ok := strings.CutPrefix(args[0], "hex:"); ok {
		b, err := hex.DecodeString(h)
		if err != nil || len(b) == 0 {
			return check{}, legacyError(LegacyFormat, "a legacy pbkdf2 salt with the hex: prefix must be hex")
		}
		salt = b
	}
	iter, err1 := strconv.Atoi(args[1])
	keyLen, err2 := strconv.Atoi(args[2])
	if err1 != nil || err2 != nil || iter < 1 || keyLen < 1 {
		return check{}, legacyError(LegacyFormat, "a legacy pbkdf2 expression's iterations and keylen must be positive integers")
	}
	if iter > MaxPBKDF2Iterations {
		return check{}, badDigest("pbkdf2 iterations %d are above the limit of %d", iter, MaxPBKDF2Iterations)
	}
	if keyLen > MaxPBKDF2KeyLen || keyLen != len(want) {
		return check{}, badDigest("a legacy pbkdf2 keylen must be the digest's length in bytes, at most %d", MaxPBKDF2KeyLen)
	}
	newHash, ok := legacyHashes[strings.ToLower(args[3])]
	if !ok {
		return check{}, legacyError(LegacyAlgorithm, "legacy pbkdf2 digest %q is not supported", args[3])
	}
	return check{match: func(pw string) bool {
		got, err := pbkdf2.Key(newHash, pw, salt, iter, keyLen)
		return err == nil && subtle.ConstantTimeCompare(got, want) == 1
	}}, nil
}

// parsePHC splits an argon2i, argon2id or argon2d PHC string into its costs, salt
// and key, refusing costs above the ceilings.
func parsePHC(encoded string) (Params, []byte, []byte, error) {
	var p Params
	parts := strings.Split(encoded, "$")
	// "", "argon2id", "v=19", "m=…,t=…,p=…", salt, key
	if len(parts) != 6 || parts[0] != "" || (parts[1] != "argon2id" && parts[1] != "argon2i" && parts[1] != "argon2d") || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, badDigest("passwordDigest must be an argon2 PHC string ($%s$v=19$m=…,t=…,p=…$salt$hash)", parts[min(1, len(parts)-1)])
	}
	seen := map[string]bool{}
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if !ok || err != nil || seen[k] {
			return p, nil, nil, ErrMalformed
		}
		seen[k] = true
		switch k {
		case "m":
			p.Memory = uint32(n)
		case "t":
			p.Time = uint32(n)
		case "p":
			if n > MaxArgon2Threads {
				return p, nil, nil, badDigest("argon2 parallelism %d is above the limit of %d", n, MaxArgon2Threads)
			}
			p.Threads = uint8(n)
		default:
			return p, nil, nil, ErrMalformed
		}
	}
	switch {
	case p.Memory > MaxArgon2Memory:
		return p, nil, nil, badDigest("argon2 memory %d KiB is above the limit of %d KiB", p.Memory, MaxArgon2Memory)
	case p.Time > MaxArgon2Time:
		return p, nil, nil, badDigest("argon2 iterations %d are above the limit of %d", p.Time, MaxArgon2Time)
	case uint64(p.Memory)*uint64(p.Time) > MaxArgon2Work:
		return p, nil, nil, badDigest("argon2 memory times iterations %d is above the limit of %d", uint64(p.Memory)*uint64(p.Time), MaxArgon2Work)
	case p.Time < 1 || p.Threads < 1 || p.Memory < 8*uint32(p.Threads):
		return p, nil, nil, ErrMalformed
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, ErrMalformed
	}
	return p, salt, key, nil
}

// asMalformed turns any parse failure into ErrMalformed, keeping the
// message.
func asMalformed(err error) error {
	if err == nil || errors.Is(err, ErrMalformed) {
		return err
	}
	return fmt.Errorf("%w: %v", ErrMalformed, err)
}
