package passkey_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/clock"
	"github.com/monban/monban/internal/passkey"
	"github.com/monban/monban/internal/passkey/passkeytest"
	"github.com/monban/monban/internal/replay"
	"github.com/monban/monban/internal/sealed"
)

const origin = "https://id.example.com"

type fixture struct {
	t     *testing.T
	s     *passkey.Service
	clock *clock.Fake
	acct  passkey.Account
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	k, err := sealed.GenerateKey()
	must(t, err)
	w, err := sealed.NewDataKey(k, 1)
	must(t, err)
	box, err := sealed.Open(k, map[uint32][]byte{1: w}, 1)
	must(t, err)
	c := clock.NewFake(time.Now())
	s, err := passkey.New(passkey.Config{Endpoint: origin + "/", Name: "Example", Sealer: func() *sealed.Box { return box },
		Used: replay.NewMemory(100, c.Now), Now: c.Now})
	must(t, err)
	return &fixture{t: t, s: s, clock: c, acct: passkey.Account{ID: "user-1", Name: "jane"}}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// register binds a new authenticator to the fixture's account.
func (f *fixture) register(a *passkeytest.Authenticator) passkey.Document {
	f.t.Helper()
	c, err := f.s.BeginRegister("it-1", f.acct)
	must(f.t, err)
	resp, err := a.Create(c.Options)
	must(f.t, err)
	doc, err := f.s.FinishRegister(context.Background(), "it-1", c.State, f.acct, resp, "Mozilla/5.0 test")
	must(f.t, err)
	f.acct.Credentials = append(f.acct.Credentials, passkey.Credential{ID: "v" + doc.CredentialID, Document: doc})
	return doc
}

func (f *fixture) find(_ context.Context, id string) (passkey.Account, error) {
	if id != f.acct.ID {
		return passkey.Account{}, passkey.ErrUnknownCredential
	}
	return f.acct, nil
}

func TestRegisterVerifySignIn(t *testing.T) {
	f := newFixture(t)
	a := passkeytest.New(origin)
	doc := f.register(a)
	if doc.RPID != "id.example.com" || doc.CredentialID != a.CredentialID() || doc.Agent != "Mozilla/5.0 test" || doc.PublicKey == "" {
		t.Fatalf("document %+v", doc)
	}

	c, err := f.s.BeginVerify("it-1", f.acct)
	must(t, err)
	if !strings.Contains(string(c.Options), doc.CredentialID) {
		t.Fatalf("the options do not allow the account's credential: %s", c.Options)
	}
	resp, err := a.Get(c.Options)
	must(t, err)
	got, err := f.s.FinishVerify(context.Background(), "it-1", c.State, f.acct, resp)
	must(t, err)
	if got.ID != f.acct.Credentials[0].ID || got.Counter != 1 {
		t.Fatalf("verified %+v", got)
	}
	f.acct.Credentials[0] = got

	c, err = f.s.BeginSignIn("it-2")
	must(t, err)
	resp, err = a.Get(c.Options)
	must(t, err)
	acct, got, err := f.s.FinishSignIn(context.Background(), "it-2", c.State, resp, f.find)
	must(t, err)
	if acct.ID != "user-1" || got.Counter != 2 {
		t.Fatalf("signed in %s with %+v", acct.ID, got)
	}
}

func TestCeremonyRefusals(t *testing.T) {
	ctx := context.Background()
	type attempt struct {
		interaction, state string
		response           []byte
	}
	cases := []struct {
		name string
		// prepare returns what is posted; it may change the fixture.
		prepare func(f *fixture, a *passkeytest.Authenticator) attempt
		want    error
	}{
		{"wrong challenge: an assertion of another ceremony", func(f *fixture, a *passkeytest.Authenticator) attempt {
			c1, _ := f.s.BeginVerify("it-1", f.acct)
			c2, _ := f.s.BeginVerify("it-1", f.acct)
			resp, _ := a.Get(c2.Options)
			return attempt{"it-1", c1.State, resp}
		}, passkey.ErrRefused},
		{"wrong origin", func(f *fixture, a *passkeytest.Authenticator) attempt {
			a.Origin = "https://evil.example.net"
			c, _ := f.s.BeginVerify("it-1", f.acct)
			resp, _ := a.Get(c.Options)
			return attempt{"it-1", c.State, resp}
		}, passkey.ErrRefused},
		{"replayed assertion: the same state twice", func(f *fixture, a *passkeytest.Authenticator) attempt {
			c, _ := f.s.BeginVerify("it-1", f.acct)
			resp, _ := a.Get(c.Options)
			if _, err := f.s.FinishVerify(ctx, "it-1", c.State, f.acct, resp); err != nil {
				f.t.Fatalf("first use: %v", err)
			}
			return attempt{"it-1", c.State, resp}
		}, passkey.ErrReplayed},
		{"replayed assertion: under a fresh state", func(f *fixture, a *passkeytest.Authenticator) attempt {
			c, _ := f.s.BeginVerify("it-1", f.acct)
			resp, _ := a.Get(c.Options)
			if _, err := f.s.FinishVerify(ctx, "it-1", c.State, f.acct, resp); err != nil {
				f.t.Fatalf("first use: %v", err)
			}
			c2, _ := f.s.BeginVerify("it-1", f.acct)
			return attempt{"it-1", c2.State, resp}
		}, passkey.ErrRefused},
		{"unknown credential", func(f *fixture, _ *passkeytest.Authenticator) attempt {
			other := passkeytest.New(origin)
			c, _ := f.s.BeginRegister("it-9", passkey.Account{ID: "user-2"})
			_, _ = other.Create(c.Options)
			c, _ = f.s.BeginVerify("it-1", f.acct)
			resp, _ := other.Get(c.Options)
			return attempt{"it-1", c.State, resp}
		}, passkey.ErrUnknownCredential},
		{"state of another interaction", func(f *fixture, a *passkeytest.Authenticator) attempt {
			c, _ := f.s.BeginVerify("it-other", f.acct)
			resp, _ := a.Get(c.Options)
			return attempt{"it-1", c.State, resp}
		}, passkey.ErrState},
		{"state of another purpose", func(f *fixture, a *passkeytest.Authenticator) attempt {
			c, _ := f.s.BeginRegister("it-1", f.acct)
			resp, _ := a.Get([]byte(`{"publicKey":{"challenge":"AAAAAAAAAAAAAAAAAAAAAA","rpId":"id.example.com"}}`))
			return attempt{"it-1", c.State, resp}
		}, passkey.ErrState},
		{"expired state", func(f *fixture, a *passkeytest.Authenticator) attempt {
			c, _ := f.s.BeginVerify("it-1", f.acct)
			resp, _ := a.Get(c.Options)
			f.clock.Advance(passkey.Lifetime + time.Second)
			return attempt{"it-1", c.State, resp}
		}, passkey.ErrState},
		{"altered state", func(f *fixture, a *passkeytest.Authenticator) attempt {
			c, _ := f.s.BeginVerify("it-1", f.acct)
			resp, _ := a.Get(c.Options)
			b := []byte(c.State)
			b[len(b)-3] ^= 1
			return attempt{"it-1", string(b), resp}
		}, passkey.ErrState},
		{"no state", func(f *fixture, a *passkeytest.Authenticator) attempt {
			c, _ := f.s.BeginVerify("it-1", f.acct)
			resp, _ := a.Get(c.Options)
			return attempt{"it-1", "", resp}
		}, passkey.ErrState},
		{"cloned authenticator: the counter went back", func(f *fixture, a *passkeytest.Authenticator) attempt {
			f.acct.Credentials[0].Counter = 10
			c, _ := f.s.BeginVerify("it-1", f.acct)
			resp, _ := a.Get(c.Options)
			return attempt{"it-1", c.State, resp}
		}, passkey.ErrCloned},
		{"malformed response", func(f *fixture, _ *passkeytest.Authenticator) attempt {
			c, _ := f.s.BeginVerify("it-1", f.acct)
			return attempt{"it-1", c.State, []byte(`{"id":`)}
		}, passkey.ErrMalformed},
		{"oversized response", func(f *fixture, _ *passkeytest.Authenticator) attempt {
			c, _ := f.s.BeginVerify("it-1", f.acct)
			return attempt{"it-1", c.State, []byte(strings.Repeat("x", passkey.MaxResponseBytes+1))}
		}, passkey.ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			a := passkeytest.New(origin)
			f.register(a)
			at := tc.prepare(f, a)
			_, err := f.s.FinishVerify(ctx, at.interaction, at.state, f.acct, at.response)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestSignInRefusals(t *testing.T) {
	ctx := context.Background()
	t.Run("no user verification", func(t *testing.T) {
		f := newFixture(t)
		a := passkeytest.New(origin)
		f.register(a)
		a.UV = false
		c, _ := f.s.BeginSignIn("it-1")
		resp, _ := a.Get(c.Options)
		if _, _, err := f.s.FinishSignIn(ctx, "it-1", c.State, resp, f.find); !errors.Is(err, passkey.ErrRefused) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("no user handle", func(t *testing.T) {
		f := newFixture(t)
		a := passkeytest.New(origin)
		f.register(a)
		a.ForgetUser()
		c, _ := f.s.BeginSignIn("it-1")
		resp, _ := a.Get(c.Options)
		if _, _, err := f.s.FinishSignIn(ctx, "it-1", c.State, resp, f.find); !errors.Is(err, passkey.ErrUnknownCredential) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("a credential the account no longer holds", func(t *testing.T) {
		f := newFixture(t)
		a := passkeytest.New(origin)
		f.register(a)
		f.acct.Credentials = nil // deleted
		c, _ := f.s.BeginSignIn("it-1")
		resp, _ := a.Get(c.Options)
		if _, _, err := f.s.FinishSignIn(ctx, "it-1", c.State, resp, f.find); !errors.Is(err, passkey.ErrUnknownCredential) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("a verification state used to sign in", func(t *testing.T) {
		f := newFixture(t)
		a := passkeytest.New(origin)
		f.register(a)
		c, _ := f.s.BeginVerify("it-1", f.acct)
		resp, _ := a.Get(c.Options)
		if _, _, err := f.s.FinishSignIn(ctx, "it-1", c.State, resp, f.find); !errors.Is(err, passkey.ErrState) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("registering the same authenticator twice", func(t *testing.T) {
		f := newFixture(t)
		a := passkeytest.New(origin)
		f.register(a)
		c, _ := f.s.BeginRegister("it-1", f.acct)
		resp, _ := a.Create(c.Options)
		// The second credential has a new id; claim the first one's.
		resp = []byte(strings.ReplaceAll(string(resp), a.CredentialID(), f.acct.Credentials[0].CredentialID))
		if _, err := f.s.FinishRegister(ctx, "it-1", c.State, f.acct, resp, "ua"); !errors.Is(err, passkey.ErrRefused) {
			t.Fatalf("got %v", err)
		}
	})
}

func TestEndpointMustNameAHost(t *testing.T) {
	for _, e := range []string{"http://127.0.0.1:3001", "not a url", ""} {
		if _, err := passkey.New(passkey.Config{Endpoint: e, Sealer: func() *sealed.Box { return nil }, Used: replay.NewMemory(1, nil)}); err == nil {
			t.Errorf("%q: no error", e)
		}
	}
}

// What the APIs list of a credential: the browser that registered it,
// and Auth0's kind of method.
func TestDescribe(t *testing.T) {
	f := &passkey.Factor{}
	for _, tc := range []struct {
		doc  string
		kind string
	}{
		{`{"agent":"Firefox","attachment":"cross-platform"}`, "webauthn-roaming"},
		{`{"agent":"Firefox","attachment":"platform"}`, "webauthn-platform"},
		{`{"agent":"Firefox","attachment":"platform","backupEligible":true}`, "passkey"},
		{`{"agent":"Firefox"}`, "webauthn-roaming"},
	} {
		d := f.Describe([]byte(tc.doc))
		if d["kind"] != tc.kind || d["agent"] != "Firefox" {
			t.Errorf("%s: %v, want kind %s", tc.doc, d, tc.kind)
		}
	}
	if f.Describe([]byte("not json")) != nil {
		t.Error("a document that does not decode is described")
	}
}
