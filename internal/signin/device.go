package signin

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/monban/monban/internal/interaction"
	"github.com/monban/monban/internal/store"
)

// DevicePath is the device verification page (RFC 8628 §3.3): a person
// types the user code a device shows (or arrives with it in user_code),
// signs in at the pages if this browser is not signed in, and allows or
// denies the device.
const DevicePath = "/device"

// Devices is what the device verification page needs of the protocol core
// (oidc.Provider implements it). Refusals of a user code are
// interaction's ErrUserCode, ErrUserCodeLimited, ErrExpired and ErrUsed.
type Devices interface {
	// Device returns the application name of the pending device request
	// of a typed user code; a wrong code counts against the address.
	Device(r *http.Request, userCode string) (appName string, err error)
	// BeginDevice starts a sign-in interaction for the device request of
	// userCode; when it is done, the protocol core starts the session and
	// sends the browser back to this page.
	BeginDevice(w http.ResponseWriter, r *http.Request, userCode string) (*interaction.Interaction, error)
	// DeviceUser names the person signed in in this browser.
	DeviceUser(r *http.Request) (name string, ok bool)
	// DecideDevice allows or denies the device request of userCode for
	// the signed-in person (interaction.ErrSignInRequired without one).
	DecideDevice(r *http.Request, userCode string, allow bool) error
}

// devicePage is what the device screens show besides the common page.
type devicePage struct {
	Action   string // where the code form posts
	UserCode string // as typed or given
	User     string // who is signed in
	Allowed  bool   // the done screen's decision
}

var deviceScreens = map[string]string{
	// device: the user code.
	"device": `{{define "content"}}<h1>{{.T "device_title"}}</h1>
<p>{{.T "device_hint"}}</p>
{{template "alert" .}}
<form method="post" action="{{.Device.Action}}">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<label for="user_code">{{.T "user_code"}}</label>
<input id="user_code" name="user_code" autocomplete="off" autocapitalize="characters" spellcheck="false" required maxlength="32" placeholder="XXXX-XXXX"{{if .Device.UserCode}} value="{{.Device.UserCode}}"{{end}}{{if .Error}} aria-invalid="true" aria-describedby="form-error"{{end}} autofocus>
<button type="submit">{{.T "continue"}}</button>
</form>{{end}}`,

	// device_confirm: allow or deny the device.
	"device_confirm": `{{define "content"}}<h1>{{.T "device_confirm_title"}}</h1>
<p>{{.T "device_confirm" .AppName}}</p>
<p>{{.T "device_code_is" .Device.UserCode}}</p>
<p class="hint">{{.T "signed_in_as" .Device.User}}</p>
{{template "alert" .}}
<form method="post" action="{{.Device.Action}}/decide">
<input type="hidden" name="csrf" value="{{.CSRF}}"><input type="hidden" name="user_code" value="{{.Device.UserCode}}">
<button type="submit" name="decision" value="allow" autofocus>{{.T "allow"}}</button>
<button type="submit" name="decision" value="deny" class="link">{{.T "deny"}}</button>
</form>{{end}}`,

	// device_done: what was decided.
	"device_done": `{{define "content"}}{{if .Device.Allowed}}<h1>{{.T "device_allowed_title"}}</h1>
<p role="status">{{.T "device_allowed" .AppName}}</p>{{else}}<h1>{{.T "device_denied_title"}}</h1>
<p role="status">{{.T "device_denied"}}</p>{{end}}{{end}}`,
}

var deviceMessages = map[string]map[string]string{
	"en": {
		"device_title":          "Connect a device",
		"device_hint":           "Enter the code shown on your device.",
		"user_code":             "Code",
		"device_confirm_title":  "Allow access?",
		"device_confirm":        "Allow %s on your device?",
		"device_code_is":        "Make sure your device shows the code %s.",
		"signed_in_as":          "Signed in as %s",
		"allow":                 "Allow",
		"deny":                  "Deny",
		"device_allowed_title":  "Device connected",
		"device_allowed":        "%s is allowed. You can return to your device.",
		"device_denied_title":   "Access denied",
		"device_denied":         "The device was not given access. You can close this window.",
		"err_user_code":         "That code is not valid. Check the code on your device and try again.",
		"err_user_code_limited": "Too many wrong codes. Please wait a while and try again.",
		"err_device_expired":    "The code has expired. Start again on your device.",
		"err_device_used":       "This code was already used.",
	},
	"ja": {
		"device_title":          "デバイスを接続",
		"device_hint":           "デバイスに表示されているコードを入力してください。",
		"user_code":             "コード",
		"device_confirm_title":  "アクセスを許可しますか？",
		"device_confirm":        "デバイスで %s を許可しますか？",
		"device_code_is":        "デバイスにコード %s が表示されていることを確認してください。",
		"signed_in_as":          "%s としてサインイン中",
		"allow":                 "許可",
		"deny":                  "拒否",
		"device_allowed_title":  "デバイスを接続しました",
		"device_allowed":        "%s を許可しました。デバイスに戻ってください。",
		"device_denied_title":   "アクセスを拒否しました",
		"device_denied":         "デバイスにアクセスは許可されませんでした。このウィンドウを閉じてかまいません。",
		"err_user_code":         "コードが正しくありません。デバイスのコードを確認して、もう一度お試しください。",
		"err_user_code_limited": "誤ったコードが多すぎます。しばらく待ってからもう一度お試しください。",
		"err_device_expired":    "コードの有効期限が切れました。デバイスでもう一度始めてください。",
		"err_device_used":       "このコードはすでに使われています。",
	},
}

func init() {
	for name, content := range deviceScreens {
		screens[name] = content
	}
	for lang, m := range deviceMessages {
		for k, v := range m {
			messages[lang][k] = v
		}
	}
}

// registerDevice mounts the device verification page, when the pages
// have Devices.
func (s *Pages) registerDevice(mux *http.ServeMux) {
	if s.cfg.Devices == nil {
		return
	}
	mux.HandleFunc("GET "+DevicePath, s.serveDevice)
	mux.HandleFunc("POST "+DevicePath, s.serveDeviceCode)
	mux.HandleFunc(DevicePath, methodNotAllowed("GET, POST"))
	mux.HandleFunc("POST "+DevicePath+"/decide", s.serveDeviceDecide)
	mux.HandleFunc(DevicePath+"/decide", methodNotAllowed("POST"))
}

// deviceView is one request's device screen: its language, experience
// and CSRF token.
type deviceView struct {
	lang string
	exp  Experience
}

// devicePageOf is a device screen.
func (s *Pages) devicePageOf(w http.ResponseWriter, r *http.Request, v deviceView, title string) *page {
	p := s.basePage(v.lang, v.exp)
	p.Title = p.T(title)
	p.CSRF = s.cfg.Cookies.CSRF(w, r)
	p.Device.Action = s.cfg.Endpoint + DevicePath
	return p
}

// showDeviceCode shows the code screen with code and, when errKey is not
// "", that error.
func (s *Pages) showDeviceCode(w http.ResponseWriter, r *http.Request, v deviceView, status int, code, errKey string) {
	p := s.devicePageOf(w, r, v, "device_title")
	p.Device.UserCode = code
	if errKey != "" {
		p.Error = p.T(errKey)
	}
	s.tpl.render(w, status, "device", p)
}

// showDeviceRefusal shows the code screen saying why err refused code.
func (s *Pages) showDeviceRefusal(w http.ResponseWriter, r *http.Request, v deviceView, code string, err error) {
	switch {
	case errors.Is(err, interaction.ErrUserCode):
		s.showDeviceCode(w, r, v, http.StatusBadRequest, code, "err_user_code")
	case errors.Is(err, interaction.ErrUserCodeLimited):
		w.Header().Set("Retry-After", "60")
		s.showDeviceCode(w, r, v, http.StatusTooManyRequests, code, "err_user_code_limited")
	case errors.Is(err, interaction.ErrExpired):
		s.showDeviceCode(w, r, v, http.StatusBadRequest, "", "err_device_expired")
	case errors.Is(err, interaction.ErrUsed):
		s.showDeviceCode(w, r, v, http.StatusBadRequest, "", "err_device_used")
	default:
		if !errors.Is(err, store.ErrUnavailable) {
			s.cfg.Logger.Error("reading a device request failed", "err", err)
		}
		w.Header().Set("Retry-After", "5")
		s.showDeviceCode(w, r, v, http.StatusServiceUnavailable, code, "err_busy")
	}
}

// showDeviceConfirm asks the signed-in person user to allow appName.
func (s *Pages) showDeviceConfirm(w http.ResponseWriter, r *http.Request, v deviceView, code, appName, user string) {
	p := s.devicePageOf(w, r, v, "device_confirm_title")
	p.AppName, p.Device.UserCode, p.Device.User = appName, code, user
	s.tpl.render(w, http.StatusOK, "device_confirm", p)
}

// serveDevice shows the code screen, or, with a user_code of a pending
// request and a signed-in browser, the confirmation.
func (s *Pages) serveDevice(w http.ResponseWriter, r *http.Request) {
	params, err := url.ParseQuery(r.URL.RawQuery)
	exp := s.experience(r.Context())
	v := deviceView{lang: exp.chooseLanguage(params.Get("ui_locales"), r), exp: exp}
	if err != nil || len(params["user_code"]) > 1 {
		s.errorPage(w, v.lang, exp, http.StatusBadRequest, "err_malformed")
		return
	}
	code := params.Get("user_code")
	user, signedIn := s.cfg.Devices.DeviceUser(r)
	if code == "" || !signedIn {
		s.showDeviceCode(w, r, v, http.StatusOK, code, "")
		return
	}
	app, err := s.cfg.Devices.Device(r, code)
	if err != nil {
		s.showDeviceRefusal(w, r, v, code, err)
		return
	}
	s.showDeviceConfirm(w, r, v, code, app, user)
}

// deviceForm reads a posted device form: bounded, each field at most
// once, its CSRF token good. On failure it has answered and returns nil.
func (s *Pages) deviceForm(w http.ResponseWriter, r *http.Request, fields ...string) (url.Values, deviceView) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	exp := s.experience(r.Context())
	v := deviceView{lang: exp.chooseLanguage(r.URL.Query().Get("ui_locales"), r), exp: exp}
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, v.lang, exp, http.StatusBadRequest, "err_malformed")
		return nil, v
	}
	f := r.PostForm
	for _, name := range append([]string{"csrf", "user_code"}, fields...) {
		if len(f[name]) > 1 {
			s.errorPage(w, v.lang, exp, http.StatusBadRequest, "err_malformed")
			return nil, v
		}
	}
	if !s.cfg.Cookies.CheckCSRF(r, f.Get("csrf")) {
		s.showDeviceCode(w, r, v, http.StatusForbidden, f.Get("user_code"), "err_expired_form")
		return nil, v
	}
	return f, v
}

// serveDeviceCode takes a typed user code: a signed-in browser is asked
// to allow the device, any other signs in first.
func (s *Pages) serveDeviceCode(w http.ResponseWriter, r *http.Request) {
	f, v := s.deviceForm(w, r)
	if f == nil {
		return
	}
	code := f.Get("user_code")
	if user, ok := s.cfg.Devices.DeviceUser(r); ok {
		app, err := s.cfg.Devices.Device(r, code)
		if err != nil {
			s.showDeviceRefusal(w, r, v, code, err)
			return
		}
		s.showDeviceConfirm(w, r, v, code, app, user)
		return
	}
	s.signInForDevice(w, r, v, code)
}

// signInForDevice starts a sign-in for the device request of code and
// sends the browser to it.
func (s *Pages) signInForDevice(w http.ResponseWriter, r *http.Request, v deviceView, code string) {
	it, err := s.cfg.Devices.BeginDevice(w, r, code)
	if err != nil {
		s.showDeviceRefusal(w, r, v, code, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, s.cfg.Endpoint+Path+"?"+url.Values{"interaction": {it.ID}}.Encode(), http.StatusSeeOther)
}

// serveDeviceDecide allows or denies the device.
func (s *Pages) serveDeviceDecide(w http.ResponseWriter, r *http.Request) {
	f, v := s.deviceForm(w, r, "decision")
	if f == nil {
		return
	}
	code, decision := f.Get("user_code"), f.Get("decision")
	if decision != "allow" && decision != "deny" {
		s.errorPage(w, v.lang, v.exp, http.StatusBadRequest, "err_malformed")
		return
	}
	// The name is read before the decision, which spends the code.
	app, err := s.cfg.Devices.Device(r, code)
	if err == nil {
		err = s.cfg.Devices.DecideDevice(r, code, decision == "allow")
	}
	switch {
	case errors.Is(err, interaction.ErrSignInRequired):
		s.signInForDevice(w, r, v, code)
		return
	case err != nil:
		s.showDeviceRefusal(w, r, v, code, err)
		return
	}
	p := s.devicePageOf(w, r, v, "device_allowed_title")
	if decision != "allow" {
		p.Title = p.T("device_denied_title")
	}
	p.AppName, p.Device.Allowed = app, decision == "allow"
	s.tpl.render(w, http.StatusOK, "device_done", p)
}
