package oidc

import (
	"html/template"
	"net/http"

	"github.com/monban/monban/internal/webpage"
)

// The protocol's own pages (the sign-out confirmation, an error that
// cannot be sent back) share the hosted pages' one layout
// (internal/webpage).
var pageContents = map[string]string{
	"signin": `{{define "content"}}<h1>Sign in</h1>
<p>to continue to <strong>{{.AppName}}</strong></p>
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
<form method="post" action="{{.Action}}">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<input type="hidden" name="interaction" value="{{.Interaction}}">
<label for="identifier">Username or email</label>
<input id="identifier" name="identifier" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="254" value="{{.Identifier}}"{{if not .Identifier}} autofocus{{end}}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="256"{{if .Identifier}} autofocus{{end}}>
<button type="submit">Sign in</button>
</form>{{end}}`,
	"error": `{{define "content"}}<h1>{{.Heading}}</h1>
<p class="error" role="alert">{{.Error}}</p>
<p>Return to the application and try again.</p>{{end}}`,
	"logout": `{{define "content"}}<h1>Sign out</h1>
<p>Do you want to sign out{{if .AppName}} of <strong>{{.AppName}}</strong>{{end}}?</p>
<form method="post" action="{{.Action}}">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<input type="hidden" name="request" value="{{.Request}}">
<button type="submit">Sign out</button>
</form>{{end}}`,
	"signedout": `{{define "content"}}<h1>Signed out</h1>
<p>You have been signed out. You can close this window.</p>{{end}}`,
}

// pageData is what a page shows. Every value is escaped by html/template.
type pageData struct {
	webpage.Frame
	Heading, AppName, Error           string
	Action, CSRF, Request, Identifier string
	Interaction                       string // the sign-in interaction's id
}

type pages struct{ t map[string]*template.Template }

func newPages() *pages {
	ps := &pages{t: make(map[string]*template.Template, len(pageContents))}
	for name, content := range pageContents {
		ps.t[name] = webpage.Parse(content)
	}
	return ps
}

// render writes a page with the hosted pages' headers.
func (ps *pages) render(w http.ResponseWriter, status int, name string, d pageData) {
	if d.Lang == "" {
		d.Lang = "en"
	}
	webpage.Render(w, status, ps.t[name], d.Frame, d)
}

// errorPage answers a request that cannot be sent back to the client (an
// unknown client or redirect URI): no redirect, only a page.
func (p *Provider) errorPage(w http.ResponseWriter, status int, msg string) {
	p.u.pages.render(w, status, "error", pageData{Frame: webpage.Frame{Title: "Sign-in error"}, Heading: "Something went wrong", Error: msg})
}
