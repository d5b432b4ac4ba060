package oidc

import (
	"bytes"
	"html/template"
	"net/http"
	"strconv"
)

// The hosted pages are plain server-rendered HTML forms: they work without
// JavaScript, and their Content-Security-Policy allows none.
const pageLayout = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1d2129;margin:0}
main{max-width:22rem;margin:10vh auto;background:#fff;padding:2rem;border-radius:.5rem;box-shadow:0 1px 3px rgba(0,0,0,.15)}
h1{font-size:1.4rem;margin:0 0 .25rem}
p{margin:.25rem 0 1rem}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input{width:100%;box-sizing:border-box;padding:.6rem;border:1px solid #aab;border-radius:.3rem;font-size:1rem}
button{margin-top:1.25rem;width:100%;padding:.7rem;border:0;border-radius:.3rem;background:#3b3bd6;color:#fff;font-size:1rem;cursor:pointer}
.error{background:#fdecea;color:#8a1c12;padding:.6rem;border-radius:.3rem}
</style>
</head>
<body><main>{{template "content" .}}</main></body>
</html>
`

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
	Title, Heading, AppName, Error    string
	Action, CSRF, Request, Identifier string
	Interaction                       string // the sign-in interaction's id
}

type pages struct{ t map[string]*template.Template }

func newPages() *pages {
	ps := &pages{t: make(map[string]*template.Template, len(pageContents))}
	for name, content := range pageContents {
		t := template.Must(template.New("layout").Parse(pageLayout))
		ps.t[name] = template.Must(t.Parse(content))
	}
	return ps
}

// render writes a page with headers that keep it out of caches and frames
// and keep the request's query from other sites through the Referer.
func (ps *pages) render(w http.ResponseWriter, status int, name string, d pageData) {
	var buf bytes.Buffer
	if err := ps.t[name].Execute(&buf, d); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// errorPage answers a request that cannot be sent back to the client (an
// unknown client or redirect URI): no redirect, only a page.
func (p *Provider) errorPage(w http.ResponseWriter, status int, msg string) {
	p.u.pages.render(w, status, "error", pageData{Title: "Sign-in error", Heading: "Something went wrong", Error: msg})
}
