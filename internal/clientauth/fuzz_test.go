package clientauth

import (
	"encoding/base64"
	"errors"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/store"
)

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
