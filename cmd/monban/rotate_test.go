package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/monban/monban/internal/sealed"
	"github.com/monban/monban/internal/server"
	"github.com/monban/monban/internal/store/postgres"
)

func TestRotateSecretKeyUsage(t *testing.T) {
	dir := t.TempDir()
	good := writeKey(t, dir, "good.key", newKey(t))
	db := "sqlite://" + filepath.Join(dir, "m.db")
	refusals(t, []cliCase{
		{[]string{"rotate-secret-key", "-h"}, nil, 0, "MONBAN_NEW_SECRET_KEY_FILE"},
		{[]string{"rotate-secret-key", "-database-url", db}, nil, 2, "give the new key"},
		{[]string{"rotate-secret-key", "-database-url", "postgres://u@h/x", "-new-secret-key-file", good}, nil, 2, "give the key in use"},
		{[]string{"rotate-secret-key", "-database-url", db, "-new-secret-key-file", good}, nil, 1, "no key in use given"},
		{[]string{"rotate-secret-key", "-new-secret-key", "hunter2-hunter2"}, nil, 1, "passphrases are not accepted"},
		{[]string{"rotate-secret-key", "extra"}, nil, 2, "unexpected argument"},
	})
}

// On SQLite without a configured key, rotation reads the generated key
// file and rewrites it with the new key; the next start opens the data.
func TestRotateSecretKeySQLite(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite://" + filepath.Join(dir, "data", "m.db")
	if err := startOnce(db, sealed.Key{}); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "data", server.SecretKeyFileName)
	oldText, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	old, _ := sealed.ParseKey(string(oldText))
	next := newKey(t)
	newFile := writeKey(t, dir, "new.key", next)

	// The wrong key in use: refused, nothing changed.
	wrong := writeKey(t, dir, "wrong.key", newKey(t))
	if code, out := runCLI(nil, "rotate-secret-key", "-database-url", db, "-secret-key-file", wrong, "-new-secret-key-file", newFile); code != 1 ||
		!strings.Contains(out, "the secret key does not match the one the data was encrypted with") {
		t.Fatalf("rotation with the wrong key: exit %d\n%s", code, out)
	}
	if err := startOnce(db, sealed.Key{}); err != nil {
		t.Fatalf("start after a refused rotation: %v", err)
	}

	code, out := runCLI(map[string]string{"MONBAN_DATABASE_URL": db, "MONBAN_NEW_SECRET_KEY_FILE": newFile}, "rotate-secret-key")
	if code != 0 || !strings.Contains(out, "Re-wrapped 1 data key") || !strings.Contains(out, keyFile) {
		t.Fatalf("rotation: exit %d\n%s", code, out)
	}
	if strings.Contains(out, next.Encode()) || strings.Contains(out, old.Encode()) {
		t.Error("a key reached the output")
	}
	got, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if k, err := sealed.ParseKey(string(got)); err != nil || !k.Equal(next) {
		t.Fatalf("the key file does not hold the new key: %v", err)
	}
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file after rotation: %v %v", fi.Mode(), err)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "data")); len(entries) > 0 {
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".secret.key-") {
				t.Errorf("temporary file left: %s", e.Name())
			}
		}
	}
	if err := startOnce(db, sealed.Key{}); err != nil {
		t.Fatalf("start with the rewritten key file: %v", err)
	}
	if err := startOnce(db, old); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("start with the old key: %v", err)
	}
}

// On PostgreSQL both keys are given; afterwards only the new one starts.
func TestRotateSecretKeyPostgres(t *testing.T) {
	dbURL := postgres.NewTestDatabase(t)
	old, next := newKey(t), newKey(t)
	if err := startOnce(dbURL, old); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"MONBAN_DATABASE_URL": dbURL, "MONBAN_SECRET_KEY": old.Encode(), "MONBAN_NEW_SECRET_KEY": next.Encode()}
	code, out := runCLI(env, "rotate-secret-key")
	if code != 0 || !strings.Contains(out, "Re-wrapped 1 data key") || !strings.Contains(out, "Start every instance with the new key") {
		t.Fatalf("rotation: exit %d\n%s", code, out)
	}
	if code, out := runCLI(env, "rotate-secret-key"); code != 1 || !strings.Contains(out, "does not match") {
		t.Errorf("rotating again from the old key: exit %d\n%s", code, out)
	}
	if err := startOnce(dbURL, old); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("start with the old key: %v", err)
	}
	if err := startOnce(dbURL, next); err != nil {
		t.Errorf("start with the new key: %v", err)
	}
}
