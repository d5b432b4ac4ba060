package signin

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/oidc"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/store/sqlstore"
)

// deviceApps are the flows' device-flow app "tv" and the native app
// "phone", which is not one.
func deviceApps(t testing.TB, st *sqlstore.Store, now time.Time) {
	must(t, st.CreateApplication(t.Context(), store.Application{ID: "tv", Name: "Living Room TV", Type: store.AppNative,
		IsDeviceFlow: true, RotateRefreshToken: true, CreatedAt: now}))
	must(t, st.CreateApplication(t.Context(), store.Application{ID: "phone", Name: "Phone", Type: store.AppNative,
		RedirectURIs: []string{"com.example.app:/cb"}, CreatedAt: now}))
}

// oauthAnswer is a JSON answer of the device authorization or token
// endpoint.
type oauthAnswer struct {
	status int
	body   map[string]any
}

func (a oauthAnswer) str(k string) string { s, _ := a.body[k].(string); return s }

// post posts form to path of the flows' server.
func (f *flows) post(path string, form url.Values) oauthAnswer {
	f.t.Helper()
	res, err := http.PostForm(f.srv.URL+path, form)
	must(f.t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	a := oauthAnswer{status: res.StatusCode}
	if err := json.Unmarshal(b, &a.body); err != nil {
		f.t.Fatalf("POST %s: %d %s", path, res.StatusCode, b)
	}
	return a
}

// deviceFace is a face's device authorization and token endpoints.
type deviceFace struct{ auth, token string }

var (
	logtoDevice = deviceFace{"/oidc/device/auth", "/oidc/token"}
	auth0Device = deviceFace{"/oauth/device/code", "/oauth/token"}
)

// startDevice asks for a device code for tv.
func (f *flows) startDevice(face deviceFace, scope string) (deviceCode, userCode, complete string) {
	f.t.Helper()
	a := f.post(face.auth, url.Values{"client_id": {"tv"}, "scope": {scope}})
	if a.status != http.StatusOK {
		f.t.Fatalf("device authorization: %d %v", a.status, a.body)
	}
	if !regexp.MustCompile(`^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$`).MatchString(a.str("user_code")) {
		f.t.Fatalf("user_code %q is not XXXX-XXXX of consonants", a.str("user_code"))
	}
	if a.str("verification_uri") != f.srv.URL+"/device" || a.str("verification_uri_complete") != f.srv.URL+"/device?user_code="+a.str("user_code") ||
		a.body["expires_in"] != float64(600) || a.body["interval"] != float64(5) || len(a.str("device_code")) < 40 {
		f.t.Fatalf("device authorization answer: %v", a.body)
	}
	return a.str("device_code"), a.str("user_code"), a.str("verification_uri_complete")
}

// poll polls the token endpoint with a device code.
func (f *flows) poll(face deviceFace, deviceCode string) oauthAnswer {
	f.t.Helper()
	return f.post(face.token, url.Values{"grant_type": {oidc.DeviceCodeGrantType}, "client_id": {"tv"}, "device_code": {deviceCode}})
}

// wantError checks an OAuth error answer.
func (a oauthAnswer) wantError(t testing.TB, status int, code string) {
	t.Helper()
	if a.status != status || a.str("error") != code {
		t.Fatalf("got %d %v, want %d %s", a.status, a.body, status, code)
	}
}

// postDevice posts the device page's form at path with the page's CSRF
// token.
func (v *visitor) postDevice(path string, fields url.Values) *visitor {
	v.f.t.Helper()
	c := csrfRe.FindStringSubmatch(v.body)
	if c == nil {
		v.f.t.Fatalf("no form on the page: %d %s", v.status, v.body)
	}
	form := url.Values{"csrf": {html.UnescapeString(c[1])}}
	for k, vs := range fields {
		form[k] = vs
	}
	return v.do("POST", path, form)
}

// wait is longer than a device's interval after it was told to slow
// down twice.
const wait = 21 * time.Second

// TestDeviceFlow runs the device authorization grant end to end on both
// faces: the device polls (pending, slow_down), a person enters the code
// on the page, signs in, allows the device, and the device gets its
// tokens once; the refresh token works until the device code is replayed.
func TestDeviceFlow(t *testing.T) {
	for name, face := range map[string]deviceFace{"logto": logtoDevice, "auth0": auth0Device} {
		t.Run(name, func(t *testing.T) {
			f := newFlows(t)
			deviceCode, userCode, complete := f.startDevice(face, "openid offline_access")
			f.poll(face, deviceCode).wantError(t, http.StatusBadRequest, "authorization_pending")
			// Polled again at once: slow down, and the interval is now 10 s.
			f.poll(face, deviceCode).wantError(t, http.StatusBadRequest, "slow_down")
			// Six seconds on is still too soon for 10 s: 15 s now.
			f.clock.Advance(6 * time.Second)
			f.poll(face, deviceCode).wantError(t, http.StatusBadRequest, "slow_down")
			f.clock.Advance(14 * time.Second)
			f.poll(face, deviceCode).wantError(t, http.StatusBadRequest, "slow_down")
			f.clock.Advance(wait)
			f.poll(face, deviceCode).wantError(t, http.StatusBadRequest, "authorization_pending")

			v := f.visitor("en")
			// The link carries the code: the form shows it, and signing in
			// comes first.
			v.do("GET", complete, nil).want(http.StatusOK, "Connect a device", userCode)
			v.postDevice("/device", url.Values{"user_code": {strings.ToLower(userCode)}}).want(http.StatusOK, "Sign in", "Living Room TV")
			// Signed in, the browser is back at the device page, asked.
			v.submit("", url.Values{"identifier": {"jane"}, "password": {janePassword}}).want(http.StatusOK, "Allow access?", "Allow Living Room TV on your device?", userCode, "Signed in as jane")
			f.clock.Advance(wait)
			f.poll(face, deviceCode).wantError(t, http.StatusBadRequest, "authorization_pending")
			v.postDevice("/device/decide", url.Values{"user_code": {userCode}, "decision": {"allow"}}).
				want(http.StatusOK, "Device connected", "Living Room TV is allowed.")

			f.clock.Advance(wait)
			tokens := f.poll(face, deviceCode)
			if tokens.status != http.StatusOK || tokens.str("access_token") == "" || tokens.str("id_token") == "" ||
				tokens.str("refresh_token") == "" || tokens.str("token_type") != "Bearer" {
				t.Fatalf("tokens: %d %v", tokens.status, tokens.body)
			}
			refresh := url.Values{"grant_type": {"refresh_token"}, "client_id": {"tv"}, "refresh_token": {tokens.str("refresh_token")}}
			if a := f.post(face.token, refresh); a.status != http.StatusOK {
				t.Fatalf("refresh: %d %v", a.status, a.body)
			}
			// The code is spent; presenting it again revokes what it gave.
			f.clock.Advance(wait)
			f.poll(face, deviceCode).wantError(t, http.StatusBadRequest, "invalid_grant")
			// The page no longer takes the code either.
			v.do("GET", complete, nil).want(http.StatusBadRequest, "This code was already used.")
		})
	}
}

// TestDeviceFlowRefusals: a denied device, an expired code, a code of
// another client, wrong user codes until the address is held back, a
// forged form, and apps that are not device-flow ones.
func TestDeviceFlowRefusals(t *testing.T) {
	f := newFlows(t)
	face := logtoDevice

	t.Run("deny", func(t *testing.T) {
		f.t = t
		deviceCode, userCode, complete := f.startDevice(face, "openid")
		v := f.visitor("")
		v.do("GET", complete, nil)
		v.postDevice("/device", url.Values{"user_code": {userCode}})
		v.submit("", url.Values{"identifier": {"jane"}, "password": {janePassword}}).want(http.StatusOK, "Allow access?")
		// Signed in now: the next code goes straight to the question.
		other, otherCode, _ := f.startDevice(face, "openid")
		v.do("GET", "/device", nil).want(http.StatusOK, "Connect a device")
		v.postDevice("/device", url.Values{"user_code": {otherCode}}).want(http.StatusOK, "Allow access?", otherCode)
		v.postDevice("/device/decide", url.Values{"user_code": {otherCode}, "decision": {"deny"}}).want(http.StatusOK, "Access denied")
		f.clock.Advance(wait)
		f.poll(face, other).wantError(t, http.StatusBadRequest, "access_denied")
		// A decision is final.
		v.do("GET", "/device?user_code="+url.QueryEscape(otherCode), nil).want(http.StatusBadRequest, "This code was already used.")
		// The first is still pending.
		f.poll(face, deviceCode).wantError(t, http.StatusBadRequest, "authorization_pending")
	})

	t.Run("expired", func(t *testing.T) {
		f.t = t
		deviceCode, _, complete := f.startDevice(face, "openid")
		f.clock.Advance(oidc.DeviceCodeTTL + time.Second)
		f.poll(face, deviceCode).wantError(t, http.StatusBadRequest, "expired_token")
		v := f.visitor("ja")
		v.do("GET", complete, nil)
		v.postDevice("/device", url.Values{"user_code": {v.f.srv.URL}}).want(http.StatusBadRequest, "コードが正しくありません")
	})

	t.Run("other client", func(t *testing.T) {
		f.t = t
		deviceCode, _, _ := f.startDevice(face, "openid")
		a := f.post(face.token, url.Values{"grant_type": {oidc.DeviceCodeGrantType}, "client_id": {"phone"}, "device_code": {deviceCode}})
		a.wantError(t, http.StatusBadRequest, "unauthorized_client")
		f.poll(face, "not-a-device-code").wantError(t, http.StatusBadRequest, "invalid_grant")
		f.post(face.token, url.Values{"grant_type": {oidc.DeviceCodeGrantType}, "client_id": {"tv"}}).
			wantError(t, http.StatusBadRequest, "invalid_request")
	})

	t.Run("not device apps", func(t *testing.T) {
		f.t = t
		f.post(face.auth, url.Values{"client_id": {"phone"}}).wantError(t, http.StatusBadRequest, "unauthorized_client")
		f.post(face.auth, url.Values{"client_id": {"web"}}).wantError(t, http.StatusUnauthorized, "invalid_client")
		f.post(face.auth, url.Values{"client_id": {"tv"}, "prompt": {"login"}}).wantError(t, http.StatusBadRequest, "invalid_request")
		f.post(face.auth, url.Values{"client_id": {"tv"}, "resource": {"https://unknown.example.com"}}).
			wantError(t, http.StatusBadRequest, "invalid_target")
	})

	t.Run("forged form", func(t *testing.T) {
		f.t = t
		_, userCode, _ := f.startDevice(face, "openid")
		v := f.visitor("")
		v.do("GET", "/device", nil)
		v.do("POST", "/device", url.Values{"csrf": {"forged"}, "user_code": {userCode}}).want(http.StatusForbidden, "The form has expired.")
	})

	t.Run("guessing", func(t *testing.T) {
		f := newFlows(t) // its own address count
		_, userCode, _ := f.startDevice(face, "openid")
		v := f.visitor("")
		v.do("GET", "/device", nil)
		for range 10 {
			v.postDevice("/device", url.Values{"user_code": {"BCDF-GHJK"}}).want(http.StatusBadRequest, "That code is not valid.")
		}
		// Held back now, even for the right code.
		v.postDevice("/device", url.Values{"user_code": {"BCDF-GHJK"}}).want(http.StatusTooManyRequests, "Too many wrong codes.")
		v.postDevice("/device", url.Values{"user_code": {userCode}}).want(http.StatusTooManyRequests, "Too many wrong codes.")
	})
}

// TestDeviceDiscovery: both faces advertise their device authorization
// endpoint and the grant.
func TestDeviceDiscovery(t *testing.T) {
	f := newFlows(t)
	for path, want := range map[string]string{
		"/oidc/.well-known/openid-configuration": f.srv.URL + "/oidc/device/auth",
		"/.well-known/openid-configuration":      f.srv.URL + "/oauth/device/code",
	} {
		res, err := http.Get(f.srv.URL + path)
		must(t, err)
		var doc map[string]any
		must(t, json.NewDecoder(res.Body).Decode(&doc))
		res.Body.Close()
		if doc["device_authorization_endpoint"] != want {
			t.Errorf("%s: device_authorization_endpoint %v, want %s", path, doc["device_authorization_endpoint"], want)
		}
		grants, _ := json.Marshal(doc["grant_types_supported"])
		if !strings.Contains(string(grants), oidc.DeviceCodeGrantType) {
			t.Errorf("%s: grant_types_supported %s lacks the device code grant", path, grants)
		}
	}
}
