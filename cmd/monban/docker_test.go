package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/monban/monban/internal/server"
)

// No Docker engine runs where the tests run, so the image is not built
// here (docs/testing.md): instead the Dockerfile's moving parts are checked
// against what the binary expects.

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct{ cmd, args string }

// parseDockerfile returns the instructions of each stage.
func parseDockerfile(t *testing.T, src string) [][]instruction {
	t.Helper()
	var stages [][]instruction
	var cur strings.Builder
	flush := func() {
		line := strings.TrimSpace(cur.String())
		cur.Reset()
		if line == "" {
			return
		}
		cmd, args, _ := strings.Cut(line, " ")
		in := instruction{strings.ToUpper(cmd), strings.TrimSpace(args)}
		if in.cmd == "FROM" {
			stages = append(stages, nil)
		}
		if len(stages) == 0 {
			t.Fatalf("%s before FROM", in.cmd)
		}
		stages[len(stages)-1] = append(stages[len(stages)-1], in)
	}
	for _, line := range strings.Split(src, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") {
			continue
		}
		if strings.HasSuffix(trimmed, "\\") {
			cur.WriteString(strings.TrimSuffix(trimmed, "\\") + " ")
			continue
		}
		cur.WriteString(trimmed)
		flush()
	}
	flush()
	return stages
}

func find(stage []instruction, cmd string) []instruction {
	var out []instruction
	for _, in := range stage {
		if in.cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

// execForm reads a JSON array argument (CMD ["a", "b"]).
func execForm(t *testing.T, args string) []string {
	t.Helper()
	var out []string
	if err := json.Unmarshal([]byte(args), &out); err != nil {
		t.Fatalf("%q is not in exec form: %v", args, err)
	}
	return out
}

func TestDockerfile(t *testing.T) {
	src, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	stages := parseDockerfile(t, string(src))
	if len(stages) != 2 {
		t.Fatalf("%d stages, want build and run", len(stages))
	}
	build, run := stages[0], stages[1]

	// The build stamps the version and commit into variables that exist.
	built := strings.Join(func() []string {
		var s []string
		for _, in := range find(build, "RUN") {
			s = append(s, in.args)
		}
		return s
	}(), "\n")
	for _, v := range []string{"main.version", "main.commit"} {
		if !strings.Contains(built, "-X "+v+"=") {
			t.Errorf("the build does not set %s", v)
		}
	}
	m := regexp.MustCompile(`-o (\S+) \./cmd/monban`).FindStringSubmatch(built)
	if m == nil {
		t.Fatal("no go build of ./cmd/monban")
	}
	binOut := m[1]

	// The run stage: user, binary, environment.
	users := find(run, "USER")
	if len(users) != 1 {
		t.Fatalf("USER: %v", users)
	}
	user := users[0].args
	if strings.HasPrefix(user, "root") || strings.HasPrefix(user, "0") {
		t.Fatalf("runs as %s", user)
	}
	copies := map[string]string{} // destination → source, for COPY --from=build
	chowned := map[string]string{}
	for _, in := range find(run, "COPY") {
		f := strings.Fields(in.args)
		var src, dst, chown string
		var rest []string
		for _, w := range f {
			switch {
			case strings.HasPrefix(w, "--chown="):
				chown = strings.TrimPrefix(w, "--chown=")
			case strings.HasPrefix(w, "--"):
			default:
				rest = append(rest, w)
			}
		}
		if len(rest) != 2 {
			t.Fatalf("COPY %s", in.args)
		}
		src, dst = rest[0], rest[1]
		copies[dst] = src
		chowned[dst] = chown
	}
	entry := execForm(t, find(run, "ENTRYPOINT")[0].args)
	if copies[entry[0]] != binOut {
		t.Errorf("ENTRYPOINT runs %s, but the binary built to %s is copied to %v", entry[0], binOut, copies)
	}
	env := map[string]string{}
	for _, in := range find(run, "ENV") {
		for _, kv := range strings.Fields(in.args) {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				t.Fatalf("ENV %s: not KEY=VALUE", kv)
			}
			env[k] = v
		}
	}
	getenv := func(k string) string { return env[k] }

	// The server's settings read from the image's environment are valid.
	var stderr bytes.Buffer
	cfg, code := parseServe(nil, getenv, &stderr)
	if cfg == nil {
		t.Fatalf("the image's environment is refused (%d): %s", code, stderr.String())
	}
	if !strings.HasPrefix(cfg.Addr, "0.0.0.0:") {
		t.Errorf("MONBAN_ADDR %q: not reachable from outside the container", cfg.Addr)
	}
	port := strings.TrimPrefix(cfg.Addr, "0.0.0.0:")
	if exposed := find(run, "EXPOSE"); len(exposed) != 1 || exposed[0].args != port {
		t.Errorf("EXPOSE %v, but the server listens on %s", exposed, port)
	}

	// The SQLite database lives in a directory the image creates, owned by
	// the user the server runs as, so that a named volume mounted there
	// (docs/deploy.md) is writable.
	dbPath, ok := server.SQLitePath(cfg.DatabaseURL)
	if !ok {
		t.Fatalf("MONBAN_DATABASE_URL %q is not SQLite", cfg.DatabaseURL)
	}
	dataDir := path.Dir(dbPath)
	if !path.IsAbs(dataDir) {
		t.Fatalf("the data directory %q is relative", dataDir)
	}
	if _, made := copies[dataDir]; !made {
		t.Errorf("the data directory %s is not created in the image (copies: %v)", dataDir, copies)
	}
	if chowned[dataDir] != user {
		t.Errorf("the data directory is owned by %q, the server runs as %q", chowned[dataDir], user)
	}
	if !strings.Contains(built, "mkdir -p "+copies[dataDir]) {
		t.Errorf("the build stage does not make %s", copies[dataDir])
	}
	deploy, err := os.ReadFile("../../docs/deploy.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(deploy, []byte(":"+dataDir)) {
		t.Errorf("docs/deploy.md does not mount a volume on %s", dataDir)
	}

	// The health check runs the binary's own command, in exec form (no
	// shell in the image), against the address the server listens on.
	hc := find(run, "HEALTHCHECK")
	if len(hc) != 1 {
		t.Fatalf("HEALTHCHECK: %v", hc)
	}
	_, cmdArgs, ok := strings.Cut(hc[0].args, "CMD ")
	if !ok {
		t.Fatalf("HEALTHCHECK %s has no CMD", hc[0].args)
	}
	argv := execForm(t, cmdArgs)
	if argv[0] != entry[0] || len(argv) < 2 || argv[1] != "healthcheck" {
		t.Fatalf("HEALTHCHECK runs %v", argv)
	}
	target, err := healthURL(getenv("MONBAN_ADDR"))
	if err != nil || target != "http://127.0.0.1:"+port+"/healthz" {
		t.Errorf("the health check asks %q (%v)", target, err)
	}
}
