// Package sealed encrypts secrets at rest with envelope encryption.
//
// A Key (the key-encryption key, KEK) is configured by the operator and never
// stored with the data. It wraps one or more data-encryption keys (DEKs),
// which are stored, wrapped, in the database. A Box holds the unwrapped DEKs
// and seals each secret with AES-256-GCM under the current one, with a random
// nonce and the secret's purpose (its table, column and row) as associated
// data, so that a sealed value moved to another row no longer opens.
//
// Rotating the Key re-wraps the DEKs and leaves every sealed value as it is.
package sealed

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
)

// KeySize is the length of a Key and of a data-encryption key, in bytes.
const KeySize = 32

// minDistinctBytes is the fewest distinct byte values a Key may have. 32
// random bytes have about 30 (the chance of fewer than 20 is negligible);
// zeros, repeated characters and short patterns have far fewer.
const minDistinctBytes = 20

// minDistinctChars is the fewest distinct characters a Key's text may have.
// The base64 of 32 random bytes has about 31; words that happen to be
// valid base64 ("correcthorsebattery…") have a dozen or so.
const minDistinctChars = 16

// maxKeyFile bounds what LoadKeyFile reads: a key is 44 characters.
const maxKeyFile = 1 << 10

// ErrWrongKey reports a Key that cannot unwrap the stored data keys: not the
// one the data was encrypted with, or the wrapped keys were altered.
var ErrWrongKey = errors.New("the secret key does not match the one the data was encrypted with")

// ErrNotSealed reports a value that is not in the sealed format.
var ErrNotSealed = errors.New("the value is not encrypted")

// ErrCorrupt reports a sealed value that does not open: altered, truncated,
// sealed for another purpose, or under a data key that is not loaded.
var ErrCorrupt = errors.New("the encrypted value cannot be decrypted (altered, or moved from another record)")

// Key is a key-encryption key. Its zero value is not a usable key; a Key is
// made by ParseKey or GenerateKey. It never prints its value.
type Key struct {
	raw [KeySize]byte
	set bool
}

// GenerateKey returns a new random Key.
func GenerateKey() (Key, error) {
	var k Key
	if _, err := rand.Read(k.raw[:]); err != nil {
		return Key{}, fmt.Errorf("generate secret key: %w", err)
	}
	k.set = true
	return k, nil
}

// ParseKey reads a Key from its text form: 32 bytes in base64 (standard or
// URL alphabet, padded or not). Surrounding white space, such as the newline
// at the end of a file, is ignored. Passphrases, other lengths and visibly
// non-random values are refused.
func ParseKey(s string) (Key, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Key{}, errors.New("the secret key is empty")
	}
	var raw []byte
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.Strict().DecodeString(s); err == nil {
			raw = b
			break
		}
	}
	if raw == nil {
		return Key{}, errors.New("the secret key is not base64: it must be 32 random bytes in base64 (make one with: openssl rand -base64 32); passphrases are not accepted")
	}
	if len(raw) != KeySize {
		return Key{}, fmt.Errorf("the secret key is %d bytes long: it must be 32 random bytes in base64 (make one with: openssl rand -base64 32)", len(raw))
	}
	if distinct(raw) < minDistinctBytes || distinct([]byte(strings.TrimRight(s, "="))) < minDistinctChars {
		return Key{}, errors.New("the secret key is not random (too few distinct bytes): make one with: openssl rand -base64 32")
	}
	var k Key
	copy(k.raw[:], raw)
	k.set = true
	return k, nil
}

// distinct counts the distinct byte values of b.
func distinct(b []byte) int {
	var seen [256]bool
	n := 0
	for _, c := range b {
		if !seen[c] {
			seen[c] = true
			n++
		}
	}
	return n
}

// LoadKeyFile reads a Key from a file holding its text form, such as a
// mounted Kubernetes secret. Errors name the file, never its content.
func LoadKeyFile(path string) (Key, error) {
	f, err := os.Open(path)
	if err != nil {
		return Key{}, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return Key{}, fmt.Errorf("%s: %w", path, err)
	}
	if len(b) > maxKeyFile {
		return Key{}, fmt.Errorf("%s: too long for a secret key (32 random bytes in base64)", path)
	}
	k, err := ParseKey(string(b))
	if err != nil {
		return Key{}, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// IsZero reports whether k is the zero Key, which seals nothing.
func (k Key) IsZero() bool { return !k.set }

// Encode returns k's text form (standard base64), for writing to a key file.
func (k Key) Encode() string { return base64.StdEncoding.EncodeToString(k.raw[:]) }

// Equal reports whether k and o are the same key.
func (k Key) Equal(o Key) bool { return k.set == o.set && k.raw == o.raw }

// String hides the key, so that it cannot reach a log by accident.
func (k Key) String() string { return "[secret key]" }

// GoString hides the key from %#v.
func (k Key) GoString() string { return "sealed.Key{[secret key]}" }

// LogValue hides the key from slog.
func (k Key) LogValue() slog.Value { return slog.StringValue("[secret key]") }

// kekInfo separates the key-encryption key derived from a Key from any other
// use of the same bytes.
const kekInfo = "monban secret key v1: key-encryption key"

// aead returns the AES-256-GCM cipher of the key-encryption key derived from
// k with HKDF-SHA256.
func (k Key) aead() (cipher.AEAD, error) {
	if !k.set {
		return nil, errors.New("no secret key")
	}
	kek, err := hkdf.Key(sha256.New, k.raw[:], nil, kekInfo, KeySize)
	if err != nil {
		return nil, err
	}
	return newGCM(kek)
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// wrapVersion is the first byte of a wrapped data key.
const wrapVersion = 1

// wrapAD is the associated data of data key id's wrapping: a wrapped key
// stored under another id does not unwrap.
func wrapAD(id uint32) []byte { return []byte("monban data key " + strconv.FormatUint(uint64(id), 10)) }

// NewDataKey makes a random data-encryption key with the given id and
// returns it wrapped under k, to be stored.
func NewDataKey(k Key, id uint32) ([]byte, error) {
	dek := make([]byte, KeySize)
	if _, err := rand.Read(dek); err != nil {
		return nil, fmt.Errorf("generate data key: %w", err)
	}
	return wrap(k, id, dek)
}

func wrap(k Key, id uint32, dek []byte) ([]byte, error) {
	a, err := k.aead()
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+a.NonceSize(), 1+a.NonceSize()+len(dek)+a.Overhead())
	out[0] = wrapVersion
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, err
	}
	return a.Seal(out, out[1:], dek, wrapAD(id)), nil
}

// unwrap returns the data key id that wrapped holds, or ErrWrongKey when k
// did not wrap it.
func unwrap(k Key, id uint32, wrapped []byte) ([]byte, error) {
	a, err := k.aead()
	if err != nil {
		return nil, err
	}
	if len(wrapped) < 1+a.NonceSize()+a.Overhead() || wrapped[0] != wrapVersion {
		return nil, fmt.Errorf("stored data key %d is malformed", id)
	}
	n := 1 + a.NonceSize()
	dek, err := a.Open(nil, wrapped[1:n], wrapped[n:], wrapAD(id))
	if err != nil {
		return nil, ErrWrongKey
	}
	if len(dek) != KeySize {
		return nil, fmt.Errorf("stored data key %d is malformed", id)
	}
	return dek, nil
}

// Rewrap returns data key id, wrapped under old, wrapped under next instead.
// It fails with ErrWrongKey when old did not wrap it.
func Rewrap(old, next Key, id uint32, wrapped []byte) ([]byte, error) {
	dek, err := unwrap(old, id, wrapped)
	if err != nil {
		return nil, err
	}
	defer clear(dek)
	return wrap(next, id, dek)
}

// Box seals and opens secrets with the data keys it holds. It is safe for
// concurrent use.
type Box struct {
	current uint32
	keys    map[uint32]cipher.AEAD
}

// Open unwraps the stored data keys (by id) with k and returns a Box that
// seals under the one with id current. It fails with ErrWrongKey when k did
// not wrap them.
func Open(k Key, wrapped map[uint32][]byte, current uint32) (*Box, error) {
	if _, ok := wrapped[current]; !ok {
		return nil, fmt.Errorf("no data key %d", current)
	}
	b := &Box{current: current, keys: make(map[uint32]cipher.AEAD, len(wrapped))}
	for id, w := range wrapped {
		dek, err := unwrap(k, id, w)
		if err != nil {
			return nil, err
		}
		a, err := newGCM(dek)
		clear(dek)
		if err != nil {
			return nil, err
		}
		b.keys[id] = a
	}
	return b, nil
}

// magic starts every sealed value, followed by the data key id (4 bytes, big
// endian), the nonce and the AES-GCM ciphertext with its tag. No plaintext
// the store keeps starts so (PKCS #8 starts with 0x30, JSON with '{').
const magic = "\x00mb1"

// headerLen is the length of magic and the key id.
const headerLen = len(magic) + 4

// IsSealed reports whether v is in the sealed format (it may still fail to
// open).
func IsSealed(v []byte) bool { return len(v) >= headerLen && string(v[:len(magic)]) == magic }

// Seal encrypts plaintext for purpose, which names where the value is kept
// (for example "signing_keys.private_key:" and the key id). The result opens
// only with the same purpose.
func (b *Box) Seal(purpose string, plaintext []byte) ([]byte, error) {
	a := b.keys[b.current]
	out := make([]byte, headerLen+a.NonceSize(), headerLen+a.NonceSize()+len(plaintext)+a.Overhead())
	copy(out, magic)
	binary.BigEndian.PutUint32(out[len(magic):], b.current)
	if _, err := rand.Read(out[headerLen:]); err != nil {
		return nil, err
	}
	return a.Seal(out, out[headerLen:], plaintext, ad(purpose, out[:headerLen])), nil
}

// Open decrypts a value sealed for purpose. It returns ErrNotSealed for a
// value that is not in the sealed format and ErrCorrupt for one that does not
// open.
func (b *Box) Open(purpose string, sealed []byte) ([]byte, error) {
	if !IsSealed(sealed) {
		return nil, ErrNotSealed
	}
	a, ok := b.keys[binary.BigEndian.Uint32(sealed[len(magic):headerLen])]
	if !ok || len(sealed) < headerLen+a.NonceSize()+a.Overhead() {
		return nil, ErrCorrupt
	}
	n := headerLen + a.NonceSize()
	out, err := a.Open(nil, sealed[headerLen:n], sealed[n:], ad(purpose, sealed[:headerLen]))
	if err != nil {
		return nil, ErrCorrupt
	}
	return out, nil
}

// ad is the associated data of a sealed value: its header and purpose.
func ad(purpose string, header []byte) []byte {
	return append(append(make([]byte, 0, len(header)+len(purpose)), header...), purpose...)
}

// textPrefix starts a sealed value in text form. Its '.' is in neither
// base64 alphabet, so no stored base64 or JSON text starts with it.
const textPrefix = "mb1."

// IsSealedString reports whether s is a sealed value in text form.
func IsSealedString(s string) bool { return strings.HasPrefix(s, textPrefix) }

// SealString is Seal for text columns: the result is printable.
func (b *Box) SealString(purpose, plaintext string) (string, error) {
	v, err := b.Seal(purpose, []byte(plaintext))
	if err != nil {
		return "", err
	}
	return textPrefix + base64.RawStdEncoding.EncodeToString(v), nil
}

// OpenString opens a value made by SealString.
func (b *Box) OpenString(purpose, sealed string) (string, error) {
	if !IsSealedString(sealed) {
		return "", ErrNotSealed
	}
	v, err := base64.RawStdEncoding.Strict().DecodeString(sealed[len(textPrefix):])
	if err != nil {
		return "", ErrCorrupt
	}
	out, err := b.Open(purpose, v)
	if err != nil {
		return "", err
	}
	return string(out), nil
}
