package signin

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/experience"
)

// Every Logto phrase key the pages accept replaces words that exist in
// both catalogs and take no arguments (a custom phrase is shown as it is).
func TestPhraseKeysMapToWords(t *testing.T) {
	for logto, key := range experience.PhraseKeys {
		for _, lang := range languages {
			s, ok := messages[lang][key]
			if !ok {
				t.Errorf("%s maps to %q, which the %s catalog lacks", logto, key, lang)
			}
			if strings.Contains(s, "%") {
				t.Errorf("%s maps to %q, whose %s words take arguments", logto, key, lang)
			}
		}
	}
}

// TestCustomPhrasesOnPages: a custom phrase replaces the pages' words in
// its language only, and a removed one gives the words back.
func TestCustomPhrasesOnPages(t *testing.T) {
	f := newFlows(t)
	svc := f.useRealExperience()
	ctx := context.Background()
	_, err := svc.PutPhrase(ctx, "ja", json.RawMessage(`{"action":{"sign_in":"社員ログイン"},"input":{"password":"合言葉"}}`))
	must(t, err)
	_, err = svc.PutPhrase(ctx, "en", json.RawMessage(`{"action":{"sign_in":"Staff sign-in <b>"}}`))
	must(t, err)

	ja := f.visitor("ja").start(nil).want(200, "社員ログイン", "合言葉")
	if strings.Contains(ja.body, messages["ja"]["password"]+"<") {
		t.Errorf("the Japanese page still says the catalog's password label: %s", ja.body)
	}
	en := f.visitor("en").start(nil).want(200, "Staff sign-in <b>", messages["en"]["password"])
	if strings.Contains(en.body, "Staff sign-in <b>") { // escaped, never markup
		t.Errorf("a custom phrase was written unescaped")
	}
	if strings.Contains(en.body, "社員ログイン") {
		t.Errorf("a Japanese phrase shows on the English page")
	}

	must(t, svc.DeletePhrase(ctx, "ja"))
	f.visitor("ja").start(nil).want(200, messages["ja"]["sign_in"])
}

// TestAppExperienceOnPages: an application's own display name, logo,
// color and terms link replace the sign-in experience's on its sign-ins.
func TestAppExperienceOnPages(t *testing.T) {
	f := newFlows(t)
	svc := f.useRealExperience()
	ctx := context.Background()
	_, err := svc.Update(ctx, json.RawMessage(`{"branding":{"name":"Global Co"},"termsOfUseUrl":"https://example.com/global-terms"}`))
	must(t, err)
	f.visitor("en").start(nil).want(200, "Global Co", "https://example.com/global-terms")

	_, created, err := svc.PutApp(ctx, "web", json.RawMessage(`{"displayName":"Web Portal","color":{"primaryColor":"#123456"},
		"branding":{"logoUrl":"https://cdn.example.com/web.png"},"termsOfUseUrl":"https://example.com/web-terms"}`))
	must(t, err)
	if !created {
		t.Error("PutApp did not report created")
	}
	v := f.visitor("en").start(nil).want(200, "Web Portal", "https://cdn.example.com/web.png", "#123456", "https://example.com/web-terms")
	if strings.Contains(v.body, "Global Co") || strings.Contains(v.body, "global-terms") {
		t.Errorf("the page still shows the sign-in experience's name or terms: %s", v.body)
	}
}

// TestCodePolicyOnPages: the code page tells the lifetime the policy
// sets, and its wrong tries and lifetime are the policy's.
func TestCodePolicyOnPages(t *testing.T) {
	f := newFlows(t)
	svc := f.useRealExperience()
	ctx := context.Background()
	_, err := svc.Update(ctx, json.RawMessage(`{"signIn":{"methods":[{"identifier":"username","password":true,"verificationCode":false,"isPasswordPrimary":true},
		{"identifier":"email","password":true,"verificationCode":true,"isPasswordPrimary":true}]},
		"verificationCodePolicy":{"expirationDuration":120,"maxRetryAttempts":1}}`))
	must(t, err)
	for _, c := range []struct{ lang, says string }{{"en", "valid for 2 minutes"}, {"ja", "有効期限は2分です"}} {
		f.clock.Advance(61 * time.Second) // one code a minute to an address
		v := f.visitor(c.lang).start(nil)
		v.submit("/code", url.Values{"event": {"SignIn"}, "code_identifier": {"jane@example.com"}}).want(200, c.says)
	}
	f.clock.Advance(61 * time.Second)
	v := f.visitor("en").start(nil)
	v.submit("/code", url.Values{"event": {"SignIn"}, "code_identifier": {"jane@example.com"}}).want(200, "valid for 2 minutes")
	code := f.code("jane@example.com")
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	// One try: the first wrong code uses it up.
	v.submit("/code/verify", url.Values{"code": {wrong}}).want(400, messages["en"]["err_code_exhausted"])

	f.clock.Advance(61 * time.Second)
	v = f.visitor("en").start(nil)
	v.submit("/code", url.Values{"event": {"SignIn"}, "code_identifier": {"jane@example.com"}}).want(200)
	code = f.code("jane@example.com")
	f.clock.Advance(121 * time.Second)
	v.submit("/code/verify", url.Values{"code": {code}}).want(400, messages["en"]["err_code_expired"])
}
