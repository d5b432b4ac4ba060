package experience

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/monban/monban/internal/password"
)

// Bounds of values.
const (
	maxURLLen       = 2048
	maxNameLen      = 128
	maxCustomCSS    = 64 << 10
	maxCustomKeys   = 100
	maxCustomValue  = 16 << 10
	maxSignInMethod = 3
)

var hexColor = regexp.MustCompile(`^#([\da-fA-F]{3}|[\da-fA-F]{6})$`)

// Check holds st to every rule of the sign-in experience: the shape of
// each value as Logto's guard has it, the rules between sign-in and
// sign-up (Logto's codes), the connectors that code channels need, and
// refuses what Monban does not do (MFA, social and enterprise sign-in,
// CAPTCHA, …) rather than storing a setting nothing obeys.
func (s *Service) Check(st Settings) error {
	for _, check := range []func(Settings) error{
		checkLooks, checkLinks, checkModes, checkSignUpShape, checkSignIn, checkPolicy, checkCodePolicy, checkUnsupported,
	} {
		if err := check(st); err != nil {
			return err
		}
	}
	return s.checkChannels(st)
}

func checkLooks(st Settings) error {
	c := st.Color
	if !hexColor.MatchString(c.PrimaryColor) || !hexColor.MatchString(c.DarkPrimaryColor) {
		return invalid("color.primaryColor and color.darkPrimaryColor must be hex colors such as #6139F6")
	}
	if utf8.RuneCountInString(st.Logos.Name) > maxNameLen {
		return invalid(fmt.Sprintf("branding.name must be at most %d characters", maxNameLen))
	}
	for name, v := range map[string]string{
		"branding.logoUrl": st.Logos.LogoURL, "branding.darkLogoUrl": st.Logos.DarkLogoURL,
		"branding.favicon": st.Logos.Favicon, "branding.darkFavicon": st.Logos.DarkFavicon,
	} {
		if v != "" && !isURL(v) {
			return invalid(name + " must be an http or https URL")
		}
	}
	switch st.LanguageInfo.FallbackLanguage {
	case LanguageEnglish, LanguageJapanese:
	default:
		return refuse(CodeUnsupportedLanguage, fmt.Sprintf("This language - %s is not supported at the moment.", bounded(st.LanguageInfo.FallbackLanguage)))
	}
	if st.CustomCSS != nil && len(*st.CustomCSS) > maxCustomCSS {
		return invalid(fmt.Sprintf("customCss must be at most %d bytes", maxCustomCSS))
	}
	if len(st.CustomContent) > maxCustomKeys {
		return invalid(fmt.Sprintf("customContent may hold at most %d entries", maxCustomKeys))
	}
	for _, v := range st.CustomContent {
		if len(v) > maxCustomValue {
			return invalid(fmt.Sprintf("a customContent value must be at most %d bytes", maxCustomValue))
		}
	}
	return nil
}

func checkLinks(st Settings) error {
	for name, v := range map[string]*string{
		"termsOfUseUrl": st.TermsOfUse, "privacyPolicyUrl": st.PrivacyPolicy,
		"supportWebsiteUrl": st.SupportWebsiteURL, "unknownSessionRedirectUrl": st.UnknownSessionRedirectURL,
	} {
		if v != nil && *v != "" && !isURL(*v) {
			return invalid(name + " must be an http or https URL, \"\" or null")
		}
	}
	if v := st.SupportEmail; v != nil && *v != "" {
		if a, err := mail.ParseAddress(*v); err != nil || a.Address != *v || a.Name != "" {
			return invalid("supportEmail must be an e-mail address, \"\" or null")
		}
	}
	switch st.AgreeToTermsPolicy {
	case "Automatic", "ManualRegistrationOnly", "Manual":
	default:
		return invalid("agreeToTermsPolicy must be Automatic, ManualRegistrationOnly or Manual")
	}
	return nil
}

func checkModes(st Settings) error {
	switch st.SignInMode {
	case ModeSignIn, ModeRegister, ModeSignInAndRegister:
		return nil
	}
	return invalid("signInMode must be SignIn, Register or SignInAndRegister")
}

func isIdentifier(v string) bool {
	return v == IdentifierUsername || v == IdentifierEmail || v == IdentifierPhone
}

// checkSignUpShape: Logto's sign-up rules (identifiers known and not
// repeated; e-mail and phone verified; a username comes with a password).
func checkSignUpShape(st Settings) error {
	up := st.SignUp
	for _, id := range up.Identifiers {
		if !isIdentifier(id) {
			return invalid("signUp.identifiers holds username, email or phone")
		}
	}
	seen := map[string]bool{}
	for _, id := range up.Identifiers {
		if seen[id] {
			return refuse(CodeDuplicatedSignUp, "Duplicate sign-up identifiers detected.")
		}
		seen[id] = true
	}
	if len(up.SecondaryIdentifiers) > 0 && len(up.Identifiers) == 0 {
		return refuse(CodeMissingSignUp, "Primary sign-up identifier cannot be empty.")
	}
	for _, sec := range up.SecondaryIdentifiers {
		if !isIdentifier(sec.Identifier) && sec.Identifier != IdentifierEmailOrPhone {
			return invalid("signUp.secondaryIdentifiers[].identifier is username, email, phone or emailOrPhone")
		}
		dup := seen[sec.Identifier] || (sec.Identifier == IdentifierEmailOrPhone && (seen[IdentifierEmail] || seen[IdentifierPhone]))
		if dup {
			return refuse(CodeDuplicatedSignUp, "Duplicate sign-up identifiers detected.")
		}
		seen[sec.Identifier] = true
		if sec.Identifier != IdentifierUsername && (sec.Verify == nil || !*sec.Verify) {
			return refuse(CodePasswordlessVerify, "Must enable verify for email/phone sign up identifier.")
		}
	}
	for _, id := range up.Identifiers {
		if id != IdentifierUsername && !up.Verify {
			return refuse(CodePasswordlessVerify, "Must enable verify for email/phone sign up identifier.")
		}
		if id == IdentifierUsername && !up.Password {
			return refuse(CodeUsernameRequiresPassword, "Must enable set a password for username sign up identifier.")
		}
	}
	return nil
}

// checkSignIn: Logto's sign-in rules, and the sign-up identifiers among
// the sign-in methods.
func checkSignIn(st Settings) error {
	methods := st.SignIn.Methods
	if len(methods) > maxSignInMethod {
		return invalid("signIn.methods holds each of username, email and phone at most once")
	}
	seen := map[string]bool{}
	for _, m := range methods {
		if !isIdentifier(m.Identifier) || seen[m.Identifier] {
			return invalid("signIn.methods holds each of username, email and phone at most once")
		}
		seen[m.Identifier] = true
		if !m.Password && !m.VerificationCode {
			return refuse(CodeAtLeastOneFactor, "You have to select at least one authentication factor.")
		}
		if m.Identifier == IdentifierUsername && m.VerificationCode {
			return invalid("a username cannot receive a verification code")
		}
	}
	if st.SignInAllowed() && len(methods) == 0 {
		return invalid("signIn.methods must name at least one method while sign-in is on")
	}
	for _, id := range st.SignUp.Identifiers {
		i := slices.IndexFunc(methods, func(m SignInMethod) bool { return m.Identifier == id })
		if i < 0 {
			return refuse(CodeMissSignUpIdentifier, "Sign in methods must contain the sign up identifier.")
		}
		if st.SignUp.Password && !methods[i].Password {
			return refuse(CodePasswordSignIn, "Password sign in must be enabled when set a password is required in sign up.")
		}
	}
	if st.SignUp.Verify && !st.SignUp.Password {
		for _, m := range methods {
			if !m.VerificationCode && m.Identifier != IdentifierUsername {
				return refuse(CodeCodeSignIn, "Verification code sign in must be enabled when set a password is not required in sign up.")
			}
		}
	}
	return nil
}

func checkPolicy(st Settings) error {
	p := st.Policy.Resolve()
	switch {
	case p.MinLength < 1 || p.MaxLength < 1:
		return invalid("passwordPolicy.length.min and max must be at least 1")
	case p.MaxLength > password.PolicyMaxLength:
		return invalid(fmt.Sprintf("passwordPolicy.length.max must be at most %d", password.PolicyMaxLength))
	case p.MinLength > p.MaxLength:
		return invalid("passwordPolicy.length.min must not be greater than max")
	case p.MinCharacterTypes < 1 || p.MinCharacterTypes > 4:
		return invalid("passwordPolicy.characterTypes.min must be 1 to 4")
	case len(p.RejectWords) > password.MaxRejectWords:
		return invalid(fmt.Sprintf("passwordPolicy.rejects.words may hold at most %d words", password.MaxRejectWords))
	}
	for _, w := range p.RejectWords {
		if w == "" || utf8.RuneCountInString(w) > password.MaxRejectWordSize {
			return invalid(fmt.Sprintf("a word of passwordPolicy.rejects.words must be 1 to %d characters", password.MaxRejectWordSize))
		}
	}
	return nil
}

// checkUnsupported refuses turning on what Monban does not do; the values
// Logto has when they are off are accepted, so that Logto's own documents
// apply.
func checkUnsupported(st Settings) error {
	off := func(what string, ok bool) error {
		if ok {
			return nil
		}
		return &Error{Code: CodeNotSupported, Status: 400, Message: "Input is invalid. " + what + " is not supported by this server"}
	}
	for _, err := range []error{
		off("hideLogtoBranding", !st.HideLogtoBranding),
		checkSocialTargets(st.SocialSignInConnectorTargets),
		off("mfa.factors (of these, only "+strings.Join(MFAFactors, ", ")+")", supportedMFA(st.MFA.Factors)),
		off("captchaPolicy.enabled", st.CaptchaPolicy.Enabled == nil || !*st.CaptchaPolicy.Enabled),
		off("customUiAssets", isNull(st.CustomUIAssets)),
		off("customUiCsp", isEmptyObject(st.CustomUICSP)),
		off("sentinelPolicy (sign-in back-off is the server's configuration)", isEmptyObject(st.SentinelPolicy)),
		off("emailBlocklistPolicy", isEmptyObject(st.EmailBlocklistPolicy)),
		off("passkeySignIn.allowAutofill", !hasTrue(st.PasskeySignIn, "allowAutofill")),
		off("passkeySignIn.showPasskeyButton false (the passkey sign-in is its button)",
			!hasTrue(st.PasskeySignIn, "enabled") || !hasFalse(st.PasskeySignIn, "showPasskeyButton")),
		off("signUpProfileFields", isNull(st.SignUpProfileFields) || string(st.SignUpProfileFields) == "[]"),
		off("passwordExpiration", !hasTrue(st.PasswordExpiration, "enabled")),
		off("usernamePolicy", string(compact(st.UsernamePolicy)) == defaultUsernamePolicy),
	} {
		if err != nil {
			return err
		}
	}
	if st.AdaptiveMFA.Enabled != nil && *st.AdaptiveMFA.Enabled {
		return &Error{Code: CodeAdaptiveMFARequiresMFA, Status: 422, Message: "MFA must be enabled before enabling adaptive MFA."}
	}
	if err := checkMFAFactors(st.MFA.Factors); err != nil {
		return err
	}
	switch st.MFA.Policy {
	case "UserControlled", "Mandatory", "PromptOnlyAtSignIn", "PromptAtSignInAndSignUp", "NoPrompt",
		"PromptAtSignInAndSignUpMandatory", "PromptOnlyAtSignInMandatory":
	default:
		return invalid("mfa.policy is not one of Logto's MFA policies")
	}
	return nil
}

// checkChannels: a method that sends codes needs a connector for its
// channel.
func (s *Service) checkChannels(st Settings) error {
	need := map[string]bool{}
	for _, m := range st.SignIn.Methods {
		if m.VerificationCode {
			need[channelOf(m.Identifier)] = true
		}
	}
	for _, id := range st.SignUp.Identifiers {
		if id != IdentifierUsername {
			need[channelOf(id)] = true
		}
	}
	for _, sec := range st.SignUp.SecondaryIdentifiers {
		switch sec.Identifier {
		case IdentifierEmail, IdentifierPhone:
			need[channelOf(sec.Identifier)] = true
		case IdentifierEmailOrPhone:
			need[ChannelEmail], need[ChannelSMS] = true, true
		}
	}
	for _, ch := range []string{ChannelEmail, ChannelSMS} {
		if need[ch] && !s.opts.HasConnector(ch) {
			return refuse(CodeConnectorNotFound, fmt.Sprintf("Enabled %s connector not found.", connectorType(ch)))
		}
	}
	for _, m := range st.ForgotPasswordMethods {
		ch := map[string]string{"EmailVerificationCode": ChannelEmail, "PhoneVerificationCode": ChannelSMS}[m]
		if ch == "" {
			return invalid("forgotPasswordMethods holds EmailVerificationCode or PhoneVerificationCode")
		}
		if !s.opts.HasConnector(ch) {
			return refuse(CodeForgotPasswordConnector, fmt.Sprintf("Forgot password method requires a corresponding %s connector to be configured.", ch))
		}
	}
	return nil
}

func channelOf(identifier string) string {
	if identifier == IdentifierPhone {
		return ChannelSMS
	}
	return ChannelEmail
}

// connectorType is Logto's ConnectorType for a channel.
func connectorType(ch string) string {
	if ch == ChannelSMS {
		return "Sms"
	}
	return "Email"
}

func isURL(v string) bool {
	if len(v) > maxURLLen {
		return false
	}
	u, err := url.Parse(v)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

func isEmptyObject(raw json.RawMessage) bool {
	c := compact(raw)
	return len(c) == 0 || bytes.Equal(c, []byte("{}"))
}

// hasTrue reports whether the JSON object raw has key set to true.
func hasTrue(raw json.RawMessage, key string) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return false
	}
	return string(m[key]) == "true"
}

func hasFalse(raw json.RawMessage, key string) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return false
	}
	return string(m[key]) == "false"
}

// bounded cuts a value quoted back in a message.
func bounded(v string) string {
	if r := []rune(v); len(r) > 32 {
		return string(r[:32]) + "…"
	}
	return v
}

// socialTargetRe is the form of a social connector's target.
var socialTargetRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// checkSocialTargets checks socialSignInConnectorTargets: at most 32
// distinct targets. A target no connector has yet shows no button.
func checkSocialTargets(targets []string) error {
	bad := func(msg string) error {
		return &Error{Code: CodeInvalidInput, Status: 400, Message: "Input is invalid. socialSignInConnectorTargets " + msg}
	}
	if len(targets) > 32 {
		return bad("holds at most 32 targets")
	}
	seen := map[string]bool{}
	for _, t := range targets {
		if !socialTargetRe.MatchString(t) || seen[t] {
			return bad("must be distinct targets of letters, digits, dots, dashes and underscores")
		}
		seen[t] = true
	}
	return nil
}

// MFAFactors are the second factors the server offers (Logto's
// MfaFactor values); a factor type is added here when it is built.
var MFAFactors = []string{"Totp", "BackupCode", "WebAuthn"}

// supportedMFA reports whether every factor is one the server offers.
func supportedMFA(factors []string) bool {
	for _, f := range factors {
		if !slices.Contains(MFAFactors, f) {
			return false
		}
	}
	return true
}

// checkMFAFactors is Logto's rule of the factors: each once, and backup
// codes never alone.
func checkMFAFactors(factors []string) error {
	for i, f := range factors {
		if slices.Contains(factors[:i], f) {
			return invalid("mfa.factors names " + f + " twice")
		}
	}
	if slices.Contains(factors, "BackupCode") && len(factors) == 1 {
		return &Error{Code: CodeBackupCodeAlone, Status: 400, Message: "Backup code cannot be enabled alone."}
	}
	return nil
}
