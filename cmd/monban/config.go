package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/monban/monban/internal/console"
	"github.com/monban/monban/internal/declare"
	"github.com/monban/monban/internal/egress"
	"github.com/monban/monban/internal/server"
	"github.com/monban/monban/m2m"
)

const applyUsage = `Usage: monban apply -f monban.yaml [-dry-run] [-prune] [flags]

Makes a server hold what the configuration document declares: prints the
plan (+ create, ~ change, - delete), then applies it. Nothing is deleted
without -prune. A document with any problem is refused whole, before the
first write. See docs/config-as-code.md.

With -endpoint, the server is a running one, reached through its
Management API with an M2M app's credentials (MONBAN_APPLY_CLIENT_ID and
MONBAN_APPLY_CLIENT_SECRET). Without it, the database of -database-url is
changed directly, read as "monban serve" reads it.

Exit status: 0 applied (or, with -dry-run, planned), 1 refused or failed,
2 a mistake in the command line or the settings.

`

const exportUsage = `Usage: monban export [-o monban.yaml] [flags]

Writes what a server holds as a configuration document (to stdout by
default): resources, applications without secrets, roles, custom JWT
scripts and webhooks, with ${NAME} references in place of the scripts'
environment values and the webhooks' header values.
The target flags are those of "monban apply".

`

// targetFlags are the flags that choose the server apply and export
// work on.
type targetFlags struct {
	endpoint, clientID, clientSecret, indicator, dbURL, hookAllow *string
	key                                                           *keyFlags
	hookPolicy                                                    egress.Policy // hookAllow, read by check
}

// check reads the flags that need more than their flag.Value: false and
// the message on stderr for a mistake.
func (f *targetFlags) check(fs *flag.FlagSet, stderr io.Writer) bool {
	var err error
	if f.hookPolicy, err = egress.ParseAllow(settingName(fs, "hook-allow"), *f.hookAllow); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
		return false
	}
	return true
}

func addTargetFlags(fs *flag.FlagSet, getenv func(string) string) *targetFlags {
	return &targetFlags{
		endpoint:     fs.String("endpoint", "", "a running server's base URL, e.g. https://auth.example.com: use its Management API (MONBAN_APPLY_ENDPOINT)"),
		clientID:     fs.String("client-id", "", "App ID of an M2M app with the Management API's all permission, for -endpoint (MONBAN_APPLY_CLIENT_ID)"),
		clientSecret: fs.String("client-secret", "", "its App Secret (MONBAN_APPLY_CLIENT_SECRET; prefer the variable: flags show in process lists)"),
		indicator:    fs.String("management-api-indicator", "", "Management API resource indicator, default {endpoint}/api (MONBAN_MANAGEMENT_API_INDICATOR)"),
		dbURL:        fs.String("database-url", server.DefaultDatabaseURL, "without -endpoint: the database to change directly (MONBAN_DATABASE_URL)"),
		key:          addKeyFlags(fs, getenv, "secret-key", "MONBAN_SECRET_KEY", "without -endpoint: the key of the secrets at rest"),
		hookAllow:    fs.String("hook-allow", "", "without -endpoint: the hosts and networks webhooks may reach besides public addresses, as monban serve's (MONBAN_HOOK_ALLOW)"),
	}
}

// parseCommand reads a command's flags and variables; nil and the exit
// code on a mistake or -h.
func parseCommand(fs *flag.FlagSet, args []string, getenv func(string) string, stderr io.Writer) (ok bool, code int) {
	if err := applyEnv(fs, getenv); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
		return false, 2
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return false, 0
		}
		return false, 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return false, 2
	}
	return true, 0
}

// target opens what the flags name; close releases it.
//
// On a database, close also releases the set-up lock target takes, so
// that an apply does not race an instance applying its configuration file
// at start-up, nor another offline apply.
func (f *targetFlags) target(ctx context.Context, getenv func(string) string) (t declare.Target, protected string, close func(), err error) {
	endpoint := strings.TrimRight(*f.endpoint, "/")
	if endpoint != "" {
		indicator := *f.indicator
		if indicator == "" {
			indicator = endpoint + "/api"
		}
		if *f.clientID == "" || *f.clientSecret == "" {
			return nil, "", nil, errors.New("-endpoint needs an M2M app's credentials: set MONBAN_APPLY_CLIENT_ID and MONBAN_APPLY_CLIENT_SECRET (or -client-id and -client-secret)")
		}
		ts, err := m2m.New(m2m.Config{Endpoint: endpoint, AppID: *f.clientID, AppSecret: *f.clientSecret, Resource: indicator, Scopes: []string{"all"}})
		if err != nil {
			return nil, "", nil, err
		}
		if _, err := ts.Token(); err != nil {
			return nil, "", nil, fmt.Errorf("getting a Management API token from %s: %w", endpoint, err)
		}
		return &declare.Remote{Endpoint: endpoint, Indicator: indicator, BuiltInApps: []string{console.DefaultClientID}, Client: ts.Client(ctx)},
			*f.clientID, func() {}, nil
	}
	// The server's endpoint names its built-in resources: the Management
	// API (unless its indicator is set) and the Management API v2.
	base := getenv("MONBAN_ENDPOINT")
	if base == "" {
		addr := getenv("MONBAN_ADDR")
		if addr == "" {
			addr = server.DefaultAddr
		}
		var err error
		if base, err = server.EndpointFor(addr); err != nil {
			return nil, "", nil, fmt.Errorf("MONBAN_ADDR: %w", err)
		}
	}
	indicator := *f.indicator
	if indicator == "" {
		indicator = strings.TrimRight(base, "/") + "/api"
	}
	key, err := f.key.key()
	if err != nil {
		return nil, "", nil, err
	}
	cfg := server.DefaultConfig()
	cfg.DatabaseURL, cfg.SecretKey, cfg.ManagementIndicator, cfg.Endpoint = *f.dbURL, key, indicator, strings.TrimRight(base, "/")
	cfg.Webhooks.Egress = f.hookPolicy
	ct, err := server.OpenConfigTarget(ctx, cfg)
	if err != nil {
		return nil, "", nil, err
	}
	release, err := ct.Lock(ctx)
	if err != nil {
		ct.Close()
		return nil, "", nil, fmt.Errorf("waiting for instances starting on the database: %w", err)
	}
	return ct, "", func() { release(); ct.Close() }, nil
}

// applyConfig is the apply command.
func applyConfig(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("monban apply", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, applyUsage)
		fs.PrintDefaults()
	}
	file := fs.String("f", "", "the configuration document; - reads stdin")
	dryRun := fs.Bool("dry-run", false, "print the plan only; change nothing")
	prune := fs.Bool("prune", false, "delete what the document does not declare")
	tf := addTargetFlags(fs, getenv)
	if ok, code := parseCommand(fs, args, getenv, stderr); !ok {
		return code
	}
	if !tf.check(fs, stderr) {
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "monban apply:", err)
		return 1
	}
	if *file == "" {
		fmt.Fprintln(stderr, "monban apply: give the document with -f FILE (or -f - for stdin)")
		return 2
	}
	doc, err := readDocument(*file, os.Stdin, getenv)
	if err != nil {
		return fail(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	t, protected, closeTarget, err := tf.target(ctx, getenv)
	if err != nil {
		return fail(err)
	}
	defer closeTarget()
	plan, err := declare.Make(ctx, t, doc, declare.Options{Prune: *prune, Protected: protected})
	if err != nil {
		return fail(err)
	}
	plan.Write(stdout)
	if *dryRun || plan.Empty() {
		return 0
	}
	if err := plan.Apply(ctx); err != nil {
		return fail(err)
	}
	fmt.Fprintln(stdout, "Applied.")
	return 0
}

// readDocument reads, parses and resolves the document at path ("-": in,
// unless in is nil), naming the file in errors.
func readDocument(path string, in io.Reader, getenv func(string) string) (*declare.Document, error) {
	r := in
	if path != "-" || in == nil {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	doc, err := declare.Parse(r)
	if err == nil {
		doc, err = declare.Resolve(doc, declare.OSLookup(getenv))
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return doc, nil
}

// exportConfig is the export command.
func exportConfig(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("monban export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, exportUsage)
		fs.PrintDefaults()
	}
	out := fs.String("o", "", "write the document to this file instead of stdout")
	tf := addTargetFlags(fs, getenv)
	if ok, code := parseCommand(fs, args, getenv, stderr); !ok {
		return code
	}
	if !tf.check(fs, stderr) {
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "monban export:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	t, _, closeTarget, err := tf.target(ctx, getenv)
	if err != nil {
		return fail(err)
	}
	defer closeTarget()
	st, err := t.Read(ctx)
	if err != nil {
		return fail(err)
	}
	data, err := declare.Marshal(declare.Export(st))
	if err != nil {
		return fail(err)
	}
	if *out == "" {
		_, err = stdout.Write(data)
	} else {
		err = os.WriteFile(*out, data, 0o644)
	}
	if err != nil {
		return fail(err)
	}
	return 0
}

// configCommand is "monban config schema".
func configCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 || args[0] != "schema" {
		fmt.Fprintln(stderr, "Usage: monban config schema   print the JSON Schema of the configuration document")
		return 2
	}
	_, _ = stdout.Write(declare.Schema())
	return 0
}
