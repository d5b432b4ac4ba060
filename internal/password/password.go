// Package password hashes and checks user passwords with argon2id, stored as
// PHC strings ($argon2id$v=19$m=…,t=…,p=…$salt$hash).
//
// Every hash allocates its memory cost (19 MiB by default), so a Hasher lets
// only a few run at once: a burst of sign-ins waits its turn instead of
// exhausting memory.
package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
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
	// Limits on the costs of a stored hash we agree to verify, so that an
	// imported digest cannot make one check take seconds or gigabytes.
	maxMemory  = 64 * 1024
	maxTime    = 16
	maxThreads = 16
	// MaxLen bounds a password in bytes; hashing cost does not depend on
	// length, but nothing longer is a real password.
	MaxLen = 1024
)

// Errors of Verify and Parse.
var (
	// ErrMalformed: the stored string is not an argon2id PHC string we can
	// check.
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

// Verify reports whether password matches the PHC string encoded, in
// constant time. An empty encoded (no account, or no password set) is
// checked against a dummy hash of the same cost and never matches, so that
// the answer takes as long either way.
func (h *Hasher) Verify(ctx context.Context, encoded, password string) (bool, error) {
	none := encoded == ""
	if none {
		encoded = h.dummy
	}
	p, salt, want, err := Parse(encoded)
	if err != nil {
		return false, err
	}
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	h.release()
	return subtle.ConstantTimeCompare(got, want) == 1 && !none, nil
}

// Parse splits an argon2id PHC string into its costs, salt and key.
func Parse(encoded string) (Params, []byte, []byte, error) {
	var p Params
	parts := strings.Split(encoded, "$")
	// "", "argon2id", "v=19", "m=…,t=…,p=…", salt, key
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, ErrMalformed
	}
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return p, nil, nil, ErrMalformed
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return p, nil, nil, ErrMalformed
		}
		switch k {
		case "m":
			p.Memory = uint32(n)
		case "t":
			p.Time = uint32(n)
		case "p":
			if n > maxThreads {
				return p, nil, nil, ErrMalformed
			}
			p.Threads = uint8(n)
		default:
			return p, nil, nil, ErrMalformed
		}
	}
	if p.Time < 1 || p.Time > maxTime || p.Threads < 1 || p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory {
		return p, nil, nil, ErrMalformed
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, ErrMalformed
	}
	return p, salt, key, nil
}
