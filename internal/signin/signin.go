// Package signin is the hosted sign-in pages: a face of their own over the
// interaction engine (internal/interaction). A browser sent by an
// authorization endpoint to /sign-in?interaction=ID signs in by password
// or by a one-time code, signs up (username and password, or a verified
// e-mail address or phone number), or resets a forgotten password; when
// the interaction is done, the pages hand it to the Authorization (the
// protocol core), which starts the session and resumes the request.
//
// The pages are server-rendered forms in English and Japanese, need no
// JavaScript, and are CSRF-protected (internal/browser).
package signin

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/monban/monban/internal/audit"
	"github.com/monban/monban/internal/browser"
	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/experience"
	"github.com/monban/monban/internal/interaction"
	"github.com/monban/monban/internal/mfa"
	"github.com/monban/monban/internal/pwticket"
	"github.com/monban/monban/internal/sso"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/verifycode"
	"github.com/monban/monban/internal/webpage"
)

// Path is where the pages are mounted; each form posts below it.
const Path = "/sign-in"

// maxBodyBytes bounds a form.
const maxBodyBytes = 16 << 10

// Authorization is what the pages need of the authorization endpoint;
// the protocol core (oidc.Provider) implements it, and the pages know
// nothing else of it.
type Authorization interface {
	// Begin checks the authorization request params (a link to the pages
	// carrying one) and starts an interaction for it; on failure it has
	// answered and returns nil.
	Begin(w http.ResponseWriter, r *http.Request, params url.Values) *interaction.Interaction
	// Check checks it's stored request again and returns the
	// application's name; false when it no longer holds (answered).
	Check(w http.ResponseWriter, r *http.Request, it *interaction.Interaction) (appName string, ok bool)
	// Complete starts the session of user for the done (saved)
	// interaction it, resumes its request and consumes it; false when it
	// could not (answered).
	Complete(w http.ResponseWriter, r *http.Request, it *interaction.Interaction, user *store.User) bool
}

// Config configures the pages.
type Config struct {
	Endpoint      string // the public base URL; the pages are {Endpoint}/sign-in
	Store         store.Store
	Authorization Authorization
	// Accounts checks passwords under the sign-in back-off, shared with
	// the password grant.
	Accounts *interaction.Accounts
	// Directory makes the accounts of sign-ups and sets reset passwords.
	Directory *directory.Directory
	Cookies   *browser.Cookies
	// Experience reads the sign-in experience on every page; nil: the
	// defaults (DefaultExperience).
	Experience func(context.Context) (Experience, error)
	// App reads an application's own sign-in experience (Logto's
	// /api/applications/{id}/sign-in-experience), laid over Experience
	// on the pages of that application's sign-ins; nil: none.
	App func(ctx context.Context, appID string) (experience.AppSettings, bool, error)
	// Tickets are the password-change tickets whose link's page
	// (pwticket.Path) the pages serve; nil: that page is not mounted.
	Tickets Tickets
	// Devices serves the device verification page (DevicePath); nil:
	// none.
	Devices Devices
	// Codes sends and checks one-time codes; nil: no code methods.
	Codes *verifycode.Service
	// Social is the social connectors; nil: none.
	Social SocialConnectors
	// SSO is the enterprise SSO connectors; nil: none.
	SSO *sso.Service
	// Passkeys runs the WebAuthn ceremonies; nil: no passkeys.
	Passkeys Passkeys
	// MFA verifies and binds second factors; nil: no second factors
	// (whatever the experience says).
	MFA *mfa.Service
	// MFARemember is how long a browser may be remembered after a second
	// factor, so that it is not asked again there; 0: never.
	MFARemember time.Duration
	// Audit is told about every submitted interaction and verification
	// (Logto's Interaction.* keys); nil: none. It must not block.
	Audit func(context.Context, audit.Interaction)
	// ClientIP is the address a request came from (behind trusted
	// proxies, the forwarded one); nil: the peer.
	ClientIP func(*http.Request) string
	Logger   *slog.Logger
	Now      func() time.Time
}

// Pages serves the hosted sign-in pages.
type Pages struct {
	cfg          Config
	interactions *interaction.Manager
	tpl          templates
}

// New returns the pages of cfg.
func New(cfg Config) *Pages {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Endpoint = strings.TrimRight(cfg.Endpoint, "/")
	return &Pages{cfg: cfg, interactions: interaction.NewManager(cfg.Store, interaction.DefaultTTL, cfg.Now), tpl: parseTemplates()}
}

// Register mounts the pages on mux.
func (s *Pages) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+Path, s.serveScreen)
	mux.HandleFunc("POST "+Path, s.servePassword) // the form of the first release
	mux.HandleFunc("GET "+Path+"/mfa", s.serveMFA)
	mux.HandleFunc("POST "+Path+"/mfa", s.serveMFAVerify)
	mux.HandleFunc(Path+"/mfa", methodNotAllowed("GET, POST"))
	mux.HandleFunc("GET "+Path+"/mfa/enroll", s.serveMFAEnroll)
	mux.HandleFunc("POST "+Path+"/mfa/enroll", s.serveMFABind)
	mux.HandleFunc(Path+"/mfa/enroll", methodNotAllowed("GET, POST"))
	for path, h := range map[string]http.HandlerFunc{
		"/register":     s.serveRegister,
		"/code":         s.serveSendCode,
		"/code/verify":  s.serveVerifyCode,
		"/password/new": s.serveNewPassword,
		"/social":       s.serveSocial,
		"/link":         s.serveLink,
		"/passkey":      s.servePasskey,
	} {
		mux.HandleFunc("POST "+Path+path, h)
		mux.HandleFunc(Path+path, methodNotAllowed("POST"))
	}
	mux.HandleFunc("GET "+CallbackPath+"{connector}", s.serveCallback)
	mux.HandleFunc("POST "+CallbackPath+"{connector}", s.serveCallbackPost)
	s.registerSSO(mux)
	mux.HandleFunc("GET "+Path+"/webauthn.js", serveScript)
	mux.HandleFunc(Path, methodNotAllowed("GET, POST"))
	if s.cfg.Tickets != nil {
		mux.HandleFunc("GET "+pwticket.Path, s.serveResetPage)
		mux.HandleFunc("POST "+pwticket.Path, s.serveReset)
		mux.HandleFunc(pwticket.Path, methodNotAllowed("GET, POST"))
	}
	s.registerDevice(mux)
}

// IsPath reports whether path is one of the pages' (each may store or
// advance an interaction, or a user), for the per-address limit.
func IsPath(path string) bool {
	return path == Path || strings.HasPrefix(path, Path+"/") || path == DevicePath || strings.HasPrefix(path, DevicePath+"/")
}

func methodNotAllowed(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// view is one request's interaction and what its pages show.
type view struct {
	it      *interaction.Interaction
	app     string
	lang    string
	exp     Experience
	screens Screens
}

// experience reads the sign-in experience; a failure is logged and the
// defaults serve.
func (s *Pages) experience(ctx context.Context) Experience {
	if s.cfg.Experience == nil {
		return DefaultExperience()
	}
	exp, err := s.cfg.Experience(ctx)
	if err != nil {
		s.cfg.Logger.Warn("reading the sign-in experience failed; the defaults serve", "err", err)
		return DefaultExperience()
	}
	return exp
}

// open resumes interaction id for this browser and checks its request
// again; on failure it has answered and returns nil.
func (s *Pages) open(w http.ResponseWriter, r *http.Request, id string) *view {
	exp := s.experience(r.Context())
	it, err := s.interactions.Resume(r.Context(), id, s.cfg.Cookies.Value(r, browser.InteractionCookie))
	if err != nil {
		s.interactionError(w, r, exp, "reading a sign-in interaction failed", err)
		return nil
	}
	return s.viewOf(w, r, it, exp)
}

// viewOf checks the request of it again and describes its pages; nil
// when the request no longer holds (answered).
func (s *Pages) viewOf(w http.ResponseWriter, r *http.Request, it *interaction.Interaction, exp Experience) *view {
	app, ok := s.cfg.Authorization.Check(w, r, it)
	if !ok {
		return nil
	}
	if s.cfg.App != nil {
		a, found, err := s.cfg.App(r.Context(), it.Request.Get("client_id"))
		switch {
		case err != nil:
			s.cfg.Logger.Warn("reading an application's sign-in experience failed; the sign-in experience serves", "err", err)
		case found:
			exp = exp.withApp(a)
		}
	}
	lang := exp.chooseLanguage(it.Request.Get("ui_locales"), r)
	v := &view{it: it, app: app, lang: lang, exp: exp, screens: s.screensOf(exp)}
	if exp.SignIn || exp.SignUp {
		v.screens.Social = s.socialButtons(r.Context(), exp)
	}
	return v
}

// interactionError answers an interaction that cannot go on: a page that
// says why, or, when the store failed, that the service is busy.
func (s *Pages) interactionError(w http.ResponseWriter, r *http.Request, exp Experience, what string, err error) {
	lang := exp.chooseLanguage("", r)
	switch {
	case errors.Is(err, interaction.ErrUnknown):
		s.errorPage(w, lang, exp, http.StatusBadRequest, "err_unknown")
	case errors.Is(err, interaction.ErrExpired):
		s.errorPage(w, lang, exp, http.StatusBadRequest, "err_expired")
	case errors.Is(err, interaction.ErrUsed), errors.Is(err, interaction.ErrConflict):
		s.errorPage(w, lang, exp, http.StatusBadRequest, "err_used")
	default:
		if !errors.Is(err, store.ErrUnavailable) {
			s.cfg.Logger.Error(what, "err", err)
		}
		w.Header().Set("Retry-After", "5")
		s.errorPage(w, lang, exp, http.StatusServiceUnavailable, "err_busy")
	}
}

// errorPage answers with the error screen saying key.
func (s *Pages) errorPage(w http.ResponseWriter, lang string, exp Experience, status int, key string) {
	p := s.basePage(lang, exp)
	p.Error = p.T(key)
	p.Title = p.T("error_heading")
	s.tpl.render(w, status, "error", p)
}

// basePage is a page in lang with the experience's branding.
func (s *Pages) basePage(lang string, exp Experience) *page {
	c := words{lang: lang, m: messages[lang], custom: exp.Phrases[lang]}
	b := exp.Branding
	return &page{words: c, Action: s.cfg.Endpoint + Path,
		Frame: webpage.Frame{Lang: lang, BrandName: b.Name, Logo: safeURL(b.LogoURL), Primary: b.PrimaryColor,
			DarkPrimary: b.DarkPrimaryColor, DarkMode: b.DarkMode},
		Terms: safeURL(exp.TermsURL), Privacy: safeURL(exp.PrivacyURL)}
}

// safeURL is u when it is an absolute http(s) URL, else "".
func safeURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" || len(u) > 2048 {
		return ""
	}
	return u
}

// newPage is a screen of v's interaction for this browser.
func (s *Pages) newPage(w http.ResponseWriter, r *http.Request, v *view, title string) *page {
	p := s.basePage(v.lang, v.exp)
	p.Title, p.AppName = p.T(title), v.app
	p.CSRF, p.Interaction, p.Event = s.cfg.Cookies.CSRF(w, r), v.it.ID, string(v.it.Event)
	p.Exp = v.screens
	return p
}

// show renders screen of v with status; p, when not nil, is the page
// made so far (values, errors).
func (s *Pages) show(w http.ResponseWriter, r *http.Request, v *view, status int, screen string, fill func(p *page)) {
	p := s.newPage(w, r, v, screenTitles[screen])
	switch screen {
	case "code":
		p.SentTo, p.BackScreen = v.it.Identifier, backScreen(v.it.Event)
		p.CodeMinutes = s.codeMinutes(r.Context())
	case "password":
		p.Reset = v.it.Event == interaction.EventForgotPassword
	case "link":
		if _, rec, ok := v.it.LinkTarget(); ok {
			p.LinkEmail, _ = rec.UserInfo["email"].(string)
			p.LinkProvider = s.providerName(v, p, rec)
		}
	case "mfa", "mfa_enroll":
		p.MFA = s.mfaPageOf(r, v, screen)
	case "signin":
		if v.it.Step == interaction.StepPassword {
			p.Values = map[string]string{"identifier": v.it.Identifier}
		}
		s.passkeyForm(p, v)
	}
	if fill != nil {
		fill(p)
	}
	if screen == "mfa" {
		s.mfaPasskeyForm(r, v, p)
	}
	if p.MFA != nil && p.MFA.WebAuthn != nil {
		p.Script = p.Action + "/webauthn.js"
	}
	s.tpl.render(w, status, screen, p)
}

var screenTitles = map[string]string{"signin": "sign_in", "link": "link_heading", "register": "register", "code": "enter_code",
	"forgot": "forgot", "password": "set_password", "error": "error_heading",
	"mfa": "mfa_verify", "mfa_enroll": "mfa_enroll", "mfa_codes": "mfa_codes"}

// backScreen is the screen that asks again for the identifier of event.
func backScreen(e interaction.Event) string {
	switch e {
	case interaction.EventRegister:
		return "register"
	case interaction.EventForgotPassword:
		return "forgot"
	}
	return "signin"
}

// serveScreen shows the screen of the interaction named in the query: the
// one its step needs, or the one asked for (screen=signin, register or
// forgot), or for a new interaction the first screen its request asks
// for. A query holding an authorization request instead (a link to the
// page from before interactions) starts an interaction for it.
func (s *Pages) serveScreen(w http.ResponseWriter, r *http.Request) {
	params, err := url.ParseQuery(r.URL.RawQuery)
	exp := s.experience(r.Context())
	lang := exp.chooseLanguage(params.Get("ui_locales"), r)
	if err != nil || len(params["interaction"]) > 1 || len(params["screen"]) > 1 {
		s.errorPage(w, lang, exp, http.StatusBadRequest, "err_malformed")
		return
	}
	var v *view
	if _, ok := params["interaction"]; !ok {
		s.cfg.Cookies.CSRF(w, r) // the page's own cookie first, as it always was
		it := s.cfg.Authorization.Begin(w, r, params)
		if it == nil {
			return
		}
		v = s.viewOf(w, r, it, exp)
	} else {
		v = s.open(w, r, params.Get("interaction"))
	}
	if v == nil {
		return
	}
	if (v.it.Step == interaction.StepMFA || v.it.Step == interaction.StepMFAEnroll) && params.Get("screen") == "" {
		s.toStep(w, r, v)
		return
	}
	if v.it.Step == interaction.StepIdentify && params.Get("screen") == "" && s.connectionSSO(w, r, v) {
		return
	}
	screen, ok := s.screenOf(v, params.Get("screen"))
	if !ok {
		s.errorPage(w, v.lang, exp, http.StatusBadRequest, "err_malformed")
		return
	}
	var fill func(*page)
	if screen == "signin" && v.it.Step == interaction.StepIdentify {
		if hint := v.it.Request.Get("login_hint"); len(hint) <= interaction.MaxIdentifierLen {
			fill = func(p *page) { p.Values = map[string]string{"identifier": hint} }
		}
	}
	s.show(w, r, v, http.StatusOK, screen, fill)
}

// screenOf is the screen to show: asked ("" for the interaction's own),
// false for an unknown one.
func (s *Pages) screenOf(v *view, asked string) (string, bool) {
	switch asked {
	case "signin", "register", "forgot":
		return asked, true
	case "":
	default:
		return "", false
	}
	it := v.it
	switch {
	case it.Step == interaction.StepLink:
		return "link", true
	case it.Step == interaction.StepCode:
		return "code", true
	case it.Step == interaction.StepProfile && it.Event == interaction.EventForgotPassword:
		return "password", true
	case it.Step == interaction.StepProfile:
		return "password", true
	case it.Event == interaction.EventRegister:
		return "register", true
	case it.Event == interaction.EventForgotPassword:
		return "forgot", true
	case it.Step == interaction.StepIdentify && it.Attempts == 0:
		return FirstScreen(it.Request), true
	}
	return "signin", true
}

// FirstScreen is the screen an authorization request opens on: Logto's
// first_screen (register, reset_password, sign_in and their identifier:
// and camelCase spellings), then its interaction_mode=signUp, then
// Auth0's screen_hint=signup. The authorization endpoint has refused
// other values.
func FirstScreen(request url.Values) string {
	switch request.Get("first_screen") {
	case "register", "identifier:register", "identifierRegister":
		return "register"
	case "reset_password", "resetPassword":
		return "forgot"
	case "":
	default:
		return "signin"
	}
	if request.Get("interaction_mode") == "signUp" || request.Get("screen_hint") == "signup" {
		return "register"
	}
	return "signin"
}

// form reads a posted form of the pages: bounded, each field at most
// once, the interaction this browser's and its request still good. On
// failure it has answered and returns nil. A form whose CSRF token does
// not match is answered 403 with screen.
func (s *Pages) form(w http.ResponseWriter, r *http.Request, screen string, fields ...string) (url.Values, *view) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	exp := s.experience(r.Context())
	lang := exp.chooseLanguage("", r)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, lang, exp, http.StatusBadRequest, "err_malformed")
		return nil, nil
	}
	f := r.PostForm
	for _, name := range append([]string{"csrf", "interaction"}, fields...) {
		if len(f[name]) > 1 {
			s.errorPage(w, lang, exp, http.StatusBadRequest, "err_malformed")
			return nil, nil
		}
	}
	v := s.open(w, r, f.Get("interaction"))
	if v == nil {
		return nil, nil
	}
	if !s.cfg.Cookies.CheckCSRF(r, f.Get("csrf")) {
		s.show(w, r, v, http.StatusForbidden, screen, func(p *page) { p.Error = p.T("err_expired_form") })
		return nil, nil
	}
	return f, v
}

// save stores the interaction's progress; on failure it has answered and
// returns false.
func (s *Pages) save(w http.ResponseWriter, r *http.Request, v *view) bool {
	if err := s.interactions.Save(context.WithoutCancel(r.Context()), v.it); err != nil {
		s.interactionError(w, r, v.exp, "saving a sign-in interaction failed", err)
		return false
	}
	return true
}

// begin makes sure the interaction is of event at a step that allows
// action, starting it over as event when it is not (the person went from
// one screen to another).
func (s *Pages) begin(r *http.Request, it *interaction.Interaction, event interaction.Event, action interaction.Action) error {
	if it.Event == event || (it.Event == "" && event == interaction.EventSignIn) {
		if _, ok := interaction.Next(event, it.Step, action); ok {
			return nil
		}
	}
	if err := it.Choose(event); err != nil {
		return err
	}
	s.report(r, audit.Interaction{Key: audit.EventKey(string(event), "Update"), ClientID: it.ClientID})
	return nil
}

// clientIP is the address the request came from.
func (s *Pages) clientIP(r *http.Request) string {
	if s.cfg.ClientIP != nil {
		if ip := s.cfg.ClientIP(r); ip != "" {
			return ip
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// report tells Config.Audit about ev.
func (s *Pages) report(r *http.Request, ev audit.Interaction) {
	if s.cfg.Audit != nil {
		s.cfg.Audit(r.Context(), ev)
	}
}

// finish saves the done interaction (which claims it: another tab can no
// longer complete it), logs its submission and hands it to the
// authorization endpoint.
//
// Before that, the second-factor gate (mfaGate): an account that needs a
// second factor is sent to the MFA pages instead, and comes back here
// when it has given one.
func (s *Pages) finish(w http.ResponseWriter, r *http.Request, v *view, user *store.User) {
	if s.mfaGate(w, r, v, user) {
		return
	}
	if !s.save(w, r, v) {
		return
	}
	if !s.cfg.Authorization.Complete(w, r, v.it, user) {
		return
	}
	event := string(v.it.Event)
	keys := []string{audit.IdentifierKey(event)}
	if v.it.Event == interaction.EventRegister || v.it.Event == interaction.EventForgotPassword {
		keys = append(keys, audit.ProfileKey(event))
	}
	for _, key := range append(keys, audit.SubmitKey(event), audit.KeyEnd) {
		s.report(r, audit.Interaction{Key: key, ClientID: v.it.ClientID, UserID: user.ID, IdentifierType: v.it.IdentifierType})
	}
}

// chooseLanguage is the pages' language for a request with uiLocales:
// those first, then the browser's Accept-Language when the experience
// detects it, then the experience's default.
func (e Experience) chooseLanguage(uiLocales string, r *http.Request) string {
	accept := ""
	if e.AutoDetect {
		accept = r.Header.Get("Accept-Language")
	}
	return chooseLanguage(uiLocales, accept, e.Language)
}
