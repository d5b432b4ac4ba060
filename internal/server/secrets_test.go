package server_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/monban/monban/internal/sealed"
	"github.com/monban/monban/internal/server"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/store/postgres"
	"github.com/monban/monban/internal/store/storetest"
)

const envSecret = "crm-live-key-ABCDEF123456"

// knownSecrets opens the database with key and returns the secrets it holds
// in the clear: every signing private key, the secret-hashing and CSRF keys
// and a script's environment variable, in the forms they could be stored in.
func knownSecrets(t *testing.T, dbURL string, key sealed.Key) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	st, _, err := server.OpenStore(ctx, dbURL, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	storetest.Unlock(t, st, key)
	out := map[string][]byte{"environment variable": []byte(envSecret)}
	keys, err := st.ListSigningKeys(ctx)
	if err != nil || len(keys) == 0 {
		t.Fatalf("signing keys: %v %v", keys, err)
	}
	for _, k := range keys {
		out["private key "+k.ID] = k.PrivateKey
		out["private key "+k.ID+" (base64)"] = []byte(base64.StdEncoding.EncodeToString(k.PrivateKey))
	}
	for _, name := range []string{"client_secret_hash_key", "csrf_key"} {
		v, err := st.EnsureSetting(ctx, name, "")
		if err != nil || len(v) < 32 {
			t.Fatalf("setting %s = %q, %v", name, v, err)
		}
		out[name] = []byte(v)
		if raw, err := base64.RawURLEncoding.DecodeString(v); err == nil {
			out[name+" (raw)"] = raw
		}
	}
	c, err := st.GetJWTCustomizer(ctx, store.TokenTypeClientCredentials)
	if err != nil || c.EnvironmentVariables["CRM_KEY"] != envSecret {
		t.Fatalf("customizer: %+v, %v", c, err)
	}
	out["the secret key"] = []byte(key.Encode())
	return out
}

func checkAbsent(t *testing.T, where string, data []byte, secrets map[string][]byte) {
	t.Helper()
	for name, v := range secrets {
		if bytes.Contains(data, v) {
			t.Errorf("%s holds %s in the clear", where, name)
		}
	}
}

// A copy of the SQLite database, its WAL included, holds none of the
// secrets in the clear: without the key file it yields no usable secret.
// With no key configured, the first start generates a private key file next
// to the database and says so loudly.
func TestSecretsAtRestSQLite(t *testing.T) {
	ts := startServer(t)
	keyFile := filepath.Join(filepath.Dir(ts.dbPath), server.SecretKeyFileName)
	fi, err := os.Stat(keyFile)
	if err != nil {
		t.Fatalf("no key file generated: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	if logs := ts.Logs.String(); !strings.Contains(logs, "GENERATED A SECRET KEY") || !strings.Contains(logs, keyFile) || !strings.Contains(logs, "Back it up") {
		t.Errorf("no loud warning naming the key file:\n%s", logs)
	}
	mt := ts.managementToken()
	ts.mustAPI(mt, "PUT", "/api/configs/jwt-customizer/client-credentials", map[string]any{
		"script":               `const getCustomJwtClaims = async () => ({});`,
		"environmentVariables": map[string]string{"CRM_KEY": envSecret},
	}, 201)
	if r := ts.api(mt, "POST", "/api/configs/oidc/private-keys/rotate", map[string]any{}); r.Status != 200 && r.Status != 201 {
		t.Fatalf("rotate (for a second private key): %d %s", r.Status, r.Body)
	}

	// While it runs: the file and its WAL as a copy would take them.
	var running []byte
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(ts.dbPath + suffix)
		if err != nil && suffix == "" {
			t.Fatal(err)
		}
		running = append(running, b...)
	}
	ts.stop()
	key, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	k, err := sealed.ParseKey(string(key))
	if err != nil {
		t.Fatalf("the generated key file does not parse: %v", err)
	}
	secrets := knownSecrets(t, "sqlite://"+ts.dbPath, k)
	checkAbsent(t, "the running database and its WAL", running, secrets)
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if b, err := os.ReadFile(ts.dbPath + suffix); err == nil {
			checkAbsent(t, "monban.db"+suffix, b, secrets)
		}
	}

	// The next start reads the same file, and the data opens.
	ts.start()
	if r := ts.tokenForm(bootID, bootSecret, url.Values{"grant_type": {"client_credentials"}, "resource": {ts.Mgmt}, "scope": {"all"}}); r.Status != 200 {
		t.Fatalf("token after restart: %d %s", r.Status, r.Body)
	}
}

// Start-up refuses a key other than the one the data was encrypted with,
// and a database with encrypted secrets whose key file is gone; an
// unusable key file is named in the error.
func TestSecretKeyRefusals(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite://" + filepath.Join(dir, "m.db")
	keyA, keyB := storetest.NewKey(t), storetest.NewKey(t)
	s, err := newServer(t, server.Config{DatabaseURL: db, SecretKey: keyA})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := os.Stat(filepath.Join(dir, server.SecretKeyFileName)); err == nil {
		t.Error("a key file was generated although a key is configured")
	}
	if _, err := newServer(t, server.Config{DatabaseURL: db, SecretKey: keyB}); err == nil ||
		!strings.Contains(err.Error(), "the secret key does not match the one the data was encrypted with") {
		t.Errorf("start with another key: %v", err)
	}
	if _, err := newServer(t, server.Config{DatabaseURL: db}); err == nil || !strings.Contains(err.Error(), "no secret key is set") {
		t.Errorf("start without a key over encrypted data: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, server.SecretKeyFileName)); err == nil {
		t.Error("a key file was generated for a database encrypted under another key")
	}
	// A key file with the wrong key, or none.
	keyFile := filepath.Join(dir, server.SecretKeyFileName)
	if err := os.WriteFile(keyFile, []byte(keyB.Encode()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := newServer(t, server.Config{DatabaseURL: db}); err == nil ||
		!strings.Contains(err.Error(), "does not match") || !strings.Contains(err.Error(), keyFile) {
		t.Errorf("start with a key file of another key: %v", err)
	}
	if err := os.WriteFile(keyFile, []byte("hunter2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := newServer(t, server.Config{DatabaseURL: db}); err == nil ||
		!strings.Contains(err.Error(), keyFile) || !strings.Contains(err.Error(), "openssl rand -base64 32") || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("start with a malformed key file: %v", err)
	}
	// The right key in a file others can read: it starts, with a warning.
	if err := os.WriteFile(keyFile, []byte(keyA.Encode()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(keyFile, 0o644); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	cfg := server.Config{DatabaseURL: db, Endpoint: "http://localhost:3001", ManagementIndicator: "http://localhost:3001/api",
		Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	s, err = server.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("start with the right key file: %v", err)
	}
	s.Close()
	if !strings.Contains(logs.String(), "chmod 600") {
		t.Errorf("no warning about a readable key file:\n%s", logs.String())
	}
}

// PostgreSQL refuses to start without a configured key; with one, the
// tables hold no secret in the clear, and another key is refused.
func TestSecretsAtRestPostgres(t *testing.T) {
	dbURL := postgres.NewTestDatabase(t)
	if _, err := newServer(t, server.Config{DatabaseURL: dbURL}); err == nil ||
		!strings.Contains(err.Error(), "PostgreSQL deployments must set the secret key") || !strings.Contains(err.Error(), "MONBAN_SECRET_KEY") {
		t.Fatalf("PostgreSQL without a key: %v", err)
	}
	key := storetest.NewKey(t)
	s, err := newServer(t, server.Config{DatabaseURL: dbURL, SecretKey: key})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	// The server made the keys; a customizer adds an environment variable.
	st, _, err := server.OpenStore(context.Background(), dbURL, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	storetest.Unlock(t, st, key)
	if _, err := st.PutJWTCustomizer(context.Background(), store.JWTCustomizer{TokenType: store.TokenTypeClientCredentials,
		Script: "x", EnvironmentVariables: map[string]string{"CRM_KEY": envSecret}}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	secrets := knownSecrets(t, dbURL, key)

	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var dump bytes.Buffer
	for _, table := range []string{"signing_keys", "settings", "jwt_customizers", "secret_keys"} {
		// Every column of every row, as text (bytea in hex) and raw.
		rows, err := db.Query("SELECT t::text FROM " + table + " t")
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			var row string
			if err := rows.Scan(&row); err != nil {
				t.Fatal(err)
			}
			dump.WriteString(row)
			n++
		}
		rows.Close()
		if n == 0 {
			t.Errorf("table %s is empty", table)
		}
	}
	hexed := map[string][]byte{}
	for name, v := range secrets {
		hexed[name] = v
		hexed[name+" (hex)"] = []byte(hex.EncodeToString(v))
	}
	checkAbsent(t, "the PostgreSQL tables", dump.Bytes(), hexed)

	if _, err := newServer(t, server.Config{DatabaseURL: dbURL, SecretKey: storetest.NewKey(t)}); err == nil ||
		!strings.Contains(err.Error(), "the secret key does not match the one the data was encrypted with") {
		t.Errorf("PostgreSQL with another key: %v", err)
	}
}
