package claims

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// wptParts are the parts of a URL the cases give (JSON names matched
// without regard to case).
type wptParts struct {
	Href, Protocol, Username, Password, Host, Hostname, Port, Pathname, Search, Hash string
}

// list names the parts, in the order they are compared.
func (p wptParts) list() [][2]string {
	return [][2]string{
		{"href", p.Href}, {"protocol", p.Protocol}, {"username", p.Username}, {"password", p.Password},
		{"host", p.Host}, {"hostname", p.Hostname}, {"port", p.Port}, {"pathname", p.Pathname},
		{"search", p.Search}, {"hash", p.Hash},
	}
}

// wptCase is one case of the web-platform-tests URL data: the input, its base
// (nil for none) and either failure or the expected parts of the URL; origin
// and searchParams only where given.
type wptCase struct {
	Input        string
	Base         *string
	Failure      bool
	Origin       *string
	SearchParams *string
	wptParts
}

// key names the case in wptExpectedFailures.
func (c wptCase) key() wptKey {
	if c.Base == nil {
		return wptKey{c.Input, ""}
	}
	return wptKey{c.Input, *c.Base}
}

// wptKey is a case's input and base ("" for none).
type wptKey struct{ input, base string }

// wptResult is what the sandbox made of a case: the error it threw, or the
// parts of the URL.
type wptResult struct {
	CanParse     bool
	Threw        string
	Origin       string
	SearchParams string
	wptParts
}

// wptScript parses every case of context.cases, as the web-platform-tests'
// url-constructor and url-statics-canparse tests do.
const wptScript = `const getCustomJwtClaims = async ({ context }) => {
  const parts = ['href', 'origin', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'hash'];
  const results = context.cases.map(({ input, base }) => {
    const canParse = base === null ? URL.canParse(input) : URL.canParse(input, base);
    let u;
    try {
      u = base === null ? new URL(input) : new URL(input, base);
    } catch (e) {
      return { canParse, threw: e instanceof TypeError ? 'TypeError' : String(e) };
    }
    const r = { canParse, searchParams: u.searchParams.toString() };
    for (const k of parts) r[k] = u[k];
    return r;
  });
  return { results };
};`

// loadWPTCases reads testdata/urltestdata.json, leaving out its comments.
func loadWPTCases(t *testing.T) []wptCase {
	t.Helper()
	b, err := os.ReadFile("testdata/urltestdata.json")
	if err != nil {
		t.Fatal(err)
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	var cases []wptCase
	for _, m := range raw {
		if len(m) > 0 && m[0] == '"' {
			continue // a comment
		}
		var c wptCase
		if err := json.Unmarshal(m, &c); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, c)
	}
	return cases
}

// runWPTCases parses every case in the sandbox, in one run of one VM.
func runWPTCases(t *testing.T, cases []wptCase) []wptResult {
	t.Helper()
	r := newTestRunner(t, Options{Limits: Limits{Timeout: 60 * time.Second, MaxOutputBytes: 8 << 20, MemoryBytes: 256 << 20}})
	in := make([]map[string]any, len(cases))
	for i, c := range cases {
		in[i] = map[string]any{"input": c.Input, "base": c.Base}
	}
	claims := mustRun(t, r, wptScript, Input{Context: map[string]any{"cases": in}})
	b, err := json.Marshal(claims["results"])
	if err != nil {
		t.Fatal(err)
	}
	var out []wptResult
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if len(out) != len(cases) {
		t.Fatalf("%d results for %d cases", len(out), len(cases))
	}
	return out
}

// wptMismatch says how got differs from what c expects, or "".
func wptMismatch(c wptCase, got wptResult) string {
	if c.Failure {
		var d []string
		if got.Threw != "TypeError" {
			d = append(d, fmt.Sprintf("parsed as %q, want a TypeError", got.Href))
		}
		if got.CanParse {
			d = append(d, "URL.canParse is true")
		}
		return strings.Join(d, "; ")
	}
	if got.Threw != "" {
		return fmt.Sprintf("threw %s, want %q", got.Threw, c.Href)
	}
	var d []string
	if !got.CanParse {
		d = append(d, "URL.canParse is false")
	}
	check := func(name, have, want string) {
		if have != want {
			d = append(d, fmt.Sprintf("%s %q, want %q", name, have, want))
		}
	}
	have, want := got.list(), c.list()
	for i := range want {
		check(want[i][0], have[i][1], want[i][1])
	}
	if c.Origin != nil {
		check("origin", got.Origin, *c.Origin)
	}
	if c.SearchParams != nil {
		check("searchParams", got.SearchParams, *c.SearchParams)
	}
	return strings.Join(d, "; ")
}

// TestWPTURL runs the web-platform-tests URL parser cases through the
// sandbox's URL (see testdata/README.md). A case in wptExpectedFailures must
// fail, so that the list stays true: one that starts to pass is an error
// too, and leaves the list.
func TestWPTURL(t *testing.T) {
	cases := loadWPTCases(t)
	results := runWPTCases(t, cases)
	seen := map[wptKey]bool{}
	passed := 0
	for i, c := range cases {
		k := c.key()
		seen[k] = true
		what := wptMismatch(c, results[i])
		reason, expected := wptExpectedFailures[k]
		switch {
		case what == "" && expected:
			t.Errorf("new URL(%q, %q) passes but is an expected failure (%s): take it off the list", k.input, k.base, reason)
		case what != "" && !expected:
			t.Errorf("new URL(%q, %q): %s", k.input, k.base, what)
		case what == "":
			passed++
		}
	}
	for k := range wptExpectedFailures {
		if !seen[k] {
			t.Errorf("expected failure new URL(%q, %q) is not a case of testdata/urltestdata.json", k.input, k.base)
		}
	}
	t.Logf("%d of %d cases pass, %d are expected failures", passed, len(cases), len(wptExpectedFailures))
}

// wptExpectedFailures are the cases the sandbox's URL parser gets wrong on
// purpose, with the reason.
var wptExpectedFailures = map[wptKey]string{}
