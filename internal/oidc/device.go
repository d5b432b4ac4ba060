package oidc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
)

// The device authorization grant (RFC 8628): a device without a browser
// asks the device authorization endpoint for a device code and a user
// code, shows the user code and the verification page (DevicePath), and
// polls the token endpoint with the device code while the person enters
// the code on another device, signs in and allows it there.
const (
	// DeviceCodeGrantType is the device grant's grant_type.
	DeviceCodeGrantType = "urn:ietf:params:oauth:grant-type:device_code"
	// DevicePath is the verification page of the hosted pages.
	DevicePath = "/device"
	// DeviceCodeTTL is how long a device code and its user code live.
	DeviceCodeTTL = 10 * time.Minute
	// DeviceInterval is how many seconds a device waits between polls at
	// first; each poll that comes too soon adds deviceSlowDown (RFC 8628
	// §3.5).
	DeviceInterval = 5
	deviceSlowDown = 5

	// User codes are eight characters of twenty consonants (RFC 8628
	// §6.1: about 2^34.6 codes, no vowels so no words), shown as
	// XXXX-XXXX.
	userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"
	userCodeLen      = 8
)

// deviceParams are the parameters the device authorization endpoint takes:
// client authentication, scope, and the resource (Auth0's audience).
var deviceParams = []string{"client_id", "client_secret", "client_assertion", "client_assertion_type", "scope", "resource", "audience"}

// deviceResponse is the device authorization endpoint's answer (RFC 8628
// §3.2).
type deviceResponse struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int    `json:"expires_in"`
	Interval                int    `json:"interval"`
}

// serveDeviceAuthorization is the device authorization endpoint (RFC 8628
// §3.1): the client authenticates as at the token endpoint (a public one
// by its client_id) and must be a device-flow application; its scopes and
// resources are checked as the authorization endpoint checks them, and a
// pending authorization is stored under the device code's hash.
func (p *Provider) serveDeviceAuthorization(w http.ResponseWriter, r *http.Request) {
	params, perr := tokenParams(w, r)
	if perr != nil {
		p.writeError(w, r, perr)
		return
	}
	for name := range params {
		if !slices.Contains(deviceParams, name) {
			p.writeError(w, r, errInvalidRequest("unsupported parameter: "+safeName(name)))
			return
		}
	}
	app, err := p.authenticateClient(r, params, &TokenEvent{}, true)
	if err != nil {
		p.writeError(w, r, err)
		return
	}
	if err := deviceApp(app); err != nil {
		p.writeError(w, r, err)
		return
	}
	scopes, err := requestedScopes(params.Get("scope"))
	if err != nil {
		p.writeError(w, r, err)
		return
	}
	resources, err := deviceResources(p.cfg.Catalog.Load(), params)
	if err != nil {
		p.writeError(w, r, err)
		return
	}
	now := p.cfg.Now()
	deviceCode := randid.Secret(32)
	d := store.DeviceAuthorization{ID: hashToken(deviceCode), ClientID: app.ID, Issuer: p.issuer(r.Context()),
		Scope: strings.Join(scopes, " "), Resources: resources, Status: store.DevicePending, Interval: DeviceInterval,
		CreatedAt: now, ExpiresAt: now.Add(DeviceCodeTTL)}
	var userCode string
	// A user code in use is drawn again: with 20^8 codes, a second clash
	// in a row means the store is in trouble.
	for try := 0; ; try++ {
		userCode = newUserCode()
		d.UserCode = p.userCodeHash(userCode)
		serr := p.u.Store.CreateDeviceAuthorization(context.WithoutCancel(r.Context()), d)
		if serr == nil {
			break
		}
		if errors.Is(serr, store.ErrConflict) && try < 2 {
			continue
		}
		if !errors.Is(serr, store.ErrUnavailable) {
			p.cfg.Logger.Error("storing a device authorization failed", "client_id", app.ID, "err", serr)
		}
		p.writeError(w, r, &Error{Status: http.StatusServiceUnavailable, Code: "temporarily_unavailable", Description: "could not store the request; try again"})
		return
	}
	shown := FormatUserCode(userCode)
	page := p.u.Endpoint + DevicePath
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	_ = httpjson.Encode(w, deviceResponse{DeviceCode: deviceCode, UserCode: shown, VerificationURI: page,
		VerificationURIComplete: page + "?user_code=" + shown, ExpiresIn: int(DeviceCodeTTL / time.Second), Interval: DeviceInterval})
}

// deviceApp refuses an application that is not a device-flow one.
func deviceApp(app *catalog.App) *Error {
	if !app.IsDeviceFlow {
		return &Error{Status: http.StatusBadRequest, Code: "unauthorized_client",
			Description: "the application is not a device-flow application"}
	}
	return nil
}

// deviceResources are the resources of a device authorization request:
// each a valid indicator of a known resource, as at the authorization
// endpoint.
func deviceResources(snap *catalog.Snapshot, params map[string][]string) ([]string, *Error) {
	indicators := params["resource"]
	if aud := params["audience"]; len(aud) == 1 && aud[0] != "" {
		indicators = append(slices.Clip(indicators), aud[0])
	}
	var out []string
	for _, ind := range indicators {
		if !validIndicator(ind) {
			return nil, errInvalidTarget("resource must be an absolute URI without a fragment")
		}
		if snap.ByIndicator[ind] == nil {
			return nil, errInvalidTarget("unknown resource")
		}
		if !slices.Contains(out, ind) {
			out = append(out, ind)
		}
	}
	if len(out) > maxResources {
		return nil, errInvalidTarget("too many resources")
	}
	return out, nil
}

// newUserCode draws a user code, unformatted. Each character is drawn
// without bias: a byte is taken only below the largest multiple of the
// alphabet's size.
func newUserCode() string {
	const limit = 256 - 256%len(userCodeAlphabet)
	out := make([]byte, 0, userCodeLen)
	var buf [16]byte
	for len(out) < userCodeLen {
		_, _ = rand.Read(buf[:]) // never fails (crypto/rand)
		for _, b := range buf {
			if int(b) < limit && len(out) < userCodeLen {
				out = append(out, userCodeAlphabet[int(b)%len(userCodeAlphabet)])
			}
		}
	}
	return string(out)
}

// NormalizeUserCode reads a user code as a person typed it: any case,
// with or without the dash and spaces. It returns the code's eight
// characters, or false when it cannot be one.
func NormalizeUserCode(s string) (string, bool) {
	if len(s) > 32 {
		return "", false
	}
	var b strings.Builder
	for _, c := range strings.ToUpper(s) {
		switch {
		case c == '-' || c == ' ':
		case strings.ContainsRune(userCodeAlphabet, c):
			b.WriteRune(c)
		default:
			return "", false
		}
	}
	if b.Len() != userCodeLen {
		return "", false
	}
	return b.String(), true
}

// FormatUserCode shows a normalized user code as XXXX-XXXX.
func FormatUserCode(code string) string {
	if len(code) != userCodeLen {
		return code
	}
	return code[:4] + "-" + code[4:]
}

// userCodeHash is what the store keeps of a normalized user code: a hash
// keyed with the server's hashing key, since user codes are short
// (without one, a plain SHA-256).
func (p *Provider) userCodeHash(code string) string {
	if p.cfg.Hasher == nil {
		return hashToken("device-user-code:" + code)
	}
	return hex.EncodeToString(p.cfg.Hasher.Hash("device-user-code:" + code))
}
