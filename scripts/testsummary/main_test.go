package main

import (
	"strings"
	"testing"
)

// A run of two packages: one passes with a skipped test and a skipped
// subtest, one fails; plus a package without tests and a build failure.
const run = `{"Action":"start","Package":"github.com/monban/monban/a"}
{"Action":"run","Package":"github.com/monban/monban/a","Test":"TestGood"}
{"Action":"output","Package":"github.com/monban/monban/a","Test":"TestGood","Output":"=== RUN   TestGood\n"}
{"Action":"output","Package":"github.com/monban/monban/a","Test":"TestGood","Output":"    a_test.go:9: noise that passes\n"}
{"Action":"pass","Package":"github.com/monban/monban/a","Test":"TestGood"}
{"Action":"run","Package":"github.com/monban/monban/a","Test":"TestPostgres"}
{"Action":"output","Package":"github.com/monban/monban/a","Test":"TestPostgres","Output":"=== RUN   TestPostgres\n"}
{"Action":"output","Package":"github.com/monban/monban/a","Test":"TestPostgres","Output":"    testdb.go:28: set MONBAN_TEST_POSTGRES_URL to run\n"}
{"Action":"output","Package":"github.com/monban/monban/a","Test":"TestPostgres","Output":"--- SKIP: TestPostgres (0.00s)\n"}
{"Action":"skip","Package":"github.com/monban/monban/a","Test":"TestPostgres"}
{"Action":"output","Package":"github.com/monban/monban/a","Test":"TestT/sub","Output":"    a_test.go:20: first log\n"}
{"Action":"output","Package":"github.com/monban/monban/a","Test":"TestT/sub","Output":"    a_test.go:21: set MONBAN_TEST_POSTGRES_URL to run\n"}
{"Action":"skip","Package":"github.com/monban/monban/a","Test":"TestT/sub"}
{"Action":"output","Package":"github.com/monban/monban/a","Test":"TestBare","Output":"--- SKIP: TestBare (0.00s)\n"}
{"Action":"skip","Package":"github.com/monban/monban/a","Test":"TestBare"}
{"Action":"output","Package":"github.com/monban/monban/a","Output":"PASS\n"}
{"Action":"output","Package":"github.com/monban/monban/a","Output":"ok  \tgithub.com/monban/monban/a\t0.1s\n"}
{"Action":"pass","Package":"github.com/monban/monban/a"}
{"Action":"output","Package":"github.com/monban/monban/b","Test":"TestBad","Output":"=== RUN   TestBad\n"}
{"Action":"output","Package":"github.com/monban/monban/b","Test":"TestBad","Output":"    b_test.go:5: want 1, got 2\n"}
{"Action":"output","Package":"github.com/monban/monban/b","Test":"TestBad","Output":"--- FAIL: TestBad (0.00s)\n"}
{"Action":"fail","Package":"github.com/monban/monban/b","Test":"TestBad"}
{"Action":"output","Package":"github.com/monban/monban/b","Output":"FAIL\tgithub.com/monban/monban/b\t0.2s\n"}
{"Action":"fail","Package":"github.com/monban/monban/b"}
{"Action":"output","Package":"github.com/monban/monban/c","Output":"?   \tgithub.com/monban/monban/c\t[no test files]\n"}
{"Action":"skip","Package":"github.com/monban/monban/c"}
`

func TestSummary(t *testing.T) {
	var b strings.Builder
	s := newSummary(&b, "github.com/monban/monban")
	if err := s.read(strings.NewReader(run)); err != nil {
		t.Fatal(err)
	}
	s.report()
	out := b.String()
	for _, want := range []string{
		"ok  \tgithub.com/monban/monban/a\t0.1s\n",
		"    b_test.go:5: want 1, got 2\n--- FAIL: TestBad (0.00s)\n",
		"FAIL\tgithub.com/monban/monban/b\t0.2s\n",
		"?   \tgithub.com/monban/monban/c\t[no test files]\n",
		"SKIPPED 3 tests, by reason:\n  2 × set MONBAN_TEST_POSTGRES_URL to run\n      a TestPostgres\n      a TestT/sub\n  1 × (no reason given)\n      a TestBare\n",
		"FAIL: 1 package failed (b); 1 passed; 3 tests skipped\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "noise that passes") || strings.Contains(out, "PASS\n") {
		t.Errorf("output shows what passed:\n%s", out)
	}
	if !s.failed {
		t.Error("a failed test did not fail the run")
	}
}

func TestSummaryPass(t *testing.T) {
	var b strings.Builder
	s := newSummary(&b, "github.com/monban/monban")
	ok := `{"Action":"output","Package":"github.com/monban/monban/a","Output":"ok  \tgithub.com/monban/monban/a\t0.1s\n"}
{"Action":"pass","Package":"github.com/monban/monban/a"}
`
	if err := s.read(strings.NewReader(ok)); err != nil {
		t.Fatal(err)
	}
	s.report()
	if s.failed || !strings.HasSuffix(b.String(), "ok: 1 package passed; no test skipped\n") {
		t.Errorf("failed=%v, output:\n%s", s.failed, b.String())
	}
}

func TestSummaryBuildFailure(t *testing.T) {
	var b strings.Builder
	s := newSummary(&b, "")
	bf := `{"ImportPath":"x [x.test]","Action":"build-output","Output":"x/a.go:3:1: syntax error\n"}
{"ImportPath":"x [x.test]","Action":"build-fail"}
`
	if err := s.read(strings.NewReader(bf)); err != nil {
		t.Fatal(err)
	}
	if !s.failed || !strings.Contains(b.String(), "syntax error") {
		t.Errorf("failed=%v, output:\n%s", s.failed, b.String())
	}
}
