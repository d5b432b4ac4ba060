package signin

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzForms posts arbitrary forms to every form of the pages, with
// arbitrary cookies, Origin and Accept-Language: without the CSRF token
// of a page this server rendered, no form signs anyone in, sends a code
// or makes an account, and nothing is a 5xx.
func FuzzForms(f *testing.F) {
	fl := newFlows(f)
	v := fl.visitor("en").start(nil)
	id := interactionRe.FindStringSubmatch(v.body)[1]
	u, _ := url.Parse(fl.srv.URL)
	var cookies []string
	for _, c := range v.c.Jar.Cookies(u) {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	live := strings.Join(cookies, "; ")
	paths := []string{"", "/register", "/code", "/code/verify", "/password/new"}
	for i := range paths {
		f.Add(uint8(i), url.Values{"csrf": {"x"}, "interaction": {id}, "identifier": {"jane"}, "password": {janePassword}}.Encode(), live, "", "ja")
		f.Add(uint8(i), url.Values{"csrf": {"x"}, "interaction": {id}, "event": {"SignIn"}, "code_identifier": {"jane@example.com"}}.Encode(), live, "https://evil.test", "")
	}
	f.Add(uint8(2), "interaction=%zz&interaction=x", live, "null", "ja;q=x,en;q=2")
	f.Add(uint8(1), "username="+strings.Repeat("x", 20000), "", "", strings.Repeat("ja,", 2000))
	before := fl.outbox.count()
	h := fl.srv.Config.Handler
	f.Fuzz(func(t *testing.T, which uint8, body, cookie, origin, lang string) {
		r := httptest.NewRequest(http.MethodPost, Path+paths[int(which)%len(paths)], strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header["Cookie"] = []string{cookie}
		r.Header["Origin"] = []string{origin}
		r.Header["Accept-Language"] = []string{lang}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code >= 500 && w.Code != http.StatusServiceUnavailable {
			t.Fatalf("status %d: %s", w.Code, w.Body.String())
		}
		if strings.Contains(w.Body.String(), janePassword) {
			t.Fatal("the page quotes the password")
		}
		for _, c := range w.Result().Cookies() {
			if strings.Contains(c.Name, "session") && c.MaxAge >= 0 && c.Value != "" {
				t.Fatalf("a session cookie was set without a valid CSRF token: %v", c)
			}
		}
		if loc := w.Header().Get("Location"); loc != "" {
			if u, err := url.Parse(loc); err != nil || u.Query().Get("code") != "" {
				t.Fatalf("redirect %q", loc)
			}
		}
		if fl.outbox.count() != before {
			t.Fatal("a code was sent without a valid CSRF token")
		}
	})
}

// FuzzLanguage: any ui_locales and Accept-Language choose one of the
// pages' languages.
func FuzzLanguage(f *testing.F) {
	f.Add("ja en", "en-GB,en;q=0.9", "ja")
	f.Add("", "ja;q=0.5,en;q=0.6", "en")
	f.Add("x-y-z", ";;;q=,", "")
	f.Fuzz(func(t *testing.T, ui, accept, fallback string) {
		if l := chooseLanguage(ui, accept, fallback); l != "en" && l != "ja" {
			t.Fatalf("language %q", l)
		}
	})
}
