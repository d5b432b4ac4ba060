package claims

import (
	"strings"
	"testing"
	"time"
)

// Zero fetches and zero redirects mean zero, not the defaults: a runner
// built with them refuses the first fetch and follows no redirect.
func TestZeroFetchesAndRedirectsMeanZero(t *testing.T) {
	if got := (Limits{}).withDefaults().MaxFetches; got != 0 {
		t.Errorf("zero MaxFetches became %d", got)
	}
	if got := (Options{}).withDefaults().Policy.MaxRedirects; got != 0 {
		t.Errorf("zero MaxRedirects became %d", got)
	}
	if got := DefaultLimits(); got.MaxFetches != DefaultMaxFetches || got.Timeout != 2*time.Second {
		t.Errorf("DefaultLimits() = %+v", got)
	}
	srv := testServer(t)
	if _, err := runtimeCode(); err != nil {
		t.Fatal(err)
	}
	noFetch := NewRunner(Options{Policy: allowLoopbackLiteral, Limits: Limits{Timeout: 2 * time.Second}})
	t.Cleanup(func() { _ = noFetch.Close() })
	_, err := run(t, noFetch, script(`await fetch('`+srv.URL+`/json'); return {};`), normalInput)
	if err == nil || !strings.Contains(err.Error(), "at most 0 fetch calls per run") {
		t.Errorf("fetch with MaxFetches 0: %v", err)
	}
	noRedirect := NewRunner(Options{Policy: Policy{AllowHosts: allowLoopbackLiteral.AllowHosts},
		Limits: Limits{Timeout: 2 * time.Second, MaxFetches: 1}})
	t.Cleanup(func() { _ = noRedirect.Close() })
	_, err = run(t, noRedirect, script(`await fetch('`+srv.URL+`/redirect?to=/json'); return {};`), normalInput)
	if err == nil || !strings.Contains(err.Error(), "stopped after 0 redirects") {
		t.Errorf("redirect with MaxRedirects 0: %v", err)
	}
}
