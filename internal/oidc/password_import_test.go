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

// A user imported with a bcrypt digest made by bcryptjs signs in through
// the password grant; the digest is then re-hashed to the server's
// argon2id, with which the next sign-in succeeds. A wrong password leaves
// the digest as it was.
func TestPasswordGrantImportedDigest(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	st := openStore(t, now)
	pw := testPasswords()
	addApp(t, st, testHasher, store.Application{ID: "web", Name: "Web", Type: store.AppTraditional,
		RedirectURIs: []string{"https://web.test/cb"}, AllowPasswordGrant: true, CreatedAt: now}, "websecret")
	digest, err := password.Import("Bcrypt", "$2a$10$1kmrqpAcJlHhmVWeeqLOT.bGITMQKV9mToeQSwJXSMPTVmT4MZOwq")
	must(t, err)
	must(t, st.CreateUser(ctx, store.User{ID: "u1", Username: "jane", PasswordHash: digest, CreatedAt: now, UpdatedAt: now}))
	_, mux := newTestProvider(t, st, providerSetup{Passwords: pw})
	base := serve(t, mux)
	grant := func(secret string) int {
		form := url.Values{"grant_type": {"password"}, "username": {"jane"}, "password": {secret},
			"scope": {"openid"}, "client_id": {"web"}, "client_secret": {"websecret"}}
		res, err := http.PostForm(base+"/oidc/token", form)
		must(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	stored := func() string {
		u, err := st.GetUser(ctx, "u1")
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
	ctx := context.Background()
	now := time.Now()
	st := openStore(t, now)
	addApp(t, st, testHasher, store.Application{ID: "web", Name: "Web", Type: store.AppTraditional,
		RedirectURIs: []string{"https://web.test/cb"}, AllowPasswordGrant: true, CreatedAt: now}, "websecret")
	must(t, st.CreateUser(ctx, store.User{ID: "u1", Username: "jane", CreatedAt: now, UpdatedAt: now,
		PasswordHash: "$2b$31$1kmrqpAcJlHhmVWeeqLOT.bGITMQKV9mToeQSwJXSMPTVmT4MZOwq"}))
	_, mux := newTestProvider(t, st, providerSetup{})
	base := serve(t, mux)
	start := time.Now()
	res, err := http.PostForm(base+"/oidc/token", url.Values{"grant_type": {"password"}, "username": {"jane"},
		"password": {"correct horse battery staple"}, "client_id": {"web"}, "client_secret": {"websecret"}})
	must(t, err)
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest || time.Since(start) > 5*time.Second {
		t.Errorf("costly digest: %d after %v", res.StatusCode, time.Since(start))
	}
}
