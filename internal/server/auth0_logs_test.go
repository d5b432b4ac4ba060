package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// Hosted sign-ins and Auth0's sign-ups are in the audit log: Logto's
// /api/logs shows them under Logto's interaction keys, /api/v2/logs as
// Auth0's s, f, ss and fs events.
func TestSignInAndSignUpLogs(t *testing.T) {
	f := newUserFixture(t, nil)
	b := newBrowser(t, f.testServer)
	_, ch := pkce()
	if p := b.signIn(b.get(f.authURL(f.spa.ID, spaRedirect, ch, nil)), "jane", "wrong password"); p.Status != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", p.Status)
	}
	if p := b.signIn(b.get(f.authURL(f.spa.ID, spaRedirect, ch, nil)), "nobody", "wrong password"); p.Status != http.StatusUnauthorized {
		t.Fatalf("unknown account: %d", p.Status)
	}
	b.signIn(b.get(f.auth0AuthURL(ch, nil)), "jane@example.com", userPass).redirected(t, spaRedirect)
	signUp := map[string]any{"client_id": f.spa.ID, "email": "new@example.com", "password": "a long enough password",
		"connection": "Username-Password-Authentication"}
	r := f.postJSON("/dbconnections/signup", signUp)
	if r.Status != 200 {
		t.Fatalf("sign-up %d %s", r.Status, r.Body)
	}
	newID := r.json(t)["_id"].(string)
	if r := f.postJSON("/dbconnections/signup", signUp); r.Status != 400 {
		t.Fatalf("second sign-up %d %s", r.Status, r.Body)
	}

	v2 := f.tokenForm(bootID, bootSecret, url.Values{"grant_type": {"client_credentials"}, "resource": {f.URL + "/api/v2/"}, "scope": {"read:logs"}}).json(t)["access_token"].(string)
	logs := func(q string, want int) []map[string]any {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			list := f.api(v2, "GET", "/api/v2/logs?q="+url.QueryEscape(q), nil).entries(t)
			if len(list) >= want || time.Now().After(deadline) {
				if len(list) != want {
					t.Fatalf("%s: %d events, want %d: %v", q, len(list), want, list)
				}
				return list
			}
		}
	}
	s := logs("type:s", 1)[0]
	if s["user_id"] != "auth0|"+f.userID || s["client_id"] != f.spa.ID || s["connection"] != "Username-Password-Authentication" ||
		s["description"] != "Success Login" || s["ip"] == "" {
		t.Errorf("s %v", s)
	}
	fails := logs("type:f", 2)
	known := logs("type:f AND user_id:auth0|"+f.userID, 1)[0]
	if d := known["details"].(map[string]any); d["error"] != "invalid_credentials" || d["identifierType"] != "username" || d["log_key"] != "Interaction.SignIn.Submit" {
		t.Errorf("f %v", known)
	}
	for _, e := range fails {
		if e["client_id"] != f.spa.ID {
			t.Errorf("f without its client %v", e)
		}
	}
	if ss := logs("type:ss", 1)[0]; ss["user_id"] != "auth0|"+newID || ss["client_id"] != f.spa.ID {
		t.Errorf("ss %v", ss)
	}
	if fs := logs("type:fs", 1)[0]; fs["user_id"] != nil || fs["details"].(map[string]any)["error"] != "invalid_signup" {
		t.Errorf("fs %v", fs)
	}
	// The same entries through Logto's API, under Logto's keys.
	for key, want := range map[string]int{"Interaction.SignIn.Submit": 3, "Interaction.Register.Submit": 2} {
		list := f.api(f.mt, "GET", "/api/logs?logKey="+key, nil).entries(t)
		if len(list) != want {
			t.Errorf("%s: %d entries, want %d: %v", key, len(list), want, list)
		}
	}
	if list := f.api(f.mt, "GET", "/api/logs?logKey=Interaction.SignIn.Submit&userId="+f.userID, nil).entries(t); len(list) != 2 {
		t.Errorf("jane's sign-ins %v", list)
	}
}

// entries reads a JSON array of objects.
func (r response) entries(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	if r.Status != 200 || json.Unmarshal(r.Body, &out) != nil {
		t.Fatalf("want a list, got %d %s", r.Status, r.Body)
	}
	return out
}
