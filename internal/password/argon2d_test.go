package password

import (
	"bytes"
	"encoding/hex"
	"testing"

	"golang.org/x/crypto/argon2"
)

// RFC 9106 §5.1: Argon2d, version 0x13, 32 KiB, 3 passes, 4 lanes, a
// 32-byte tag, with a secret and associated data.
func TestArgon2dRFC9106Vector(t *testing.T) {
	got := argon2dKey(bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 16),
		bytes.Repeat([]byte{3}, 8), bytes.Repeat([]byte{4}, 12), 3, 32, 4, 32)
	want := "512b391b6f1162975371d30919734294f868e3be3984f3c1a13a4db9fabe4acb"
	if hex.EncodeToString(got) != want {
		t.Fatalf("Argon2d tag = %x, want %s", got, want)
	}
}

// Argon2d is not Argon2i or Argon2id under another name, and a tag longer
// than 64 bytes (H' in several BLAKE2b steps) is not a longer copy of a
// short one.
func TestArgon2dIsNotArgon2i(t *testing.T) {
	pw, salt := []byte("password"), []byte("somesalt")
	d := argon2dKey(pw, salt, nil, nil, 2, 64, 1, 32)
	if bytes.Equal(d, argon2.Key(pw, salt, 2, 64, 1, 32)) || bytes.Equal(d, argon2.IDKey(pw, salt, 2, 64, 1, 32)) {
		t.Fatal("argon2d equals argon2i or argon2id")
	}
	// Long tags go through H' with more than 64 bytes of output.
	long := argon2dKey(pw, salt, nil, nil, 1, 64, 2, 100)
	if len(long) != 100 || bytes.Equal(long[:32], argon2dKey(pw, salt, nil, nil, 1, 64, 2, 32)) {
		t.Fatalf("a 100-byte tag: %x", long)
	}
}

// Argon2d here against x/crypto's Argon2id at the same costs (Monban's
// defaults): go test ./internal/password -run X -bench Argon2.
func BenchmarkArgon2d(b *testing.B) {
	for b.Loop() {
		argon2dKey([]byte("password"), []byte("somesalt"), nil, nil, 2, 19456, 1, 32)
	}
}

func BenchmarkArgon2id(b *testing.B) {
	for b.Loop() {
		argon2.IDKey([]byte("password"), []byte("somesalt"), 2, 19456, 1, 32)
	}
}
