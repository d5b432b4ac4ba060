package oidc

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"github.com/monban/monban/internal/audit"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/monban/monban/internal/interaction"
	"github.com/monban/monban/internal/password"
	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/ratelimit"
	"github.com/monban/monban/internal/store"
)

// Messages of the sign-in page. A wrong password and an unknown account get
// the same words, so the page tells nothing about which accounts exist.
const (
	msgBadCredentials = "Incorrect username, email or password."
	msgLocked         = "Too many failed attempts. Please wait a while and try again."
	msgSuspended      = "This account is suspended."
	msgExpiredForm    = "The sign-in form has expired. Please try again."
	msgBusy           = "The service is busy. Please try again in a moment."
)

const maxIdentifierLen = 254

// cookieName is the name of a cookie of the hosted pages: __Host-
// prefixed over https.
func (p *Provider) cookieName(name string) string {
	if p.u.secure {
		return "__Host-" + name
	}
	return name
}

func (p *Provider) sessionCookieName() string { return p.cookieName("monban_session") }

func (p *Provider) csrfCookieName() string { return p.cookieName("monban_csrf") }

func (p *Provider) interactionCookieName() string { return p.cookieName("monban_interaction") }

// setCookie sets an HttpOnly, SameSite=Lax cookie on /, Secure over https.
// maxAge < 0 deletes it.
func (p *Provider) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: p.u.secure, SameSite: http.SameSiteLaxMode,
	})
}

// csrfToken is the form token for a CSRF cookie value: an HMAC of it, so
// a page from this server is the only place to learn it.
func (p *Provider) csrfToken(cookie string) string {
	m := hmac.New(sha256.New, p.u.CSRFKey)
	m.Write([]byte("monban-csrf\x00" + cookie))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// csrfCookie returns the browser's CSRF cookie value, setting a new one if
// it has none.
func (p *Provider) csrfCookie(w http.ResponseWriter, r *http.Request) string {
	return p.browserSecret(w, r, p.csrfCookieName())
}

// browserSecret returns the value of the browser's cookie name, a random
// secret of 43 characters, setting a new one (for the browser's session)
// if it has none or a malformed one.
func (p *Provider) browserSecret(w http.ResponseWriter, r *http.Request, name string) string {
	if c, err := r.Cookie(name); err == nil && len(c.Value) == 43 {
		return c.Value
	}
	v := randid.Secret(32)
	p.setCookie(w, name, v, 0)
	return v
}

// checkCSRF reports whether a form came from a page of this server: its
// token matches the CSRF cookie, and its Origin, if sent, is the endpoint's
// ("null", which privacy settings may send, proves nothing either way).
func (p *Provider) checkCSRF(r *http.Request, token string) bool {
	if o := r.Header.Get("Origin"); o != "" && o != "null" && !strings.EqualFold(o, originOf(p.u.Endpoint)) {
		return false
	}
	c, err := r.Cookie(p.csrfCookieName())
	if err != nil || len(c.Value) != 43 || token == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(token), []byte(p.csrfToken(c.Value))) == 1
}

func originOf(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// clientIP is the address the request came from, as the server's
// configuration says (trusted proxies), else the peer's.
func (p *Provider) clientIP(r *http.Request) string {
	if p.u.ClientIP != nil {
		if ip := p.u.ClientIP(r); ip != "" {
			return ip
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// renderSignIn shows the sign-in form of interaction it, whose checked
// request is req. The form carries the interaction's id, never the
// request.
func (p *Provider) renderSignIn(w http.ResponseWriter, r *http.Request, status int, req *authRequest, it *interaction.Interaction, identifier, msg string) {
	p.renderSignInWith(w, p.csrfCookie(w, r), status, req, it, identifier, msg)
}

// renderSignInWith is renderSignIn for the browser's CSRF cookie value.
func (p *Provider) renderSignInWith(w http.ResponseWriter, cookie string, status int, req *authRequest, it *interaction.Interaction, identifier, msg string) {
	p.u.pages.render(w, status, "signin", pageData{
		Title: "Sign in to " + req.app.Name, AppName: req.app.Name, Error: msg,
		Action: p.u.Endpoint + "/sign-in", CSRF: p.csrfToken(cookie), Interaction: it.ID, Identifier: identifier,
	})
}

// serveSignInPage shows the sign-in form of the interaction named in the
// query. A query holding an authorization request instead (a link to the
// page from before interactions) starts one for it.
func (p *Provider) serveSignInPage(w http.ResponseWriter, r *http.Request) {
	params, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		p.errorPage(w, http.StatusBadRequest, "The request is malformed.")
		return
	}
	var (
		it     *interaction.Interaction
		req    *authRequest
		aerr   *authError
		cookie string
	)
	if id, ok := params["interaction"]; ok {
		if len(id) != 1 {
			p.errorPage(w, http.StatusBadRequest, "The request is malformed.")
			return
		}
		if it = p.resumeInteraction(w, r, id[0]); it == nil {
			return
		}
		r = p.onFace(r, p.faceOf(it.Issuer))
		req, aerr = p.parseCheckedRequest(p.profile(r.Context()), it.Request)
	} else if req, aerr = p.parseAuthRequest(&p.face, params); aerr == nil {
		cookie = p.csrfCookie(w, r) // the page's own cookie first, as it always was
		if it = p.startInteraction(w, r, req); it == nil {
			return
		}
	}
	if aerr != nil {
		p.failAuth(w, r, req, aerr)
		return
	}
	if cookie == "" {
		cookie = p.csrfCookie(w, r)
	}
	hint := req.loginHint
	if len(hint) > maxIdentifierLen {
		hint = ""
	}
	p.renderSignInWith(w, cookie, http.StatusOK, req, it, hint, "")
}

// serveSignIn checks the form: the interaction it names (this browser's,
// unexpired, not done), its request again, the CSRF token, then the
// credentials, with the back-off. The identifier and password steps
// advance the interaction; at done it starts a session, resumes the
// authorization request and consumes the interaction.
func (p *Provider) serveSignIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	if err := r.ParseForm(); err != nil {
		p.errorPage(w, http.StatusBadRequest, "The form is malformed.")
		return
	}
	f := r.PostForm
	for _, name := range []string{"csrf", "interaction", "identifier", "password"} {
		if len(f[name]) > 1 {
			p.errorPage(w, http.StatusBadRequest, "The form is malformed.")
			return
		}
	}
	it := p.resumeInteraction(w, r, f.Get("interaction"))
	if it == nil {
		return
	}
	// The sign-in goes on as the face that started it: its checks, its
	// iss in the redirect, its code.
	r = p.onFace(r, p.faceOf(it.Issuer))
	req, aerr := p.parseCheckedRequest(p.profile(r.Context()), it.Request)
	if aerr != nil {
		p.failAuth(w, r, req, aerr)
		return
	}
	identifier := strings.TrimSpace(f.Get("identifier"))
	if !p.checkCSRF(r, f.Get("csrf")) {
		p.renderSignIn(w, r, http.StatusForbidden, req, it, "", msgExpiredForm)
		return
	}
	pw := f.Get("password")
	if identifier == "" || pw == "" || len(identifier) > maxIdentifierLen || len(pw) > password.MaxLen {
		p.renderSignIn(w, r, http.StatusUnauthorized, req, it, "", msgBadCredentials)
		return
	}
	user, rec, status := p.checkPassword(r, identifier, pw)
	if status != signInOK && status != signInBusy {
		p.reportSignIn(r, req.app.ID, user, rec, map[signInStatus]string{
			signInLocked: "locked", signInFailed: "invalid_credentials", signInSuspended: "suspended"}[status])
	}
	switch status {
	case signInLocked:
		w.Header().Set("Retry-After", "60")
		p.renderSignIn(w, r, http.StatusTooManyRequests, req, it, identifier, msgLocked)
		return
	case signInBusy:
		w.Header().Set("Retry-After", "5")
		p.renderSignIn(w, r, http.StatusServiceUnavailable, req, it, identifier, msgBusy)
		return
	case signInFailed:
		p.recordFailure(r, it, identifier)
		p.renderSignIn(w, r, http.StatusUnauthorized, req, it, identifier, msgBadCredentials)
		return
	case signInSuspended:
		p.renderSignIn(w, r, http.StatusForbidden, req, it, identifier, msgSuspended)
		return
	}
	if !p.completeInteraction(w, r, it, identifier, user) {
		return
	}
	defer p.consumeInteraction(r, it)
	sess, ok := p.startSession(w, r, user, rec, req.app.ID)
	if !ok {
		p.failAuth(w, r, req, redirectError("server_error", "could not complete the sign-in"))
		return
	}
	p.reportSignIn(r, req.app.ID, user, rec, "")
	p.issueCode(w, r, req, sess, user)
}

// reportSignIn tells Config.Interactions about a sign-in on the hosted
// page: refused with code failure, or succeeded when failure is "".
func (p *Provider) reportSignIn(r *http.Request, clientID string, user *store.User, rec store.SignInRecord, failure string) {
	if p.cfg.Interactions == nil {
		return
	}
	ev := audit.Interaction{Key: audit.KeySignIn, ClientID: clientID, Error: failure, IdentifierType: rec.IdentifierType}
	if user != nil {
		ev.UserID = user.ID
	}
	p.cfg.Interactions(r.Context(), ev)
}

type signInStatus int

const (
	signInOK signInStatus = iota
	signInFailed
	signInLocked
	signInSuspended
	signInBusy
)

// checkPassword checks an identifier (username or e-mail address) and
// password under the back-off. On a refusal the user is the account the
// identifier names, or nil, and is only for the audit log. An unknown identifier costs one argon2id
// check too, so the answer's timing does not tell either.
func (p *Provider) checkPassword(r *http.Request, identifier, pw string) (*store.User, store.SignInRecord, signInStatus) {
	ip := p.clientIP(r)
	rec := store.SignInRecord{VerificationID: randid.ID(), IdentifierType: "username", IdentifierValue: identifier}
	var (
		user store.User
		err  error
	)
	if strings.Contains(identifier, "@") {
		rec.IdentifierType = "email"
		user, err = p.u.Store.GetUserByEmail(r.Context(), identifier)
	} else {
		user, err = p.u.Store.GetUserByUsername(r.Context(), identifier)
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		p.cfg.Logger.Error("looking up a user failed", "err", err)
		return nil, rec, signInBusy
	}
	// The account is looked up before the back-off is asked, for known
	// and unknown identifiers alike, so that its username and e-mail
	// address share one count.
	accounts := ratelimit.AccountKeys(user.ID, identifier)
	known := &user // the account named, for the audit log of a refusal
	if user.ID == "" {
		known = nil
	}
	if p.u.throttle.Wait(r.Context(), accounts, ip) > 0 {
		return known, rec, signInLocked
	}
	ctx, cancel := context.WithTimeout(r.Context(), p.u.HashWait)
	defer cancel()
	ok, verr := p.u.Passwords.Verify(ctx, user.PasswordHash, pw) // "" for no user: a dummy check
	switch {
	case errors.Is(verr, password.ErrBusy):
		return nil, rec, signInBusy
	case verr != nil:
		p.cfg.Logger.Warn("a stored password hash is malformed", "user_id", user.ID)
		ok = false
	}
	if !ok {
		p.u.throttle.Fail(r.Context(), accounts, ip)
		return known, rec, signInFailed
	}
	p.u.throttle.Succeed(r.Context(), ratelimit.SuccessKeys(user.ID, user.Username, user.PrimaryEmail))
	p.rehash(ctx, &user, pw)
	if user.IsSuspended {
		return known, rec, signInSuspended
	}
	return &user, rec, signInOK
}

// rehash replaces the password hash of user, just checked against pw, by
// the server's argon2id when it is a digest imported from another system
// or its costs changed. A failure is logged: the sign-in goes on, and the
// next one tries again.
func (p *Provider) rehash(ctx context.Context, user *store.User, pw string) {
	hash, err := p.u.Passwords.Upgrade(ctx, user.PasswordHash, pw)
	if err == nil && hash != "" {
		err = p.u.Store.RehashUserPassword(context.WithoutCancel(ctx), user.ID, user.PasswordHash, hash)
	}
	switch {
	case err == nil && hash != "":
		user.PasswordHash = hash
	case err != nil && !errors.Is(err, store.ErrNotFound):
		p.cfg.Logger.Warn("re-hashing a password failed", "user_id", user.ID, "err", err)
	}
}

// startSession replaces the browser's session with a new one for user (a
// fresh id on every sign-in, against session fixation) and records the
// sign-in, for clientID, with its origin, which webhooks report as Logto's
// PostSignIn.
func (p *Provider) startSession(w http.ResponseWriter, r *http.Request, user *store.User, rec store.SignInRecord, clientID string) (*store.Session, bool) {
	ctx := context.WithoutCancel(r.Context())
	if c, err := r.Cookie(p.sessionCookieName()); err == nil && c.Value != "" && len(c.Value) <= 128 {
		if err := p.u.Store.DeleteSession(ctx, hashToken(c.Value)); err != nil && !errors.Is(err, store.ErrNotFound) {
			p.cfg.Logger.Warn("ending the previous session failed", "err", err)
		}
	}
	now := p.cfg.Now()
	value := randid.Secret(32)
	sess := store.Session{ID: hashToken(value), UserID: user.ID, AuthTime: now, SignIn: rec,
		CreatedAt: now, ExpiresAt: now.Add(p.u.SessionTTL)}
	if err := p.u.Store.CreateSession(ctx, sess); err != nil {
		p.cfg.Logger.Error("storing a session failed", "user_id", user.ID, "err", err)
		return nil, false
	}
	origin := store.EventOrigin{Method: r.Method, Path: r.URL.Path, Route: r.URL.Path, UserAgent: r.UserAgent(),
		SessionID: sess.ID, ApplicationID: clientID}
	if p.u.ClientIP != nil {
		origin.IP = p.u.ClientIP(r)
	}
	if err := p.u.Store.RecordSignIn(store.WithOrigin(ctx, origin), user.ID, now); err != nil {
		p.cfg.Logger.Warn("recording the sign-in time failed", "user_id", user.ID, "err", err)
	}
	p.setCookie(w, p.sessionCookieName(), value, int(p.u.SessionTTL/time.Second))
	return &sess, true
}
