package browser

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The CSRF cookie is reused when the browser has a well-formed one, and
// replaced otherwise.
func TestSecretReuse(t *testing.T) {
	c := New("https://id.test", make([]byte, 32))
	get := func(value string) (string, []*http.Cookie) {
		r := httptest.NewRequest("GET", "https://id.test/sign-in", nil)
		if value != "" {
			r.AddCookie(&http.Cookie{Name: c.Name(CSRFCookie), Value: value})
		}
		w := httptest.NewRecorder()
		v := c.Secret(w, r, CSRFCookie)
		return v, w.Result().Cookies()
	}
	kept := strings.Repeat("c", 43)
	if v, set := get(kept); v != kept || len(set) != 0 {
		t.Errorf("a well-formed cookie: got %q, set %v; want it kept", v, set)
	}
	for _, bad := range []string{"", "short", strings.Repeat("c", 44)} {
		v, set := get(bad)
		if v == bad || len(v) != 43 || len(set) != 1 || set[0].Value != v {
			t.Errorf("cookie %q: got %q, set %v; want a new one", bad, v, set)
		}
		if set[0].Name != "__Host-monban_csrf" || !set[0].Secure || !set[0].HttpOnly || set[0].SameSite != http.SameSiteLaxMode {
			t.Errorf("cookie %+v", set[0])
		}
	}
}

// A form passes only with the token of the browser's own cookie, from no
// other origin.
func TestCheckCSRF(t *testing.T) {
	c := New("http://id.test", []byte("0123456789abcdef0123456789abcdef"))
	cookie := strings.Repeat("a", 43)
	token := c.token(cookie)
	for _, tc := range []struct {
		name          string
		cookie, token string
		origin        string
		want          bool
	}{
		{"its own token", cookie, token, "", true},
		{"same origin", cookie, token, "http://id.test", true},
		{"origin null", cookie, token, "null", true},
		{"another origin", cookie, token, "https://evil.test", false},
		{"another cookie's token", strings.Repeat("b", 43), token, "", false},
		{"no token", cookie, "", "", false},
		{"no cookie", "", token, "", false},
		{"a short cookie", "abc", c.token("abc"), "", false},
	} {
		r := httptest.NewRequest("POST", "http://id.test/sign-in", nil)
		if tc.cookie != "" {
			r.AddCookie(&http.Cookie{Name: CSRFCookie, Value: tc.cookie})
		}
		if tc.origin != "" {
			r.Header.Set("Origin", tc.origin)
		}
		if got := c.CheckCSRF(r, tc.token); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
