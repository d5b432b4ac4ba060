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
{{define "webauthn"}}<form method="post" action="{{.Page.Action}}/{{.Path}}" data-webauthn="{{.Kind}}" data-options="{{.Form.Options}}" data-failed="{{.Page.T "err_passkey_cancelled"}}" data-unsupported="{{.Page.T "err_passkey_unsupported"}}">
{{template "hidden" .Page}}{{if .Type}}<input type="hidden" name="type" value="{{.Type}}">{{end}}<input type="hidden" name="state" value="{{.Form.State}}"><input type="hidden" name="response" value="">
{{if .Name}}<label for="passkey_name">{{.Page.T "passkey_name"}}</label>
<input id="passkey_name" name="name" maxlength="64" autocomplete="off">{{end}}
<p class="error" role="alert" data-webauthn-error hidden></p>
<noscript><p class="hint">{{.Page.T "passkey_needs_script"}}</p></noscript>
<button type="submit">{{.Page.T .Button}}</button>
</form>{{end}}
{{define "hidden"}}<input type="hidden" name="csrf" value="{{.CSRF}}"><input type="hidden" name="interaction" value="{{.Interaction}}">{{end}}
{{define "social"}}{{if .Exp.Social}}<p class="or">{{.T "or"}}</p><form method="post" action="{{.Action}}/social">
{{template "hidden" .}}{{range .Exp.Social}}<button type="submit" class="social" name="connector_id" value="{{.ConnectorID}}">{{$.T "social_sign_in" ($.SocialName .)}}</button>
{{end}}</form>{{end}}{{end}}
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
{{with .Passkey}}{{if or $.Exp.PasswordSignIn $.Exp.CodeSignIn}}<p class="or">{{$.T "or"}}</p>{{end}}{{template "webauthn" (ceremony $ . "passkey" "get" "passkey_sign_in")}}{{end}}
{{if .Exp.SingleSignOn}}<p class="or">{{.T "or"}}</p><form method="post" action="{{.Action}}/sso">
{{template "hidden" .}}
{{template "field" (.Field "email" (.T "sso_email") "email" "email" 254)}}
<button type="submit">{{.T "sso_sign_in"}}</button>
</form>{{end}}
{{template "social" .}}
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
{{if .Exp.FederatedSignUp}}{{template "social" .}}{{end}}
<nav><p>{{.T "have_account"}} <a href="{{.ScreenURL "signin"}}">{{.T "sign_in"}}</a></p></nav>{{end}}`,

	// code: the one-time code sent to the identifier.
	"code": `{{define "content"}}<h1>{{.T "enter_code"}}</h1>
<p>{{.T "code_sent" .SentTo .CodeMinutes}}</p>
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

	// link: the offer to link an identity of a provider to the account
	// with its verified e-mail address.
	"link": `{{define "content"}}<h1>{{.T "link_heading"}}</h1>
<p>{{.T "link_offer" .LinkEmail .LinkProvider}}</p>
{{template "alert" .}}
<form method="post" action="{{.Action}}/link">
{{template "hidden" .}}
<button type="submit" name="decision" value="link">{{.T "link_confirm"}}</button>
<button type="submit" name="decision" value="decline" class="link">{{.T "link_decline"}}</button>
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
		ts[name] = webpage.Parse(layout+content, template.FuncMap{"ceremony": ceremony})
	}
	return ts
}

// render writes a page with the hosted pages' headers.
func (ts templates) render(w http.ResponseWriter, status int, name string, d *page) {
	d.DataImages = d.MFA != nil && d.MFA.QR != ""
	webpage.Render(w, status, ts[name], d.Frame, d)
}
