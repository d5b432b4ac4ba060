package experience

import "encoding/json"

// DefaultID is the id of the one sign-in experience.
const DefaultID = "default"

// Default colors: Logto's primary color and the dark one Logto derives
// from it.
const (
	DefaultPrimaryColor     = "#6139F6"
	DefaultDarkPrimaryColor = "#886AF8"
)

// Defaults is the sign-in experience before anyone changed it: Logto's
// defaults (sign-in and sign-up by username and password, Logto's
// password policy, English with detection), without Logto's logo.
func Defaults() Settings {
	return Settings{
		TenantID: "default",
		ID:       DefaultID,
		Color:    Color{PrimaryColor: DefaultPrimaryColor, DarkPrimaryColor: DefaultDarkPrimaryColor},
		LanguageInfo: LanguageInfo{
			AutoDetect: true, FallbackLanguage: LanguageEnglish,
		},
		AgreeToTermsPolicy: "Automatic",
		SignIn: SignIn{Methods: []SignInMethod{
			{Identifier: IdentifierUsername, Password: true, IsPasswordPrimary: true},
		}},
		SignUp:                       SignUp{Identifiers: []string{IdentifierUsername}, Password: true},
		SocialSignInConnectorTargets: []string{},
		SignInMode:                   ModeSignInAndRegister,
		CustomContent:                map[string]string{},
		CustomUIAssets:               json.RawMessage("null"),
		CustomUICSP:                  json.RawMessage("{}"),
		MFA:                          MFA{Factors: []string{}, Policy: "UserControlled"},
		SentinelPolicy:               json.RawMessage("{}"),
		EmailBlocklistPolicy:         json.RawMessage("{}"),
		VerificationCodePolicy:       json.RawMessage("{}"),
		ForgotPasswordMethods:        []string{},
		PasskeySignIn:                json.RawMessage("{}"),
		SignUpProfileFields:          json.RawMessage("null"),
		PasswordExpiration:           json.RawMessage("{}"),
		UsernamePolicy:               json.RawMessage(defaultUsernamePolicy),
	}
}

// defaultUsernamePolicy is Logto's default usernamePolicy.
const defaultUsernamePolicy = `{"caseSensitive":true,"minLength":1,"maxLength":128,"allowedChars":{"lowercase":true,"uppercase":true,"numbers":true,"underscore":true}}`
