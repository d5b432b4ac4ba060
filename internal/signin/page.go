package signin

import (
	"net/url"
)

// page is what a screen shows. Every value is escaped by html/template.
type page struct {
	words
	Lang        string
	Title       string
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
	Reset      bool
	// Device is the device verification screens' (device.go).
	Device devicePage

	BrandName, Logo, Primary, DarkPrimary string
	DarkMode                              bool
	Terms, Privacy                        string

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
}

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
