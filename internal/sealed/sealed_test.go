package sealed

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mustKey(t *testing.T) Key {
	t.Helper()
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustBox(t *testing.T, k Key) *Box {
	t.Helper()
	w, err := NewDataKey(k, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(k, map[uint32][]byte{1: w}, 1)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseKey(t *testing.T) {
	k := mustKey(t)
	raw := k.raw[:]
	for name, s := range map[string]string{
		"standard":          base64.StdEncoding.EncodeToString(raw),
		"unpadded":          base64.RawStdEncoding.EncodeToString(raw),
		"url":               base64.URLEncoding.EncodeToString(raw),
		"url unpadded":      base64.RawURLEncoding.EncodeToString(raw),
		"with newline":      k.Encode() + "\n",
		"with white space":  "  " + k.Encode() + "\r\n",
		"round trip Encode": k.Encode(),
	} {
		got, err := ParseKey(s)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !got.Equal(k) {
			t.Errorf("%s: parsed a different key", name)
		}
	}
}

func TestParseKeyRefusesWeakOrMalformed(t *testing.T) {
	for name, tc := range map[string]struct{ in, want string }{
		"empty":      {"", "empty"},
		"blank":      {" \n", "empty"},
		"passphrase": {"correct horse battery staple", "passphrases are not accepted"},
		"short":      {base64.StdEncoding.EncodeToString(make([]byte, 16)), "16 bytes long"},
		"long":       {base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1, 2, 3, 4}, 16)), "64 bytes long"},
		"zeros":      {base64.StdEncoding.EncodeToString(make([]byte, 32)), "not random"},
		"repeated":   {base64.StdEncoding.EncodeToString([]byte(strings.Repeat("a", 32))), "not random"},
		"pattern":    {base64.StdEncoding.EncodeToString([]byte(strings.Repeat("0123456789abcdef", 2))), "not random"},
		"words":      {"correcthorsebatterystaplecorrecthorsebatteo", "not random"},
	} {
		_, err := ParseKey(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: ParseKey = %v, want an error saying %q", name, err, tc.want)
		}
	}
}

// A Key never prints its value, whichever way it is formatted or logged.
func TestKeyDoesNotPrint(t *testing.T) {
	k := mustKey(t)
	var log bytes.Buffer
	slog.New(slog.NewTextHandler(&log, nil)).Info("x", "key", k)
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s", k, k, k, k), log.String()} {
		if strings.Contains(s, k.Encode()) || strings.Contains(s, base64.RawURLEncoding.EncodeToString(k.raw[:])) {
			t.Errorf("the key's value was printed: %s", s)
		}
	}
}

func TestSealOpen(t *testing.T) {
	b := mustBox(t, mustKey(t))
	secret := []byte("private key bytes")
	v, err := b.Seal("signing_keys.private_key:k1", secret)
	if err != nil {
		t.Fatal(err)
	}
	if !IsSealed(v) || bytes.Contains(v, secret) {
		t.Fatalf("sealed value %x is not sealed or holds the plaintext", v)
	}
	got, err := b.Open("signing_keys.private_key:k1", v)
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	again, _ := b.Seal("signing_keys.private_key:k1", secret)
	if bytes.Equal(again, v) {
		t.Error("sealing twice gave the same bytes: the nonce is not random")
	}
	empty, err := b.Seal("p", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := b.Open("p", empty); err != nil || len(got) != 0 {
		t.Errorf("empty plaintext: Open = %q, %v", got, err)
	}
}

// A sealed value opens only for the purpose (row) it was sealed for, and any
// change to it is detected.
func TestOpenRefuses(t *testing.T) {
	k := mustKey(t)
	b := mustBox(t, k)
	v, _ := b.Seal("settings.value:csrf_key", []byte("the csrf key"))
	if _, err := b.Open("settings.value:client_secret_hash_key", v); !errors.Is(err, ErrCorrupt) {
		t.Errorf("another purpose: %v, want ErrCorrupt", err)
	}
	for i := range v {
		bad := bytes.Clone(v)
		bad[i] ^= 1
		if _, err := b.Open("settings.value:csrf_key", bad); err == nil {
			t.Fatalf("byte %d flipped: opened", i)
		}
	}
	for _, n := range []int{0, 3, headerLen, headerLen + 12, len(v) - 1} {
		if _, err := b.Open("settings.value:csrf_key", v[:n]); err == nil {
			t.Errorf("truncated to %d bytes: opened", n)
		}
	}
	if _, err := b.Open("p", []byte{0x30, 0x82, 1, 2}); !errors.Is(err, ErrNotSealed) {
		t.Errorf("plaintext: %v, want ErrNotSealed", err)
	}
	other := mustBox(t, k) // another data key under the same Key
	if _, err := other.Open("settings.value:csrf_key", v); !errors.Is(err, ErrCorrupt) {
		t.Errorf("another data key: %v, want ErrCorrupt", err)
	}
}

func TestSealString(t *testing.T) {
	b := mustBox(t, mustKey(t))
	v, err := b.SealString("jwt_customizers.environment_variables:access-token", `{"API_KEY":"s3cret"}`)
	if err != nil {
		t.Fatal(err)
	}
	if !IsSealedString(v) || strings.Contains(v, "s3cret") {
		t.Fatalf("SealString = %q", v)
	}
	got, err := b.OpenString("jwt_customizers.environment_variables:access-token", v)
	if err != nil || got != `{"API_KEY":"s3cret"}` {
		t.Fatalf("OpenString = %q, %v", got, err)
	}
	if _, err := b.OpenString("x", "{}"); !errors.Is(err, ErrNotSealed) {
		t.Errorf("plain text: %v", err)
	}
	if _, err := b.OpenString("x", textPrefix+"!!"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("bad base64: %v", err)
	}
}

func TestWrongKey(t *testing.T) {
	k := mustKey(t)
	w, _ := NewDataKey(k, 1)
	if _, err := Open(mustKey(t), map[uint32][]byte{1: w}, 1); !errors.Is(err, ErrWrongKey) {
		t.Errorf("another key: %v, want ErrWrongKey", err)
	}
	// A wrapped data key stored under another id does not unwrap.
	if _, err := Open(k, map[uint32][]byte{2: w}, 2); !errors.Is(err, ErrWrongKey) {
		t.Errorf("moved to id 2: %v, want ErrWrongKey", err)
	}
	if _, err := Open(k, map[uint32][]byte{1: w[:10]}, 1); err == nil {
		t.Error("truncated wrapped key opened")
	}
	if _, err := Open(k, map[uint32][]byte{1: w}, 3); err == nil {
		t.Error("a missing current key opened")
	}
	if _, err := Open(Key{}, map[uint32][]byte{1: w}, 1); err == nil {
		t.Error("the zero key opened")
	}
}

// Rewrapping under a new Key keeps the data key: values sealed before open
// with the new Key, and no longer with the old one.
func TestRewrap(t *testing.T) {
	old, next := mustKey(t), mustKey(t)
	w, _ := NewDataKey(old, 7)
	b, err := Open(old, map[uint32][]byte{7: w}, 7)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := b.Seal("p", []byte("secret"))
	w2, err := Rewrap(old, next, 7, w)
	if err != nil {
		t.Fatal(err)
	}
	b2, err := Open(next, map[uint32][]byte{7: w2}, 7)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := b2.Open("p", v); err != nil || string(got) != "secret" {
		t.Errorf("after rewrap: %q, %v", got, err)
	}
	if _, err := Open(old, map[uint32][]byte{7: w2}, 7); !errors.Is(err, ErrWrongKey) {
		t.Errorf("old key after rewrap: %v", err)
	}
	if _, err := Rewrap(next, old, 7, w); !errors.Is(err, ErrWrongKey) {
		t.Errorf("rewrap with the wrong old key: %v", err)
	}
}

func TestLoadKeyFile(t *testing.T) {
	dir := t.TempDir()
	k := mustKey(t)
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	got, err := LoadKeyFile(write("good", k.Encode()+"\n"))
	if err != nil || !got.Equal(k) {
		t.Fatalf("LoadKeyFile = %v", err)
	}
	for name, tc := range map[string]struct{ content, want string }{
		"passphrase": {"hunter2 hunter2\n", "not base64"},
		"huge":       {strings.Repeat("A", 1<<20), "too long"},
		"empty":      {"", "empty"},
	} {
		p := write(name, tc.content)
		_, err := LoadKeyFile(p)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), p) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := LoadKeyFile(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
