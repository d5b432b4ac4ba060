package signin

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/monban/monban/internal/interaction"
	"github.com/monban/monban/internal/mfa"
	"github.com/monban/monban/internal/passkey/passkeytest"
	"github.com/monban/monban/internal/store"
)

var optionsRe = regexp.MustCompile(`data-options="([^"]*)"`)

// ceremony is the WebAuthn options and sealed state on the last page.
func (v *visitor) ceremony() (options []byte, state string) {
	v.f.t.Helper()
	o, s := optionsRe.FindStringSubmatch(v.body), stateRe.FindStringSubmatch(v.body)
	if o == nil || s == nil {
		v.f.t.Fatalf("no WebAuthn ceremony on the page: %d %s", v.status, v.body)
	}
	return []byte(html.UnescapeString(o[1])), html.UnescapeString(s[1])
}

// passkeyFlows is the fixture on localhost with passkey sign-in on and
// jane holding a passkey (bound as a second factor through the MFA
// service, as the enrolment page binds it).
func passkeyFlows(t *testing.T) (*flows, *passkeytest.Authenticator, *store.User) {
	f := newFlowsOn(t, "localhost")
	f.setExperience(func(e *Experience) { e.PasskeySignIn = true })
	ctx := context.Background()
	jane, err := f.st.GetUserByUsername(ctx, "jane")
	must(t, err)
	a := passkeytest.New(f.base)
	who := mfa.Subject{UserID: jane.ID, Label: "jane"}
	state, shown, err := f.mfa.BeginBind(ctx, who, mfa.TypeWebAuthn, "it-enrol", "Monban")
	must(t, err)
	resp, err := a.Create([]byte(shown["options"]))
	must(t, err)
	_, _, err = f.mfa.FinishBind(ctx, who, mfa.TypeWebAuthn, "it-enrol", state,
		url.Values{"response": {string(resp)}, "agent": {"Go test"}, "name": {"Test key"}}, "127.0.0.1")
	must(t, err)
	return f, a, &jane
}

// Sign in with a passkey: the sign-in page offers it, the passkey alone
// signs in to the account it names (whatever was typed before), the
// session records Logto's SignInPasskey record, and the credential's
// counter and last use are stored.
func TestPasskeySignIn(t *testing.T) {
	f, a, jane := passkeyFlows(t)
	v := f.visitor("en").start(nil).want(200, en["passkey_sign_in"])
	if !strings.Contains(v.body, `src="`+f.base+`/sign-in/webauthn.js"`) {
		t.Fatalf("the page does not load its script: %s", v.body)
	}
	// A wrong password first: the passkey still signs in.
	v.submit("", url.Values{"identifier": {"jane"}, "password": {"not it"}}).want(401, en["err_bad_credentials"])
	options, state := v.ceremony()
	resp, err := a.Get(options)
	must(t, err)
	v.submit("/passkey", url.Values{"state": {state}, "response": {string(resp)}}).signedIn()
	rec := v.sessionRecord()
	if rec.Event != "SignIn" || len(rec.Verifications) != 1 || rec.Verifications[0].Type != interaction.RecordSignInPasskey {
		t.Fatalf("session record %+v", rec)
	}
	if keys := f.auditKeys(); !slices.Contains(keys, "Interaction.SignIn.Verification.SignInPasskey.Submit") ||
		!slices.Contains(keys, "Interaction.SignIn.Submit") {
		t.Errorf("audit %v", keys)
	}
	docs, err := f.mfa.Documents(context.Background(), jane.ID, mfa.TypeWebAuthn)
	must(t, err)
	if len(docs) != 1 || docs[0].Verification.LastUsedAt == nil || docs[0].Verification.Name != "Test key" ||
		!strings.Contains(string(docs[0].Data), `"counter":1`) || !strings.Contains(string(docs[0].Data), `"agent":"Go test"`) {
		t.Fatalf("the credential after its use: %+v %s", docs, docs[0].Data)
	}
}

// A passkey signs in past the second-factor gate (it is one), as Logto.
func TestPasskeySignInPassesTheMFAGate(t *testing.T) {
	f, a, _ := passkeyFlows(t)
	f.setExperience(func(e *Experience) { e.MFA = mfa.Policy{Factors: []string{mfa.TypeWebAuthn}, Policy: "Mandatory"} })
	v := f.visitor("en").start(nil)
	options, state := v.ceremony()
	resp, err := a.Get(options)
	must(t, err)
	v.submit("/passkey", url.Values{"state": {state}, "response": {string(resp)}}).signedIn()
}

func TestPasskeySignInRefusals(t *testing.T) {
	t.Run("no JavaScript: an empty response says what to do", func(t *testing.T) {
		f, _, _ := passkeyFlows(t)
		v := f.visitor("ja").start(url.Values{"ui_locales": {"ja"}})
		_, state := v.ceremony()
		v.submit("/passkey", url.Values{"state": {state}, "response": {""}}).want(400, messages["ja"]["err_passkey_script"])
		if !strings.Contains(v.body, "<noscript>") {
			t.Fatal("no word for a browser without JavaScript")
		}
	})
	t.Run("a replayed ceremony", func(t *testing.T) {
		f, a, _ := passkeyFlows(t)
		v := f.visitor("en").start(nil)
		options, state := v.ceremony()
		a.Origin = "http://evil.example" // refused, and the state is used
		resp, _ := a.Get(options)
		v.submit("/passkey", url.Values{"state": {state}, "response": {string(resp)}}).want(401, en["err_passkey_failed"])
		a.Origin = f.base
		resp, _ = a.Get(options)
		v.submit("/passkey", url.Values{"state": {state}, "response": {string(resp)}}).want(400, en["err_passkey_expired"])
	})
	t.Run("another interaction's ceremony", func(t *testing.T) {
		f, a, _ := passkeyFlows(t)
		other := f.visitor("en").start(nil)
		options, state := other.ceremony()
		resp, _ := a.Get(options)
		f.visitor("en").start(nil).submit("/passkey", url.Values{"state": {state}, "response": {string(resp)}}).
			want(400, en["err_passkey_expired"])
	})
	t.Run("an unknown passkey", func(t *testing.T) {
		f, a, jane := passkeyFlows(t)
		docs, err := f.mfa.Documents(context.Background(), jane.ID, mfa.TypeWebAuthn)
		must(t, err)
		must(t, f.mfa.Delete(context.Background(), jane.ID, docs[0].Verification.ID))
		v := f.visitor("en").start(nil)
		options, state := v.ceremony()
		resp, _ := a.Get(options)
		v.submit("/passkey", url.Values{"state": {state}, "response": {string(resp)}}).want(401, en["err_passkey_unknown"])
	})
	t.Run("a suspended account", func(t *testing.T) {
		f, a, jane := passkeyFlows(t)
		must(t, f.st.SetUserSuspended(context.Background(), jane.ID, true, f.clock.Now()))
		v := f.visitor("en").start(nil)
		options, state := v.ceremony()
		resp, _ := a.Get(options)
		v.submit("/passkey", url.Values{"state": {state}, "response": {string(resp)}}).want(403, en["err_suspended"])
	})
	t.Run("a cloned authenticator", func(t *testing.T) {
		f, a, _ := passkeyFlows(t)
		a.Counter = 5
		v := f.visitor("en").start(nil)
		options, state := v.ceremony()
		resp, _ := a.Get(options)
		v.submit("/passkey", url.Values{"state": {state}, "response": {string(resp)}}).signedIn()
		a.Counter = 2 // a copy behind the original
		v = f.visitor("en").start(nil)
		options, state = v.ceremony()
		resp, _ = a.Get(options)
		v.submit("/passkey", url.Values{"state": {state}, "response": {string(resp)}}).want(401, en["err_passkey_failed"])
	})
	t.Run("passkey sign-in off", func(t *testing.T) {
		f, a, _ := passkeyFlows(t)
		v := f.visitor("en").start(nil)
		options, state := v.ceremony()
		f.setExperience(func(e *Experience) { e.PasskeySignIn = false })
		resp, _ := a.Get(options)
		v.submit("/passkey", url.Values{"state": {state}, "response": {string(resp)}}).want(403, en["err_method_disabled"])
		if strings.Contains(v.body, "data-webauthn") || strings.Contains(v.body, "<script") {
			t.Fatalf("the passkey form is shown with passkey sign-in off: %s", v.body)
		}
	})
	t.Run("a malformed response", func(t *testing.T) {
		f, _, _ := passkeyFlows(t)
		v := f.visitor("en").start(nil)
		_, state := v.ceremony()
		v.submit("/passkey", url.Values{"state": {state}, "response": {`{"id":1}`}}).want(401, en["err_passkey_failed"])
	})
}

// The script is served as JavaScript, and only pages that run a
// ceremony allow it.
func TestPasskeyScript(t *testing.T) {
	f, _, _ := passkeyFlows(t)
	res, err := http.Get(f.srv.URL + Path + "/webauthn.js")
	must(t, err)
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Fatalf("%d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	v := f.visitor("en")
	r, err := http.NewRequest("GET", f.base+"/oidc/auth?"+url.Values{"response_type": {"code"}, "client_id": {"web"},
		"redirect_uri": {f.base + "/cb"}, "scope": {"openid"}, "state": {"st"}}.Encode(), nil)
	must(t, err)
	res, err = v.c.Do(r)
	must(t, err)
	res.Body.Close()
	for res.StatusCode == http.StatusSeeOther || res.StatusCode == http.StatusFound {
		res, err = v.c.Get(res.Header.Get("Location"))
		must(t, err)
		res.Body.Close()
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Fatalf("the sign-in page's policy forbids its script: %s", csp)
	}
	f.setExperience(func(e *Experience) { e.PasskeySignIn = false })
	res, err = v.c.Get(f.base + Path + "?" + url.Values{"interaction": {"x"}}.Encode())
	must(t, err)
	res.Body.Close()
	if csp := res.Header.Get("Content-Security-Policy"); strings.Contains(csp, "script-src") {
		t.Fatalf("a page without a ceremony allows scripts: %s", csp)
	}
}
