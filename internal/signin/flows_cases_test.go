package signin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/monban/monban/internal/store"
)

func hashOf(v string) string {
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:])
}

var en = messages["en"]

// A sign-up by username and password: a taken username and the policy's
// refusals are said on the form, then the account is made and signed in,
// its session recording a Register with a NewPasswordIdentity record.
func TestSignUpByUsername(t *testing.T) {
	f := newFlows(t)
	v := f.visitor("en").start(url.Values{"first_screen": {"register"}}).want(200, en["register"])
	v.submit("/register", url.Values{"username": {"jane"}, "new_password": {"Another long passphrase 7"}}).
		want(409, en["err_username_taken"])
	v.submit("/register", url.Values{"username": {"9lives"}, "new_password": {"Another long passphrase 7"}}).
		want(400, en["err_username"])
	v.submit("/register", url.Values{"username": {"kenji"}, "new_password": {"short"}}).
		want(400, "at least 8 characters")
	if !strings.Contains(v.body, `aria-describedby="new_password-error"`) || !strings.Contains(v.body, `aria-invalid="true"`) {
		t.Fatalf("the error is not tied to its field: %s", v.body)
	}
	v.submit("/register", url.Values{"username": {"kenji"}, "new_password": {"password123"}}).
		want(400, "too common")
	v.submit("/register", url.Values{"username": {"kenji"}, "new_password": {"Kenji's long passphrase 9"}}).signedIn()
	rec := v.sessionRecord()
	if rec.Event != "Register" || len(rec.Verifications) != 1 || rec.Verifications[0].Type != RecordNewPasswordIdentity ||
		rec.Verifications[0].IdentifierValue != "kenji" {
		t.Fatalf("session record %+v", rec)
	}
	if keys := f.auditKeys(); !slices.Contains(keys, "Interaction.Register.Submit") {
		t.Errorf("audit %v", keys)
	}
	// Sign-up turned off: the page says so, and no account is made.
	f.setExperience(func(e *Experience) { e.SignUp = false })
	f.visitor("en").start(url.Values{"screen_hint": {"signup"}}).want(200, en["err_signup_disabled"])
	v = f.visitor("en").start(nil)
	if strings.Contains(v.body, en["create_account"]) {
		t.Fatal("the sign-up link is shown with sign-up off")
	}
	v.submit("/register", url.Values{"username": {"yuki"}, "new_password": {"Yuki's long passphrase 9"}}).
		want(403, en["err_signup_disabled"])
	if _, err := f.st.GetUserByUsername(context.Background(), "yuki"); err == nil {
		t.Fatal("an account was made with sign-up off")
	}
}

// Passwordless by e-mail and by SMS: a code is sent, a wrong one is
// counted, the right one signs in; the session records the code.
func TestPasswordless(t *testing.T) {
	f := newFlows(t)
	v := f.visitor("en").start(nil).want(200, en["code_sign_in"])
	v.submit("/code", url.Values{"event": {"SignIn"}, "code_identifier": {"Jane@Example.com"}}).want(200, en["enter_code"])
	code := f.code("Jane@example.com") // the domain lower-cased, the local part as written
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	v.submit("/code/verify", url.Values{"code": {wrong}}).want(400, en["err_code_wrong"])
	if !strings.Contains(v.body, `aria-describedby="code-error"`) || !strings.Contains(v.body, `id="code"`) {
		t.Fatalf("the code error is not tied to the field: %s", v.body)
	}
	v.submit("/code/verify", url.Values{"code": {code}}).signedIn()
	rec := v.sessionRecord()
	if rec.Event != "SignIn" || len(rec.Verifications) != 1 || rec.Verifications[0].Type != "EmailVerificationCode" ||
		rec.Verifications[0].TemplateType != "SignIn" || rec.Verifications[0].IdentifierValue != "Jane@example.com" {
		t.Fatalf("session record %+v", rec)
	}
	keys := f.auditKeys()
	for _, k := range []string{"Interaction.SignIn.Verification.EmailVerificationCode.Create",
		"Interaction.SignIn.Verification.EmailVerificationCode.Submit:code_wrong",
		"Interaction.SignIn.Verification.EmailVerificationCode.Submit", "Interaction.SignIn.Submit"} {
		if !slices.Contains(keys, k) {
			t.Errorf("audit %v lacks %s", keys, k)
		}
	}
	// By SMS, for a phone nobody has: sign-up is open to phones, so the
	// code makes the account (no password asked: the experience wants
	// none here), with the phone number.
	f.setExperience(func(e *Experience) { e.SignUpPassword = false })
	v = f.visitor("en").start(nil)
	v.submit("/code", url.Values{"event": {"SignIn"}, "code_identifier": {"+81 90-1234-5678"}}).want(200, en["enter_code"])
	m, ok := f.outbox.last("819012345678")
	if !ok || m.Channel != "sms" || m.Purpose != "SignIn" {
		t.Fatalf("SMS %+v %v", m, ok)
	}
	v.submit("/code/verify", url.Values{"code": {m.Code}}).signedIn()
	if rec := v.sessionRecord(); rec.Event != "Register" || rec.Verifications[0].Type != "PhoneVerificationCode" {
		t.Fatalf("session record %+v", rec)
	}
}

// A sign-up by e-mail: the code comes first, the password (held to the
// policy) next; the address is verified. The same address again signs its
// owner in after the code, as Logto does, without telling anyone else.
func TestSignUpByEmail(t *testing.T) {
	f := newFlows(t)
	v := f.visitor("en").start(url.Values{"interaction_mode": {"signUp"}}).want(200, en["register"])
	v.submit("/code", url.Values{"event": {"Register"}, "code_identifier": {"not an address@"}}).want(400, en["err_email"])
	v.submit("/code", url.Values{"event": {"Register"}, "code_identifier": {"mika@example.com"}}).want(200, en["enter_code"])
	v.submit("/code/verify", url.Values{"code": {f.code("mika@example.com")}}).want(200, en["set_password"])
	v.submit("/password/new", url.Values{"new_password": {"aaaaaaaaaaaa"}}).want(400, en["pw.repetition"])
	v.submit("/password/new", url.Values{"new_password": {"Mika's long passphrase 3"}}).signedIn()
	u, err := f.st.GetUserByEmail(context.Background(), "mika@example.com")
	if err != nil || !u.EmailVerified || u.PasswordHash == "" {
		t.Fatalf("user %+v %v", u, err)
	}
	// jane's address: the same pages, a code, and jane is signed in.
	v = f.visitor("en").start(url.Values{"first_screen": {"register"}})
	v.submit("/code", url.Values{"event": {"Register"}, "code_identifier": {"jane@example.com"}}).want(200, en["enter_code"])
	v.submit("/code/verify", url.Values{"code": {f.code("jane@example.com")}}).signedIn()
	if rec := v.sessionRecord(); rec.Event != "SignIn" || rec.Verifications[0].TemplateType != "Register" {
		t.Fatalf("session record %+v", rec)
	}
}

// Forgot password: a code to the account's address, a new password held
// to the policy; the old one no longer works, the new one does. An
// unknown address gets the same answer and no message.
func TestForgotPassword(t *testing.T) {
	f := newFlows(t)
	v := f.visitor("en").start(url.Values{"first_screen": {"reset_password"}}).want(200, en["forgot"])
	before := f.outbox.count()
	v.submit("/code", url.Values{"event": {"ForgotPassword"}, "code_identifier": {"nobody@example.com"}}).want(200, en["enter_code"])
	if f.outbox.count() != before {
		t.Fatal("a reset code was sent to an address no account has")
	}
	v.submit("/code/verify", url.Values{"code": {"123456"}}).want(400, en["err_code_wrong"])

	v = f.visitor("en").start(nil)
	v.do("GET", v.formURL("forgot"), nil).want(200, en["forgot"])
	v.submit("/code", url.Values{"event": {"ForgotPassword"}, "code_identifier": {"jane@example.com"}}).want(200, en["enter_code"])
	m, _ := f.outbox.last("jane@example.com")
	if m.Purpose != "ForgotPassword" {
		t.Fatalf("message %+v", m)
	}
	v.submit("/code/verify", url.Values{"code": {m.Code}}).want(200, en["new_password_hint"])
	v.submit("/password/new", url.Values{"new_password": {"jane"}}).want(400, en["pw.too_short"][:20])
	v.submit("/password/new", url.Values{"new_password": {"Jane's new passphrase 77"}}).signedIn()
	if rec := v.sessionRecord(); rec.Event != "ForgotPassword" {
		t.Fatalf("session record %+v", rec)
	}
	w := f.visitor("en").start(nil)
	w.submit("", url.Values{"identifier": {"jane"}, "password": {janePassword}}).want(401, en["err_bad_credentials"])
	w.submit("", url.Values{"identifier": {"jane"}, "password": {"Jane's new passphrase 77"}}).signedIn()
}

// formURL is the interaction's page showing screen.
func (v *visitor) formURL(screen string) string {
	i := interactionRe.FindStringSubmatch(v.body)
	if i == nil {
		v.f.t.Fatalf("no interaction on the page: %s", v.body)
	}
	return Path + "?" + url.Values{"interaction": {i[1]}, "screen": {screen}}.Encode()
}

// Every error state of the codes: an expired code, too many wrong ones, a
// resend too soon, a code of another interaction, a code replayed, and a
// suspended account.
func TestCodeErrors(t *testing.T) {
	f := newFlows(t)
	send := func(v *visitor, to string) string {
		t.Helper()
		v.submit("/code", url.Values{"event": {"SignIn"}, "code_identifier": {to}}).want(200, en["enter_code"])
		return f.code(to)
	}
	wrongOf := func(code string) string {
		if code == "999999" {
			return "999998"
		}
		return "999999"
	}
	// Expired.
	v := f.visitor("en").start(nil)
	code := send(v, "jane@example.com")
	f.clock.Advance(11 * time.Minute)
	v.submit("/code/verify", url.Values{"code": {code}}).want(400, en["err_code_expired"])
	// Resent too soon: throttled, with the seconds to wait.
	v.do("GET", v.formURL("signin"), nil)
	code = send(v, "jane@example.com")
	v.submit("/code", url.Values{"event": {"SignIn"}, "code_identifier": {"jane@example.com"}}).want(429)
	if !strings.Contains(v.body, "seconds") {
		t.Fatalf("throttled page %s", v.body)
	}
	// Too many wrong tries: the right code no longer works.
	v.do("GET", Path+"?"+url.Values{"interaction": {interactionRe.FindStringSubmatch(v.body)[1]}}.Encode(), nil)
	for range 4 {
		v.submit("/code/verify", url.Values{"code": {wrongOf(code)}}).want(400, en["err_code_wrong"])
	}
	v.submit("/code/verify", url.Values{"code": {wrongOf(code)}}).want(400)
	v.submit("/code/verify", url.Values{"code": {code}}).want(400, en["err_code_exhausted"])
	// Another interaction's code (another browser) is wrong here.
	f.clock.Advance(2 * time.Minute)
	a, b := f.visitor("en").start(nil), f.visitor("en").start(nil)
	codeA := send(a, "jane@example.com")
	f.clock.Advance(2 * time.Minute)
	codeB := send(b, "jane@example.com")
	if codeA != codeB {
		a.submit("/code/verify", url.Values{"code": {codeB}}).want(400, en["err_code_wrong"])
	}
	b.submit("/code/verify", url.Values{"code": {codeB}}).signedIn()
	// Replayed: the interaction is gone with its code.
	b.do("POST", Path+"/code/verify", url.Values{"code": {codeB}}).want(400, en["err_unknown"])
	// A suspended account proves its address, and is told it is suspended.
	jane, err := f.st.GetUserByUsername(context.Background(), "jane")
	must(t, err)
	must(t, f.st.SetUserSuspended(context.Background(), jane.ID, true, f.clock.Now()))
	f.clock.Advance(2 * time.Minute)
	v = f.visitor("en").start(nil)
	v.submit("/code/verify", url.Values{"code": {send(v, "jane@example.com")}}).want(403, en["err_suspended"])
	v.submit("", url.Values{"identifier": {"jane"}, "password": {janePassword}}).want(403, en["err_suspended"])
}

// Two tabs post the right code at once: one signs in, the other is told
// the sign-in is done; never two codes.
func TestParallelCodes(t *testing.T) {
	f := newFlows(t)
	v := f.visitor("en").start(nil)
	v.submit("/code", url.Values{"event": {"SignIn"}, "code_identifier": {"jane@example.com"}})
	code := f.code("jane@example.com")
	page := v.body
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		got []int
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tab := &visitor{f: f, c: v.c, body: page}
			tab.submit("/code/verify", url.Values{"code": {code}})
			mu.Lock()
			defer mu.Unlock()
			if tab.loc != nil && tab.loc.Path == "/cb" {
				got = append(got, 303)
			} else {
				got = append(got, tab.status)
			}
		}()
	}
	wg.Wait()
	if n := slices.Index(got, 303); n < 0 || slices.Index(got[n+1:], 303) >= 0 {
		t.Fatalf("answers %v, want one sign-in", got)
	}
	for _, s := range got {
		if s >= 500 {
			t.Fatalf("answers %v", got)
		}
	}
}

// The pages' language: ui_locales first, then Accept-Language, then the
// experience's default; the lang attribute says it.
func TestLanguages(t *testing.T) {
	f := newFlows(t)
	ja := messages["ja"]
	for _, tc := range []struct {
		accept string
		extra  url.Values
		want   string
	}{
		{"ja-JP,ja;q=0.9,en;q=0.8", nil, "ja"},
		{"en-GB,en;q=0.9", url.Values{"ui_locales": {"ja en"}}, "ja"},
		{"fr-FR,fr;q=0.9,ja;q=0.5", nil, "ja"},
		{"de", url.Values{"ui_locales": {"fr en"}}, "en"},
		{"", nil, "en"},
	} {
		v := f.visitor(tc.accept).start(tc.extra)
		if !strings.Contains(v.body, `<html lang="`+tc.want+`">`) {
			t.Errorf("Accept-Language %q, %v: not %s: %.300s", tc.accept, tc.extra, tc.want, v.body)
		}
	}
	f.setExperience(func(e *Experience) { e.Language = "ja"; e.AutoDetect = false })
	v := f.visitor("en").start(nil).want(200, ja["sign_in"])
	if !strings.Contains(v.body, `<html lang="ja">`) {
		t.Fatal("the default language does not serve")
	}
	v.submit("", url.Values{"identifier": {"jane"}, "password": {"wrong"}}).want(401, ja["err_bad_credentials"])
}

// Every key has its words in both languages.
func TestCatalogs(t *testing.T) {
	for key := range messages["en"] {
		if messages["ja"][key] == "" {
			t.Errorf("no Japanese for %s", key)
		}
	}
	for key := range messages["ja"] {
		if messages["en"][key] == "" {
			t.Errorf("no English for %s", key)
		}
	}
}

// Bad input on every form: over-long values, repeated fields, unknown
// events and screens, a form without its token; a 4xx page, never a 5xx,
// never a sign-in.
func TestBadInput(t *testing.T) {
	f := newFlows(t)
	long := strings.Repeat("x", 300)
	v := f.visitor("en").start(nil)
	page := v.body
	for _, tc := range []struct {
		path   string
		fields url.Values
		status int
	}{
		{"", url.Values{"identifier": {long}, "password": {"x"}}, 401},
		{"", url.Values{"identifier": {"jane"}, "password": {strings.Repeat("p", 2000)}}, 401},
		{"/register", url.Values{"username": {long}, "new_password": {"Long enough passphrase 1"}}, 400},
		{"/register", url.Values{"username": {"kenji"}, "new_password": {strings.Repeat("p", 2000)}}, 400},
		{"/register", url.Values{"username": {"a", "b"}}, 400},
		{"/code", url.Values{"event": {"Nope"}, "code_identifier": {"jane@example.com"}}, 400},
		{"/code", url.Values{"event": {"SignIn"}, "code_identifier": {long + "@example.com"}}, 400},
		{"/code", url.Values{"event": {"SignIn"}, "code_identifier": {"+1"}}, 400},
		{"/code", url.Values{"event": {"SignIn"}, "code_identifier": {""}}, 400},
		{"/code/verify", url.Values{"code": {"12345x"}}, 303},
		{"/password/new", url.Values{"new_password": {"x"}}, 303},
	} {
		v.body = page
		v.submit(tc.path, tc.fields)
		if v.status != tc.status && !(tc.status == 303 && v.status == 200) {
			t.Errorf("%s %v: %d, want %d: %.200s", tc.path, tc.fields, v.status, tc.status, v.body)
		}
		if v.loc != nil && v.loc.Path == "/cb" {
			t.Errorf("%s %v: signed in", tc.path, tc.fields)
		}
	}
	// Without the page's token: 403, nothing sent.
	before := f.outbox.count()
	v.do("POST", Path+"/code", url.Values{"interaction": {interactionRe.FindStringSubmatch(page)[1]}, "csrf": {"forged"},
		"event": {"SignIn"}, "code_identifier": {"jane@example.com"}}).want(403, en["err_expired_form"])
	if f.outbox.count() != before {
		t.Fatal("a forged form sent a code")
	}
	// Unknown screens and first screens.
	v.do("GET", v.formURL("elsewhere"), nil).want(400, en["err_malformed"])
	r := f.visitor("en").start(url.Values{"first_screen": {"single_sign_on"}})
	if r.loc == nil || r.loc.Query().Get("error") != "invalid_request" {
		t.Fatalf("first_screen=single_sign_on: %d %v", r.status, r.loc)
	}
	// A method the experience does not offer is refused.
	f.setExperience(func(e *Experience) { e.CodeSignIn = nil })
	v = f.visitor("en").start(nil)
	if strings.Contains(v.body, en["code_sign_in"]) {
		t.Fatal("the code form is shown with code sign-in off")
	}
	v.submit("/code", url.Values{"event": {"SignIn"}, "code_identifier": {"jane@example.com"}}).want(403, en["err_method_disabled"])
	// Wrong methods.
	res, err := http.Get(f.srv.URL + Path + "/code")
	must(t, err)
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /sign-in/code: %d", res.StatusCode)
	}
	_ = store.ErrNotFound
}
