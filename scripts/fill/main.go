// Command fill fills a database with many applications, API resources and
// users, to measure a server's memory and start-up with a large catalog.
// It opens the database as the server does (creating and migrating it),
// then inserts the rows in transactions of -batch rows, many rows to a
// statement:
//
//   - -resources API resources, each with three scopes;
//   - one machine-to-machine role holding a scope of the first resource,
//     and -apps machine-to-machine applications, each with a secret and
//     that role;
//   - -users users, with a username and an e-mail address, no password.
//
// Fill a database no server is running on: the rows are written without
// the outbox events a running server would follow (a server reads them
// all when it starts). The secrets are random bytes in place of a hash:
// the applications cannot authenticate.
//
//	go run ./scripts/fill -database-url sqlite:///tmp/big.db
//	go run ./scripts/loadtest -database-url sqlite:///tmp/big.db   # then: peakRSS
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/monban/monban/internal/server"
	"github.com/monban/monban/internal/store"
)

type options struct {
	dbURL                  string
	apps, resources, users int
	batch                  int
}

func main() {
	var o options
	flag.StringVar(&o.dbURL, "database-url", "", "the database to fill (sqlite://… or postgres://…), as MONBAN_DATABASE_URL")
	flag.IntVar(&o.apps, "apps", 10000, "machine-to-machine applications")
	flag.IntVar(&o.resources, "resources", 1000, "API resources, three scopes each")
	flag.IntVar(&o.users, "users", 100000, "users")
	flag.IntVar(&o.batch, "batch", 500, "rows to a transaction")
	flag.Parse()
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "fill:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	if o.dbURL == "" {
		return errors.New("-database-url is required")
	}
	if o.apps < 0 || o.resources < 1 || o.users < 0 || o.batch < 1 {
		return errors.New("-apps and -users must not be negative, -resources and -batch must be at least 1")
	}
	st, _, err := server.OpenStore(ctx, o.dbURL, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	db, ok := st.(interface{ DB() *sql.DB })
	if !ok {
		return errors.New("the store does not expose its database")
	}
	f := &filler{db: db.DB(), postgres: strings.HasPrefix(o.dbURL, "postgres"), batch: o.batch,
		run: randomID(6), now: time.Now().UnixMilli()}
	start := time.Now()
	steps := []struct {
		what string
		n    int
		fill func(int) error
	}{
		{"resources", o.resources, f.resources},
		{"applications", o.apps, f.apps},
		{"users", o.users, f.users},
	}
	for _, s := range steps {
		t := time.Now()
		if err := s.fill(s.n); err != nil {
			return fmt.Errorf("%s: %w", s.what, err)
		}
		fmt.Printf("%d %s in %.1f s\n", s.n, s.what, time.Since(t).Seconds())
	}
	fmt.Printf("filled in %.1f s\n", time.Since(start).Seconds())
	return nil
}

// filler inserts rows in batches. run makes this run's ids and names
// unique, so that a database can be filled more than once.
type filler struct {
	db       *sql.DB
	postgres bool
	batch    int
	run      string
	now      int64
}

func (f *filler) id(kind string, i int) string { return fmt.Sprintf("%s%s%07d", kind, f.run, i) }

// resources inserts n resources with three scopes each, and the role the
// applications hold (a scope of the first resource).
func (f *filler) resources(n int) error {
	err := f.insert("resources", "id, name, indicator, access_token_ttl, created_at", n, func(i int) []any {
		return []any{f.id("r", i), fmt.Sprintf("API %s %d", f.run, i), fmt.Sprintf("https://api-%s-%d.example", f.run, i), 3600, f.now}
	})
	if err != nil {
		return err
	}
	err = f.insert("scopes", "id, resource_id, name, description, created_at", 3*n, func(i int) []any {
		name := [...]string{"read", "write", "admin"}[i%3]
		return []any{f.id("s", i), f.id("r", i/3), name, "Can " + name, f.now}
	})
	if err != nil {
		return err
	}
	if err := f.insert("roles", "id, name, description, type, created_at", 1, func(int) []any {
		return []any{f.id("o", 0), "Fill reader " + f.run, "Reads the first API", string(store.RoleMachineToMachine), f.now}
	}); err != nil {
		return err
	}
	return f.insert("role_scopes", "role_id, scope_id", 1, func(int) []any { return []any{f.id("o", 0), f.id("s", 0)} })
}

// apps inserts n machine-to-machine applications, each with a secret and
// the role.
func (f *filler) apps(n int) error {
	err := f.insert("applications", "id, name, type, created_at", n, func(i int) []any {
		return []any{f.id("a", i), fmt.Sprintf("Service %s %d", f.run, i), string(store.AppMachineToMachine), f.now}
	})
	if err != nil {
		return err
	}
	err = f.insert("app_secrets", "app_id, name, hash, created_at", n, func(i int) []any {
		h := make([]byte, 32)
		_, _ = rand.Read(h)
		return []any{f.id("a", i), "default", h, f.now}
	})
	if err != nil {
		return err
	}
	return f.insert("role_applications", "role_id, app_id", n, func(i int) []any { return []any{f.id("o", 0), f.id("a", i)} })
}

func (f *filler) users(n int) error {
	return f.insert("users", "id, username, primary_email, name, created_at, updated_at", n, func(i int) []any {
		name := fmt.Sprintf("user_%s_%d", f.run, i)
		return []any{f.id("u", i), name, name + "@example.com", fmt.Sprintf("User %d", i), f.now, f.now}
	})
}

// insert inserts n rows of cols into table, row(i) giving the i-th, a
// transaction of f.batch rows at a time (at most 100 to a statement).
func (f *filler) insert(table, cols string, n int, row func(int) []any) error {
	width := strings.Count(cols, ",") + 1
	for lo := 0; lo < n; lo += f.batch {
		hi := min(lo+f.batch, n)
		tx, err := f.db.Begin()
		if err != nil {
			return err
		}
		for s := lo; s < hi; s += 100 {
			e := min(s+100, hi)
			args := make([]any, 0, (e-s)*width)
			for i := s; i < e; i++ {
				args = append(args, row(i)...)
			}
			if _, err := tx.Exec(f.statement(table, cols, width, e-s), args...); err != nil {
				_ = tx.Rollback()
				return err
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// statement is an INSERT of rows rows of width values, in the engine's
// placeholders.
func (f *filler) statement(table, cols string, width, rows int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (" + cols + ") VALUES ")
	p := 0
	for r := range rows {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := range width {
			if c > 0 {
				b.WriteByte(',')
			}
			p++
			if f.postgres {
				b.WriteString("$" + strconv.Itoa(p))
			} else {
				b.WriteByte('?')
			}
		}
		b.WriteByte(')')
	}
	return b.String()
}

func randomID(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
