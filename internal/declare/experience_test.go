package declare

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/monban/monban/internal/experience"
)

const withExperience = `version: 1
signInExperience:
  signInMode: SignIn
  branding: {name: Shop, logoUrl: https://shop.example/logo.svg}
  languageInfo: {autoDetect: true, fallbackLanguage: ja}
  passwordPolicy:
    length: {min: 12}
    rejects: {words: [shop]}
  termsOfUseUrl: https://shop.example/terms
`

// The sign-in experience is planned field by field, applied through the
// experience service, exported, and applied again as nothing.
func TestSignInExperienceDocument(t *testing.T) {
	ctx := context.Background()
	o := newOffline(t)
	o.Experience = experience.New(o.Store, experience.Options{})
	doc, err := Parse(strings.NewReader(withExperience))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := Make(ctx, o, doc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Changes) != 1 || plan.Changes[0].Kind != "sign-in experience" || len(plan.Changes[0].Lines) != 5 {
		t.Fatalf("plan: %+v", plan.Changes)
	}
	if err := plan.Apply(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := o.Experience.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.SignInMode != experience.ModeSignIn || st.DefaultLanguage() != "ja" || st.PasswordPolicy().MinLength != 12 || st.Branding().Name != "Shop" {
		t.Errorf("applied: %+v", st)
	}
	if plan, err = Make(ctx, o, doc, Options{}); err != nil || !plan.Empty() {
		t.Errorf("the same document again: %+v, %v", plan, err)
	}

	state, err := o.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	exported := Export(state)
	out, err := Marshal(exported)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"signInMode: SignIn", "fallbackLanguage: ja", "signUp:", "https://shop.example/terms"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the export lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "tenantId") || strings.Contains(string(out), "usernamePolicy") {
		t.Errorf("the export holds read-only or default fields:\n%s", out)
	}
	again, err := Parse(strings.NewReader(string(out)))
	if err != nil {
		t.Fatal(err)
	}
	if plan, err = Make(ctx, o, again, Options{}); err != nil || !plan.Empty() {
		t.Errorf("the export applied back: %+v, %v", plan, err)
	}
}

func TestSignInExperienceDocumentRefused(t *testing.T) {
	ctx := context.Background()
	o := newOffline(t)
	doc, err := Parse(strings.NewReader(withExperience))
	if err != nil {
		t.Fatal(err)
	}
	var pe *PlanError
	if _, err := Make(ctx, o, doc, Options{}); !errors.As(err, &pe) || !strings.Contains(pe.Error(), "does not keep a sign-in experience") {
		t.Errorf("a target without a sign-in experience: %v", err)
	}
	o.Experience = experience.New(o.Store, experience.Options{})
	bad, err := Parse(strings.NewReader("version: 1\nsignInExperience:\n  signInMode: Sometimes\n  color: {primaryColor: red}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Make(ctx, o, bad, Options{}); !errors.As(err, &pe) || !strings.Contains(pe.Error(), "signInExperience") {
		t.Errorf("a bad sign-in experience: %v", err)
	}
	if st, _ := o.Experience.Get(ctx); st.SignInMode != experience.ModeSignInAndRegister {
		t.Errorf("a refused document changed the settings: %s", st.SignInMode)
	}
}
