package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pressly/goose/v3"

	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/store/enginetest"
	"github.com/monban/monban/internal/store/sqlstore"
	"github.com/monban/monban/internal/store/storetest"
)

// needServer skips the test unless a PostgreSQL server is configured.
func needServer(t *testing.T) {
	t.Helper()
	if os.Getenv(TestURLEnv) == "" {
		t.Skip("set " + TestURLEnv + " to run the PostgreSQL conformance suite")
	}
}

// openStore is Open as an enginetest.Opener.
func openStore(ctx context.Context, dbURL string) (store.Store, error) { return Open(ctx, dbURL) }

func TestConformance(t *testing.T) {
	needServer(t)
	enginetest.Conformance(t, NewTestDatabase, openStore)
}

func TestSecrets(t *testing.T) {
	needServer(t)
	enginetest.Secrets(t, NewTestDatabase, openStore)
}

// TestConcurrentMigrations opens several stores on one new database at
// once, as instances starting together would: the advisory lock must make
// them migrate one after the other, and the schema be applied once.
func TestConcurrentMigrations(t *testing.T) {
	needServer(t)
	ctx := t.Context()
	dbURL := NewTestDatabase(t)

	// Create goose's version table first. goose retries creating it a second
	// later when that fails, which would stagger the instances and hide a
	// missing lock; with the table there, they all start migrating at once
	// (and without the lock all but one fail on CREATE TABLE).
	db, _, err := connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, sqlstore.Migrations(), goose.WithDisableGlobalRegistry(true))
	if err == nil {
		_, err = p.GetDBVersion(ctx)
	}
	db.Close()
	if err != nil {
		t.Fatalf("create the version table: %v", err)
	}

	const instances = 3
	stores := make([]*sqlstore.Store, instances)
	errs := make([]error, instances)
	var wg sync.WaitGroup
	for i := range instances {
		wg.Go(func() { stores[i], errs[i] = Open(ctx, dbURL) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open #%d: %v", i, err)
			continue
		}
		defer stores[i].Close()
	}
	if t.Failed() {
		return
	}
	for i, s := range stores {
		id := fmt.Sprint("app", i)
		if err := s.CreateApplication(ctx, store.Application{ID: id, Name: id, Type: store.AppSPA}); err != nil {
			t.Errorf("CreateApplication on store #%d: %v", i, err)
		}
	}
	checkMigrationsOnce(t, dbURL)
}

// checkMigrationsOnce fails the test unless goose recorded every migration
// exactly once.
func checkMigrationsOnce(t *testing.T, dbURL string) {
	t.Helper()
	db, _, err := connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	storetest.MigrationsRecordedOnce(t, db)
}

// TestReopen checks that data survives closing and that opening an
// up-to-date database applies no migration again.
func TestReopen(t *testing.T) {
	needServer(t)
	dbURL := NewTestDatabase(t)
	enginetest.Reopen(t, dbURL, openStore, func() (*sql.DB, error) { db, _, err := connect(t.Context(), dbURL); return db, err })
}

// TestConcurrentReadModifyWrite has goroutines on two stores (two instances
// of the server) race the read-then-write operations. Serializable
// transactions conflict here, and the store must retry them until each call
// succeeds, leaving a state some serial order would have produced.
func TestConcurrentReadModifyWrite(t *testing.T) {
	needServer(t)
	ctx := t.Context()
	dbURL := NewTestDatabase(t)

	// Count the failures the stores retry.
	var retried atomic.Int64
	d := dialect
	d.Retryable = func(err error) bool {
		r := retryable(err)
		if r {
			retried.Add(1)
		}
		return r
	}
	var mostRetries atomic.Int64 // of one call
	d.RetryDelay = func(attempt int) time.Duration {
		for {
			m := mostRetries.Load()
			if int64(attempt) <= m || mostRetries.CompareAndSwap(m, int64(attempt)) {
				break
			}
		}
		return retryDelay(attempt)
	}
	a, err := open(ctx, dbURL, d)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := open(ctx, dbURL, d)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	enginetest.UnlockShared(t, a, b)

	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	const nResources, nScopes = 3, 8
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("setup: %v", err)
		}
	}
	must(a.CreateRole(ctx, store.Role{ID: "role", Name: "role", Type: store.RoleMachineToMachine, CreatedAt: t0}))
	var scopeIDs []string
	for r := range nResources {
		rid := fmt.Sprint("res", r)
		must(a.CreateResource(ctx, store.Resource{ID: rid, Name: rid, Indicator: "https://api.example.com/" + rid,
			AccessTokenTTL: 3600, CreatedAt: t0}))
		for i := range nScopes {
			sid := fmt.Sprintf("%s-scope%d", rid, i)
			must(a.CreateScope(ctx, store.Scope{ID: sid, ResourceID: rid, Name: sid, CreatedAt: t0}))
			scopeIDs = append(scopeIDs, sid)
		}
	}
	must(a.CreateSigningKey(ctx, store.SigningKey{ID: "key-initial", Algorithm: "ES256", Status: store.KeyCurrent,
		PrivateKey: []byte("k"), CreatedAt: t0}))
	// The writes above append outbox events, which take turns; tokens
	// issued from one grant do not, and conflict on the grant's row.
	must(a.CreateApplication(ctx, store.Application{ID: "client", Name: "client", Type: store.AppSPA, CreatedAt: t0}))
	must(a.CreateUser(ctx, store.User{ID: "user", Username: "user", CreatedAt: t0, UpdatedAt: t0}))
	must(a.CreateGrant(ctx, store.Grant{ID: "grant", UserID: "user", ClientID: "client", AuthTime: t0, CreatedAt: t0,
		ExpiresAt: t0.Add(time.Hour)}, nil))

	const workers, rounds = 6, 8
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		failures []string
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		failures = append(failures, fmt.Sprintf(format, args...))
	}
	for w := range workers {
		s := []*sqlstore.Store{a, b}[w%2]
		wg.Go(func() {
			for i := range rounds {
				// Overlapping batches of links, some of them already there.
				from := (w*3 + i*5) % len(scopeIDs)
				batch := append(append([]string{}, scopeIDs[from:]...), scopeIDs[:from]...)[:len(scopeIDs)/2]
				if err := s.AddRoleScopes(ctx, "role", batch); err != nil {
					fail("AddRoleScopes: %v", err)
				}
				if err := s.SetDefaultResource(ctx, fmt.Sprint("res", (w+i)%nResources), true); err != nil {
					fail("SetDefaultResource: %v", err)
				}
				now := t0.Add(time.Duration(1+w*rounds+i) * time.Minute)
				key := store.SigningKey{ID: fmt.Sprintf("key-%d-%d", w, i), Algorithm: "ES256",
					PrivateKey: []byte("k"), CreatedAt: now}
				if err := s.RotateSigningKeys(ctx, key, now, time.Time{}); err != nil {
					fail("RotateSigningKeys: %v", err)
				}
				issue := store.Issue{AccessTokens: []store.IssuedAccessToken{{JTI: key.ID, ExpiresAt: now.Add(time.Hour)}}}
				if err := s.IssueFromGrant(ctx, "grant", issue); err != nil {
					fail("IssueFromGrant: %v", err)
				}
			}
		})
	}
	wg.Wait()
	// The catalog writes above take turns (outbox events), which can keep
	// the few token issues between them from meeting. Issuing does not take
	// turns: bursts of it from the one grant, all started at once, overlap.
	for burst := 0; retried.Load() == 0 && burst < 20; burst++ {
		start := make(chan struct{})
		var bw sync.WaitGroup
		for w := range workers {
			s := []*sqlstore.Store{a, b}[w%2]
			bw.Go(func() {
				<-start
				for i := range 5 {
					issue := store.Issue{AccessTokens: []store.IssuedAccessToken{{JTI: fmt.Sprintf("burst-%d-%d-%d", burst, w, i),
						ExpiresAt: t0.Add(2 * time.Hour)}}}
					if err := s.IssueFromGrant(ctx, "grant", issue); err != nil {
						fail("IssueFromGrant: %v", err)
					}
				}
			})
		}
		close(start)
		bw.Wait()
	}
	for _, f := range failures {
		t.Error(f)
	}
	t.Logf("%d serialization failures retried, at most %d in one call (%d runs allowed)",
		retried.Load(), mostRetries.Load(), maxWriteAttempts)
	if retried.Load() == 0 {
		t.Error("no transaction was retried: the writers did not overlap, so the test proved nothing")
	}

	cat, err := b.LoadCatalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defaults := 0
	for _, r := range cat.Resources {
		if r.IsDefault {
			defaults++
		}
	}
	if defaults != 1 {
		t.Errorf("%d default resources, want 1", defaults)
	}
	// Every scope was in some batch.
	if len(cat.RoleScopes) != len(scopeIDs) {
		t.Errorf("role has %d scopes, want %d", len(cat.RoleScopes), len(scopeIDs))
	}
	// Each rotation retired exactly the key current before it.
	current, previous := 0, 0
	for _, k := range cat.SigningKeys {
		switch {
		case k.Status == store.KeyCurrent && k.RetiredAt.IsZero():
			current++
		case k.Status == store.KeyPrevious && !k.RetiredAt.IsZero():
			previous++
		default:
			t.Errorf("key %s: status %s, retired at %v", k.ID, k.Status, k.RetiredAt)
		}
	}
	if want := workers * rounds; current != 1 || previous != want {
		t.Errorf("%d current and %d previous keys, want 1 and %d", current, previous, want)
	}
}

// TestConstraintErrors checks that the store's error mapping matches the
// errors the server really sends, also when wrapped.
func TestConstraintErrors(t *testing.T) {
	needServer(t)
	db, _, err := connect(t.Context(), NewTestDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	wrapped := func(is func(error) bool) func(error) bool {
		return func(err error) bool { return is(fmt.Errorf("wrapped: %w", err)) }
	}
	errs := storetest.ConstraintErrors(t, db, wrapped(dialect.IsUniqueViolation), wrapped(dialect.IsForeignKeyViolation))
	for _, err := range errs {
		if retryable(err) {
			t.Errorf("retryable(%v)", err)
		}
	}
}

// TestSerializationFailureIsRetryable provokes a serialization failure with
// two overlapping serializable transactions and checks that it is taken for
// a retryable error.
func TestSerializationFailureIsRetryable(t *testing.T) {
	needServer(t)
	ctx := t.Context()
	db, _, err := connect(ctx, NewTestDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE TABLE t (id INT PRIMARY KEY, v INT); INSERT INTO t VALUES (1, 0)"); err != nil {
		t.Fatal(err)
	}
	tx1, err := db.BeginTx(ctx, &dialect.WriteTx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx1.Rollback()
	tx2, err := db.BeginTx(ctx, &dialect.WriteTx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx2.Rollback()
	var v int
	for _, tx := range []*sql.Tx{tx1, tx2} { // both take their snapshot
		if err := tx.QueryRowContext(ctx, "SELECT v FROM t WHERE id = 1").Scan(&v); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tx1.ExecContext(ctx, "UPDATE t SET v = v + 1 WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	if err := tx1.Commit(); err != nil {
		t.Fatal(err)
	}
	_, err = tx2.ExecContext(ctx, "UPDATE t SET v = v + 1 WHERE id = 1")
	if err == nil {
		err = tx2.Commit()
	}
	if err == nil || !retryable(fmt.Errorf("wrapped: %w", err)) {
		t.Errorf("second of two conflicting transactions: error %v, want a retryable one", err)
	}
}

// TestMigrationsDownUp runs every migration down and up again on
// PostgreSQL, so that the Down sections are checked on this engine too.
func TestMigrationsDownUp(t *testing.T) {
	needServer(t)
	ctx := t.Context()
	dbURL := NewTestDatabase(t)
	s, err := Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	reconnect := func() (*sql.DB, error) {
		db, _, err := connect(ctx, dbURL)
		return db, err
	}
	enginetest.DownUp(t, s, reconnect, goose.DialectPostgres,
		"SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name NOT LIKE 'goose%'")
}

// TestOpenMigratesWhenBehind: with the newest migration rolled back, an
// open applies it again on PostgreSQL too.
func TestOpenMigratesWhenBehind(t *testing.T) {
	needServer(t)
	dbURL := NewTestDatabase(t)
	s, err := Open(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	reconnect := func() (*sql.DB, error) {
		db, _, err := connect(t.Context(), dbURL)
		return db, err
	}
	enginetest.UpAfterDown(t, s, dbURL, openStore, reconnect, goose.DialectPostgres)
}

// TestOpenErrors needs no server: the messages must name the address but
// never the password.
func TestOpenErrors(t *testing.T) {
	ctx := t.Context()
	for _, tc := range []struct {
		url  string
		want string
	}{
		// Nothing listens on port 1.
		{"postgres://monban:s3cret-pw@127.0.0.1:1/monban?sslmode=disable&connect_timeout=2", "127.0.0.1:1"},
		{"postgresql://monban@127.0.0.1:1/monban?password=s3cret-pw&sslmode=disable", "127.0.0.1:1"},
		{"mysql://monban:s3cret-pw@127.0.0.1/monban", "postgres://"},
		{"postgres://monban:s3cret-pw@127.0.0.1:port/monban", "invalid port"},
		{"postgres://monban:s3cret-pw@127.0.0.1/monban?sslmode=sometimes", "sslmode"},
		{"postgres://monban:s3cret-pw@127.0.0.1/monban?pool_max_conns=1", "pool_max_conns"},
		{"postgres://monban:s3cret-pw@127.0.0.1/monban?pool_max_conn_idle_time=often", "pool_max_conn_idle_time"},
	} {
		s, err := Open(ctx, tc.url)
		if err == nil {
			s.Close()
			t.Errorf("Open(%s) succeeded", tc.url)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, "s3cret-pw") || !strings.Contains(msg, tc.want) {
			t.Errorf("Open(%s): error %q, want one naming %q and not the password", tc.url, msg, tc.want)
		}
	}
}

// TestPoolSettings checks the defaults and the URL parameters that change
// them, which must not reach the server.
func TestPoolSettings(t *testing.T) {
	needServer(t)
	ctx := t.Context()
	dbURL := NewTestDatabase(t)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("pool_max_conns", "7")
	q.Set("pool_max_conn_idle_time", "1m")
	q.Set("pool_max_conn_lifetime", "30m")
	u.RawQuery = q.Encode()

	s, err := Open(ctx, u.String())
	if err != nil {
		t.Fatalf("Open with pool parameters: %v", err)
	}
	s.Close()
	for _, tc := range []struct {
		url  string
		want int
	}{{dbURL, defaultMaxConns}, {u.String(), 7}} {
		db, _, err := connect(ctx, tc.url)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if got := db.Stats().MaxOpenConnections; got != tc.want {
			t.Errorf("%s: MaxOpenConnections = %d, want %d", tc.url, got, tc.want)
		}
		var app string
		if err := db.QueryRowContext(ctx, "SHOW application_name").Scan(&app); err != nil {
			t.Fatal(err)
		}
		if app != defaultApplicationName {
			t.Errorf("application_name = %q, want %q", app, defaultApplicationName)
		}
	}
}

// TestRetryable checks the codes taken for transient failures.
func TestRetryable(t *testing.T) {
	for code, want := range map[string]bool{
		codeSerializationFailure: true,
		codeDeadlockDetected:     true,
		codeUniqueViolation:      false,
		"57014":                  false, // query canceled
	} {
		err := fmt.Errorf("commit: %w", &pgconn.PgError{Code: code})
		if got := retryable(err); got != want {
			t.Errorf("retryable(%s) = %v, want %v", code, got, want)
		}
	}
	if retryable(errors.New("40001")) || retryable(context.Canceled) {
		t.Error("an error that is not PostgreSQL's was taken for a retryable one")
	}
}

func TestRetryDelay(t *testing.T) {
	for attempt := 1; attempt < 40; attempt++ {
		bound := min(retryDelayBase<<min(attempt-1, 20), retryDelayMax)
		for range 50 {
			if d := retryDelay(attempt); d < bound/2 || d > bound {
				t.Fatalf("retryDelay(%d) = %v, want between %v and %v", attempt, d, bound/2, bound)
			}
		}
	}
}

// Encrypting the secrets an earlier version stored in the clear leaves no
// old row version holding them in the table files. The test reads the
// files, so it needs a local server whose data directory it may read.
func TestPlaintextScrubbedFromTables(t *testing.T) {
	needServer(t)
	ctx := t.Context()
	s, err := Open(ctx, NewTestDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db := s.DB()
	const secret = "PLAINTEXT-HMAC-KEY-VALUE"
	if _, err := db.ExecContext(ctx, "INSERT INTO settings (name, value) VALUES ('client_secret_hash_key', $1)", secret); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO signing_keys (id, algorithm, status, private_key, created_at) VALUES ('k1', 'ES256', 'current', $1, 1)",
		[]byte("\x30\x82PLAINTEXT-PRIVATE-KEY")); err != nil {
		t.Fatal(err)
	}
	if n, err := s.UnlockSecrets(ctx, storetest.NewKey(t)); err != nil || n != 2 {
		t.Fatalf("UnlockSecrets = %d, %v", n, err)
	}
	var dataDir string
	if err := db.QueryRowContext(ctx, "SHOW data_directory").Scan(&dataDir); err != nil {
		t.Skipf("data directory: %v", err)
	}
	// leftovers returns the old values found in the table files.
	leftovers := func() []string {
		if _, err := db.ExecContext(ctx, "CHECKPOINT"); err != nil {
			t.Skipf("CHECKPOINT: %v", err)
		}
		var found []string
		for _, table := range []string{"settings", "signing_keys"} {
			var rel string
			if err := db.QueryRowContext(ctx, "SELECT pg_relation_filepath($1)", table).Scan(&rel); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(dataDir + "/" + rel)
			if err != nil {
				t.Skipf("cannot read the table files: %v", err)
			}
			for _, v := range []string{secret, "PLAINTEXT-PRIVATE-KEY"} {
				if strings.Contains(string(b), v) {
					found = append(found, table+": "+v)
				}
			}
		}
		return found
	}
	found := leftovers()
	// VACUUM FULL keeps the row versions a transaction may still need, and
	// the server counts every backend still connecting, in any database:
	// with other tests connecting meanwhile, the first scrub can keep them.
	// Scrubbing again once they are gone removes them.
	for attempt := 1; len(found) > 0 && attempt <= 3 && dialect.Scrub != nil; attempt++ {
		t.Logf("after scrub %d: %v; scrubbing again", attempt, found)
		time.Sleep(200 * time.Millisecond)
		if err := dialect.Scrub(ctx, db); err != nil {
			t.Fatal(err)
		}
		found = leftovers()
	}
	for _, f := range found {
		t.Errorf("a table file still holds an old value in the clear (%s)", f)
	}
}

// TestLockSetUp has two instances take the set-up lock: the second waits
// while the first holds it, and gets it once it is given back.
func TestLockSetUp(t *testing.T) {
	needServer(t)
	dbURL := NewTestDatabase(t)
	open := func() store.Store {
		s, err := Open(t.Context(), dbURL)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b := open(), open()
	defer b.Close()
	release, err := a.LockSetUp(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	waiting, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	if _, err := b.LockSetUp(waiting); err == nil {
		t.Fatal("a second instance took the set-up lock while the first held it")
	}
	release()
	releaseB, err := b.LockSetUp(t.Context())
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	releaseB()
	a.Close()
}
