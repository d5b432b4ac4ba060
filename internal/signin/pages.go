package signin

import (
	"html/template"
	"net/http"

	"github.com/monban/monban/internal/webpage"
)

// The screens share the hosted pages' one layout (internal/webpage). Each
// field has its label; an error is tied to its field by aria-describedby,
// and the first field in error takes the focus.
const layout = `{{define "footer"}}{{if or .Terms .Privacy}}<footer>{{.T "agree"}} {{if .Terms}}<a href="{{.Terms}}" rel="noopener noreferrer" target="_blank">{{.T "terms"}}</a>{{end}}{{if and .Terms .Privacy}} {{.T "and"}} {{end}}{{if .Privacy}}<a href="{{.Privacy}}" rel="noopener noreferrer" target="_blank">{{.T "privacy"}}</a>{{end}}</footer>{{end}}{{end}}
{{define "alert"}}{{if .Error}}<p class="error" role="alert" id="form-error">{{.Error}}</p>{{end}}{{end}}
{{define "hidden"}}<input type="hidden" name="csrf" value="{{.CSRF}}"><input type="hidden" name="interaction" value="{{.Interaction}}">{{end}}
{{define "field"}}<label for="{{.Name}}">{{.Label}}</label>
<input id="{{.Name}}" name="{{.Name}}"{{if .Type}} type="{{.Type}}"{{end}}{{if .Autocomplete}} autocomplete="{{.Autocomplete}}"{{end}}{{if .InputMode}} inputmode="{{.InputMode}}"{{end}} autocapitalize="none" spellcheck="false" required maxlength="{{.MaxLen}}"{{if .Value}} value="{{.Value}}"{{end}}{{if .Error}} aria-invalid="true" aria-describedby="{{.Name}}-error"{{end}}{{if .Focus}} autofocus{{end}}>
{{if .Error}}<p class="field-error" id="{{.Name}}-error">{{.Error}}</p>{{end}}{{if .Issues}}<ul class="issues" id="{{.Name}}-issues">{{range .Issues}}<li>{{.}}</li>{{end}}</ul>{{end}}{{end}}
`

var screens = map[string]string{
	// signin: the identifier and password, a one-time code instead, and
	// the ways to sign up or reset a password.
	"signin": `{{define "content"}}<h1>{{.T "sign_in"}}</h1>
<p>{{.T "to_continue" .AppName}}</p>
{{template "alert" .}}
{{if .Exp.PasswordSignIn}}<form method="post" action="{{.Action}}">
{{template "hidden" .}}
{{template "field" (.Field "identifier" (.T "identifier") "" "username" 254)}}
{{template "field" (.Field "password" (.T "password") "password" "current-password" 256)}}
<button type="submit">{{.T "sign_in"}}</button>
</form>{{end}}
{{if .Exp.CodeSignIn}}{{if .Exp.PasswordSignIn}}<p class="or">{{.T "or"}}</p>{{end}}<form method="post" action="{{.Action}}/code">
{{template "hidden" .}}<input type="hidden" name="event" value="SignIn">
{{template "field" (.Field "code_identifier" (.T .CodeIdentifierLabel) "" "username" 254)}}
<button type="submit">{{.T "code_sign_in"}}</button>
</form>{{end}}
<nav>{{if .Exp.ForgotPassword}}<p><a href="{{.ScreenURL "forgot"}}">{{.T "forgot_password"}}</a></p>{{end}}
{{if .Exp.SignUp}}<p>{{.T "no_account"}} <a href="{{.ScreenURL "register"}}">{{.T "create_account"}}</a></p>{{end}}</nav>{{end}}`,

	// register: the sign-up identifiers the experience names.
	"register": `{{define "content"}}<h1>{{.T "register"}}</h1>
<p>{{.T "to_continue" .AppName}}</p>
{{template "alert" .}}
{{if not .Exp.SignUp}}{{if not .Error}}<p class="error" role="alert" id="form-error">{{.T "err_signup_disabled"}}</p>{{end}}{{end}}
{{if .Exp.SignUpUsername}}<form method="post" action="{{.Action}}/register">
{{template "hidden" .}}
{{template "field" (.Field "username" (.T "username") "" "username" 128)}}
{{template "field" (.Field "new_password" (.T "password") "password" "new-password" 256)}}
<button type="submit">{{.T "create_account"}}</button>
</form>{{end}}
{{if .Exp.SignUpCode}}{{if .Exp.SignUpUsername}}<p class="or">{{.T "or"}}</p>{{end}}<form method="post" action="{{.Action}}/code">
{{template "hidden" .}}<input type="hidden" name="event" value="Register">
{{template "field" (.Field "code_identifier" (.T .SignUpCodeLabel) "" "email" 254)}}
<p class="hint">{{.T "register_with_code"}}</p>
<button type="submit">{{.T "send_code"}}</button>
</form>{{end}}
<nav><p>{{.T "have_account"}} <a href="{{.ScreenURL "signin"}}">{{.T "sign_in"}}</a></p></nav>{{end}}`,

	// code: the one-time code sent to the identifier.
	"code": `{{define "content"}}<h1>{{.T "enter_code"}}</h1>
<p>{{.T "code_sent" .SentTo}}</p>
{{template "alert" .}}
<form method="post" action="{{.Action}}/code/verify">
{{template "hidden" .}}
{{template "field" (.Field "code" (.T "code") "text" "one-time-code" 6)}}
<button type="submit">{{.T "continue"}}</button>
</form>
<form method="post" action="{{.Action}}/code">
{{template "hidden" .}}<input type="hidden" name="event" value="{{.Event}}"><input type="hidden" name="code_identifier" value="{{.SentTo}}">
<button type="submit" class="link">{{.T "resend"}}</button>
</form>
<nav><p><a href="{{.ScreenURL .BackScreen}}">{{.T "use_another"}}</a></p></nav>{{end}}`,

	// forgot: the address a reset code goes to.
	"forgot": `{{define "content"}}<h1>{{.T "forgot"}}</h1>
<p>{{.T "forgot_hint"}}</p>
{{template "alert" .}}
<form method="post" action="{{.Action}}/code">
{{template "hidden" .}}<input type="hidden" name="event" value="ForgotPassword">
{{template "field" (.Field "code_identifier" (.T .ForgotLabel) "" "username" 254)}}
<button type="submit">{{.T "send_code"}}</button>
</form>
<nav><p><a href="{{.ScreenURL "signin"}}">{{.T "back_to_sign_in"}}</a></p></nav>{{end}}`,

	// password: the password of a new account, or the new password of a
	// reset.
	"password": `{{define "content"}}<h1>{{if .Reset}}{{.T "forgot"}}{{else}}{{.T "set_password"}}{{end}}</h1>
{{if .Reset}}<p>{{.T "new_password_hint"}}</p>{{end}}
{{template "alert" .}}
<form method="post" action="{{.Action}}/password/new">
{{template "hidden" .}}
{{template "field" (.Field "new_password" (.T "new_password") "password" "new-password" 256)}}
<button type="submit">{{.T "save_password"}}</button>
</form>{{end}}`,

	// reset: the new password of a reset link's account (the ticket's
	// page); notice: what became of it.
	"reset": `{{define "content"}}<h1>{{.T "reset_title"}}</h1>
<p>{{.T "reset_intro"}} <strong>{{.SentTo}}</strong></p>
{{template "alert" .}}
<form method="post" action="{{.Action}}">
<input type="hidden" name="csrf" value="{{.CSRF}}"><input type="hidden" name="ticket" value="{{.Ticket}}"><input type="hidden" name="lang" value="{{.Lang}}">
{{template "field" (.Field "password" (.T "new_password") "password" "new-password" 256)}}
{{template "field" (.ConfirmField "password_confirm" (.T "password_confirm") 256)}}
<button type="submit">{{.T "reset_submit"}}</button>
</form>{{end}}`,
	"notice": `{{define "content"}}<h1>{{.Title}}</h1>
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{else}}<p>{{.Notice}}</p>{{end}}{{end}}`,

	"error": `{{define "content"}}<h1>{{.T "error_heading"}}</h1>
<p class="error" role="alert">{{.Error}}</p>
<p>{{.T "return_to_app"}}</p>{{end}}`,
}

type templates map[string]*template.Template

func parseTemplates() templates {
	ts := templates{}
	for name, content := range screens {
		ts[name] = webpage.Parse(layout + content)
	}
	return ts
}

// render writes a page with the hosted pages' headers.
func (ts templates) render(w http.ResponseWriter, status int, name string, d *page) {
	webpage.Render(w, status, ts[name], d.Frame, d)
}
