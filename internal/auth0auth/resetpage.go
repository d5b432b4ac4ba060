package auth0auth

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/password"
	"github.com/monban/monban/internal/pwticket"
	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
)

// TicketRedeemer is what the reset page needs of tickets (a
// *pwticket.Service).
type TicketRedeemer interface {
	Resetter
	Look(ctx context.Context, secret string) (store.PasswordTicket, store.User, error)
	Redeem(ctx context.Context, secret, pw string) (store.PasswordTicket, store.User, error)
}

// maxResetForm bounds the reset form's body.
const maxResetForm = 16 << 10

// resetMessages are the page's words, in English and Japanese.
var resetMessages = map[string]map[string]string{
	"en": {
		"title": "Change your password", "intro": "Choose a new password for", "new": "New password", "confirm": "Confirm new password",
		"submit": "Change password", "mismatch": "The two passwords do not match.", "invalid_title": "This link cannot be used",
		"invalid": "The link is invalid, has expired or was already used. Ask for a new one.", "done_title": "Password changed",
		"done": "Your password has been changed. You can now sign in with the new password.", "weak": "The password was not accepted:",
		"expired_form": "The form has expired. Please try again.", "busy": "Something went wrong. Please try again.",
	},
	"ja": {
		"title": "パスワードの変更", "intro": "新しいパスワードを設定してください:", "new": "新しいパスワード", "confirm": "新しいパスワード（確認）",
		"submit": "パスワードを変更", "mismatch": "2つのパスワードが一致しません。", "invalid_title": "このリンクは使用できません",
		"invalid": "リンクが無効か、有効期限が切れているか、すでに使用されています。もう一度リセットを依頼してください。", "done_title": "パスワードを変更しました",
		"done": "パスワードを変更しました。新しいパスワードでサインインできます。", "weak": "このパスワードは使用できません:",
		"expired_form": "フォームの有効期限が切れました。もう一度お試しください。", "busy": "問題が発生しました。もう一度お試しください。",
	},
}

// resetTemplate is the page: a plain form that works without JavaScript,
// its error tied to the fields and focused.
var resetTemplate = template.Must(template.New("reset").Parse(`<!doctype html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.Heading}}</title>
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
<body><main>
<h1>{{.Heading}}</h1>
{{if .Form}}<p>{{.M.intro}} <strong>{{.Email}}</strong></p>
{{if .Error}}<div class="error" role="alert" id="reset-error"><p>{{.Error}}</p>{{if .Issues}}<ul>{{range .Issues}}<li>{{.}}</li>{{end}}</ul>{{end}}</div>{{end}}
<form method="post" action="{{.Action}}">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<input type="hidden" name="ticket" value="{{.Ticket}}">
<input type="hidden" name="lang" value="{{.Lang}}">
<label for="password">{{.M.new}}</label>
<input id="password" name="password" type="password" autocomplete="new-password" required maxlength="256" autofocus{{if .Error}} aria-invalid="true" aria-describedby="reset-error"{{end}}>
<label for="password_confirm">{{.M.confirm}}</label>
<input id="password_confirm" name="password_confirm" type="password" autocomplete="new-password" required maxlength="256"{{if .Error}} aria-describedby="reset-error"{{end}}>
<button type="submit">{{.M.submit}}</button>
</form>{{else}}<p{{if .Error}} class="error" role="alert"{{end}}>{{if .Error}}{{.Error}}{{else}}{{.Message}}{{end}}</p>{{end}}
</main></body>
</html>
`))

// resetPage is what the page shows.
type resetPage struct {
	Lang, Heading, Email, Error, Message string
	Issues                               []string // the password policy's, listed
	Form                                 bool
	Action, CSRF, Ticket                 string
	M                                    map[string]string
}

// serveResetPage shows the form of a live ticket, or says the link
// cannot be used.
func (h *Handler) serveResetPage(w http.ResponseWriter, r *http.Request) {
	lang := pageLanguage(r, r.URL.Query().Get("ui_locales"))
	secret := r.URL.Query().Get("ticket")
	_, u, err := h.cfg.Tickets.Look(r.Context(), secret)
	if err != nil {
		h.resetFailure(w, lang, err)
		return
	}
	h.renderResetForm(w, r, http.StatusOK, lang, secret, u.PrimaryEmail, "")
}

// serveReset sets the new password from the form.
func (h *Handler) serveReset(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxResetForm)
	if err := r.ParseForm(); err != nil {
		h.renderReset(w, http.StatusBadRequest, resetPage{Lang: "en", Heading: resetMessages["en"]["invalid_title"], Error: resetMessages["en"]["busy"]})
		return
	}
	lang := pageLanguage(r, r.PostForm.Get("lang"))
	m := resetMessages[lang]
	secret, pw := r.PostForm.Get("ticket"), r.PostForm.Get("password")
	_, u, err := h.cfg.Tickets.Look(r.Context(), secret)
	if err != nil {
		h.resetFailure(w, lang, err)
		return
	}
	switch {
	case !h.checkResetCSRF(r, secret, r.PostForm.Get("csrf")):
		h.renderResetForm(w, r, http.StatusForbidden, lang, secret, u.PrimaryEmail, m["expired_form"])
		return
	case pw != r.PostForm.Get("password_confirm"):
		h.renderResetForm(w, r, http.StatusBadRequest, lang, secret, u.PrimaryEmail, m["mismatch"])
		return
	}
	t, u, err := h.cfg.Tickets.Redeem(r.Context(), secret, pw)
	var de *directory.Error
	switch {
	case errors.As(err, &de):
		h.renderResetForm(w, r, http.StatusBadRequest, lang, secret, u.PrimaryEmail, m["weak"], issueTexts(lang, de)...)
		return
	case err != nil:
		h.resetFailure(w, lang, err)
		return
	}
	if t.ResultURL != "" {
		http.Redirect(w, r, resultURL(t, u), http.StatusSeeOther)
		return
	}
	h.renderReset(w, http.StatusOK, resetPage{Lang: lang, Heading: m["done_title"], Message: m["done"], M: m})
}

// issueTexts lists what a refused password lacks, in the page's language.
func issueTexts(lang string, de *directory.Error) []string {
	if len(de.Issues) == 0 {
		return []string{de.Message}
	}
	out := make([]string, 0, len(de.Issues))
	for _, is := range de.Issues {
		if t, ok := issuesJA[is.Code]; ok && lang == "ja" {
			if min, ok := is.Values["min"]; ok {
				t = strings.ReplaceAll(t, "{min}", fmt.Sprint(min))
			}
			if max, ok := is.Values["max"]; ok {
				t = strings.ReplaceAll(t, "{max}", fmt.Sprint(max))
			}
			out = append(out, t)
			continue
		}
		out = append(out, directory.DescribeIssues([]password.Issue{is}))
	}
	return out
}

// issuesJA are the password policy's issues in Japanese.
var issuesJA = map[string]string{
	password.IssueTooShort:       "{min}文字以上にしてください",
	password.IssueTooLong:        "{max}文字以下にしてください",
	password.IssueCharacterTypes: "英小文字・英大文字・数字・記号のうち{min}種類以上を含めてください",
	password.IssueUnsupported:    "使用できるのは英字、数字、記号、スペースのみです",
	password.IssuePwned:          "よく使われているパスワードです",
	password.IssueRepetition:     "同じ文字の繰り返しが多すぎます",
	password.IssueSequence:       "123 や abc のような連続した文字が多すぎます",
	password.IssueUserInfo:       "名前、ユーザー名、メールアドレス、電話番号に近すぎます",
	password.IssueWords:          "禁止されている語を含んでいます",
}

// resultURL is where a ticket's user goes once the password is set, with
// Auth0's success and message (and the address when the ticket says so).
func resultURL(t store.PasswordTicket, u store.User) string {
	dst, err := url.Parse(t.ResultURL)
	if err != nil {
		return t.ResultURL
	}
	q := dst.Query()
	q.Set("success", "true")
	q.Set("message", "You can now login to the application with the new password.")
	if t.IncludeEmail && u.PrimaryEmail != "" {
		q.Set("email", u.PrimaryEmail)
	}
	dst.RawQuery = q.Encode()
	return dst.String()
}

func (h *Handler) resetFailure(w http.ResponseWriter, lang string, err error) {
	m := resetMessages[lang]
	if errors.Is(err, pwticket.ErrInvalid) {
		h.renderReset(w, http.StatusNotFound, resetPage{Lang: lang, Heading: m["invalid_title"], Error: m["invalid"], M: m})
		return
	}
	h.cfg.Logger.Error("the password reset page failed", "err", err)
	h.renderReset(w, http.StatusServiceUnavailable, resetPage{Lang: lang, Heading: m["title"], Error: m["busy"], M: m})
}

func (h *Handler) renderResetForm(w http.ResponseWriter, r *http.Request, status int, lang, secret, email, msg string, issues ...string) {
	m := resetMessages[lang]
	h.renderReset(w, status, resetPage{Lang: lang, Heading: m["title"], Email: email, Error: msg, Issues: issues, Form: true,
		Action: h.cfg.Endpoint + pwticket.Path, CSRF: h.resetCSRF(w, r, secret), Ticket: secret, M: m})
}

func (h *Handler) renderReset(w http.ResponseWriter, status int, p resetPage) {
	if p.M == nil {
		p.M = resetMessages[p.Lang]
	}
	var buf bytes.Buffer
	if err := resetTemplate.Execute(&buf, p); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Length", strconv.Itoa(buf.Len()))
	hd.Set("Cache-Control", "no-store")
	hd.Set("Pragma", "no-cache")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// resetCookie names the page's anti-forgery cookie; __Host- on https.
func (h *Handler) resetCookie() string {
	if strings.HasPrefix(h.cfg.Endpoint, "https://") {
		return "__Host-monban_reset"
	}
	return "monban_reset"
}

// resetCSRF returns the form token for the browser's cookie (set anew if
// missing): an HMAC of the cookie and the ticket, so a form is good for
// its own ticket in its own browser only.
func (h *Handler) resetCSRF(w http.ResponseWriter, r *http.Request, secret string) string {
	c, err := r.Cookie(h.resetCookie())
	value := ""
	if err == nil && len(c.Value) >= 32 && len(c.Value) <= 64 {
		value = c.Value
	} else {
		value = randid.Secret(32)
		http.SetCookie(w, &http.Cookie{Name: h.resetCookie(), Value: value, Path: "/", HttpOnly: true,
			Secure: strings.HasPrefix(h.cfg.Endpoint, "https://"), SameSite: http.SameSiteStrictMode})
	}
	return h.resetToken(value, secret)
}

func (h *Handler) resetToken(cookie, secret string) string {
	m := hmac.New(sha256.New, h.cfg.CSRFKey)
	m.Write([]byte("monban-reset\x00" + cookie + "\x00" + secret))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkResetCSRF reports whether the form came from this page in this
// browser: its token matches the cookie, and its Origin, if sent, is the
// endpoint's.
func (h *Handler) checkResetCSRF(r *http.Request, secret, token string) bool {
	if o := r.Header.Get("Origin"); o != "" && o != originOf(h.cfg.Endpoint) {
		return false
	}
	c, err := r.Cookie(h.resetCookie())
	if err != nil || len(h.cfg.CSRFKey) == 0 {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(token), []byte(h.resetToken(c.Value, secret))) == 1
}

// originOf is the origin of a URL.
func originOf(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return p.Scheme + "://" + p.Host
}

// pageLanguage is the page's language: ui_locales (or the form's), then
// Accept-Language; "ja" or "en".
func pageLanguage(r *http.Request, asked string) string {
	for _, l := range strings.Fields(asked) {
		if l = strings.ToLower(l); l == "ja" || strings.HasPrefix(l, "ja-") {
			return "ja"
		}
		if l == "en" || strings.HasPrefix(l, "en-") {
			return "en"
		}
	}
	return requestLanguage(r)
}
