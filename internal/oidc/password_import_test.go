package oidc

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/password"
	"github.com/monban/monban/internal/store"
)

// passwordGrantUser serves a provider whose one user, jane, has the stored
// password hash given, and returns the store and a password grant for jane
// answering its status.
func passwordGrantUser(t *testing.T, pw *password.Hasher, hash string) (store.Store, func(secret string) int) {
	now := time.Now()
	st := openStore(t, now)
	addApp(t, st, testHasher, store.Application{ID: "web", Name: "Web", Type: store.AppTraditional,
		RedirectURIs: []string{"https://web.test/cb"}, AllowPasswordGrant: true, CreatedAt: now}, "websecret")
	must(t, st.CreateUser(context.Background(), store.User{ID: "u1", Username: "jane", PasswordHash: hash, CreatedAt: now, UpdatedAt: now}))
	_, mux := newTestProvider(t, st, providerSetup{Passwords: pw})
	base := serve(t, mux)
	return st, func(secret string) int {
		form := url.Values{"grant_type": {"password"}, "username": {"jane"}, "password": {secret},
			"scope": {"openid"}, "client_id": {"web"}, "client_secret": {"websecret"}}
		res, err := http.PostForm(base+"/oidc/token", form)
		must(t, err)
		res.Body.Close()
		return res.StatusCode
	}
}

// A user imported with a bcrypt digest made by bcryptjs signs in through
// the password grant; the digest is then re-hashed to the server's
// argon2id, with which the next sign-in succeeds. A wrong password leaves
// the digest as it was.
func TestPasswordGrantImportedDigest(t *testing.T) {
	pw := testPasswords()
	digest, err := password.Import("Bcrypt", "$2a$10$1kmrqpAcJlHhmVWeeqLOT.bGITMQKV9mToeQSwJXSMPTVmT4MZOwq")
	must(t, err)
	st, grant := passwordGrantUser(t, pw, digest)
	stored := func() string {
		u, err := st.GetUser(context.Background(), "u1")
		must(t, err)
		return u.PasswordHash
	}
	if s := grant("wrong password"); s != http.StatusBadRequest {
		t.Fatalf("wrong password: %d", s)
	}
	if stored() != digest {
		t.Fatal("a failed sign-in changed the imported digest")
	}
	if s := grant("correct horse battery staple"); s != http.StatusOK {
		t.Fatalf("imported password: %d", s)
	}
	rehashed := stored()
	if !strings.HasPrefix(rehashed, "$argon2id$") || pw.NeedsRehash(rehashed) {
		t.Fatalf("after the sign-in the hash is %q, not the server's argon2id", rehashed)
	}
	if s := grant("correct horse battery staple"); s != http.StatusOK {
		t.Fatalf("re-hashed password: %d", s)
	}
	if stored() != rehashed {
		t.Error("a current hash was re-hashed again")
	}
}

// A stored digest whose cost passes the ceiling is not run: the sign-in
// fails as a wrong password does.
func TestPasswordGrantRefusesCostlyDigest(t *testing.T) {
	_, grant := passwordGrantUser(t, testPasswords(), "$2b$31$1kmrqpAcJlHhmVWeeqLOT.bGITMQKV9mToeQSwJXSMPTVmT4MZOwq")
	start := time.Now()
	if s := grant("correct horse battery staple"); s != http.StatusBadRequest || time.Since(start) > 5*time.Second {
		t.Errorf("costly digest: %d after %v", s, time.Since(start))
	}
}
