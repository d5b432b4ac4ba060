package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/monban/monban/internal/sealed"
	"github.com/monban/monban/internal/server"
)

const rotateUsage = `Usage: monban rotate-secret-key [flags]

Re-wraps the data keys that encrypt the secrets at rest with a new secret
key, in one transaction; the secrets themselves are not re-encrypted. The
current key is read as "monban serve" reads it (for SQLite without one,
from secret.key next to the database, which is then rewritten with the new
key). Running instances keep working; start every instance with the new key
from now on.

`

// rotateSecretKey is the rotate-secret-key command.
func rotateSecretKey(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("monban rotate-secret-key", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, rotateUsage)
		fs.PrintDefaults()
	}
	dbDefault := server.DefaultDatabaseURL
	if v := getenv("MONBAN_DATABASE_URL"); v != "" {
		dbDefault = v
	}
	dbURL := fs.String("database-url", dbDefault, "database URL (MONBAN_DATABASE_URL)")
	oldFlags := addKeyFlags(fs, getenv, "secret-key", "MONBAN_SECRET_KEY", "the secret key in use")
	newFlags := addKeyFlags(fs, getenv, "new-secret-key", "MONBAN_NEW_SECRET_KEY", "the new secret key")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "monban rotate-secret-key: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "monban rotate-secret-key:", err)
		return 1
	}
	next, err := newFlags.key()
	if err != nil {
		return fail(err)
	}
	if next.IsZero() {
		fmt.Fprintln(stderr, "monban rotate-secret-key: give the new key with -new-secret-key-file or MONBAN_NEW_SECRET_KEY(_FILE) (make one with: openssl rand -base64 32)")
		return 2
	}
	old, err := oldFlags.key()
	if err != nil {
		return fail(err)
	}
	keyFile := "" // the generated key file the old key came from, if it did
	if old.IsZero() {
		path, ok := server.SQLitePath(*dbURL)
		if !ok {
			fmt.Fprintln(stderr, "monban rotate-secret-key: give the key in use with -secret-key-file or MONBAN_SECRET_KEY(_FILE)")
			return 2
		}
		keyFile = filepath.Join(filepath.Dir(path), server.SecretKeyFileName)
		if old, err = sealed.LoadKeyFile(keyFile); err != nil {
			return fail(fmt.Errorf("no key in use given, and %w", err))
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, _, err := server.OpenStore(ctx, *dbURL, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return fail(err)
	}
	defer st.Close()
	n, err := st.RotateSecretKey(ctx, old, next)
	if err != nil {
		return fail(err)
	}
	fmt.Fprintf(stdout, "Re-wrapped %d data key(s) with the new secret key.\n", n)
	if keyFile != "" {
		if err := replaceKeyFile(keyFile, next); err != nil {
			return fail(fmt.Errorf("the database now needs the new key, but writing it to %s failed (write it there yourself, or set MONBAN_SECRET_KEY): %w", keyFile, err))
		}
		fmt.Fprintf(stdout, "%s now holds the new key.\n", keyFile)
		return 0
	}
	fmt.Fprintln(stdout, "Start every instance with the new key from now on; the old one no longer opens the database.")
	return 0
}

// replaceKeyFile writes key to path atomically, readable by the owner only.
func replaceKeyFile(path string, key sealed.Key) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".secret.key-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	_, err = tmp.WriteString(key.Encode() + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
