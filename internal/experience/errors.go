package experience

// Error is a refused change: Logto's code for it (Code, e.g.
// "sign_in_experiences.enabled_connector_not_found"), the status Logto
// answers it with, and a message safe to show.
type Error struct {
	Code    string
	Status  int
	Message string
}

func (e *Error) Error() string { return e.Message }

// Logto's codes for refused changes.
const (
	CodeInvalidInput             = "guard.invalid_input"
	CodeNotSupported             = "request.invalid_input"
	CodeConnectorNotFound        = "sign_in_experiences.enabled_connector_not_found"
	CodeMissSignUpIdentifier     = "sign_in_experiences.miss_sign_up_identifier_in_sign_in"
	CodeUsernameRequiresPassword = "sign_in_experiences.username_requires_password"
	CodePasswordlessVerify       = "sign_in_experiences.passwordless_requires_verify"
	CodePasswordSignIn           = "sign_in_experiences.password_sign_in_must_be_enabled"
	CodeCodeSignIn               = "sign_in_experiences.code_sign_in_must_be_enabled"
	CodeAtLeastOneFactor         = "sign_in_experiences.at_least_one_authentication_factor"
	CodeDuplicatedSignUp         = "sign_in_experiences.duplicated_sign_up_identifiers"
	CodeMissingSignUp            = "sign_in_experiences.missing_sign_up_identifiers"
	CodeUnsupportedLanguage      = "sign_in_experiences.unsupported_default_language"
	CodeForgotPasswordConnector  = "sign_in_experiences.forgot_password_method_requires_connector"
	CodeAdaptiveMFARequiresMFA   = "sign_in_experiences.adaptive_mfa_requires_mfa"
	CodeBackupCodeAlone          = "sign_in_experiences.backup_code_cannot_be_enabled_alone"
)

func invalid(format string) *Error {
	return &Error{Code: CodeInvalidInput, Status: 400, Message: format}
}

func refuse(code, message string) *Error {
	return &Error{Code: code, Status: 400, Message: message}
}
