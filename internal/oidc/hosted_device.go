package oidc

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/monban/monban/internal/browser"
	"github.com/monban/monban/internal/interaction"
	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/ratelimit"
	"github.com/monban/monban/internal/store"
)

// The device verification page (internal/signin, at DevicePath) takes a
// user code, signs the person in through an ordinary interaction whose
// request is the device's (Complete then starts the session and sends the
// browser back to the page instead of issuing a code), and asks them to
// allow or deny the device. The provider offers it Device, BeginDevice,
// DeviceUser and DecideDevice.

// deviceParam holds, in a device sign-in's interaction, the normalized
// user code of the device request it signs in for. An authorization
// request never holds it (the authorization endpoint takes no such
// parameter), so it marks a device sign-in.
const deviceParam = "device_user_code"

// userCodeBackoff is the back-off of wrong user codes, per address (RFC
// 8628 §5.1): after ten wrong codes within an hour, a minute's wait,
// doubling to an hour.
var userCodeBackoff = ratelimit.Backoff{Name: "device_user_code", Free: 10, Base: time.Minute, Max: time.Hour, Window: time.Hour}

// isDevice reports whether it is a device sign-in.
func isDevice(it *interaction.Interaction) bool { return it.Request.Has(deviceParam) }

// Device finds the device request of a user code typed at the page and
// returns the application's name. A wrong code counts against the
// request's address: interaction.ErrUserCode, and ErrUserCodeLimited once
// it has had too many; ErrExpired for an expired request, ErrUsed for one
// decided.
func (p *Provider) Device(r *http.Request, userCode string) (string, error) {
	_, app, err := p.deviceByCode(r, userCode, true)
	return app, err
}

// deviceByCode reads the pending device request of a typed user code, and
// its application's name; counted: under the back-off of wrong codes.
func (p *Provider) deviceByCode(r *http.Request, userCode string, counted bool) (*store.DeviceAuthorization, string, error) {
	ctx := r.Context()
	key := p.deviceClientKey(r)
	if counted && p.u.deviceFailures.Locked(ctx, userCodeBackoff, key) > 0 {
		return nil, "", interaction.ErrUserCodeLimited
	}
	wrong := func() (*store.DeviceAuthorization, string, error) {
		if counted {
			p.u.deviceFailures.Fail(ctx, userCodeBackoff, key)
		}
		return nil, "", interaction.ErrUserCode
	}
	code, ok := NormalizeUserCode(userCode)
	if !ok {
		return wrong()
	}
	d, err := p.u.Store.GetDeviceAuthorizationByUserCode(ctx, p.userCodeHash(code))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return wrong()
	case err != nil:
		return nil, "", err
	}
	app := p.cfg.Catalog.Load().Apps[d.ClientID]
	switch {
	case app == nil || !app.IsDeviceFlow:
		return wrong()
	case !p.cfg.Now().Before(d.ExpiresAt):
		return nil, "", interaction.ErrExpired
	case d.Status != store.DevicePending:
		return nil, "", interaction.ErrUsed
	}
	return &d, app.Name, nil
}

// deviceClientKey is the back-off key of a request's address.
func (p *Provider) deviceClientKey(r *http.Request) string {
	if p.u.ClientIP != nil {
		if ip := p.u.ClientIP(r); ip != "" {
			return ip
		}
	}
	return p.requestInfo(r, nil).IP
}

// BeginDevice starts a sign-in interaction for the device request of
// userCode, bound to this browser. On failure it returns the refusal of
// Device, or the store's error.
func (p *Provider) BeginDevice(w http.ResponseWriter, r *http.Request, userCode string) (*interaction.Interaction, error) {
	d, _, err := p.deviceByCode(r, userCode, true)
	if err != nil {
		return nil, err
	}
	code, _ := NormalizeUserCode(userCode)
	binding := p.u.cookies.Secret(w, r, browser.InteractionCookie)
	request := url.Values{"client_id": {d.ClientID}, deviceParam: {code}}
	if d.Scope != "" {
		request.Set("scope", d.Scope)
	}
	if ui := r.URL.Query().Get("ui_locales"); ui != "" && len(ui) <= 64 {
		request.Set("ui_locales", ui)
	}
	return p.interactions().Start(context.WithoutCancel(r.Context()), d.ClientID, d.Issuer, request, binding)
}

// DeviceUser names the person signed in in this browser (their username,
// e-mail address, phone number or id), false when nobody is.
func (p *Provider) DeviceUser(r *http.Request) (string, bool) {
	_, user := p.currentSession(r)
	if user == nil {
		return "", false
	}
	for _, name := range []string{user.Username, user.PrimaryEmail, user.PrimaryPhone} {
		if name != "" {
			return name, true
		}
	}
	return user.ID, true
}

// DecideDevice allows (with a grant of the request's scopes and resources
// to its client, for the signed-in person) or denies the device request of
// userCode. Refusals are those of Device, and ErrSignInRequired without a
// session; a request decided meanwhile is ErrUsed.
func (p *Provider) DecideDevice(r *http.Request, userCode string, allow bool) error {
	sess, user := p.currentSession(r)
	if sess == nil {
		return interaction.ErrSignInRequired
	}
	d, _, err := p.deviceByCode(r, userCode, true)
	if err != nil {
		return err
	}
	ctx := context.WithoutCancel(r.Context())
	if !allow {
		err = p.u.Store.DenyDeviceAuthorization(ctx, d.ID)
	} else {
		now := p.cfg.Now()
		err = p.u.Store.ApproveDeviceAuthorization(ctx, d.ID, store.Grant{ID: randid.ID(), UserID: user.ID, ClientID: d.ClientID,
			Scope: d.Scope, Resources: d.Resources, AuthTime: sess.AuthTime, SignIn: sess.SignIn, CreatedAt: now, ExpiresAt: d.ExpiresAt})
	}
	if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
		return interaction.ErrUsed
	}
	return err
}

// checkDevice checks a device sign-in's request again: the device request
// is still pending and its application a device-flow one. It returns the
// application's name, or false after answering with a page.
func (p *Provider) checkDevice(w http.ResponseWriter, r *http.Request, it *interaction.Interaction) (string, bool) {
	d, app, err := p.deviceByCode(r, it.Request.Get(deviceParam), false)
	if err == nil && subtle.ConstantTimeCompare([]byte(d.ClientID), []byte(it.ClientID)) != 1 {
		err = interaction.ErrUserCode
	}
	switch {
	case err == nil:
		return app, true
	case errors.Is(err, interaction.ErrExpired):
		p.errorPage(w, http.StatusBadRequest, "The code has expired. Start again on your device.")
	case errors.Is(err, interaction.ErrUsed):
		p.errorPage(w, http.StatusBadRequest, "The device request was already answered.")
	case errors.Is(err, interaction.ErrUserCode):
		p.errorPage(w, http.StatusBadRequest, "The device request is no longer valid. Start again on your device.")
	default:
		if !errors.Is(err, store.ErrUnavailable) {
			p.cfg.Logger.Error("reading a device authorization failed", "err", err)
		}
		w.Header().Set("Retry-After", "5")
		p.errorPage(w, http.StatusServiceUnavailable, "The device request cannot be read now; try again.")
	}
	return "", false
}

// completeDevice ends a device sign-in for user: it starts the browser's
// session and sends it back to the verification page, which asks to
// allow the device.
func (p *Provider) completeDevice(w http.ResponseWriter, r *http.Request, it *interaction.Interaction, user *store.User) bool {
	if _, ok := p.checkDevice(w, r, it); !ok {
		return false
	}
	if _, ok := p.startSession(w, r, user, it.SignInRecord(), it.ClientID); !ok {
		p.errorPage(w, http.StatusServiceUnavailable, "The sign-in could not be completed; try again.")
		return false
	}
	q := url.Values{"user_code": {FormatUserCode(it.Request.Get(deviceParam))}}
	if ui := it.Request.Get("ui_locales"); ui != "" {
		q.Set("ui_locales", ui)
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, p.u.Endpoint+DevicePath+"?"+q.Encode(), http.StatusSeeOther)
	return true
}
