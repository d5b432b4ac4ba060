package storetest

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/monban/monban/internal/store"
)

// settingCases are the conformance tests of store.SettingStore.
var settingCases = []testCase{{"EnsureSetting", testEnsureSetting}}

func testEnsureSetting(t *testing.T, s store.Store) {
	ctx := t.Context()
	v, err := s.EnsureSetting(ctx, "issuer-secret", "first")
	ok(t, err, "EnsureSetting")
	if v != "first" {
		t.Errorf("EnsureSetting on an empty store = %q, want %q", v, "first")
	}
	v, err = s.EnsureSetting(ctx, "issuer-secret", "second")
	ok(t, err, "EnsureSetting again")
	if v != "first" {
		t.Errorf("EnsureSetting again = %q, want the first value", v)
	}
	v, err = s.EnsureSetting(ctx, "other", "")
	ok(t, err, "EnsureSetting empty value")
	if v != "" {
		t.Errorf("EnsureSetting empty value = %q", v)
	}
	v, err = s.EnsureSetting(ctx, "other", "later")
	ok(t, err, "EnsureSetting after an empty value")
	if v != "" {
		t.Errorf("EnsureSetting after an empty value = %q, want the empty value kept", v)
	}

	// Racing writers all get the one value that won.
	const n = 8
	var (
		wg   sync.WaitGroup
		got  [n]string
		errs [n]error
	)
	for i := range n {
		wg.Go(func() {
			got[i], errs[i] = s.EnsureSetting(ctx, "raced", fmt.Sprintf("value %d", i))
		})
	}
	wg.Wait()
	for i := range n {
		ok(t, errs[i], "EnsureSetting concurrently")
	}
	if !strings.HasPrefix(got[0], "value ") {
		t.Fatalf("EnsureSetting concurrently = %q", got[0])
	}
	for i := range n {
		if got[i] != got[0] {
			t.Errorf("EnsureSetting concurrently: writer %d got %q, writer 0 got %q", i, got[i], got[0])
		}
	}
	v, err = s.EnsureSetting(ctx, "raced", "late")
	ok(t, err, "EnsureSetting after the race")
	if v != got[0] {
		t.Errorf("EnsureSetting after the race = %q, want %q", v, got[0])
	}
}
