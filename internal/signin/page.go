package signin

import (
	"net/url"

	"github.com/monban/monban/internal/federation"
	"github.com/monban/monban/internal/webpage"
)

// page is what a screen shows. Every value is escaped by html/template.
type page struct {
	words
	webpage.Frame
	AppName     string
	Action      string // the pages' base URL; each form posts below it
	CSRF        string
	Interaction string
	Event       string // the interaction's event, for the code screen's resend
	Error       string // the form's alert
	Exp         Screens
	// Values are the fields' values to show again; Errors their errors;
	// Issues the password policy's, listed under the password field.
	Values map[string]string
	Errors map[string]string
	Issues []string
	// SentTo is the address a code went to; BackScreen the screen that
	// asks for another; Reset: the password screen is a reset's.
	SentTo     string
	BackScreen string
	// CodeMinutes is how long a code sent lives, in whole minutes.
	CodeMinutes int
	Reset       bool
	// LinkEmail and LinkProvider are the address and the provider of a
	// link offered.
	LinkEmail, LinkProvider string
	// MFA is what the second-factor screens show.
	MFA *mfaPage
	// Ticket is the reset link's ticket; Notice a page's message.
	Ticket, Notice string
	// Device is the device verification screens' (device.go).
	Device devicePage

	Terms, Privacy string

	// Passkey is the passkey sign-in's ceremony on the sign-in screen
	// (whose page then loads the pages' script, static/webauthn.js).
	Passkey *ceremonyForm

	focus string // the field that takes the focus
}

// Screens says which forms and links the screens show, from the sign-in
// experience.
type Screens struct {
	PasswordSignIn bool // identifier and password
	CodeSignIn     bool // a one-time code by e-mail or SMS
	SignUp         bool // the link to the sign-up screen
	SignUpUsername bool // username and password
	SignUpCode     bool // an e-mail address or phone number, verified
	ForgotPassword bool // the link to the reset screen
	// Which kinds of address each code form takes.
	CodeEmail, CodePhone     bool
	SignUpEmail, SignUpPhone bool
	ResetEmail, ResetPhone   bool
	// FederatedSignUp: an identity of an upstream provider that no
	// account has makes a new account.
	FederatedSignUp bool
	// Social are the social connectors' buttons, in the experience's
	// order.
	Social []SocialButton
	// SingleSignOn: the single sign-on form (an e-mail address whose
	// domain an enterprise SSO connector claims).
	SingleSignOn bool
}

// SocialButton is a social connector the sign-in page offers.
type SocialButton = federation.Button

// field is one input of a form, for the "field" template.
type field struct {
	Name, Label, Type, Autocomplete, InputMode, Value, Error string
	Issues                                                   []string
	MaxLen                                                   int
	Focus                                                    bool
}

// Field describes the input name, labelled label, of HTML type typ.
func (p *page) Field(name, label, typ, autocomplete string, maxLen int) field {
	f := field{Name: name, Label: label, Type: typ, Autocomplete: autocomplete, MaxLen: maxLen,
		Value: p.Values[name], Error: p.Errors[name]}
	if typ == "password" {
		f.Value = "" // never sent back
		f.Issues = p.Issues
		if len(f.Issues) > 0 && f.Error == "" {
			f.Error = p.T("err_password")
		}
	}
	if name == "code" {
		f.InputMode = "numeric"
	}
	if p.focus == "" && (f.Error != "" || len(p.Errors) == 0 && len(p.Issues) == 0) {
		p.focus = name
	}
	f.Focus = p.focus == name
	return f
}

// SocialName is the name of button b in the page's language.
func (p *page) SocialName(b SocialButton) string {
	if n := b.Name[p.Lang]; n != "" {
		return n
	}
	if n := b.Name["en"]; n != "" {
		return n
	}
	return b.Target
}

// ConfirmField is a password's confirmation: a password input that
// shows its own error only.
func (p *page) ConfirmField(name, label string, maxLen int) field {
	issues := p.Issues
	p.Issues = nil
	f := p.Field(name, label, "password", "new-password", maxLen)
	p.Issues = issues
	return f
}

// ScreenURL is the page of the interaction showing screen.
func (p *page) ScreenURL(screen string) string {
	return p.Action + "?" + url.Values{"interaction": {p.Interaction}, "screen": {screen}}.Encode()
}

// CodeIdentifierLabel is the label of a passwordless sign-in's
// identifier: e-mail, phone, or either, as the experience allows.
func (p *page) CodeIdentifierLabel() string { return p.codeLabel(p.Exp.CodeEmail, p.Exp.CodePhone) }

// SignUpCodeLabel is the label of a sign-up's verified identifier.
func (p *page) SignUpCodeLabel() string { return p.codeLabel(p.Exp.SignUpEmail, p.Exp.SignUpPhone) }

// ForgotLabel is the label of a reset's identifier.
func (p *page) ForgotLabel() string { return p.codeLabel(p.Exp.ResetEmail, p.Exp.ResetPhone) }

func (p *page) codeLabel(email, phone bool) string {
	switch {
	case email && !phone:
		return "email"
	case phone && !email:
		return "phone"
	}
	return "code_identifier"
}
