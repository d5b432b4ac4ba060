package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/monban/monban/internal/sealed"
	"github.com/monban/monban/internal/server"
)

func newKey(t *testing.T) sealed.Key {
	t.Helper()
	k, err := sealed.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func writeKey(t *testing.T, dir, name string, k sealed.Key) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(k.Encode()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// runCLI runs the command with env as its environment, returning the exit
// code and everything it printed.
// cliCase is a command line, its environment, and the exit code and a part
// of the output it must give.
type cliCase struct {
	args []string
	env  map[string]string
	code int
	out  string
}

// refusals runs each case; none may echo the rejected key ("hunter2").
func refusals(t *testing.T, cases []cliCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			code, out := runCLI(c.env, c.args...)
			if code != c.code || !strings.Contains(out, c.out) {
				t.Errorf("exit %d, want %d with %q; output:\n%s", code, c.code, c.out, out)
			}
			if strings.Contains(out, "hunter2") {
				t.Error("a rejected key reached the output")
			}
		})
	}
}

func runCLI(env map[string]string, args ...string) (int, string) {
	var stdout, stderr bytes.Buffer
	code := run(args, func(k string) string { return env[k] }, &stdout, &stderr)
	return code, stdout.String() + stderr.String()
}

// startOnce starts and closes a server on dbURL with key (the zero Key:
// none configured), returning the start-up error.
func startOnce(dbURL string, key sealed.Key) error {
	s, err := server.New(context.Background(), server.Config{DatabaseURL: dbURL, SecretKey: key,
		Endpoint: "http://localhost:3001", ManagementIndicator: "http://localhost:3001/api",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err == nil {
		s.Close()
	}
	return err
}

func TestSecretKeyFlags(t *testing.T) {
	dir := t.TempDir()
	good := writeKey(t, dir, "good.key", newKey(t))
	weak := filepath.Join(dir, "weak.key")
	if err := os.WriteFile(weak, []byte("hunter2-hunter2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	db := "sqlite://" + filepath.Join(dir, "m.db")
	refusals(t, []cliCase{
		{[]string{"serve", "-database-url", db, "-secret-key", "hunter2-hunter2"}, nil, 2, "passphrases are not accepted"},
		{[]string{"serve", "-database-url", db}, map[string]string{"MONBAN_SECRET_KEY": "aGVsbG8="}, 2, "MONBAN_SECRET_KEY): the secret key is 5 bytes long"},
		{[]string{"serve", "-database-url", db, "-secret-key-file", weak}, nil, 2, "weak.key: the secret key is not base64"},
		{[]string{"serve", "-database-url", db, "-secret-key-file", filepath.Join(dir, "missing")}, nil, 2, "no such file"},
		{[]string{"serve", "-database-url", db, "-secret-key-file", "/dev/zero"}, nil, 2, "too long for a secret key"},
		{[]string{"serve", "-database-url", db, "-secret-key-file", good}, map[string]string{"MONBAN_SECRET_KEY": "x"}, 2, "both set"},
		{[]string{"serve", "-database-url", "postgres://u@127.0.0.1:1/x?connect_timeout=1"}, nil, 1, "cannot connect"},
		{[]string{"serve", "-h"}, nil, 0, "MONBAN_SECRET_KEY_FILE"},
	})
}
