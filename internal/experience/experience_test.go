package experience

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/monban/monban/internal/password"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/store/sqlite"
	"github.com/monban/monban/internal/store/sqlstore"
)

func openStore(t *testing.T) *sqlstore.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "experience.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// connectors answers HasConnector from a set of channels.
func connectors(chs ...string) func(string) bool {
	return func(ch string) bool {
		for _, c := range chs {
			if c == ch {
				return true
			}
		}
		return false
	}
}

func TestDefaults(t *testing.T) {
	svc := New(openStore(t), Options{})
	st, err := svc.Get(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !st.SignUpAllowed() || !st.SignInAllowed() {
		t.Error("the defaults do not allow sign-in and sign-up")
	}
	if got := st.SignUpIdentifiers(); !reflect.DeepEqual(got, []string{"username"}) || !st.SignUpPassword() || st.SignUpVerify() {
		t.Errorf("default sign-up = %v, password %v, verify %v", got, st.SignUpPassword(), st.SignUpVerify())
	}
	if got := st.SignInMethods(); !reflect.DeepEqual(got, []SignInMethod{{Identifier: "username", Password: true, IsPasswordPrimary: true}}) {
		t.Errorf("default sign-in methods = %+v", got)
	}
	if !reflect.DeepEqual(st.PasswordPolicy(), password.DefaultPolicy()) {
		t.Errorf("default policy = %+v", st.PasswordPolicy())
	}
	if st.DefaultLanguage() != "en" || !st.AutoDetectLanguage() || st.TermsOfUseURL() != "" || st.PrivacyPolicyURL() != "" {
		t.Errorf("default language %q (auto %v), terms %q, privacy %q", st.DefaultLanguage(), st.AutoDetectLanguage(), st.TermsOfUseURL(), st.PrivacyPolicyURL())
	}
	if b := st.Branding(); b.PrimaryColor != DefaultPrimaryColor || b.DarkPrimaryColor != DefaultDarkPrimaryColor || b.LogoURL != "" {
		t.Errorf("default branding = %+v", b)
	}
	// Every field Logto answers is there, with Logto's defaults.
	var doc map[string]json.RawMessage
	b, _ := json.Marshal(st)
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for name := range fields {
		if _, ok := doc[name]; !ok {
			t.Errorf("the settings lack %s", name)
		}
	}
	for name, want := range map[string]string{
		"id": `"default"`, "signInMode": `"SignInAndRegister"`, "termsOfUseUrl": "null", "customCss": "null",
		"passwordPolicy": "{}", "socialSignInConnectorTargets": "[]", "mfa": `{"factors":[],"policy":"UserControlled"}`,
		"languageInfo": `{"autoDetect":true,"fallbackLanguage":"en"}`, "agreeToTermsPolicy": `"Automatic"`,
	} {
		if string(doc[name]) != want {
			t.Errorf("default %s = %s, want %s", name, doc[name], want)
		}
	}
}

func TestUpdate(t *testing.T) {
	ctx := t.Context()
	st := openStore(t)
	svc := New(st, Options{HasConnector: connectors(ChannelEmail)})
	got, err := svc.Update(ctx, json.RawMessage(`{
		"signInMode": "SignIn",
		"branding": {"name": "Example", "logoUrl": "https://example.com/logo.svg"},
		"color": {"primaryColor": "#112233", "isDarkModeEnabled": true, "darkPrimaryColor": "#445566"},
		"languageInfo": {"autoDetect": false, "fallbackLanguage": "ja"},
		"termsOfUseUrl": "https://example.com/terms", "privacyPolicyUrl": "",
		"signUp": {"identifiers": ["email"], "password": true, "verify": true},
		"signIn": {"methods": [
			{"identifier": "email", "password": true, "verificationCode": true, "isPasswordPrimary": true},
			{"identifier": "username", "password": true, "verificationCode": false, "isPasswordPrimary": true}]},
		"passwordPolicy": {"length": {"min": 12}, "characterTypes": {"min": 3}, "rejects": {"pwned": false, "words": ["example"]}},
		"passkeySignIn": {"enabled": true, "showPasskeyButton": true, "allowAutofill": false},
		"id": "ignored", "tenantId": "ignored"
	}`))
	if err != nil {
		t.Fatal(err)
	}
	if got.SignUpAllowed() || !got.SignInAllowed() || got.DefaultLanguage() != "ja" || got.AutoDetectLanguage() {
		t.Errorf("after the update: sign-up %v, sign-in %v, language %q", got.SignUpAllowed(), got.SignInAllowed(), got.DefaultLanguage())
	}
	if b := got.Branding(); b != (Branding{Name: "Example", LogoURL: "https://example.com/logo.svg", PrimaryColor: "#112233", DarkPrimaryColor: "#445566", IsDarkModeEnabled: true}) {
		t.Errorf("branding = %+v", b)
	}
	if !got.PasskeySignInEnabled() || Defaults().PasskeySignInEnabled() {
		t.Errorf("passkey sign-in %v, by default %v", got.PasskeySignInEnabled(), Defaults().PasskeySignInEnabled())
	}
	if got.TermsOfUseURL() != "https://example.com/terms" || got.PrivacyPolicyURL() != "" || got.ID != DefaultID {
		t.Errorf("terms %q, privacy %q, id %q", got.TermsOfUseURL(), got.PrivacyPolicyURL(), got.ID)
	}
	want := password.DefaultPolicy()
	want.MinLength, want.MinCharacterTypes, want.RejectBreached, want.RejectWords = 12, 3, false, []string{"example"}
	if !reflect.DeepEqual(got.PasswordPolicy(), want) {
		t.Errorf("policy = %+v, want %+v", got.PasswordPolicy(), want)
	}

	// Another instance over the same database reads what was stored; a
	// change made here reaches it through the outbox event.
	other := New(st, Options{HasConnector: connectors(ChannelEmail)})
	if o, err := other.Get(ctx); err != nil || o.SignInMode != ModeSignIn {
		t.Fatalf("another instance reads %q, %v", o.SignInMode, err)
	}
	last, _ := st.LastEventSeq(ctx)
	if _, err := svc.Update(ctx, json.RawMessage(`{"signInMode":"SignInAndRegister"}`)); err != nil {
		t.Fatal(err)
	}
	if o, _ := other.Get(ctx); o.SignInMode != ModeSignIn {
		t.Fatalf("the other instance's cache changed before its event: %q", o.SignInMode)
	}
	evs, err := st.ReadEvents(ctx, last, 10)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Apply(ctx, evs); err != nil {
		t.Fatal(err)
	}
	if o, _ := other.Get(ctx); o.SignInMode != ModeSignInAndRegister || o.Logos.Name != "Example" {
		t.Errorf("after the event the other instance reads %q, branding %+v", o.SignInMode, o.Logos)
	}

	// What Get returns is a copy: changing it changes nothing cached.
	a, _ := svc.Get(ctx)
	a.SignIn.Methods[0].Identifier = "phone"
	a.CustomContent["x"] = "y"
	if b, _ := svc.Get(ctx); b.SignIn.Methods[0].Identifier != "email" || len(b.CustomContent) != 0 {
		t.Error("a caller's change to Get's answer reached the cache")
	}
}

func TestSignUpDisabled(t *testing.T) {
	svc := New(openStore(t), Options{SignUpDisabled: true})
	st, err := svc.Get(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.SignUpAllowed() || st.SignInMode != ModeSignInAndRegister {
		t.Errorf("with sign-up off by configuration: allowed %v, stored mode %q", st.SignUpAllowed(), st.SignInMode)
	}
}

func TestEnsure(t *testing.T) {
	ctx := t.Context()
	st := openStore(t)
	svc := New(st, Options{})
	if err := svc.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	doc, err := st.SignInExperience(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), `"signInMode":"SignInAndRegister"`) {
		t.Errorf("Ensure stored %s", doc)
	}
	// A document stored by an older release, missing fields, reads with
	// their defaults.
	if err := st.PutSignInExperience(ctx, []byte(`{"signInMode":"SignIn"}`)); err != nil {
		t.Fatal(err)
	}
	svc.Forget()
	got, err := svc.Get(ctx)
	if err != nil || got.SignInMode != ModeSignIn || got.LanguageInfo.FallbackLanguage != "en" || len(got.SignIn.Methods) != 1 {
		t.Errorf("an older document reads as %+v, %v", got, err)
	}
}

// Every refusal, with Logto's code; the stored settings stay as they were.
func TestUpdateRefusals(t *testing.T) {
	ctx := t.Context()
	svc := New(openStore(t), Options{HasConnector: connectors(ChannelEmail)})
	for _, tc := range []struct{ patch, code string }{
		{`[]`, CodeInvalidInput},
		{`null`, CodeInvalidInput},
		{`{"signInMode":"Anything"}`, CodeInvalidInput},
		{`{"signInMode":null}`, CodeInvalidInput},
		{`{"signInMode":1}`, CodeInvalidInput},
		{`{"unknownField":true}`, CodeInvalidInput},
		{`{"color":{"primaryColor":"red","isDarkModeEnabled":false,"darkPrimaryColor":"#000"}}`, CodeInvalidInput},
		{`{"color":{"primaryColor":"#000","extra":1}}`, CodeInvalidInput},
		{`{"branding":{"logoUrl":"javascript:alert(1)"}}`, CodeInvalidInput},
		{`{"branding":{"name":"` + strings.Repeat("n", 129) + `"}}`, CodeInvalidInput},
		{`{"termsOfUseUrl":"not a url"}`, CodeInvalidInput},
		{`{"supportEmail":"Someone <a@example.com>"}`, CodeInvalidInput},
		{`{"languageInfo":{"autoDetect":true,"fallbackLanguage":"fr"}}`, CodeUnsupportedLanguage},
		{`{"agreeToTermsPolicy":"Never"}`, CodeInvalidInput},
		{`{"signUp":{"identifiers":["username","username"],"password":true,"verify":false}}`, CodeDuplicatedSignUp},
		{`{"signUp":{"identifiers":["fax"],"password":true,"verify":false}}`, CodeInvalidInput},
		{`{"signUp":{"identifiers":["email"],"password":true,"verify":false}}`, CodePasswordlessVerify},
		{`{"signUp":{"identifiers":["username"],"password":false,"verify":false}}`, CodeUsernameRequiresPassword},
		{`{"signUp":{"identifiers":[],"password":true,"verify":true,"secondaryIdentifiers":[{"identifier":"email","verify":true}]}}`, CodeMissingSignUp},
		{`{"signUp":{"identifiers":["email"],"password":true,"verify":true}}`, CodeMissSignUpIdentifier},
		{`{"signUp":{"identifiers":["phone"],"password":true,"verify":true},"signIn":{"methods":[{"identifier":"phone","password":true,"verificationCode":false,"isPasswordPrimary":true}]}}`, CodeConnectorNotFound},
		{`{"signIn":{"methods":[{"identifier":"username","password":false,"verificationCode":false,"isPasswordPrimary":true}]}}`, CodeAtLeastOneFactor},
		{`{"signIn":{"methods":[{"identifier":"username","password":true,"verificationCode":false,"isPasswordPrimary":true},{"identifier":"username","password":true,"verificationCode":false,"isPasswordPrimary":true}]}}`, CodeInvalidInput},
		{`{"signIn":{"methods":[{"identifier":"phone","password":false,"verificationCode":true,"isPasswordPrimary":false},{"identifier":"username","password":true,"verificationCode":false,"isPasswordPrimary":true}]}}`, CodeConnectorNotFound},
		{`{"signIn":{"methods":[]}}`, CodeInvalidInput},
		{`{"signUp":{"identifiers":["email"],"password":false,"verify":true},"signIn":{"methods":[{"identifier":"email","password":true,"verificationCode":false,"isPasswordPrimary":true}]}}`, CodeCodeSignIn},
		{`{"passwordPolicy":{"length":{"min":0}}}`, CodeInvalidInput},
		{`{"passwordPolicy":{"length":{"min":20,"max":10}}}`, CodeInvalidInput},
		{`{"passwordPolicy":{"length":{"max":257}}}`, CodeInvalidInput},
		{`{"passwordPolicy":{"characterTypes":{"min":5}}}`, CodeInvalidInput},
		{`{"passwordPolicy":{"rejects":{"words":[""]}}}`, CodeInvalidInput},
		{`{"passwordPolicy":{"rejects":{"pwned":"yes"}}}`, CodeInvalidInput},
		{`{"passwordPolicy":{"length":{"min":1.5}}}`, CodeInvalidInput},
		{`{"forgotPasswordMethods":["PhoneVerificationCode"]}`, CodeForgotPasswordConnector},
		{`{"forgotPasswordMethods":["Pigeon"]}`, CodeInvalidInput},
		{`{"mfa":{"factors":["Email"],"policy":"UserControlled"}}`, CodeNotSupported},
		{`{"mfa":{"factors":["BackupCode"],"policy":"UserControlled"}}`, CodeBackupCodeAlone},
		{`{"mfa":{"factors":["Totp","Totp"],"policy":"UserControlled"}}`, CodeInvalidInput},
		{`{"mfa":{"factors":[],"policy":"Sometimes"}}`, CodeInvalidInput},
		{`{"adaptiveMfa":{"enabled":true}}`, CodeAdaptiveMFARequiresMFA},
		{`{"hideLogtoBranding":true}`, CodeNotSupported},
		{`{"passkeySignIn":{"enabled":true,"allowAutofill":true}}`, CodeNotSupported},
		{`{"passkeySignIn":{"enabled":true,"showPasskeyButton":false}}`, CodeNotSupported},
		{`{"captchaPolicy":{"enabled":true}}`, CodeNotSupported},
		{`{"sentinelPolicy":{"maxAttempts":3}}`, CodeNotSupported},
		{`{"passwordExpiration":{"enabled":true,"validPeriodDays":30}}`, CodeNotSupported},
		{`{"usernamePolicy":{"caseSensitive":false}}`, CodeNotSupported},
		{`{"customCss":"` + strings.Repeat("a", maxCustomCSS+1) + `"}`, CodeInvalidInput},
		{`{"signInMode":"SignIn"} {}`, CodeInvalidInput},
	} {
		_, err := svc.Update(ctx, json.RawMessage(tc.patch))
		var e *Error
		if !errors.As(err, &e) || e.Code != tc.code {
			p := tc.patch
			if len(p) > 120 {
				p = p[:120]
			}
			t.Errorf("Update(%s) = %v, want code %s", p, err, tc.code)
			continue
		}
		if e.Message == "" || (e.Status != 400 && e.Status != 422) {
			t.Errorf("Update(%.60s): status %d, message %q", tc.patch, e.Status, e.Message)
		}
	}
	if st, _ := svc.Get(ctx); !reflect.DeepEqual(st, func() Settings { d := Defaults(); return d.clone() }()) {
		t.Errorf("refused updates changed the settings: %+v", st)
	}
	// Logto's own "off" values are accepted, so that its documents apply.
	if _, err := svc.Update(ctx, json.RawMessage(`{"mfa":{"factors":[],"policy":"NoPrompt"},"adaptiveMfa":{},"captchaPolicy":{"enabled":false},
		"socialSignInConnectorTargets":[],"singleSignOnEnabled":false,"passwordExpiration":{"enabled":false},"customUiAssets":null,
		"forgotPasswordMethods":["EmailVerificationCode"],"customCss":null,"customContent":{"/sign-in":"hello"}}`)); err != nil {
		t.Errorf("Logto's off values: %v", err)
	}
}

func TestStoreFailure(t *testing.T) {
	st := openStore(t)
	svc := New(st, Options{})
	_ = st.Close()
	if _, err := svc.Get(t.Context()); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get on a closed store = %v", err)
	}
}

// Get is read on every hosted page: from the cache, a copy of the
// settings.
func BenchmarkGet(b *testing.B) {
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "experience.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	svc := New(st, Options{})
	ctx := context.Background()
	if _, err := svc.Get(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := svc.Get(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
