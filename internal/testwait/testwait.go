// Package testwait is the one polling helper of the tests: wait for a
// condition that background work makes true.
package testwait

import (
	"testing"
	"time"
)

// Timeout bounds a wait. It only ends a broken run: a test that passes
// never comes near it, even on a loaded machine.
const Timeout = 20 * time.Second

// Until polls cond every few milliseconds until it holds, and fails the
// test, naming what it waited for, if it does not within Timeout.
func Until(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
