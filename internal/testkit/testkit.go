// Package testkit holds fixtures that tests in several packages share: a
// self-signed certificate for a local HTTPS server, and a JWT's claims read
// without verification. It is imported by tests only.
package testkit

// TB is the part of testing.TB the fixtures use, so that helpers with
// their own test interface can call them too.
type TB interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}
