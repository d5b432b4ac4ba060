package signin

// Passkeys in a real browser: TestPasskeysInBrowser starts the pages on
// http://localhost (a WebAuthn relying party id is a host name) and runs
// testdata/passkey.e2e.mjs, Playwright driving Debian's Chromium with a
// virtual authenticator (CDP's WebAuthn domain): a passkey enrolled as
// the second factor, used as one, then used alone to sign in:
//
//	MONBAN_CONSOLE_E2E=1 go test -count=1 -run TestPasskeysInBrowser -artifacts -outputdir /tmp/out ./internal/signin

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/mfa"
)

func TestPasskeysInBrowser(t *testing.T) {
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
	f := newFlowsOn(t, "localhost")
	f.setExperience(func(e *Experience) {
		e.PasskeySignIn = true
		e.MFA = mfa.Policy{Factors: []string{mfa.TypeWebAuthn}, Policy: "Mandatory"}
	})
	env := []string{"MONBAN_URL=" + f.base, "CHROMIUM_PATH=" + chromium, "PLAYWRIGHT_FROM=" + playwright}
	for _, lang := range []string{"en", "ja"} {
		name, pw := "pk_"+lang, "Passkey owner's passphrase "+lang
		_, err := f.dir.CreateUser(context.Background(), directory.NewUser{Password: &pw,
			UserFields: directory.UserFields{Username: &name, By: directory.ByAdmin}})
		must(t, err)
		env = append(env, map[string]string{"en": "EN_PASSWORD=", "ja": "JA_PASSWORD="}[lang]+pw)
	}
	shots := t.ArtifactDir()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", filepath.Join("testdata", "passkey.e2e.mjs"))
	cmd.Env = append(append(os.Environ(), "SCREENSHOTS="+shots), env...)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("the browser walk failed: %v", err)
	}
	entries, err := os.ReadDir(shots)
	must(t, err)
	if len(entries) < 10 {
		t.Fatalf("%d screenshots in %s", len(entries), shots)
	}
}
