package signin

// The pages in a real browser: TestPagesInBrowser starts the pages over
// real HTTP and SQLite (the flows fixture) and runs
// testdata/pages.e2e.mjs, Playwright driving Debian's Chromium, through
// every path in English and in Japanese (by ui_locales), writing
// screenshots to the test's artifact directory. The codes travel as in
// production: through the SMTP and http-sms connectors and their durable
// outbox to a real SMTP server and a real HTTP SMS gateway (which checks
// each body's signature), and the script reads them from there:
//
//	MONBAN_CONSOLE_E2E=1 go test -count=1 -run TestPagesInBrowser -artifacts -outputdir /tmp/out ./internal/signin
//
// It needs Node.js, `npm ci` in console/ (for playwright-core) and
// /usr/bin/chromium.

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/monban/monban/internal/directory"
)

func TestPagesInBrowser(t *testing.T) {
	if os.Getenv("MONBAN_CONSOLE_E2E") == "" {
		t.Skip("set MONBAN_CONSOLE_E2E=1 to run the browser tests (Node.js, npm ci in console/, /usr/bin/chromium)")
	}
	chromium := os.Getenv("CHROMIUM_PATH")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("no Chromium at %s: install Debian's chromium package, or set CHROMIUM_PATH", chromium)
	}
	playwright, err := filepath.Abs(filepath.Join("..", "..", "console", "package.json"))
	must(t, err)
	f := newFlows(t)
	rc := f.useConnectors(t)
	// sato is suspended: the pages say so after the right password.
	sato, pw := "sato", "Sato's long passphrase 5"
	u, err := f.dir.CreateUser(context.Background(), directory.NewUser{Password: &pw,
		UserFields: directory.UserFields{Username: &sato, By: directory.ByAdmin}})
	must(t, err)
	must(t, f.st.SetUserSuspended(context.Background(), u.ID, true, f.clock.Now()))
	shots := t.ArtifactDir()
	// Generous: a loaded shared machine took close to 4 minutes.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", filepath.Join("testdata", "pages.e2e.mjs"))
	cmd.Env = append(os.Environ(), "MONBAN_URL="+f.srv.URL, "SCREENSHOTS="+shots, "CHROMIUM_PATH="+chromium,
		"PLAYWRIGHT_FROM="+playwright, "JANE_PASSWORD="+janePassword, "SATO_PASSWORD="+pw)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("the browser walk failed: %v", err)
	}
	// Each message in the language of the pages that sent it.
	rc.languages(t, map[string]string{"mika.en@example.com": "en", "mika.ja@example.com": "ja",
		"819011112222": "en", "819033334444": "ja"})
	entries, err := os.ReadDir(shots)
	must(t, err)
	if len(entries) < 20 {
		t.Fatalf("%d screenshots in %s", len(entries), shots)
	}
	t.Logf("%d screenshots in %s", len(entries), shots)
}
