// Package password hashes and checks user passwords with argon2id, stored as
// PHC strings ($argon2id$v=19$m=…,t=…,p=…$salt$hash), and checks digests
// imported from other systems (see Import) until they are re-hashed.
//
// Every hash allocates its memory cost (19 MiB by default), so a Hasher lets
// only a few run at once: a burst of sign-ins waits its turn instead of
// exhausting memory.
package password

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's costs.
type Params struct {
	Time    uint32 // passes (t)
	Memory  uint32 // KiB (m)
	Threads uint8  // lanes (p)
}

// DefaultParams are OWASP's second argon2id configuration: t=2, m=19 MiB,
// p=1, about 65 ms on a small server core.
var DefaultParams = Params{Time: 2, Memory: 19 * 1024, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
	// Limits on the costs of a stored argon2 hash we agree to verify, so
	// that an imported digest cannot make one check take seconds or
	// gigabytes (exported as MaxArgon2*).
	maxMemory  = 64 * 1024
	maxTime    = 16
	maxThreads = 16
	// MaxLen bounds a password in bytes; hashing cost does not depend on
	// length, but nothing longer is a real password.
	MaxLen = 1024
)

// Errors of Verify and Parse.
var (
	// ErrMalformed: the stored string is not a hash we can check, or its
	// costs pass the ceilings.
	ErrMalformed = errors.New("password: malformed or unsupported hash")
	// ErrBusy: the context ended while waiting for a hashing slot.
	ErrBusy = errors.New("password: hashing capacity exhausted")
)

// Hasher hashes and verifies passwords, a bounded number at a time.
type Hasher struct {
	params Params
	sem    chan struct{}
	dummy  string // a hash of nothing, checked when there is no account
}

// NewHasher returns a Hasher making new hashes with p (the zero Params means
// DefaultParams) and running at most concurrency hashes at once (0 means
// GOMAXPROCS).
func NewHasher(p Params, concurrency int) *Hasher {
	if p == (Params{}) {
		p = DefaultParams
	}
	if concurrency <= 0 {
		concurrency = runtime.GOMAXPROCS(0)
	}
	h := &Hasher{params: p, sem: make(chan struct{}, concurrency)}
	// The dummy only has to cost a full check; its key is random, so no
	// password matches it, and making it costs nothing (a real hash would
	// take p.Memory of memory at start-up).
	key := make([]byte, keyLen)
	_, _ = rand.Read(key)
	h.dummy = h.encode(make([]byte, saltLen), key)
	return h
}

// Params returns the costs of new hashes.
func (h *Hasher) Params() Params { return h.params }

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ErrBusy
	}
}

func (h *Hasher) release() { <-h.sem }

// Hash returns the PHC string of password with a fresh salt.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	p := h.params
	return h.encode(salt, argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, keyLen)), nil
}

func (h *Hasher) encode(salt, key []byte) string {
	p := h.params
	b64 := base64.RawStdEncoding.EncodeToString
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads, b64(salt), b64(key))
}

// Verify reports whether password matches the stored hash encoded (a
// PHC string of Monban's, or an imported digest: see Import), in constant
// time. An empty encoded (no account, or no password set) is checked
// against a dummy hash of the same cost and never matches, so that the
// answer takes as long either way; so is a wrong password against a digest
// much cheaper than argon2id. A stored hash whose costs pass the ceilings
// is refused (ErrMalformed), not run.
func (h *Hasher) Verify(ctx context.Context, encoded, password string) (bool, error) {
	none := encoded == ""
	if none {
		encoded = h.dummy
	}
	c, err := parseStored(encoded)
	if err != nil {
		return false, asMalformed(err)
	}
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	ok := c.match(password) && !none
	if !ok && c.fast {
		dummy, _ := parseStored(h.dummy)
		dummy.match(password)
	}
	return ok, nil
}

// NeedsRehash reports whether a stored hash should be replaced, after a
// successful check, by a hash of the password with h's own argon2id costs:
// it is an imported digest of another algorithm, or its costs are not h's.
func (h *Hasher) NeedsRehash(encoded string) bool {
	p, _, key, err := Parse(encoded)
	return err != nil || p != h.params || len(key) != keyLen
}

// Upgrade returns a new hash of password, just checked against encoded,
// when encoded NeedsRehash, and "" when it does not.
func (h *Hasher) Upgrade(ctx context.Context, encoded, password string) (string, error) {
	if encoded == "" || !h.NeedsRehash(encoded) {
		return "", nil
	}
	return h.Hash(ctx, password)
}

// Parse splits an argon2id PHC string into its costs, salt and key.
func Parse(encoded string) (Params, []byte, []byte, error) {
	if !strings.HasPrefix(encoded, "$argon2id$") {
		return Params{}, nil, nil, ErrMalformed
	}
	p, salt, key, err := parsePHC(encoded)
	return p, salt, key, asMalformed(err)
}
