package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/store/enginetest"
	"github.com/monban/monban/internal/store/sqlstore"
	"github.com/monban/monban/internal/store/storetest"
)

// openTemp opens a store on a new file in a temporary folder, closed when
// the test ends, and returns it with the file's path.
func openTemp(t *testing.T) (*sqlstore.Store, string) {
	t.Helper()
	path := newPath(t)
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

// newPath names a database file in a new temporary folder.
func newPath(t testing.TB) string { return filepath.Join(t.TempDir(), "monban.db") }

// openStore is Open as an enginetest.Opener.
func openStore(ctx context.Context, path string) (store.Store, error) { return Open(ctx, path) }

func TestConformance(t *testing.T) { enginetest.Conformance(t, newPath, openStore) }

func TestSecrets(t *testing.T) { enginetest.Secrets(t, newPath, openStore) }

func TestOpenCreatesPrivateFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "monban.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	for _, p := range []string{filepath.Dir(path), path} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s has mode %v, want no access for group or others", filepath.Base(p), perm)
		}
	}
}

func TestOpenOddPath(t *testing.T) {
	// Characters that mean something in a URI stay part of the file name.
	path := filepath.Join(t.TempDir(), "a?b#c%20 d.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database not at the given path: %v", err)
	}
	if _, err := Open(t.Context(), ""); err == nil {
		t.Error("Open with an empty path succeeded")
	}
}

// TestReopen checks that data survives closing and that opening an
// up-to-date database applies no migration again.
func TestReopen(t *testing.T) {
	path := newPath(t)
	enginetest.Reopen(t, path, openStore, func() (*sql.DB, error) { return sql.Open("sqlite", path) })
}

// TestTwoInstances has two stores on one file, as two server processes
// would, racing read-then-write transactions. BEGIN IMMEDIATE and the busy
// timeout must make them wait for each other instead of failing.
func TestTwoInstances(t *testing.T) {
	ctx := t.Context()
	a, path := openTemp(t)
	b, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	enginetest.UnlockShared(t, a, b)

	if err := a.CreateRole(ctx, store.Role{ID: "r", Name: "r", Type: store.RoleMachineToMachine}); err != nil {
		t.Fatal(err)
	}
	const perStore, rounds = 3, 15
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	settings := make(map[string]map[string]bool) // setting name -> values returned
	for i, s := range []store.Store{a, b, a, b, a, b}[:2*perStore] {
		wg.Go(func() {
			for j := range rounds {
				id := fmt.Sprintf("g%d-%d", i, j)
				err := s.CreateApplication(ctx, store.Application{ID: id, Name: id, Type: store.AppMachineToMachine})
				if err == nil {
					err = s.AddRoleApplications(ctx, "r", []string{id})
				}
				var v string
				if err == nil {
					v, err = s.EnsureSetting(ctx, fmt.Sprintf("s%d", j), id)
				}
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else {
					if settings[fmt.Sprint(j)] == nil {
						settings[fmt.Sprint(j)] = map[string]bool{}
					}
					settings[fmt.Sprint(j)][v] = true
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	for name, values := range settings {
		if len(values) != 1 {
			t.Errorf("setting %s: instances saw different values %v", name, values)
		}
	}
	_, total, err := b.ListRoleApplications(ctx, "r", store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if want := 2 * perStore * rounds; total != want {
		t.Errorf("role has %d applications, want %d", total, want)
	}
}

func TestRotatePromotesNextKey(t *testing.T) {
	ctx := t.Context()
	s, _ := openTemp(t)
	storetest.Unlock(t, s, storetest.NewKey(t))
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	cur := store.SigningKey{ID: "k1", Algorithm: "ES256", Status: store.KeyCurrent, PrivateKey: []byte("1"), CreatedAt: now}
	next := store.SigningKey{ID: "k2", Algorithm: "ES256", Status: store.KeyNext, PrivateKey: []byte("2"), CreatedAt: now.Add(time.Hour)}
	for _, k := range []store.SigningKey{cur, next} {
		if err := s.CreateSigningKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	// The key published ahead as "next" becomes current in place.
	if err := s.RotateSigningKeys(ctx, next, now.Add(2*time.Hour), time.Time{}); err != nil {
		t.Fatalf("RotateSigningKeys: %v", err)
	}
	keys, err := s.ListSigningKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[0].Status != store.KeyPrevious || keys[1].Status != store.KeyCurrent ||
		!keys[1].CreatedAt.Equal(next.CreatedAt) {
		t.Errorf("keys after promoting the next key: %+v", keys)
	}
	// A key that is not "next" is not taken over.
	err = s.RotateSigningKeys(ctx, cur, now.Add(3*time.Hour), time.Time{})
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("rotating to a previous key's id: %v, want ErrConflict", err)
	}
}

// TestConstraintErrors checks that constraint failures are recognised by
// their extended result codes, not only by the message fallback.
func TestConstraintErrors(t *testing.T) {
	db, err := sql.Open("sqlite", dsn(filepath.Join(t.TempDir(), "c.db")))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Hide the message so that only the code can tell.
	byCode := func(is func(error) bool) func(error) bool {
		return func(err error) bool { return is(codeOnly{err}) }
	}
	storetest.ConstraintErrors(t, db, byCode(isUniqueViolation), byCode(isForeignKeyViolation))
	if isUniqueViolation(errors.New("some other error")) || isForeignKeyViolation(errors.New("some other error")) {
		t.Error("an unrelated error was taken for a constraint failure")
	}
}

// codeOnly wraps an error without repeating its message.
type codeOnly struct{ err error }

func (e codeOnly) Error() string { return "constraint failed" }
func (e codeOnly) Unwrap() error { return e.err }

// TestMigrationsDownUp runs every migration down and up again, so that the
// Down sections are checked too.
func TestMigrationsDownUp(t *testing.T) {
	s, path := openTemp(t)
	enginetest.DownUp(t, s, func() (*sql.DB, error) { return sql.Open("sqlite", dsn(path)) }, goose.DialectSQLite3,
		"SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'goose%' AND name NOT LIKE 'sqlite%'")
}

// TestOpenMigratesWhenBehind: with the newest migration rolled back, an
// open applies it again (the check that skips goose when up to date must
// not skip it then).
func TestOpenMigratesWhenBehind(t *testing.T) {
	s, path := openTemp(t)
	enginetest.UpAfterDown(t, s, path, openStore, func() (*sql.DB, error) { return sql.Open("sqlite", dsn(path)) }, goose.DialectSQLite3)
}

// Encrypting the secrets an earlier version stored in the clear leaves no
// copy of them in the file or its WAL: not in the freed space of a page,
// nor in a WAL frame not yet checkpointed.
func TestPlaintextScrubbedFromFile(t *testing.T) {
	ctx := t.Context()
	s, path := openTemp(t)
	secrets := map[string]string{}
	for i := range 20 {
		id := fmt.Sprintf("k%02d", i)
		secrets["private key "+id] = fmt.Sprintf("PLAINTEXT-PRIVATE-KEY-%02d-%s", i, strings.Repeat("x", 200))
		if _, err := s.DB().ExecContext(ctx, "INSERT INTO signing_keys (id, algorithm, status, private_key, created_at) VALUES (?, 'ES256', 'previous', ?, 1)",
			id, append([]byte{0x30, 0x82}, secrets["private key "+id]...)); err != nil {
			t.Fatal(err)
		}
	}
	secrets["setting"] = "PLAINTEXT-HMAC-KEY-VALUE"
	if _, err := s.DB().ExecContext(ctx, "INSERT INTO settings (name, value) VALUES ('client_secret_hash_key', ?)", secrets["setting"]); err != nil {
		t.Fatal(err)
	}
	if n, err := s.UnlockSecrets(ctx, storetest.NewKey(t)); err != nil || n != 21 {
		t.Fatalf("UnlockSecrets = %d, %v", n, err)
	}
	var raw []byte
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(path + suffix)
		if err != nil && suffix == "" {
			t.Fatal(err)
		}
		raw = append(raw, b...)
	}
	for name, v := range secrets {
		if bytes.Contains(raw, []byte(v)) {
			t.Errorf("the file or its WAL still holds %s in the clear", name)
		}
	}
}
