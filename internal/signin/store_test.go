package signin

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/monban/monban/internal/keys"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/store/sqlite"
	"github.com/monban/monban/internal/store/sqlstore"
	"github.com/monban/monban/internal/store/storetest"
)

// openStore opens a fresh SQLite database with a signing key.
func openStore(t testing.TB, now time.Time) *sqlstore.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "m.db"))
	must(t, err)
	t.Cleanup(func() { _ = st.Close() })
	storetest.Unlock(t, st, storetest.NewKey(t))
	sk, err := keys.Generate(keys.ES256, store.KeyCurrent, now)
	must(t, err)
	must(t, st.CreateSigningKey(t.Context(), sk))
	return st
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
