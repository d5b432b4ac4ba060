package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/monban/monban/internal/server"
)

const resetAdminUsage = `Usage: monban reset-admin-password [-username admin] [flags]

Gives a console administrator a new random password and prints it once:
the way back in when the first start's password was lost, or never seen.
The user is created if missing, and given the "Admin" role unless they hold
a role with the Management API's "all" permission. It works on the database
directly, with the settings "monban serve" is given (flags or MONBAN_*
variables); a running server sees the change at once.

`

const createAppUsage = `Usage: monban create-bootstrap-app [flags]

Creates a new machine-to-machine app holding the "Management API access"
role and prints its App ID and App Secret once: the way back in when the
first start's credentials were lost, or never seen. It works on the
database directly, with the settings "monban serve" is given (flags or
MONBAN_* variables); a running server sees the new app within a moment.

`

// offlineFlags are the settings of "monban serve" the recovery commands
// need: where the database is, its secret key, and where the server is
// reached (for the printed links).
type offlineFlags struct {
	addr, endpoint, dbURL, indicator *string
	key                              *keyFlags
}

func addOfflineFlags(fs *flag.FlagSet, getenv func(string) string) *offlineFlags {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	return &offlineFlags{
		addr:      fs.String("addr", env("MONBAN_ADDR", server.DefaultAddr), "the server's listen address, for the default endpoint (MONBAN_ADDR)"),
		endpoint:  fs.String("endpoint", getenv("MONBAN_ENDPOINT"), "the server's public base URL (MONBAN_ENDPOINT)"),
		dbURL:     fs.String("database-url", env("MONBAN_DATABASE_URL", server.DefaultDatabaseURL), "database URL (MONBAN_DATABASE_URL)"),
		indicator: fs.String("management-api-indicator", getenv("MONBAN_MANAGEMENT_API_INDICATOR"), "Management API resource indicator, default {endpoint}/api (MONBAN_MANAGEMENT_API_INDICATOR)"),
		key:       addKeyFlags(fs, getenv, "secret-key", "MONBAN_SECRET_KEY", "the key that encrypts the secrets at rest"),
	}
}

func (o *offlineFlags) config() (server.Config, error) {
	key, err := o.key.key()
	if err != nil {
		return server.Config{}, err
	}
	cfg := server.DefaultConfig()
	cfg.Addr, cfg.Endpoint, cfg.DatabaseURL, cfg.ManagementIndicator, cfg.SecretKey = *o.addr, *o.endpoint, *o.dbURL, *o.indicator, key
	return cfg, nil
}

// recoveryCommand parses a recovery command's flags and runs do with the
// configuration, printing the notice it returns on stdout.
func recoveryCommand(name, usage string, args []string, getenv func(string) string, stdout, stderr io.Writer,
	extra func(*flag.FlagSet), do func(context.Context, server.Config) (server.Notice, error)) int {
	fs := flag.NewFlagSet("monban "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	of := addOfflineFlags(fs, getenv)
	if extra != nil {
		extra(fs)
	}
	if err := applyEnv(fs, getenv); err != nil {
		fmt.Fprintf(stderr, "monban %s: %v\n", name, err)
		return 2
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "monban %s: unexpected argument %q\n", name, fs.Arg(0))
		return 2
	}
	cfg, err := of.config()
	if err != nil {
		fmt.Fprintf(stderr, "monban %s: %v\n", name, err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	n, err := do(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "monban %s: %v\n", name, err)
		return 1
	}
	server.WriteNotices(stdout, []server.Notice{n}, false, time.Now())
	return 0
}

func resetAdminPassword(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	var username *string
	return recoveryCommand("reset-admin-password", resetAdminUsage, args, getenv, stdout, stderr,
		func(fs *flag.FlagSet) {
			username = fs.String("username", "admin", "the administrator's username")
		},
		func(ctx context.Context, cfg server.Config) (server.Notice, error) {
			return server.ResetAdminPassword(ctx, cfg, *username)
		})
}

func createBootstrapApp(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	return recoveryCommand("create-bootstrap-app", createAppUsage, args, getenv, stdout, stderr, nil, server.CreateBootstrapApp)
}
