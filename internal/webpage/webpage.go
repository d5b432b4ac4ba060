// Package webpage is the one layout of every hosted page (the sign-in
// pages, the password reset link's page, the sign-out pages): plain
// server-rendered HTML that works without JavaScript, with the sign-in
// experience's branding, and the headers that keep a page out of caches
// and frames. A page's package supplies the "content" template (and may
// supply "footer"); the data embeds Frame.
package webpage

import (
	"bytes"
	"html/template"
	"net/http"
	"strconv"
)

// Layout is the frame around a page's "content" template. Its data must
// embed Frame. The "footer" template, empty unless the page defines it,
// ends the card.
const Layout = `<!doctype html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="{{if .NoReferrer}}no-referrer{{else}}same-origin{{end}}">
<title>{{.Title}}</title>
{{if .Script}}<script src="{{.Script}}" defer></script>{{end}}
<style>
:root{--primary:{{.PrimaryColor}};--bg:#f4f5f7;--card:#fff;--text:#1d2129;--muted:#5c6270;--border:#aab}
{{if .DarkMode}}@media (prefers-color-scheme: dark){:root{--primary:{{.DarkPrimaryColor}};--bg:#16181d;--card:#22252c;--text:#eef0f4;--muted:#a9afbb;--border:#555b66}}{{end}}
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
{{template "footer" .}}
</main></body>
</html>
{{define "footer"}}{{end}}`

// DefaultPrimary is the pages' color when the experience names none.
const DefaultPrimary = "#3b3bd6"

// Frame is what the layout shows around a page. Every value is escaped
// by html/template; Primary and DarkPrimary are used only when they are
// #rrggbb colors, Logo only when it is an absolute http(s) URL.
type Frame struct {
	Lang, Title          string
	BrandName, Logo      string
	Primary, DarkPrimary string
	DarkMode             bool
	// NoReferrer: the page's URL holds a secret (a reset link's ticket),
	// so no Referer is sent from it at all.
	NoReferrer bool
	// Script is the URL of the page's one script, a same-origin path;
	// "": the page runs none (its Content-Security-Policy allows none).
	Script string
	// DataImages: the page shows an inline data: image (a QR code).
	DataImages bool
}

// PrimaryColor is the page's color.
func (f Frame) PrimaryColor() string { return Color(f.Primary, DefaultPrimary) }

// DarkPrimaryColor is the page's color in dark mode.
func (f Frame) DarkPrimaryColor() string { return Color(f.DarkPrimary, f.PrimaryColor()) }

// Parse returns the layout with content, a template text that defines
// "content" (and may define "footer"), and the functions content calls.
func Parse(content string, funcs ...template.FuncMap) *template.Template {
	t := template.New("layout")
	for _, f := range funcs {
		t.Funcs(f)
	}
	t = template.Must(t.Parse(Layout))
	return template.Must(t.Parse(content))
}

// Render executes t with data, whose frame is f, and writes it with
// status and the pages' headers: no caching, no framing, and no scripts
// but the frame's own same-origin one.
func Render(w http.ResponseWriter, status int, t *template.Template, f Frame, data any) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	img, script, referrer := "", "", "same-origin"
	switch {
	case f.Logo != "" && f.DataImages:
		img = " img-src https: data:;"
	case f.Logo != "":
		img = " img-src https:;"
	case f.DataImages:
		img = " img-src data:;"
	}
	if f.Script != "" {
		script = " script-src 'self';"
	}
	if f.NoReferrer {
		referrer = "no-referrer"
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	if f.Lang != "" {
		h.Set("Content-Language", f.Lang)
	}
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", referrer)
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline';"+img+script+" frame-ancestors 'none'; base-uri 'none'")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// Color is c when it is a #rrggbb color, else def.
func Color(c, def string) string {
	if len(c) != 7 || c[0] != '#' {
		return def
	}
	for _, r := range c[1:] {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F') {
			return def
		}
	}
	return c
}
