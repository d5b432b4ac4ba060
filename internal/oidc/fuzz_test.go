package oidc

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/monban/monban/internal/clientauth"
	"github.com/monban/monban/internal/store"
)

// The fuzz targets of this file feed the endpoints' parsers what a client
// may send. `make fuzz` runs each for a few seconds; the seeds and
// testdata/fuzz/FuzzXxx run with every `go test`.

const (
	fuzzM2MSecret = "fuzz-m2m-secret-0123456789abcdef"
	fuzzWebSecret = "fuzz-web-secret-0123456789abcdef"
	fuzzPassword  = "fuzz user password"
	fuzzIndicator = "https://api.fuzz.test"
	fuzzRedirect  = "https://web.fuzz.test/cb"
	fuzzChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
)

// fuzzProvider is a provider with the end-user endpoints over a real SQLite
// store: an M2M app, a web app, an SPA, one resource with scopes, one user.
func fuzzProvider(f *testing.F) http.Handler {
	f.Helper()
	ctx := context.Background()
	now := time.Now()
	st := openStore(f, now)
	fatal := func(err error) {
		if err != nil {
			f.Fatal(err)
		}
	}
	fatal(st.CreateResource(ctx, store.Resource{ID: "r1", Name: "API", Indicator: fuzzIndicator, AccessTokenTTL: 600, CreatedAt: now}))
	fatal(st.CreateScope(ctx, store.Scope{ID: "s1", ResourceID: "r1", Name: "read", CreatedAt: now}))
	fatal(st.CreateScope(ctx, store.Scope{ID: "s2", ResourceID: "r1", Name: "write", CreatedAt: now}))
	fatal(st.CreateRole(ctx, store.Role{ID: "m2m", Name: "Robot", Type: store.RoleMachineToMachine, CreatedAt: now}))
	fatal(st.AddRoleScopes(ctx, "m2m", []string{"s1"}))
	fatal(st.CreateRole(ctx, store.Role{ID: "usr", Name: "Reader", Type: store.RoleUser, CreatedAt: now}))
	fatal(st.AddRoleScopes(ctx, "usr", []string{"s1"}))
	addUser(f, st, testPasswords(), store.User{ID: "u1", Username: "jane", PrimaryEmail: "jane@fuzz.test",
		CreatedAt: now, UpdatedAt: now}, fuzzPassword, "usr")
	hasher := clientauth.NewHasher([]byte("fuzz hash key"))
	addApp(f, st, hasher, store.Application{ID: "m2m-app", Name: "Robot", Type: store.AppMachineToMachine, CreatedAt: now}, fuzzM2MSecret)
	fatal(st.AddRoleApplications(ctx, "m2m", []string{"m2m-app"}))
	addApp(f, st, hasher, store.Application{ID: "web", Name: "Web <b>", Type: store.AppTraditional,
		RedirectURIs: []string{fuzzRedirect}, AllowPasswordGrant: true, AllowTokenExchange: true, CreatedAt: now}, fuzzWebSecret)
	addApp(f, st, hasher, store.Application{ID: "spa", Name: "SPA", Type: store.AppSPA,
		RedirectURIs: []string{fuzzRedirect}, CreatedAt: now}, "")
	_, mux := newTestProvider(f, st, providerSetup{Issuer: "https://id.fuzz.test/oidc", Endpoint: "https://id.fuzz.test", Hasher: hasher})
	return mux
}

// oauthError is an error response of the token endpoint.
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
	Code        string `json:"code"`
	Message     string `json:"message"`
}

// tokenErrors are the error codes the token endpoint may answer, by status.
var tokenErrors = map[int][]string{
	http.StatusBadRequest: {"invalid_request", "invalid_grant", "invalid_scope", "invalid_target", "unauthorized_client", "unsupported_grant_type",
		"unsupported_token_type"},
	http.StatusUnauthorized: {"invalid_client"},
	// Logto's refusals of an organization token.
	http.StatusForbidden:             {"access_denied", "insufficient_scope"},
	http.StatusRequestEntityTooLarge: {"invalid_request"},
	http.StatusTooManyRequests:       {"invalid_grant", "slow_down"},
}

// FuzzTokenEndpoint posts arbitrary bodies, content types and Authorization
// headers to the token endpoint. Every answer is 200 or one of the RFC 6749
// errors with its status (never a 5xx), never reveals a secret the request
// did not hold, and a 200 is only given to a request that presented a
// registered client's secret.
func FuzzTokenEndpoint(f *testing.F) {
	basic := func(id, secret string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
	}
	form := "application/x-www-form-urlencoded"
	f.Add(form, basic("m2m-app", fuzzM2MSecret), "grant_type=client_credentials&resource="+url.QueryEscape(fuzzIndicator)+"&scope=read+write")
	f.Add(form, "", "grant_type=client_credentials&client_id=m2m-app&client_secret="+fuzzM2MSecret+"&audience="+url.QueryEscape(fuzzIndicator))
	f.Add("application/json", "", `{"grant_type":"client_credentials","client_id":"m2m-app","client_secret":"`+fuzzM2MSecret+`","resource":["`+fuzzIndicator+`"]}`)
	f.Add(form, basic("web", fuzzWebSecret), "grant_type=password&username=jane&password=wrong&scope=openid+read")
	f.Add(form, basic("web", "wrong"), "grant_type=authorization_code&code=abc&redirect_uri="+url.QueryEscape(fuzzRedirect))
	f.Add(form, "", "grant_type=refresh_token&refresh_token=x&client_id=spa")
	f.Add(form, "Bearer x", "grant_type=client_credentials")
	f.Add("application/json; charset=utf-8", "", `{"grant_type":["client_credentials"]}`)
	f.Add("text/plain", "", "grant_type=client_credentials")
	f.Add(form, basic("m2m-app", fuzzM2MSecret), "grant_type=client_credentials&resource=a&resource=b")
	f.Add(form, basic("m2m-app", fuzzM2MSecret), "grant_type=client_credentials&scope=%00")
	f.Add(form, "Basic %%%", "grant_type=urn:ietf:params:oauth:grant-type:token-exchange")
	f.Add(form, basic("m2m-app", fuzzM2MSecret), "grant_type=client_credentials&organization_id=o1&scope=read")
	f.Add(form, basic("web", fuzzWebSecret), "grant_type=refresh_token&refresh_token=x&organization_id=%01")
	f.Add(form, basic("web", fuzzWebSecret), "grant_type=password&username=jane&password=wrong&organization_id=o1")
	f.Add(form, basic("web", fuzzWebSecret), "grant_type=urn:ietf:params:oauth:grant-type:token-exchange&subject_token=sub_x&subject_token_type=urn:logto:token-type:impersonation_token")
	f.Add(form, basic("web", fuzzWebSecret), "grant_type=urn:ietf:params:oauth:grant-type:token-exchange&subject_token=a.b.c&subject_token_type=urn:ietf:params:oauth:token-type:access_token&actor_token=x&actor_token_type=urn:ietf:params:oauth:token-type:access_token")
	f.Add(form, basic("web", fuzzWebSecret), "grant_type=urn:ietf:params:oauth:grant-type:token-exchange&subject_token=pat_x&subject_token_type=urn:logto:token-type:personal_access_token&resource="+url.QueryEscape(fuzzIndicator)+"&scope=read")
	h := fuzzProvider(f)
	f.Fuzz(func(t *testing.T, contentType, auth, body string) {
		if len(body) > 2*MaxBodyBytes {
			return
		}
		r := httptest.NewRequest(http.MethodPost, "/oidc/token", strings.NewReader(body))
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		if auth != "" {
			r.Header["Authorization"] = []string{auth}
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		out := w.Body.String()
		for _, secret := range []string{fuzzM2MSecret, fuzzWebSecret, fuzzPassword} {
			// An error may quote what the request itself said (a
			// grant_type, bounded); it must not reveal anything else.
			if strings.Contains(out, secret) && !strings.Contains(body, secret) {
				t.Fatalf("the answer quotes a secret the request did not hold: %s", out)
			}
		}
		if w.Code == http.StatusOK {
			var ok struct {
				AccessToken string `json:"access_token"`
				TokenType   string `json:"token_type"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &ok); err != nil || ok.AccessToken == "" || ok.TokenType != "Bearer" {
				t.Fatalf("200 without a token: %s", out)
			}
			// Parse the request again, independently of the handler: it
			// must have carried a registered secret.
			r2 := httptest.NewRequest(http.MethodPost, "/oidc/token", strings.NewReader(body))
			r2.Header = r.Header.Clone()
			params, perr := readParams(httptest.NewRecorder(), r2)
			if perr != nil {
				t.Fatalf("200 for parameters that do not parse: %v", perr)
			}
			creds, err := clientauth.Parse(r2, params)
			if err != nil || (creds.Secret != fuzzM2MSecret && creds.Secret != fuzzWebSecret) {
				t.Fatalf("200 without a registered client secret (%v): %s", err, out)
			}
			return
		}
		codes, known := tokenErrors[w.Code]
		if !known {
			t.Fatalf("status %d: %s", w.Code, out)
		}
		var e oauthError
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
			t.Fatalf("error body is not JSON: %q", out)
		}
		if !slices.Contains(codes, e.Error) || e.Code != "oidc."+e.Error || e.Description == "" || e.Message != e.Description {
			t.Fatalf("status %d with error body %+v", w.Code, e)
		}
		if !utf8.ValidString(e.Description) {
			t.Fatalf("error_description is not UTF-8: %q", e.Description)
		}
		if w.Header().Get("Cache-Control") != "no-store" {
			t.Fatalf("error without Cache-Control: no-store")
		}
	})
}

// FuzzReadParams checks the token endpoint's body parser on its own: any
// failure is invalid_request (400, or 413 for a large body); what it
// accepts is valid UTF-8 without NUL, bounded, with only resource
// repeated, and survives re-encoding as a form unchanged.
func FuzzReadParams(f *testing.F) {
	f.Add("application/x-www-form-urlencoded", []byte("grant_type=client_credentials&scope=a+b&resource=https%3A%2F%2Fx&resource=https%3A%2F%2Fy"))
	f.Add("application/x-www-form-urlencoded; charset=UTF-8", []byte("a=1&a=2"))
	f.Add("application/x-www-form-urlencoded", []byte("a=%zz"))
	f.Add("application/x-www-form-urlencoded", []byte("a=%00"))
	f.Add("application/x-www-form-urlencoded", []byte("a=%ff%fe;b=1"))
	f.Add("application/json", []byte(`{"grant_type":"client_credentials","resource":["https://x","https://y"]}`))
	f.Add("application/json", []byte(`{"scope":["a"]}`))
	f.Add("application/json", []byte(`{"a":null}`))
	f.Add("application/json", []byte(`null`))
	f.Add("application/json", []byte(`{"a":"\u0000"}`))
	f.Add("application/json", []byte(`{"a":"\ud800"}`))
	f.Add("Application/JSON", []byte(`{"A":"1","a":"2"}`))
	f.Add("multipart/form-data; boundary=x", []byte("--x--"))
	f.Add("", []byte("a=1"))
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/oidc/token", bytes.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		params, perr := readParams(httptest.NewRecorder(), r)
		if perr != nil {
			if perr.Code != "invalid_request" || (perr.Status != 400 && perr.Status != 413) || perr.Description == "" {
				t.Fatalf("error %+v", perr)
			}
			if perr.Status == 413 && len(body) <= MaxBodyBytes {
				t.Fatalf("413 for %d bytes", len(body))
			}
			if !utf8.ValidString(perr.Description) || strings.ContainsAny(perr.Description, "\x00\n\r") {
				t.Fatalf("error description %q", perr.Description)
			}
			return
		}
		if len(body) > MaxBodyBytes {
			t.Fatalf("%d bytes accepted", len(body))
		}
		for name, vals := range params {
			if len(vals) > 1 && name != "resource" {
				t.Fatalf("%q repeated", name)
			}
			for _, v := range vals {
				if len(v) > maxParamLen || strings.IndexByte(v, 0) >= 0 || !utf8.ValidString(v) {
					t.Fatalf("%q = %q accepted", name, v)
				}
			}
		}
		// Round trip: the accepted parameters, sent again as a form, read
		// back the same.
		r2 := httptest.NewRequest(http.MethodPost, "/oidc/token", strings.NewReader(params.Encode()))
		r2.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		again, perr := readParams(httptest.NewRecorder(), r2)
		if perr != nil && len(params.Encode()) <= MaxBodyBytes {
			t.Fatalf("re-encoded parameters refused: %v", perr)
		}
		if perr == nil && !equalValues(params, again) {
			t.Fatalf("round trip: %v became %v", params, again)
		}
	})
}

func equalValues(a, b url.Values) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

// FuzzScopeAndResource checks the scope and resource parsing of the token
// endpoint: requestedScopes keeps only RFC 6749 scope-tokens, without
// repeats and bounded in number, in the order given; tokenResource answers a known resource, none when none is named, or
// invalid_target/invalid_request.
func FuzzScopeAndResource(f *testing.F) {
	f.Add("openid read read  write", fuzzIndicator, "", "")
	f.Add("a\"b", "https://api.fuzz.test#frag", fuzzIndicator, "")
	f.Add("\x7f", "urn:x", "", "https://other")
	f.Add("é", "", fuzzIndicator, fuzzIndicator)
	f.Add(strings.Repeat("s ", 101), "//no-scheme", "", "")
	f.Add("read\twrite\nx", "HTTPS://API.FUZZ.TEST", "", "")
	snap := &store.Resource{ID: "r1", Indicator: fuzzIndicator}
	byIndicator := map[string]*store.Resource{fuzzIndicator: snap}
	f.Fuzz(func(t *testing.T, scope, res1, res2, audience string) {
		got, err := requestedScopes(scope)
		if err != nil {
			if err.Code != "invalid_scope" || err.Status != 400 {
				t.Fatalf("error %+v", err)
			}
		} else {
			if len(got) > maxScopes {
				t.Fatalf("%d scopes", len(got))
			}
			fields := strings.Fields(scope)
			for i, s := range got {
				if !validScopeToken(s) || !slices.Contains(fields, s) || slices.Contains(got[i+1:], s) {
					t.Fatalf("scope %q in %q", s, got)
				}
			}
			// Idempotent: the granted list parses to itself.
			if again, err := requestedScopes(strings.Join(got, " ")); err != nil || !slices.Equal(again, got) {
				t.Fatalf("%q parsed again is %q (%v)", got, again, err)
			}
		}
		params := url.Values{}
		for _, r := range []string{res1, res2} {
			if r != "" {
				params.Add("resource", r)
			}
		}
		if audience != "" {
			params.Set("audience", audience)
		}
		if res, err := tokenResource(byIndicator, params, nil); err != nil {
			if err.Status != 400 || (err.Code != "invalid_target" && err.Code != "invalid_request") {
				t.Fatalf("error %+v", err)
			}
		} else if res == nil && (len(params["resource"]) > 0 || audience != "") {
			t.Fatalf("accepted %v as no resource", params)
		} else if res != nil && res != snap || len(params["resource"]) > 1 || (audience != "" && audience != fuzzIndicator) ||
			(len(params["resource"]) == 1 && params["resource"][0] != fuzzIndicator) {
			t.Fatalf("accepted %v as %+v", params, res)
		}
		if validIndicator(res1) {
			u, err := url.Parse(res1)
			if err != nil || u.Scheme == "" || strings.Contains(res1, "#") {
				t.Fatalf("indicator %q accepted", res1)
			}
		}
	})
}

// FuzzAuthorizeRequest checks the authorization request parser: an
// accepted request names a registered client and redirect URI exactly, a
// valid S256 challenge (required for public clients), valid scopes and
// known resources; an error the user is not redirected with never carries
// a redirect.
func FuzzAuthorizeRequest(f *testing.F) {
	base := url.Values{"response_type": {"code"}, "client_id": {"web"}, "redirect_uri": {fuzzRedirect},
		"scope": {"openid read"}, "resource": {fuzzIndicator}, "state": {"s"}, "nonce": {"n"}}
	f.Add(base.Encode())
	spa := url.Values{"response_type": {"code"}, "client_id": {"spa"}, "redirect_uri": {fuzzRedirect},
		"code_challenge": {fuzzChallenge}, "code_challenge_method": {"S256"}, "prompt": {"login consent"}, "max_age": {"0"}}
	f.Add(spa.Encode())
	f.Add("response_type=code&client_id=spa&redirect_uri=" + url.QueryEscape(fuzzRedirect))
	f.Add("response_type=code&client_id=m2m-app&redirect_uri=" + url.QueryEscape(fuzzRedirect))
	f.Add("response_type=token&client_id=web&redirect_uri=" + url.QueryEscape(fuzzRedirect+"/") + "&max_age=-1")
	f.Add("client_id=web&client_id=web&redirect_uri=x")
	f.Add("response_type=code&client_id=web&redirect_uri=" + url.QueryEscape(fuzzRedirect) + "&prompt=none+login&request=x")
	f.Add("response_type=code&client_id=web&redirect_uri=" + url.QueryEscape(fuzzRedirect) + "&code_challenge=abc&code_challenge_method=plain")
	h := fuzzProvider(f)
	f.Fuzz(func(t *testing.T, query string) {
		// End to end: the page or the redirect.
		r := httptest.NewRequest(http.MethodGet, "/oidc/auth", nil)
		r.URL.RawQuery = query
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		switch w.Code {
		case http.StatusSeeOther:
			loc, err := url.Parse(w.Header().Get("Location"))
			if err != nil {
				t.Fatalf("Location %q", w.Header().Get("Location"))
			}
			if strings.HasPrefix(loc.String(), "https://id.fuzz.test/sign-in") {
				break
			}
			if loc.Scheme+"://"+loc.Host+loc.Path != fuzzRedirect {
				t.Fatalf("redirect to %s", loc)
			}
			if loc.Query().Get("error") == "" || loc.Query().Get("iss") != "https://id.fuzz.test/oidc" {
				t.Fatalf("redirect without an error (no session): %s", loc)
			}
		case http.StatusBadRequest:
			if w.Header().Get("Location") != "" {
				t.Fatal("error page with a Location")
			}
		default:
			t.Fatalf("status %d: %s", w.Code, w.Body.String())
		}
	})
}

// FuzzPushedRequest pushes arbitrary authorization requests as the web
// app and uses what is accepted at the authorization endpoint with an
// arbitrary query: the PAR endpoint answers 201 or an OAuth error in JSON,
// never a 5xx; a pushed request, used alone, starts a sign-in; anything
// beside it, or any other request_uri, is a 400 page.
func FuzzPushedRequest(f *testing.F) {
	base := url.Values{"response_type": {"code"}, "redirect_uri": {fuzzRedirect}, "scope": {"openid read"}, "resource": {fuzzIndicator}, "state": {"s"}}
	f.Add(base.Encode(), "")
	f.Add(base.Encode(), "scope=openid")
	f.Add("response_type=code&redirect_uri="+url.QueryEscape(fuzzRedirect)+"&request_uri=urn:x", "")
	f.Add("response_type=code&client_id=spa&redirect_uri="+url.QueryEscape(fuzzRedirect), "")
	f.Add("response_type=token&redirect_uri=https://evil.test/", "request_uri=urn:ietf:params:oauth:request_uri:x")
	f.Add("a=%00", "request_uri=urn:ietf:params:oauth:request_uri:&client_id=web")
	h := fuzzProvider(f)
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("web:"+fuzzWebSecret))
	f.Fuzz(func(t *testing.T, body, extra string) {
		if len(body) > 2*MaxBodyBytes || len(extra) > 8<<10 {
			return
		}
		r := httptest.NewRequest(http.MethodPost, "/oidc/request", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Authorization", auth)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		var ans struct {
			RequestURI string `json:"request_uri"`
			ExpiresIn  int    `json:"expires_in"`
			Error      string `json:"error"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &ans); err != nil {
			t.Fatalf("status %d, body %q", w.Code, w.Body.String())
		}
		switch {
		case w.Code == http.StatusCreated && strings.HasPrefix(ans.RequestURI, requestURIPrefix) && ans.ExpiresIn == 60:
		case (w.Code == http.StatusBadRequest || w.Code == http.StatusRequestEntityTooLarge || w.Code == http.StatusUnauthorized) && ans.Error != "":
			ans.RequestURI = "urn:ietf:params:oauth:request_uri:unknown"
		default:
			t.Fatalf("status %d: %s", w.Code, w.Body.String())
		}
		q := url.Values{"client_id": {"web"}, "request_uri": {ans.RequestURI}}.Encode()
		if extra != "" {
			q += "&" + extra
		}
		r = httptest.NewRequest(http.MethodGet, "/oidc/auth", nil)
		r.URL.RawQuery = q
		w2 := httptest.NewRecorder()
		h.ServeHTTP(w2, r)
		alone := extra == "" && w.Code == http.StatusCreated
		switch {
		case alone && (w2.Code != http.StatusSeeOther || !strings.HasPrefix(w2.Header().Get("Location"), "https://id.fuzz.test/sign-in")):
			t.Fatalf("a pushed request alone: %d %s", w2.Code, w2.Header().Get("Location"))
		case !alone && w2.Code != http.StatusBadRequest && w2.Code != http.StatusSeeOther:
			t.Fatalf("status %d: %s", w2.Code, w2.Body.String())
		case !alone && w2.Code == http.StatusSeeOther && !strings.HasPrefix(w2.Header().Get("Location"), "https://id.fuzz.test/sign-in"):
			t.Fatalf("redirect %s", w2.Header().Get("Location"))
		}
	})
}
