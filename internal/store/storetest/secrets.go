package storetest

import (
	"bytes"
	"database/sql"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/monban/monban/internal/sealed"
	"github.com/monban/monban/internal/store"
)

// rawDB is what a SQL backend offers besides store.Store: the database, to
// read and write rows as an earlier version, or a thief, would.
type rawDB interface {
	DB() *sql.DB
}

// NewKey returns a random secret key for a test.
func NewKey(t testing.TB) sealed.Key {
	t.Helper()
	k, err := sealed.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Unlock unlocks the secrets of s with key, failing the test on an error.
func Unlock(t testing.TB, s store.Store, key sealed.Key) {
	t.Helper()
	if _, err := s.UnlockSecrets(t.Context(), key); err != nil {
		t.Fatalf("UnlockSecrets: %v", err)
	}
}

// Secrets runs the checks of the secrets at rest. open must return a new,
// locked store (not yet unlocked) on an empty database, and reopen a second
// store on the same database as the last one open returned; both must offer
// DB() *sql.DB.
func Secrets(t *testing.T, open func(t *testing.T) store.Store, reopen func(t *testing.T) store.Store) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, func(*testing.T) store.Store, func(*testing.T) store.Store)
	}{
		{"Locked", testSecretsLocked},
		{"SealedAtRest", testSealedAtRest},
		{"PlaintextMigrated", testPlaintextMigrated},
		{"WrongKey", testSecretsWrongKey},
		{"RotateSecretKey", testRotateSecretKey},
		{"ConcurrentUnlock", testConcurrentUnlock},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open, reopen) })
	}
}

func closeOnCleanup(t *testing.T, s store.Store) store.Store {
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// rebind rewrites ? placeholders to $n for PostgreSQL's driver.
func rebind(db *sql.DB, q string) string {
	if !strings.Contains(reflect.TypeOf(db.Driver()).String(), "stdlib") {
		return q
	}
	var b strings.Builder
	n := 0
	for _, c := range q {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

func rawExec(t *testing.T, s store.Store, q string, args ...any) {
	t.Helper()
	db := s.(rawDB).DB()
	if _, err := db.ExecContext(t.Context(), rebind(db, q), args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// rawValues returns every stored value of the secret columns, as bytes.
func rawValues(t *testing.T, s store.Store) map[string][]byte {
	t.Helper()
	db := s.(rawDB).DB()
	out := map[string][]byte{}
	for _, q := range []string{
		"SELECT 'signing_keys.' || id, private_key FROM signing_keys",
		"SELECT 'settings.' || name, value FROM settings",
		"SELECT 'jwt_customizers.' || token_type, environment_variables FROM jwt_customizers",
		"SELECT 'hooks.' || id, signing_key FROM hooks",
	} {
		rows, err := db.QueryContext(t.Context(), q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for rows.Next() {
			var (
				name string
				v    []byte
			)
			if err := rows.Scan(&name, &v); err != nil {
				t.Fatal(err)
			}
			out[name] = v
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return out
}

// checkNoPlaintext fails if any stored secret value is in the clear or holds
// one of the secrets.
func checkNoPlaintext(t *testing.T, s store.Store, secrets ...[]byte) {
	t.Helper()
	raw := rawValues(t, s)
	if len(raw) == 0 {
		t.Fatal("no stored secrets to check")
	}
	for name, v := range raw {
		if !sealed.IsSealed(v) && !sealed.IsSealedString(string(v)) {
			t.Errorf("%s is stored in the clear: %q", name, v)
		}
		for _, secret := range secrets {
			if bytes.Contains(v, secret) {
				t.Errorf("%s holds the secret %q", name, secret)
			}
		}
	}
}

func testSecretsLocked(t *testing.T, open, _ func(*testing.T) store.Store) {
	s := closeOnCleanup(t, open(t))
	ctx := t.Context()
	if has, err := s.HasSecretKeys(ctx); err != nil || has {
		t.Fatalf("HasSecretKeys of a new database = %v, %v", has, err)
	}
	if s.Sealer() != nil {
		t.Error("a locked store has a Sealer")
	}
	key := testSigningKey("k1", store.KeyCurrent, 1)
	for name, err := range map[string]error{
		"CreateSigningKey":  s.CreateSigningKey(ctx, key),
		"RotateSigningKeys": s.RotateSigningKeys(ctx, key, at(2), at(0)),
		"EnsureSetting":     errOf(s.EnsureSetting(ctx, "csrf_key", "x")),
		"PutJWTCustomizer":  errOf(s.PutJWTCustomizer(ctx, store.JWTCustomizer{TokenType: store.TokenTypeAccessToken, Script: "x"})),
		"ListSigningKeys":   errOf(s.ListSigningKeys(ctx)),
		"GetJWTCustomizer":  errOf(s.GetJWTCustomizer(ctx, store.TokenTypeAccessToken)),
		"ListJWTCustomizer": errOf(s.ListJWTCustomizers(ctx)),
		"LoadCatalog":       errOf(s.LoadCatalog(ctx)),
	} {
		if !errors.Is(err, store.ErrLocked) {
			t.Errorf("%s on a locked store: %v, want ErrLocked", name, err)
		}
	}
	// Everything else works.
	ok(t, s.CreateApplication(ctx, app("a1", 1)), "CreateApplication on a locked store")
	if has, err := s.HasSecretKeys(ctx); err != nil || has {
		t.Errorf("HasSecretKeys after locked writes = %v, %v", has, err)
	}
	if _, err := s.UnlockSecrets(ctx, sealed.Key{}); err == nil {
		t.Error("UnlockSecrets with the zero key succeeded")
	}
}

func errOf[T any](_ T, err error) error { return err }

func testSigningKey(id string, status store.KeyStatus, i int) store.SigningKey {
	// Shaped like PKCS #8 DER, with a recognisable body.
	der := append([]byte{0x30, 0x81, 0x87, 0x02, 0x01, 0x00}, []byte("PRIVATE-KEY-BYTES-OF-"+id)...)
	return store.SigningKey{ID: id, Algorithm: "ES256", Status: status, PrivateKey: der, CreatedAt: at(i)}
}

// Every secret is sealed in the database, opens for the row it was written
// to and for no other, and reads back as written.
func testSealedAtRest(t *testing.T, open, _ func(*testing.T) store.Store) {
	s := closeOnCleanup(t, open(t))
	ctx := t.Context()
	n, err := s.UnlockSecrets(ctx, NewKey(t))
	if err != nil || n != 0 {
		t.Fatalf("UnlockSecrets of a new database = %d, %v", n, err)
	}
	if has, err := s.HasSecretKeys(ctx); err != nil || !has {
		t.Fatalf("HasSecretKeys after unlocking = %v, %v", has, err)
	}
	// Callers with secrets of their own seal them with the store's Box.
	box := s.Sealer()
	if box == nil {
		t.Fatal("an unlocked store has no Sealer")
	}
	if v, err := box.Seal("connectors.secret:c1", []byte("upstream secret")); err != nil {
		t.Fatal(err)
	} else if got, err := box.Open("connectors.secret:c1", v); err != nil || string(got) != "upstream secret" {
		t.Errorf("Sealer round trip = %q, %v", got, err)
	}
	k1, k2 := testSigningKey("k1", store.KeyCurrent, 1), testSigningKey("k2", store.KeyNext, 2)
	ok(t, s.CreateSigningKey(ctx, k1), "CreateSigningKey")
	ok(t, s.CreateSigningKey(ctx, k2), "CreateSigningKey")
	hmacKey := "hmac-key-value-0123456789"
	if v, err := s.EnsureSetting(ctx, "client_secret_hash_key", hmacKey); err != nil || v != hmacKey {
		t.Fatalf("EnsureSetting = %q, %v", v, err)
	}
	env := map[string]string{"CRM_KEY": "crm-live-key-ABCDEF123456"}
	_, err = s.PutJWTCustomizer(ctx, store.JWTCustomizer{TokenType: store.TokenTypeAccessToken, Script: "x",
		EnvironmentVariables: env, CreatedAt: at(1), UpdatedAt: at(1)})
	ok(t, err, "PutJWTCustomizer")

	hookKey := "hook-signing-key-0123456789abcdef"
	ok(t, s.CreateHook(ctx, store.Hook{ID: "hk1", Events: []string{"User.Created"}, URL: "https://h.test/", SigningKey: hookKey,
		Enabled: true, CreatedAt: at(1)}), "CreateHook")

	checkNoPlaintext(t, s, []byte("PRIVATE-KEY-BYTES"), []byte(hmacKey), []byte("crm-live-key"), []byte(hookKey))
	if h, err := s.GetHook(ctx, "hk1"); err != nil || h.SigningKey != hookKey {
		t.Errorf("GetHook = %q, %v", h.SigningKey, err)
	}

	keys, err := s.ListSigningKeys(ctx)
	ok(t, err, "ListSigningKeys")
	if len(keys) != 2 || !bytes.Equal(keys[0].PrivateKey, k1.PrivateKey) || !bytes.Equal(keys[1].PrivateKey, k2.PrivateKey) {
		t.Fatalf("ListSigningKeys = %+v", keys)
	}
	c, err := s.LoadCatalog(ctx)
	ok(t, err, "LoadCatalog")
	if len(c.SigningKeys) != 2 || !bytes.Equal(c.SigningKeys[0].PrivateKey, k1.PrivateKey) ||
		len(c.JWTCustomizers) != 1 || !reflect.DeepEqual(c.JWTCustomizers[0].EnvironmentVariables, env) {
		t.Fatalf("LoadCatalog = %+v", c)
	}
	if v, err := s.EnsureSetting(ctx, "client_secret_hash_key", "other"); err != nil || v != hmacKey {
		t.Errorf("EnsureSetting again = %q, %v", v, err)
	}

	// A sealed value copied to another row does not open there.
	raw := rawValues(t, s)
	rawExec(t, s, "UPDATE signing_keys SET private_key = ? WHERE id = ?", raw["signing_keys.k1"], "k2")
	if _, err := s.ListSigningKeys(ctx); !errors.Is(err, sealed.ErrCorrupt) {
		t.Errorf("a private key moved to another row: %v, want ErrCorrupt", err)
	}
	if _, err := s.LoadCatalog(ctx); !errors.Is(err, sealed.ErrCorrupt) {
		t.Errorf("LoadCatalog with a moved private key: %v, want ErrCorrupt", err)
	}
	rawExec(t, s, "INSERT INTO settings (name, value) VALUES (?, ?)", "csrf_key", string(raw["settings.client_secret_hash_key"]))
	if _, err := s.EnsureSetting(ctx, "csrf_key", "x"); !errors.Is(err, sealed.ErrCorrupt) {
		t.Errorf("a setting moved to another name: %v, want ErrCorrupt", err)
	}
	// A value written in the clear behind the store's back is refused, not
	// trusted.
	rawExec(t, s, "UPDATE jwt_customizers SET environment_variables = ? WHERE token_type = ?", `{"CRM_KEY":"planted"}`, store.TokenTypeAccessToken)
	if _, err := s.GetJWTCustomizer(ctx, store.TokenTypeAccessToken); !errors.Is(err, sealed.ErrNotSealed) {
		t.Errorf("environment variables in the clear: %v, want ErrNotSealed", err)
	}
}

// Secrets an earlier version stored in the clear are encrypted by the first
// unlock, in place, and read back unchanged; a second unlock finds nothing
// left to encrypt.
func testPlaintextMigrated(t *testing.T, open, reopen func(*testing.T) store.Store) {
	s := closeOnCleanup(t, open(t))
	ctx := t.Context()
	k1 := testSigningKey("k1", store.KeyCurrent, 1)
	rawExec(t, s, "INSERT INTO signing_keys (id, algorithm, status, private_key, created_at) VALUES (?, ?, ?, ?, ?)",
		k1.ID, k1.Algorithm, string(k1.Status), k1.PrivateKey, at(1).UnixMilli())
	rawExec(t, s, "INSERT INTO settings (name, value) VALUES (?, ?)", "client_secret_hash_key", "legacy-hmac-key-value")
	rawExec(t, s, "INSERT INTO settings (name, value) VALUES (?, ?)", "csrf_key", "legacy-csrf-key-value")
	rawExec(t, s, "INSERT INTO jwt_customizers (token_type, script, environment_variables, block_issuance_on_error, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
		store.TokenTypeClientCredentials, "x", `{"PIN":"legacy-env-value"}`, false, at(1).UnixMilli(), at(1).UnixMilli())

	key := NewKey(t)
	n, err := s.UnlockSecrets(ctx, key)
	if err != nil || n != 4 {
		t.Fatalf("UnlockSecrets over plaintext = %d, %v; want 4 encrypted", n, err)
	}
	checkNoPlaintext(t, s, []byte("PRIVATE-KEY-BYTES"), []byte("legacy-hmac"), []byte("legacy-csrf"), []byte("legacy-env"))

	s2 := closeOnCleanup(t, reopen(t))
	if n, err := s2.UnlockSecrets(ctx, key); err != nil || n != 0 {
		t.Fatalf("second UnlockSecrets = %d, %v; want nothing left to encrypt", n, err)
	}
	keys, err := s2.ListSigningKeys(ctx)
	if err != nil || len(keys) != 1 || !bytes.Equal(keys[0].PrivateKey, k1.PrivateKey) {
		t.Fatalf("ListSigningKeys after migration = %+v, %v", keys, err)
	}
	for name, want := range map[string]string{"client_secret_hash_key": "legacy-hmac-key-value", "csrf_key": "legacy-csrf-key-value"} {
		if v, err := s2.EnsureSetting(ctx, name, "new"); err != nil || v != want {
			t.Errorf("setting %s after migration = %q, %v", name, v, err)
		}
	}
	c, err := s2.GetJWTCustomizer(ctx, store.TokenTypeClientCredentials)
	if err != nil || c.EnvironmentVariables["PIN"] != "legacy-env-value" {
		t.Errorf("customizer after migration = %+v, %v", c, err)
	}
}

// A store unlocked with another key than the data's refuses, saying so, and
// stays locked.
func testSecretsWrongKey(t *testing.T, open, reopen func(*testing.T) store.Store) {
	s := closeOnCleanup(t, open(t))
	ctx := t.Context()
	Unlock(t, s, NewKey(t))
	_, err := s.EnsureSetting(ctx, "csrf_key", "v")
	ok(t, err, "EnsureSetting")

	s2 := closeOnCleanup(t, reopen(t))
	_, err = s2.UnlockSecrets(ctx, NewKey(t))
	if !errors.Is(err, sealed.ErrWrongKey) || !strings.Contains(err.Error(), "does not match the one the data was encrypted with") {
		t.Fatalf("UnlockSecrets with another key: %v", err)
	}
	if _, err := s2.EnsureSetting(ctx, "csrf_key", "v"); !errors.Is(err, store.ErrLocked) {
		t.Errorf("after a failed unlock: %v, want ErrLocked", err)
	}
}

// Rotation re-wraps the data keys under the new key, atomically: afterwards
// only the new key unlocks, and every secret reads back; with the wrong old
// key nothing changes.
func testRotateSecretKey(t *testing.T, open, reopen func(*testing.T) store.Store) {
	s := closeOnCleanup(t, open(t))
	ctx := t.Context()
	old, next := NewKey(t), NewKey(t)
	if _, err := s.RotateSecretKey(ctx, old, next); err == nil || !strings.Contains(err.Error(), "no encrypted secrets") {
		t.Errorf("rotation of a database without data keys: %v", err)
	}
	Unlock(t, s, old)
	k1 := testSigningKey("k1", store.KeyCurrent, 1)
	ok(t, s.CreateSigningKey(ctx, k1), "CreateSigningKey")
	before := rawValues(t, s)

	if _, err := s.RotateSecretKey(ctx, NewKey(t), next); !errors.Is(err, sealed.ErrWrongKey) {
		t.Errorf("rotation with the wrong old key: %v, want ErrWrongKey", err)
	}
	if _, err := s.RotateSecretKey(ctx, old, old); err == nil {
		t.Error("rotation to the same key succeeded")
	}
	if _, err := s.RotateSecretKey(ctx, old, sealed.Key{}); err == nil {
		t.Error("rotation to the zero key succeeded")
	}
	s2 := closeOnCleanup(t, reopen(t))
	Unlock(t, s2, old) // the failed rotations changed nothing

	n, err := s.RotateSecretKey(ctx, old, next)
	if err != nil || n != 1 {
		t.Fatalf("RotateSecretKey = %d, %v", n, err)
	}
	if !reflect.DeepEqual(rawValues(t, s), before) {
		t.Error("rotation re-encrypted the secrets; it should only re-wrap the data keys")
	}
	if _, err := s2.UnlockSecrets(ctx, old); !errors.Is(err, sealed.ErrWrongKey) {
		t.Errorf("the old key after rotation: %v, want ErrWrongKey", err)
	}
	Unlock(t, s2, next)
	keys, err := s2.ListSigningKeys(ctx)
	if err != nil || len(keys) != 1 || !bytes.Equal(keys[0].PrivateKey, k1.PrivateKey) {
		t.Errorf("after rotation: %+v, %v", keys, err)
	}
	// The store that rotated keeps working with the data keys it holds.
	if _, err := s.ListSigningKeys(ctx); err != nil {
		t.Errorf("the rotating store after rotation: %v", err)
	}
}

// Instances that start together over plaintext data all unlock, agree on
// one data key, and encrypt each value once.
func testConcurrentUnlock(t *testing.T, open, reopen func(*testing.T) store.Store) {
	first := closeOnCleanup(t, open(t))
	ctx := t.Context()
	rawExec(t, first, "INSERT INTO settings (name, value) VALUES (?, ?)", "csrf_key", "legacy-csrf-key-value")
	const n = 4
	stores := []store.Store{first}
	for range n - 1 {
		stores = append(stores, closeOnCleanup(t, reopen(t)))
	}
	key := NewKey(t)
	counts := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { counts[i], errs[i] = stores[i].UnlockSecrets(ctx, key) })
	}
	wg.Wait()
	total := 0
	for i := range n {
		ok(t, errs[i], "concurrent UnlockSecrets")
		total += counts[i]
	}
	if total != 1 {
		t.Errorf("the plaintext value was encrypted %d times, want once", total)
	}
	// Values sealed by one instance open in every other.
	v, err := stores[1].EnsureSetting(ctx, "shared", "from-1")
	ok(t, err, "EnsureSetting")
	for i := range n {
		got, err := stores[i].EnsureSetting(ctx, "shared", "x")
		if err != nil || got != v {
			t.Errorf("instance %d reads %q, %v; want %q", i, got, err, v)
		}
		if got, err := stores[i].EnsureSetting(ctx, "csrf_key", "x"); err != nil || got != "legacy-csrf-key-value" {
			t.Errorf("instance %d reads the migrated value %q, %v", i, got, err)
		}
	}
}
