package signin

import (
	"bytes"
	"html/template"
	"net/http"
	"regexp"
	"strconv"
)

// The hosted pages are plain server-rendered HTML forms: they work without
// JavaScript, and their Content-Security-Policy allows none. Each field
// has its label; an error is tied to its field by aria-describedby, and
// the first field in error takes the focus.
const layout = `<!doctype html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>{{.Title}}</title>
{{if .Script}}<script src="{{.Action}}/webauthn.js" defer></script>{{end}}
<style>
:root{--primary:{{.Primary}};--bg:#f4f5f7;--card:#fff;--text:#1d2129;--muted:#5c6270;--border:#aab}
{{if .DarkMode}}@media (prefers-color-scheme: dark){:root{--primary:{{.DarkPrimary}};--bg:#16181d;--card:#22252c;--text:#eef0f4;--muted:#a9afbb;--border:#555b66}}{{end}}
body{font-family:system-ui,"Hiragino Sans","Yu Gothic","Noto Sans CJK JP",sans-serif;background:var(--bg);color:var(--text);margin:0}
main{max-width:23rem;margin:8vh auto;background:var(--card);padding:2rem;border-radius:.5rem;box-shadow:0 1px 3px rgba(0,0,0,.15)}
h1{font-size:1.4rem;margin:0 0 .25rem}
p{margin:.25rem 0 1rem}
.logo{display:block;max-height:3rem;max-width:12rem;margin:0 0 1rem}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input{width:100%;box-sizing:border-box;padding:.6rem;border:1px solid var(--border);border-radius:.3rem;font-size:1rem;background:var(--card);color:var(--text)}
input[aria-invalid=true]{border-color:#c0392b}
button{margin-top:1.25rem;width:100%;padding:.7rem;border:0;border-radius:.3rem;background:var(--primary);color:#fff;font-size:1rem;cursor:pointer}
button.social{background:var(--card);color:var(--text);border:1px solid var(--border);margin-top:.6rem}
button.link{background:none;color:var(--primary);width:auto;padding:0;margin:.5rem 0 0;text-decoration:underline}
a{color:var(--primary)}
.error{background:#fdecea;color:#8a1c12;padding:.6rem;border-radius:.3rem}
.field-error{color:#c0392b;margin:.25rem 0 0;font-size:.9rem}
.hint{color:var(--muted);font-size:.9rem}
.or{text-align:center;color:var(--muted);margin:1.25rem 0 0}
nav{margin-top:1.25rem;font-size:.95rem}
footer{margin-top:1.5rem;font-size:.8rem;color:var(--muted)}
ul.issues{margin:.25rem 0 0;padding-left:1.2rem;color:#c0392b;font-size:.9rem}
input[type=checkbox]{width:auto;margin:0 .4rem 0 0}
label.check{font-weight:400;display:flex;align-items:center}
code,.codes{font-family:ui-monospace,monospace;word-break:break-all}
ul.codes{columns:2;padding-left:1.2rem}
img.qr{display:block;margin:.5rem auto;width:200px;height:200px;image-rendering:pixelated}
</style>
</head>
<body><main>
{{if .Logo}}<img class="logo" src="{{.Logo}}" alt="{{.BrandName}}">{{else if .BrandName}}<p><strong>{{.BrandName}}</strong></p>{{end}}
{{template "content" .}}
{{if or .Terms .Privacy}}<footer>{{.T "agree"}} {{if .Terms}}<a href="{{.Terms}}" rel="noopener noreferrer" target="_blank">{{.T "terms"}}</a>{{end}}{{if and .Terms .Privacy}} {{.T "and"}} {{end}}{{if .Privacy}}<a href="{{.Privacy}}" rel="noopener noreferrer" target="_blank">{{.T "privacy"}}</a>{{end}}</footer>{{end}}
</main></body>
</html>
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

	"error": `{{define "content"}}<h1>{{.T "error_heading"}}</h1>
<p class="error" role="alert">{{.Error}}</p>
<p>{{.T "return_to_app"}}</p>{{end}}`,
}

type templates map[string]*template.Template

func parseTemplates() templates {
	ts := templates{}
	for name, content := range screens {
		t := template.Must(template.New("layout").Funcs(template.FuncMap{"ceremony": ceremony}).Parse(layout))
		ts[name] = template.Must(t.Parse(content))
	}
	return ts
}

// colorRe is the form of a brand color the pages put into their style.
var colorRe = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// safeColor is c when it is a #rrggbb color, else def.
func safeColor(c, def string) string {
	if colorRe.MatchString(c) {
		return c
	}
	return def
}

// render writes a page with headers that keep it out of caches and frames
// and keep the request's query from other sites through the Referer.
func (ts templates) render(w http.ResponseWriter, status int, name string, d *page) {
	var buf bytes.Buffer
	if err := ts[name].Execute(&buf, d); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	img := ""
	switch {
	case d.Logo != "" && d.MFA != nil && d.MFA.QR != "":
		img = " img-src https: data:;"
	case d.Logo != "":
		img = " img-src https:;"
	case d.MFA != nil && d.MFA.QR != "":
		img = " img-src data:;"
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("Content-Language", d.Lang)
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	script := ""
	if d.Script {
		script = " script-src 'self';"
	}
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline';"+img+script+" frame-ancestors 'none'; base-uri 'none'")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
