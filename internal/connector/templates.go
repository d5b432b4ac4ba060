package connector

import (
	"encoding/json"
	"html"
	"regexp"
	"strings"

	"github.com/monban/monban/internal/verifycode"
)

// Content types of e-mail templates, as Logto names them.
const (
	ContentText = "text/plain"
	ContentHTML = "text/html"
)

// Details is a template's content: Logto's EmailTemplateDetails.
type Details struct {
	Subject     string `json:"subject"`
	Content     string `json:"content"`
	ContentType string `json:"contentType,omitempty"`
	ReplyTo     string `json:"replyTo,omitempty"`
	SendFrom    string `json:"sendFrom,omitempty"`
}

// Bounds of a template's fields.
const (
	maxSubject  = 998 // RFC 5322's line length
	maxContent  = 32 << 10
	maxAddrText = 320
)

// Check validates d.
func (d Details) Check() error {
	switch {
	case strings.TrimSpace(d.Subject) == "":
		return errorf(InvalidInput, "details.subject is required")
	case strings.TrimSpace(d.Content) == "":
		return errorf(InvalidInput, "details.content is required")
	}
	return d.checkFields()
}

func (d Details) checkFields() error {
	switch {
	case len(d.Subject) > maxSubject || strings.ContainsAny(d.Subject, "\r\n"):
		return errorf(InvalidInput, "details.subject must be one line of at most %d bytes", maxSubject)
	case len(d.Content) > maxContent:
		return errorf(InvalidInput, "details.content must be at most %d bytes", maxContent)
	case d.ContentType != "" && d.ContentType != ContentText && d.ContentType != ContentHTML:
		return errorf(InvalidInput, "details.contentType must be text/plain or text/html")
	case len(d.ReplyTo) > maxAddrText || strings.ContainsAny(d.ReplyTo, "\r\n"):
		return errorf(InvalidInput, "details.replyTo must be one line of at most %d bytes", maxAddrText)
	case len(d.SendFrom) > maxAddrText || strings.ContainsAny(d.SendFrom, "\r\n"):
		return errorf(InvalidInput, "details.sendFrom must be one line of at most %d bytes", maxAddrText)
	}
	return nil
}

// Template types: Logto's (TemplateType in its connector kit; codes are
// sent for the first four), and ForgotPasswordLink, the reset link of
// Auth0's change-password request, whose templates use {{link}}.
var templateTypes = []string{
	string(verifycode.PurposeSignIn), string(verifycode.PurposeRegister), string(verifycode.PurposeForgotPassword),
	string(verifycode.PurposeGeneric), "OrganizationInvitation", "UserPermissionValidation", "BindNewIdentifier",
	"MfaVerification", "BindMfa", string(verifycode.PurposeForgotPasswordLink),
}

// ValidTemplateType reports whether t is one of Logto's template types.
func ValidTemplateType(t string) bool {
	for _, v := range templateTypes {
		if v == t {
			return true
		}
	}
	return false
}

// ValidLanguageTag reports whether tag has the form of a BCP 47 tag
// ("en", "ja", "pt-BR", "zh-Hant-TW"), bounded as Logto's column is.
func ValidLanguageTag(tag string) bool {
	return len(tag) <= 16 && languageTagRe.MatchString(tag)
}

var languageTagRe = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$`)

// builtIn are the messages used when neither a stored e-mail template nor
// the connector's config has one, per language and purpose.
var builtIn = map[string]map[verifycode.Purpose]Details{
	"en": {
		verifycode.PurposeSignIn:             {Subject: "Your sign-in code", Content: "Your sign-in verification code is {{code}}. It is valid for {{minutes}} minutes."},
		verifycode.PurposeRegister:           {Subject: "Your sign-up code", Content: "Your sign-up verification code is {{code}}. It is valid for {{minutes}} minutes."},
		verifycode.PurposeForgotPassword:     {Subject: "Your password reset code", Content: "Your password reset verification code is {{code}}. It is valid for {{minutes}} minutes. If you did not ask to reset your password, ignore this message."},
		verifycode.PurposeGeneric:            {Subject: "Your verification code", Content: "Your verification code is {{code}}. It is valid for {{minutes}} minutes."},
		verifycode.PurposeForgotPasswordLink: {Subject: "Reset your password", Content: "Someone asked to reset the password of your account. To choose a new password, open this link:\n\n{{link}}\n\nThe link can be used once. If you did not ask to reset your password, ignore this message."},
		verifycode.PurposeOrganizationInvitation: {Subject: "You are invited to join {{organization.name}}",
			Content: "You are invited to join {{organization.name}}. Accept the invitation here: {{link}}"},
	},
	"ja": {
		verifycode.PurposeSignIn:             {Subject: "サインイン用の確認コード", Content: "サインイン用の確認コードは {{code}} です。有効期間は{{minutes}}分です。"},
		verifycode.PurposeRegister:           {Subject: "新規登録用の確認コード", Content: "新規登録用の確認コードは {{code}} です。有効期間は{{minutes}}分です。"},
		verifycode.PurposeForgotPassword:     {Subject: "パスワード再設定用の確認コード", Content: "パスワード再設定用の確認コードは {{code}} です。有効期間は{{minutes}}分です。お心当たりがない場合は、このメッセージを破棄してください。"},
		verifycode.PurposeGeneric:            {Subject: "確認コード", Content: "確認コードは {{code}} です。有効期間は{{minutes}}分です。"},
		verifycode.PurposeForgotPasswordLink: {Subject: "パスワードの再設定", Content: "アカウントのパスワード再設定が依頼されました。次のリンクを開いて新しいパスワードを設定してください:\n\n{{link}}\n\nリンクは一度だけ使用できます。お心当たりがない場合は、このメッセージを破棄してください。"},
		verifycode.PurposeOrganizationInvitation: {Subject: "{{organization.name}} への招待",
			Content: "{{organization.name}} に招待されました。次のリンクから招待を承諾してください: {{link}}"},
	},
}

// baseLanguage is "ja" for "ja" and "ja-JP", else "en".
func baseLanguage(locale string) string {
	if strings.EqualFold(locale, "ja") || strings.HasPrefix(strings.ToLower(locale), "ja-") {
		return "ja"
	}
	return "en"
}

// defaultDetails is the built-in message of purpose in locale's language.
func defaultDetails(p verifycode.Purpose, locale string) Details {
	d, ok := builtIn[baseLanguage(locale)][p]
	if !ok {
		d = builtIn[baseLanguage(locale)][verifycode.PurposeGeneric]
	}
	d.ContentType = ContentText
	return d
}

// placeholderRe matches Logto's handlebars placeholders, {{code}} and
// {{ code }}.
var placeholderRe = regexp.MustCompile(`\{\{\s*([A-Za-z0-9_.]+)\s*\}\}`)

// render fills a template's placeholders: code, link, locale and the
// message's Vars. Others are left as written.
func render(text string, m verifycode.Message) string {
	return renderAs(text, m, false)
}

// renderAs is render for a body that is HTML when asHTML is set: the
// values, which a caller may have taken from input, are escaped for it.
func renderAs(text string, m verifycode.Message, asHTML bool) string {
	return placeholderRe.ReplaceAllStringFunc(text, func(ph string) string {
		name := placeholderRe.FindStringSubmatch(ph)[1]
		v, ok := "", true
		switch {
		case name == "code":
			v = m.Code
		case name == "locale":
			v = m.Locale
		case name == "link" && m.Link != "":
			v = m.Link
		default:
			v, ok = m.Vars[name]
		}
		if !ok {
			return ph
		}
		if asHTML {
			return html.EscapeString(v)
		}
		return v
	})
}

// configTemplate is one entry of a connector config's templates array.
type configTemplate struct {
	UsageType   string `json:"usageType"`
	ContentType string `json:"contentType,omitempty"`
	Subject     string `json:"subject,omitempty"`
	Content     string `json:"content"`
}

func checkConfigTemplates(ts []configTemplate, email bool) error {
	for i, t := range ts {
		d := Details{Subject: t.Subject, Content: t.Content, ContentType: t.ContentType}
		switch {
		case t.UsageType == "":
			return errorf(InvalidConfig, "templates[%d].usageType is required", i)
		case strings.TrimSpace(t.Content) == "":
			return errorf(InvalidConfig, "templates[%d].content is required", i)
		case !email && (t.Subject != "" || t.ContentType != ""):
			return errorf(InvalidConfig, "templates[%d]: an SMS template has only usageType and content", i)
		case email && t.ContentType == "":
			return errorf(InvalidConfig, "templates[%d].contentType is required (text/plain or text/html)", i)
		}
		if err := d.checkFields(); err != nil {
			return errorf(InvalidConfig, "templates[%d]: %s", i, strings.TrimPrefix(err.Error(), "details."))
		}
	}
	return nil
}

// fromConfig returns the config template of purpose, if it has one.
func fromConfig(ts []configTemplate, p verifycode.Purpose) (Details, bool) {
	for _, t := range ts {
		if t.UsageType == string(p) {
			return Details{Subject: t.Subject, Content: t.Content, ContentType: t.ContentType}, true
		}
	}
	return Details{}, false
}

// parseDetails reads a stored template's details.
func parseDetails(raw []byte) (Details, error) {
	var d Details
	err := json.Unmarshal(raw, &d)
	return d, err
}
