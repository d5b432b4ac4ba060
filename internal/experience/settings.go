package experience

import (
	"encoding/json"

	"github.com/monban/monban/internal/password"
)

// Sign-in modes (Logto's signInMode).
const (
	ModeSignIn            = "SignIn"
	ModeRegister          = "Register"
	ModeSignInAndRegister = "SignInAndRegister"
)

// Identifiers a user signs in or up with (Logto's SignInIdentifier).
const (
	IdentifierUsername = "username"
	IdentifierEmail    = "email"
	IdentifierPhone    = "phone"
	// IdentifierEmailOrPhone is only a secondary sign-up identifier.
	IdentifierEmailOrPhone = "emailOrPhone"
)

// Languages the hosted pages speak.
const (
	LanguageEnglish  = "en"
	LanguageJapanese = "ja"
)

// Settings is the sign-in experience, in Logto's shape: GET
// /api/sign-in-exp answers it as it is, and it is stored as this JSON.
// Fields whose names are taken by a method (Branding, PasswordPolicy, the
// terms and privacy URLs) have other Go names and Logto's JSON names.
type Settings struct {
	TenantID                     string            `json:"tenantId"`
	ID                           string            `json:"id"`
	Color                        Color             `json:"color"`
	Logos                        Logos             `json:"branding"`
	HideLogtoBranding            bool              `json:"hideLogtoBranding"`
	LanguageInfo                 LanguageInfo      `json:"languageInfo"`
	TermsOfUse                   *string           `json:"termsOfUseUrl"`
	PrivacyPolicy                *string           `json:"privacyPolicyUrl"`
	AgreeToTermsPolicy           string            `json:"agreeToTermsPolicy"`
	SignIn                       SignIn            `json:"signIn"`
	SignUp                       SignUp            `json:"signUp"`
	SocialSignIn                 SocialSignIn      `json:"socialSignIn"`
	SocialSignInConnectorTargets []string          `json:"socialSignInConnectorTargets"`
	SignInMode                   string            `json:"signInMode"`
	CustomCSS                    *string           `json:"customCss"`
	CustomContent                map[string]string `json:"customContent"`
	CustomUIAssets               json.RawMessage   `json:"customUiAssets"`
	CustomUICSP                  json.RawMessage   `json:"customUiCsp"`
	Policy                       PolicySettings    `json:"passwordPolicy"`
	MFA                          MFA               `json:"mfa"`
	AdaptiveMFA                  Toggle            `json:"adaptiveMfa"`
	SingleSignOnEnabled          bool              `json:"singleSignOnEnabled"`
	SupportEmail                 *string           `json:"supportEmail"`
	SupportWebsiteURL            *string           `json:"supportWebsiteUrl"`
	UnknownSessionRedirectURL    *string           `json:"unknownSessionRedirectUrl"`
	CaptchaPolicy                Toggle            `json:"captchaPolicy"`
	SentinelPolicy               json.RawMessage   `json:"sentinelPolicy"`
	EmailBlocklistPolicy         json.RawMessage   `json:"emailBlocklistPolicy"`
	VerificationCodePolicy       json.RawMessage   `json:"verificationCodePolicy"`
	ForgotPasswordMethods        []string          `json:"forgotPasswordMethods"`
	PasskeySignIn                json.RawMessage   `json:"passkeySignIn"`
	SignUpProfileFields          json.RawMessage   `json:"signUpProfileFields"`
	PasswordExpiration           json.RawMessage   `json:"passwordExpiration"`
	UsernamePolicy               json.RawMessage   `json:"usernamePolicy"`

	// signUpOff is set by the service when sign-up is turned off by the
	// server's configuration, whatever signInMode says (see
	// Options.SignUpDisabled).
	signUpOff bool
}

// Color is Logto's color: the primary colors and whether dark mode is on.
type Color struct {
	PrimaryColor      string `json:"primaryColor"`
	IsDarkModeEnabled bool   `json:"isDarkModeEnabled"`
	DarkPrimaryColor  string `json:"darkPrimaryColor"`
}

// Logos is Logto's branding object. Name is Monban's addition: the name
// the hosted pages show beside the logo ("" for none).
type Logos struct {
	Name        string `json:"name,omitempty"`
	LogoURL     string `json:"logoUrl,omitempty"`
	DarkLogoURL string `json:"darkLogoUrl,omitempty"`
	Favicon     string `json:"favicon,omitempty"`
	DarkFavicon string `json:"darkFavicon,omitempty"`
}

// LanguageInfo is Logto's languageInfo.
type LanguageInfo struct {
	AutoDetect       bool   `json:"autoDetect"`
	FallbackLanguage string `json:"fallbackLanguage"`
}

// SignIn is Logto's signIn: the methods the sign-in page offers.
type SignIn struct {
	Methods []SignInMethod `json:"methods"`
}

// SignInMethod is one identifier a user may sign in with, and how.
type SignInMethod struct {
	Identifier        string `json:"identifier"`
	Password          bool   `json:"password"`
	VerificationCode  bool   `json:"verificationCode"`
	IsPasswordPrimary bool   `json:"isPasswordPrimary"`
}

// SignUp is Logto's signUp.
type SignUp struct {
	Identifiers          []string              `json:"identifiers"`
	Password             bool                  `json:"password"`
	Verify               bool                  `json:"verify"`
	SecondaryIdentifiers []SecondaryIdentifier `json:"secondaryIdentifiers,omitempty"`
}

// SecondaryIdentifier is one more identifier a sign-up asks for.
type SecondaryIdentifier struct {
	Identifier string `json:"identifier"`
	Verify     *bool  `json:"verify,omitempty"`
}

// SocialSignIn is Logto's socialSignIn.
type SocialSignIn struct {
	AutomaticAccountLinking *bool `json:"automaticAccountLinking,omitempty"`
	SkipRequiredIdentifiers *bool `json:"skipRequiredIdentifiers,omitempty"`
}

// MFA is Logto's mfa.
type MFA struct {
	Factors                       []string `json:"factors"`
	Policy                        string   `json:"policy"`
	OrganizationRequiredMfaPolicy string   `json:"organizationRequiredMfaPolicy,omitempty"`
}

// Toggle is an object with an optional enabled flag (adaptiveMfa,
// captchaPolicy).
type Toggle struct {
	Enabled *bool `json:"enabled,omitempty"`
}

// PolicySettings is Logto's passwordPolicy as stored: every part optional,
// Logto's defaults standing in for what is missing (see PasswordPolicy).
type PolicySettings struct {
	Length *struct {
		Min *int `json:"min,omitempty"`
		Max *int `json:"max,omitempty"`
	} `json:"length,omitempty"`
	CharacterTypes *struct {
		Min *int `json:"min,omitempty"`
	} `json:"characterTypes,omitempty"`
	Rejects *struct {
		Pwned                 *bool    `json:"pwned,omitempty"`
		RepetitionAndSequence *bool    `json:"repetitionAndSequence,omitempty"`
		UserInfo              *bool    `json:"userInfo,omitempty"`
		Words                 []string `json:"words,omitempty"`
	} `json:"rejects,omitempty"`
}

// Branding is what the hosted pages draw with.
type Branding struct {
	Name              string // "" for none
	LogoURL           string
	DarkLogoURL       string
	PrimaryColor      string
	DarkPrimaryColor  string
	IsDarkModeEnabled bool
}

// SignUpAllowed reports whether a new user may sign up: signInMode is
// Register or SignInAndRegister, and the server's configuration has not
// turned sign-up off.
func (st Settings) SignUpAllowed() bool {
	return !st.signUpOff && (st.SignInMode == ModeRegister || st.SignInMode == ModeSignInAndRegister)
}

// SignInAllowed reports whether an existing user may sign in on the hosted
// pages (signInMode is SignIn or SignInAndRegister).
func (st Settings) SignInAllowed() bool {
	return st.SignInMode == ModeSignIn || st.SignInMode == ModeSignInAndRegister
}

// SignUpIdentifiers returns the identifiers a sign-up asks for, of
// "username", "email" and "phone" (Logto's signUp.identifiers).
func (st Settings) SignUpIdentifiers() []string {
	return append([]string(nil), st.SignUp.Identifiers...)
}

// SignUpPassword reports whether a sign-up sets a password.
func (st Settings) SignUpPassword() bool { return st.SignUp.Password }

// SignUpVerify reports whether a sign-up's e-mail or phone is verified by
// a code before the account exists.
func (st Settings) SignUpVerify() bool { return st.SignUp.Verify }

// SignInMethods returns the sign-in methods, in their order.
func (st Settings) SignInMethods() []SignInMethod {
	return append([]SignInMethod(nil), st.SignIn.Methods...)
}

// PasswordPolicy is the policy new passwords are held to: the stored
// passwordPolicy over Logto's defaults.
func (st Settings) PasswordPolicy() password.Policy {
	return st.Policy.Resolve()
}

// DefaultLanguage is the language of the hosted pages when the browser
// names none they speak: "en" or "ja".
func (st Settings) DefaultLanguage() string {
	if st.LanguageInfo.FallbackLanguage == LanguageJapanese {
		return LanguageJapanese
	}
	return LanguageEnglish
}

// AutoDetectLanguage reports whether the pages follow ui_locales and
// Accept-Language before the default language.
func (st Settings) AutoDetectLanguage() bool { return st.LanguageInfo.AutoDetect }

// Branding returns what the hosted pages draw with.
func (st Settings) Branding() Branding {
	return Branding{
		Name: st.Logos.Name, LogoURL: st.Logos.LogoURL, DarkLogoURL: st.Logos.DarkLogoURL,
		PrimaryColor: st.Color.PrimaryColor, DarkPrimaryColor: st.Color.DarkPrimaryColor,
		IsDarkModeEnabled: st.Color.IsDarkModeEnabled,
	}
}

// PasskeySignInEnabled reports whether the sign-in page offers "sign in with a
// passkey" (Logto's passkeySignIn.enabled).
func (st Settings) PasskeySignInEnabled() bool { return hasTrue(st.PasskeySignIn, "enabled") }

// TermsOfUseURL is the terms of use link ("" for none).
func (st Settings) TermsOfUseURL() string { return deref(st.TermsOfUse) }

// PrivacyPolicyURL is the privacy policy link ("" for none).
func (st Settings) PrivacyPolicyURL() string { return deref(st.PrivacyPolicy) }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Resolve fills in Logto's defaults for what the stored policy leaves out.
func (ps PolicySettings) Resolve() password.Policy {
	p := password.DefaultPolicy()
	if l := ps.Length; l != nil {
		setInt(&p.MinLength, l.Min)
		setInt(&p.MaxLength, l.Max)
	}
	if c := ps.CharacterTypes; c != nil {
		setInt(&p.MinCharacterTypes, c.Min)
	}
	if r := ps.Rejects; r != nil {
		setBool(&p.RejectBreached, r.Pwned)
		setBool(&p.RejectRepetitionOrSequence, r.RepetitionAndSequence)
		setBool(&p.RejectUserInfo, r.UserInfo)
		p.RejectWords = append([]string(nil), r.Words...)
	}
	return p
}

func setInt(dst *int, v *int) {
	if v != nil {
		*dst = *v
	}
}

func setBool(dst *bool, v *bool) {
	if v != nil {
		*dst = *v
	}
}
