package clientauth

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/store"
)

func TestParse(t *testing.T) {
	b64 := func(s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(s)) }
	long := strings.Repeat("a", maxCredentialLen)
	cases := []struct {
		name   string
		auth   string
		params url.Values
		want   Credentials
		err    error
	}{
		{"basic", b64("app:secret"), nil, Credentials{ClientID: "app", Secret: "secret", Method: MethodBasic}, nil},
		// RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
		{"basic urlencoded", b64("a%3Ab:s%2Bc+d%3A"), nil, Credentials{ClientID: "a:b", Secret: "s+c d:", Method: MethodBasic}, nil},
		{"basic lowercase scheme", "basic " + base64.StdEncoding.EncodeToString([]byte("app:s")), nil, Credentials{ClientID: "app", Secret: "s", Method: MethodBasic}, nil},
		{"basic with same client_id", b64("app:s"), url.Values{"client_id": {"app"}}, Credentials{ClientID: "app", Secret: "s", Method: MethodBasic}, nil},
		{"basic with other client_id", b64("app:s"), url.Values{"client_id": {"other"}}, Credentials{}, ErrMultipleMethods},
		{"basic and post secret", b64("app:s"), url.Values{"client_id": {"app"}, "client_secret": {"s"}}, Credentials{}, ErrMultipleMethods},
		{"post", "", url.Values{"client_id": {"app"}, "client_secret": {"s"}}, Credentials{ClientID: "app", Secret: "s", Method: MethodPost}, nil},
		{"public", "", url.Values{"client_id": {"app"}}, Credentials{ClientID: "app", Secret: "", Method: MethodNone}, nil},
		{"nothing", "", nil, Credentials{}, ErrNoCredentials},
		{"secret only", "", url.Values{"client_secret": {"s"}}, Credentials{}, ErrNoCredentials},
		{"bad base64", "Basic %%%", nil, Credentials{}, ErrMalformed},
		{"no colon", b64("app"), nil, Credentials{}, ErrMalformed},
		{"empty id", b64(":s"), nil, Credentials{}, ErrMalformed},
		{"bad escape", b64("a%zz:s"), nil, Credentials{}, ErrMalformed},
		{"bearer", "Bearer x", nil, Credentials{}, ErrMalformed},
		// Ids and secrets are bounded at maxCredentialLen, inclusive.
		{"basic id at the bound", b64(long + ":s"), nil, Credentials{ClientID: long, Secret: "s", Method: MethodBasic}, nil},
		{"basic id over the bound", b64(long + "x:s"), nil, Credentials{}, ErrMalformed},
		{"basic secret at the bound", b64("app:" + long), nil, Credentials{ClientID: "app", Secret: long, Method: MethodBasic}, nil},
		{"basic secret over the bound", b64("app:" + long + "x"), nil, Credentials{}, ErrMalformed},
		{"post id at the bound", "", url.Values{"client_id": {long}, "client_secret": {"s"}}, Credentials{ClientID: long, Secret: "s", Method: MethodPost}, nil},
		{"post id over the bound", "", url.Values{"client_id": {long + "x"}, "client_secret": {"s"}}, Credentials{}, ErrInvalidClient},
		{"post secret at the bound", "", url.Values{"client_id": {"app"}, "client_secret": {long}}, Credentials{ClientID: "app", Secret: long, Method: MethodPost}, nil},
		{"post secret over the bound", "", url.Values{"client_id": {"app"}, "client_secret": {long + "x"}}, Credentials{}, ErrInvalidClient},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/oidc/token", nil)
			if c.auth != "" {
				r.Header.Set("Authorization", c.auth)
			}
			got, err := Parse(r, c.params)
			if !errors.Is(err, c.err) || got != c.want {
				t.Errorf("Parse = %+v, %v; want %+v, %v", got, err, c.want, c.err)
			}
		})
	}
}

func TestAuthenticate(t *testing.T) {
	h := NewHasher([]byte("0123456789abcdef0123456789abcdef"))
	now := time.Now()
	snap := &catalog.Snapshot{Apps: map[string]*catalog.App{
		"app": {Application: store.Application{ID: "app"}, Secrets: []store.AppSecret{
			{Name: "old", Hash: h.Hash("expired-secret"), ExpiresAt: now.Add(-time.Second)},
			{Name: "new", Hash: h.Hash("live-secret"), ExpiresAt: now.Add(time.Hour)},
			{Name: "forever", Hash: h.Hash("forever-secret")},
		}},
		"nosecret": {Application: store.Application{ID: "nosecret"}},
	}}
	cases := []struct {
		id, secret string
		ok         bool
	}{
		{"app", "live-secret", true},
		{"app", "forever-secret", true},
		{"app", "expired-secret", false},
		{"app", "wrong", false},
		{"app", "", false},
		{"nobody", "live-secret", false},
		{"nosecret", "", false},
		{"nosecret", "x", false},
	}
	for _, c := range cases {
		app, err := Authenticate(snap, h, Credentials{ClientID: c.id, Secret: c.secret}, now)
		if c.ok != (err == nil) || c.ok != (app != nil) {
			t.Errorf("%s/%s: app %v err %v", c.id, c.secret, app, err)
		}
		if err != nil && !errors.Is(err, ErrInvalidClient) {
			t.Errorf("%s/%s: err %v", c.id, c.secret, err)
		}
	}
}

func BenchmarkAuthenticate(b *testing.B) {
	h := NewHasher([]byte("0123456789abcdef0123456789abcdef"))
	snap := &catalog.Snapshot{Apps: map[string]*catalog.App{
		"app": {Application: store.Application{ID: "app"}, Secrets: []store.AppSecret{{Hash: h.Hash("live-secret")}}},
	}}
	c := Credentials{ClientID: "app", Secret: "live-secret"}
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Authenticate(snap, h, c, now); err != nil {
			b.Fatal(err)
		}
	}
}

func TestClaimed(t *testing.T) {
	basic := func(user string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":secret")) }
	for _, c := range []struct {
		name, auth string
		params     url.Values
		want       string
	}{
		{"basic", basic("app%201"), url.Values{"client_id": {"other"}}, "app 1"},
		{"basic not percent-encoded", basic("app%zz"), nil, "app%zz"},
		{"basic lower-case scheme", "basic " + base64.StdEncoding.EncodeToString([]byte("app:s")), nil, "app"},
		{"malformed basic falls back to the body", "Basic !!!", url.Values{"client_id": {"body"}}, "body"},
		{"bearer falls back to the body", "Bearer x", url.Values{"client_id": {"body"}}, "body"},
		{"body", "", url.Values{"client_id": {"body"}, "client_secret": {"s"}}, "body"},
		{"none", "", url.Values{}, ""},
	} {
		r := httptest.NewRequest("POST", "/oidc/token", nil)
		if c.auth != "" {
			r.Header.Set("Authorization", c.auth)
		}
		if got := Claimed(r, c.params); got != c.want {
			t.Errorf("%s: Claimed = %q, want %q", c.name, got, c.want)
		}
	}
}

// FuzzParse feeds Parse arbitrary Authorization headers and client_id /
// client_secret parameters. Every failure is one of the four typed errors;
// what it accepts is bounded and consistent with its method, and
// credentials it reads from a Basic header encode back (RFC 6749 §2.3.1)
// to credentials it reads the same.
func FuzzParse(f *testing.F) {
	b64 := func(s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(s)) }
	f.Add(b64("app:secret"), "", "")
	f.Add(b64("a%3Ab:s%2Bc+d%3A"), "a:b", "")
	f.Add("basic "+base64.StdEncoding.EncodeToString([]byte("app:s")), "", "")
	f.Add(b64("app:s"), "other", "")
	f.Add(b64("app:s"), "app", "s")
	f.Add("", "app", "s")
	f.Add("", "app", "")
	f.Add("", "", "s")
	f.Add("Basic %%%", "", "")
	f.Add(b64("app"), "", "")
	f.Add(b64(":s"), "", "")
	f.Add(b64("a%zz:s"), "", "")
	f.Add("Bearer x", "", "")
	f.Add("Basic  "+base64.StdEncoding.EncodeToString([]byte("app:s"))+" ", "", "")
	f.Add(b64(strings.Repeat("a", 513)+":s"), "", "")
	f.Add("", strings.Repeat("a", 513), "s")
	f.Fuzz(func(t *testing.T, auth, postID, postSecret string) {
		r := httptest.NewRequest("POST", "/oidc/token", nil)
		if auth != "" {
			r.Header["Authorization"] = []string{auth}
		}
		params := url.Values{}
		if postID != "" {
			params.Set("client_id", postID)
		}
		if postSecret != "" {
			params.Set("client_secret", postSecret)
		}
		c, err := Parse(r, params)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrMultipleMethods) &&
				!errors.Is(err, ErrNoCredentials) && !errors.Is(err, ErrInvalidClient) {
				t.Fatalf("untyped error %v", err)
			}
			if c != (Credentials{}) {
				t.Fatalf("credentials %+v with error %v", c, err)
			}
			if auth == "" && postID != "" && len(postID) <= maxCredentialLen && len(postSecret) <= maxCredentialLen {
				t.Fatalf("post credentials refused: %v", err)
			}
			return
		}
		if c.ClientID == "" || len(c.ClientID) > maxCredentialLen || len(c.Secret) > maxCredentialLen {
			t.Fatalf("accepted %+v", c)
		}
		switch c.Method {
		case MethodBasic:
			if auth == "" || postSecret != "" || (postID != "" && postID != c.ClientID) {
				t.Fatalf("Basic credentials %+v from auth %q, post %q/%q", c, auth, postID, postSecret)
			}
			// Round trip through the RFC's encoding.
			enc := url.QueryEscape(c.ClientID) + ":" + url.QueryEscape(c.Secret)
			r2 := httptest.NewRequest("POST", "/oidc/token", nil)
			r2.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(enc)))
			again, err := Parse(r2, nil)
			if err != nil || again != c {
				t.Fatalf("%+v encoded again reads %+v (%v)", c, again, err)
			}
		case MethodPost:
			if auth != "" || c.ClientID != postID || c.Secret != postSecret || c.Secret == "" {
				t.Fatalf("post credentials %+v", c)
			}
		case MethodNone:
			if auth != "" || c.ClientID != postID || c.Secret != "" || postSecret != "" {
				t.Fatalf("public client %+v", c)
			}
		default:
			t.Fatalf("method %q", c.Method)
		}
	})
}

// FuzzAuthenticate checks that Authenticate lets a client in only with one
// of its unexpired secrets, whatever id and secret are presented.
func FuzzAuthenticate(f *testing.F) {
	h := NewHasher([]byte("fuzz key"))
	now := time.Unix(1_800_000_000, 0)
	past := now.Add(-time.Hour)
	snap := &catalog.Snapshot{Apps: map[string]*catalog.App{
		"app": {Application: store.Application{ID: "app"}, Secrets: []store.AppSecret{
			{Name: "old", Hash: h.Hash("expired-secret"), ExpiresAt: past},
			{Name: "new", Hash: h.Hash("good-secret")},
		}},
		"bare": {Application: store.Application{ID: "bare"}},
	}}
	f.Add("app", "good-secret")
	f.Add("app", "expired-secret")
	f.Add("app", "")
	f.Add("bare", "")
	f.Add("nobody", "good-secret")
	f.Fuzz(func(t *testing.T, id, secret string) {
		app, err := Authenticate(snap, h, Credentials{ClientID: id, Secret: secret, Method: MethodPost}, now)
		ok := id == "app" && secret == "good-secret"
		if ok != (err == nil) || (err != nil && !errors.Is(err, ErrInvalidClient)) {
			t.Fatalf("%q/%q: app %v, err %v", id, secret, app, err)
		}
		if err == nil && app.ID != id {
			t.Fatalf("authenticated as %q", app.ID)
		}
	})
}

// Hash is HMAC-SHA256 under the key, whatever came before: the HMACs it
// reuses hold nothing of an earlier secret, also when used at once from
// several goroutines.
func TestHasherReusesCleanHMACs(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	h := NewHasher(key)
	want := func(secret string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(secret))
		return m.Sum(nil)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 500 {
				secret := strings.Repeat("s", (g*500+i)%70)
				if got := h.Hash(secret); !bytes.Equal(got, want(secret)) {
					t.Errorf("Hash(%q) = %x, want %x", secret, got, want(secret))
					return
				}
			}
		})
	}
	wg.Wait()
}
