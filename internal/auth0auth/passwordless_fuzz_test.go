package auth0auth

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// The body readers of /passwordless/start and
// /dbconnections/change_password never panic, and refuse what they
// refuse with a client error.
func FuzzReadStart(f *testing.F) {
	for _, seed := range []string{
		`{"client_id":"a","connection":"email","email":"a@b.co","send":"code","authParams":{"scope":"openid"}}`,
		`{"client_id":"a","client_id":"b"}`, `{"authParams":[1]}`, `{"email":5}`, `[]`, `{`, `null`,
		`client_id=a&connection=sms&phone_number=%2B1555&send=code`, `a=1&a=2`, `%zz`,
	} {
		f.Add(seed, true)
		f.Add(seed, false)
	}
	f.Fuzz(func(t *testing.T, body string, json bool) {
		ct := "application/x-www-form-urlencoded"
		if json {
			ct = "application/json"
		}
		r := httptest.NewRequest("POST", PasswordlessStartPath, strings.NewReader(body))
		r.Header.Set("Content-Type", ct)
		req, serr := readStart(httptest.NewRecorder(), r)
		if serr == nil {
			serr = checkStart(req)
		}
		if serr != nil && (serr.status < 400 || serr.status > 499 || serr.code == "" || serr.desc == "") {
			t.Fatalf("%q: %+v", body, serr)
		}
		r = httptest.NewRequest("POST", ChangePasswordPath, strings.NewReader(body))
		r.Header.Set("Content-Type", ct)
		if _, status, msg := readChangePassword(httptest.NewRecorder(), r); msg != "" && (status < 400 || status > 499) {
			t.Fatalf("%q: %d %s", body, status, msg)
		}
	})
}

// checkStart's table: what is refused, and with which code.
func TestCheckStart(t *testing.T) {
	ok := startRequest{ClientID: "a", Connection: "email", Email: "a@b.co", Send: "code"}
	for name, c := range map[string]struct {
		edit func(*startRequest)
		code string
	}{
		"fine":          {func(*startRequest) {}, ""},
		"sms":           {func(r *startRequest) { r.Connection, r.Email, r.PhoneNumber = "sms", "", "+1555" }, ""},
		"sms and email": {func(r *startRequest) { r.Connection, r.PhoneNumber = "sms", "+1555" }, "bad.request"},
		"blank email":   {func(r *startRequest) { r.Email = "  " }, "bad.email"},
		"link":          {func(r *startRequest) { r.Send = "link" }, "bad.send"},
		"other send":    {func(r *startRequest) { r.Send = "pigeon" }, "bad.send"},
		"connection":    {func(r *startRequest) { r.Connection = "Username-Password-Authentication" }, "bad.connection"},
		"auth param":    {func(r *startRequest) { r.AuthParams = map[string]any{"nonce": "x"} }, "bad.authParams"},
		"long state":    {func(r *startRequest) { r.AuthParams = map[string]any{"state": strings.Repeat("s", 1025)} }, "bad.authParams"},
		"scope":         {func(r *startRequest) { r.AuthParams = map[string]any{"scope": "openid", "state": "s"} }, ""},
	} {
		r := ok
		c.edit(&r)
		err := checkStart(r)
		switch {
		case c.code == "" && err != nil:
			t.Errorf("%s: %+v", name, err)
		case c.code != "" && (err == nil || err.code != c.code):
			t.Errorf("%s: %+v, want %s", name, err, c.code)
		}
	}
}
