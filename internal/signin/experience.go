package signin

import (
	"context"
	"slices"

	"github.com/monban/monban/internal/experience"
	"github.com/monban/monban/internal/mfa"
	"github.com/monban/monban/internal/password"
)

// Experience is what the pages read of the sign-in experience (Logto's
// /api/sign-in-exp, internal/experience): which methods are on, the
// password policy, the default language and the branding.
type Experience struct {
	// SignUp: new accounts may be made at the pages.
	SignUp bool
	// SignUpIdentifiers are of "username" (with a password), "email" and
	// "phone" (verified by a code).
	SignUpIdentifiers []string
	// SignUpPassword: an account made with a verified e-mail address or
	// phone number gets a password too.
	SignUpPassword bool
	// SignIn: existing accounts may sign in (false in Logto's Register
	// mode).
	SignIn bool
	// PasswordSignIn: an identifier and its password sign in.
	PasswordSignIn bool
	// CodeSignIn are of "email" and "phone": identifiers that sign in by
	// a one-time code.
	CodeSignIn []string
	// PasskeySignIn: the sign-in screen offers "sign in with a passkey"
	// (Logto's passkeySignIn.enabled).
	PasskeySignIn bool
	// ForgotPassword are of "email" and "phone": where reset codes may
	// go; empty: wherever a connector delivers.
	ForgotPassword []string
	// Language is the default language, "en" or "ja"; AutoDetect: the
	// request's ui_locales and Accept-Language come first.
	Language   string
	AutoDetect bool
	Branding   Branding
	// TermsURL and PrivacyURL are linked from every page when set.
	TermsURL, PrivacyURL string
	// Policy judges new passwords.
	Policy password.Policy
	// SocialTargets are the targets of the social connectors the pages
	// offer, in order (Logto's socialSignInConnectorTargets).
	SocialTargets []string
	// SingleSignOn: e-mail addresses of domains that enterprise SSO
	// connectors claim go to their providers (Logto's
	// singleSignOnEnabled).
	SingleSignOn bool
	// MFA is the second factors offered and their policy.
	MFA mfa.Policy
	// Phrases are the custom phrases (Logto's /api/custom-phrases): by
	// language, the pages' words they replace.
	Phrases map[string]map[string]string
}

// Branding is the sign-in experience's look.
type Branding struct {
	Name                           string
	LogoURL                        string
	PrimaryColor, DarkPrimaryColor string // #rrggbb
	DarkMode                       bool   // follow the browser's dark mode
}

// DefaultExperience is the sign-in experience of a new server, as Logto's
// and Auth0's: sign in by username (or e-mail) and password, sign up by
// username and password, English.
func DefaultExperience() Experience {
	return FromSettings(experience.Defaults())
}

// FromSettings is what the pages read of st.
func FromSettings(st experience.Settings) Experience {
	e := Experience{SignUp: st.SignUpAllowed(), SignIn: st.SignInAllowed(), SignUpPassword: st.SignUpPassword(),
		Language: st.DefaultLanguage(), AutoDetect: st.AutoDetectLanguage(),
		TermsURL: st.TermsOfUseURL(), PrivacyURL: st.PrivacyPolicyURL(), Policy: st.PasswordPolicy(),
		SocialTargets: slices.Clone(st.SocialSignInConnectorTargets), SingleSignOn: st.SingleSignOnEnabled,
		PasskeySignIn: st.PasskeySignInEnabled(),
		MFA:           mfa.Policy{Factors: slices.Clone(st.MFA.Factors), Policy: st.MFA.Policy}}
	for _, id := range st.SignUpIdentifiers() {
		if id == "username" || id == "email" || id == "phone" {
			e.SignUpIdentifiers = append(e.SignUpIdentifiers, id)
		}
	}
	for _, m := range st.SignInMethods() {
		if m.Password && e.SignIn {
			e.PasswordSignIn = true
		}
		if m.VerificationCode && e.SignIn && (m.Identifier == "email" || m.Identifier == "phone") {
			e.CodeSignIn = append(e.CodeSignIn, m.Identifier)
		}
	}
	for _, m := range st.ForgotPasswordMethods {
		switch m {
		case "EmailVerificationCode":
			e.ForgotPassword = append(e.ForgotPassword, "email")
		case "PhoneVerificationCode":
			e.ForgotPassword = append(e.ForgotPassword, "phone")
		}
	}
	b := st.Branding()
	e.Branding = Branding{Name: b.Name, LogoURL: b.LogoURL, PrimaryColor: b.PrimaryColor, DarkPrimaryColor: b.DarkPrimaryColor,
		DarkMode: b.IsDarkModeEnabled}
	return e
}

// checkPassword judges a new password by the experience's policy.
func (e Experience) checkPassword(pw string, u password.UserInfo) []password.Issue {
	return e.Policy.Check(pw, u)
}

// screensOf says which forms the pages show: the experience's methods,
// those of codes only where a connector can deliver them.
func (s *Pages) screensOf(e Experience) Screens {
	email, phone := s.canSend("email"), s.canSend("phone")
	sc := Screens{
		PasswordSignIn: e.PasswordSignIn,
		CodeEmail:      email && slices.Contains(e.CodeSignIn, "email"),
		CodePhone:      phone && slices.Contains(e.CodeSignIn, "phone"),
		SignUp:         e.SignUp,
		SignUpUsername: e.SignUp && slices.Contains(e.SignUpIdentifiers, "username"),
		SignUpEmail:    e.SignUp && email && slices.Contains(e.SignUpIdentifiers, "email"),
		SignUpPhone:    e.SignUp && phone && slices.Contains(e.SignUpIdentifiers, "phone"),
		ResetEmail:     email && (len(e.ForgotPassword) == 0 || slices.Contains(e.ForgotPassword, "email")),
		ResetPhone:     phone && (len(e.ForgotPassword) == 0 || slices.Contains(e.ForgotPassword, "phone")),
	}
	sc.FederatedSignUp = e.SignUp
	sc.SingleSignOn = e.SingleSignOn && s.cfg.SSO != nil
	sc.CodeSignIn = sc.CodeEmail || sc.CodePhone
	sc.SignUpCode = sc.SignUpEmail || sc.SignUpPhone
	sc.SignUp = sc.SignUpUsername || sc.SignUpCode
	sc.ForgotPassword = e.PasswordSignIn && (sc.ResetEmail || sc.ResetPhone)
	return sc
}

// issueText is the words of a password policy issue.
func (c words) issueText(is password.Issue) string {
	key := map[string]string{
		"password_rejected.too_short":              "pw.too_short",
		"password_rejected.too_long":               "pw.too_long",
		"password_rejected.character_types":        "pw.character_types",
		"password_rejected.unsupported_characters": "pw.unsupported",
		"password_rejected.pwned":                  "pw.pwned",
		"password_rejected.restricted.repetition":  "pw.repetition",
		"password_rejected.restricted.sequence":    "pw.sequence",
		"password_rejected.restricted.user_info":   "pw.user_info",
		"password_rejected.restricted.words":       "pw.words",
	}[is.Code]
	switch key {
	case "":
		return c.T("err_password")
	case "pw.too_short", "pw.character_types":
		return c.T(key, is.Values["min"])
	case "pw.too_long":
		return c.T(key, is.Values["max"])
	}
	return c.T(key)
}

// ExperienceOf reads the pages' Experience from the sign-in experience
// service (nil: the defaults).
func ExperienceOf(svc *experience.Service) func(context.Context) (Experience, error) {
	if svc == nil {
		return nil
	}
	return func(ctx context.Context) (Experience, error) {
		st, err := svc.Get(ctx)
		if err != nil {
			return Experience{}, err
		}
		e := FromSettings(st)
		if e.Phrases, err = svc.PageWords(ctx); err != nil {
			return Experience{}, err
		}
		return e, nil
	}
}

// withApp is e with an application's own sign-in experience laid over
// it, as Logto merges them: what the application sets replaces the sign-in
// experience's, what it leaves out stays.
func (e Experience) withApp(a experience.AppSettings) Experience {
	if a.DisplayName != nil && *a.DisplayName != "" {
		e.Branding.Name = *a.DisplayName
	}
	if a.Branding.LogoURL != "" {
		e.Branding.LogoURL = a.Branding.LogoURL
	}
	if a.Color.PrimaryColor != "" {
		e.Branding.PrimaryColor = a.Color.PrimaryColor
	}
	if a.Color.DarkPrimaryColor != "" {
		e.Branding.DarkPrimaryColor = a.Color.DarkPrimaryColor
	}
	if a.Color.IsDarkModeEnabled != nil {
		e.Branding.DarkMode = *a.Color.IsDarkModeEnabled
	}
	if a.TermsOfUseURL != nil && *a.TermsOfUseURL != "" {
		e.TermsURL = *a.TermsOfUseURL
	}
	if a.PrivacyPolicyURL != nil && *a.PrivacyPolicyURL != "" {
		e.PrivacyURL = *a.PrivacyPolicyURL
	}
	return e
}
