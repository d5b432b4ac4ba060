// Package browser holds what the server's HTML faces share about the
// browser in front of them: the names and attributes of their cookies,
// the browser-bound secrets kept in them, and the anti-forgery (CSRF)
// token of their forms. The hosted sign-in pages (internal/signin) and
// the protocol's own pages (sign-out, in internal/oidc) use it alike.
package browser

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"github.com/monban/monban/internal/randid"
)

// The cookies of the hosted pages, before their __Host- prefix.
const (
	SessionCookie     = "monban_session"     // the sign-in session (internal/oidc)
	CSRFCookie        = "monban_csrf"        // the forms' anti-forgery secret
	InteractionCookie = "monban_interaction" // binds sign-in interactions to the browser
)

// secretLen is the length of a browser secret: 32 random bytes in
// unpadded base64url.
const secretLen = 43

// Cookies sets and reads the pages' cookies and checks their forms, for
// the server whose public base URL is the endpoint.
type Cookies struct {
	secure  bool   // Secure, __Host- prefixed cookies (an https endpoint)
	origin  string // the endpoint's scheme://host
	csrfKey []byte
}

// New returns the Cookies of endpoint, whose forms are signed with
// csrfKey (32 bytes or more).
func New(endpoint string, csrfKey []byte) *Cookies {
	c := &Cookies{secure: strings.HasPrefix(endpoint, "https://"), csrfKey: csrfKey}
	if u, err := url.Parse(endpoint); err == nil {
		c.origin = u.Scheme + "://" + u.Host
	}
	return c
}

// Secure reports whether the cookies are Secure (an https endpoint).
func (c *Cookies) Secure() bool { return c.secure }

// Name is the name of cookie name: __Host- prefixed over https.
func (c *Cookies) Name(name string) string {
	if c.secure {
		return "__Host-" + name
	}
	return name
}

// Set sets the HttpOnly, SameSite=Lax cookie name on /, Secure over
// https. maxAge 0 is a cookie for the browser's session; < 0 deletes it.
func (c *Cookies) Set(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: c.Name(name), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode,
	})
}

// Value is the browser's cookie name, or "".
func (c *Cookies) Value(r *http.Request, name string) string {
	if k, err := r.Cookie(c.Name(name)); err == nil {
		return k.Value
	}
	return ""
}

// Secret returns the value of the browser's cookie name, a random secret
// of 43 characters, setting a new one (for the browser's session) if it
// has none or a malformed one. A new one is added to r too, so that the
// rest of the request reads the value the browser will hold.
func (c *Cookies) Secret(w http.ResponseWriter, r *http.Request, name string) string {
	if v := c.Value(r, name); len(v) == secretLen {
		return v
	}
	v := randid.Secret(32)
	c.Set(w, name, v, 0)
	kept := []string{}
	for _, k := range r.Cookies() {
		if k.Name != c.Name(name) {
			kept = append(kept, k.String())
		}
	}
	r.Header.Set("Cookie", strings.Join(append(kept, (&http.Cookie{Name: c.Name(name), Value: v}).String()), "; "))
	return v
}

// CSRF returns the form token of the browser, setting its CSRF cookie if
// it has none.
func (c *Cookies) CSRF(w http.ResponseWriter, r *http.Request) string {
	return c.token(c.Secret(w, r, CSRFCookie))
}

// token is the form token for a CSRF cookie value: an HMAC of it, so a
// page from this server is the only place to learn it.
func (c *Cookies) token(cookie string) string {
	m := hmac.New(sha256.New, c.csrfKey)
	m.Write([]byte("monban-csrf\x00" + cookie))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CheckCSRF reports whether a form came from a page of this server: its
// token matches the CSRF cookie, and its Origin, if sent, is the
// endpoint's ("null", which privacy settings may send, proves nothing
// either way).
func (c *Cookies) CheckCSRF(r *http.Request, token string) bool {
	if o := r.Header.Get("Origin"); o != "" && o != "null" && !strings.EqualFold(o, c.origin) {
		return false
	}
	v := c.Value(r, CSRFCookie)
	if len(v) != secretLen || token == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(token), []byte(c.token(v))) == 1
}
