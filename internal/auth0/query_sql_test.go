package auth0

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/store/sqlite"
	"github.com/monban/monban/internal/store/storetest"
)

// FuzzQuerySQL: every query the parser accepts runs in the database
// without an error (its SQL is well formed, whatever the values hold).
func FuzzQuerySQL(f *testing.F) {
	for _, s := range []string{`email:a@x.io`, `name:"J D" AND app_metadata.p:gold`, `name:O\'Brien* OR NOT user_id:auth0|x`,
		`app_metadata.a-b.c_d:"1 2"`, `name:"%_\\"`, `(name:a OR (email:b AND NOT phone_number:1))`, `email_verified:false OR NOT email_verified:"true"`} {
		f.Add(s)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(f.TempDir(), "q.db"))
	if err != nil {
		f.Fatal(err)
	}
	storetest.Unlock(f, st, storetest.NewKey(f))
	f.Cleanup(func() { st.Close() })
	u := store.User{ID: "u1", Name: "O'Brien", PrimaryEmail: "a@x.io", AppMetadata: map[string]any{"p": "gold", "a-b": map[string]any{"c_d": "1 2"}}}
	if err := st.CreateUser(context.Background(), u); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, q string) {
		query, err := ParseQuery(q)
		if err != nil {
			return
		}
		if _, _, err := st.ListUsers(context.Background(), store.UserFilter{Query: &query}, store.Page{Limit: 5}); err != nil {
			t.Fatalf("%q parsed but the store refused it: %v", q, err)
		}
	})
}
