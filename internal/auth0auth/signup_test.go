package auth0auth

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"
)

// The body reader never panics, refuses what is not one JSON object of
// the known fields (or a form of the string ones), and keeps within its
// bound; what it accepts it reads exactly.
func FuzzReadSignUp(f *testing.F) {
	for _, seed := range []struct{ ct, body string }{
		{"application/json", `{"client_id":"a","email":"e@x.io","password":"p","connection":"Username-Password-Authentication"}`},
		{"application/json", `{"client_id":"a","user_metadata":{"k":[1,2,{"x":null}]},"username":"u"}`},
		{"application/json", `{"email":"a","email":"b"}`},
		{"application/json", `{"email":12}`},
		{"application/json", `[]`},
		{"application/json", `{"client_id":"a"} {"x":1}`},
		{"application/json", `{"app_metadata":{}}`},
		{"application/json; charset=utf-8", `{"name":"\u0000"}`},
		{"application/x-www-form-urlencoded", "client_id=a&email=e%40x.io&password=p&connection=c"},
		{"application/x-www-form-urlencoded", "email=a&email=b"},
		{"application/x-www-form-urlencoded", "user_metadata=x"},
		{"application/x-www-form-urlencoded", "%zz"},
		{"text/plain", "{}"},
		{"", ""},
	} {
		f.Add(seed.ct, seed.body)
	}
	f.Fuzz(func(t *testing.T, ct, body string) {
		r := httptest.NewRequest(http.MethodPost, SignUpPath, strings.NewReader(body))
		r.Header.Set("Content-Type", ct)
		req, status, msg := readSignUp(httptest.NewRecorder(), r)
		if msg == "" {
			if status != 0 {
				t.Fatalf("accepted with status %d", status)
			}
			if len(body) > MaxBodyBytes {
				t.Fatalf("accepted %d bytes", len(body))
			}
			for _, v := range []string{req.ClientID, req.Email, req.Password, req.Connection} {
				if !utf8.ValidString(v) && strings.HasPrefix(ct, "application/json") {
					t.Fatalf("invalid UTF-8 read from JSON: %q", v)
				}
			}
			return
		}
		if status != http.StatusBadRequest && status != http.StatusRequestEntityTooLarge {
			t.Fatalf("refused with status %d: %s", status, msg)
		}
		if strings.Contains(msg, body) && len(body) > 8 {
			t.Fatalf("the refusal repeats the body: %s", msg)
		}
	})
}

// An over-long body is 413, whatever it holds.
func TestReadSignUpBound(t *testing.T) {
	body := `{"name":"` + strings.Repeat("x", MaxBodyBytes) + `"}`
	r := httptest.NewRequest(http.MethodPost, SignUpPath, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if _, status, msg := readSignUp(httptest.NewRecorder(), r); status != http.StatusRequestEntityTooLarge || msg == "" {
		t.Fatalf("status %d %q", status, msg)
	}
}
