package oidc

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// ReadTokenRequest reads a token request once, ahead of the endpoint: it
// names the claimed client, and the token endpoint answers from what it
// read (the body is spent), errors included.
func TestReadTokenRequestAhead(t *testing.T) {
	p, _ := m2mProvider(t)
	mux := http.NewServeMux()
	p.Register(mux)
	ahead := func(body, ct string) (string, *httptest.ResponseRecorder) {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/oidc/token", strings.NewReader(body))
		r.Header.Set("Content-Type", ct)
		r, client := ReadTokenRequest(w, r)
		mux.ServeHTTP(w, r)
		return client, w
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"robot"}, "client_secret": {"robotsecret"}, "resource": {"https://shop.test"}}
	if client, w := ahead(form.Encode(), "application/x-www-form-urlencoded"); client != "robot" || w.Code != 200 {
		t.Errorf("form: client %q, %d %s", client, w.Code, w.Body)
	}
	if client, w := ahead(`{"grant_type":"client_credentials","client_id":"robot","client_secret":"robotsecret","audience":"https://shop.test"}`, "application/json"); client != "robot" || w.Code != 200 {
		t.Errorf("JSON: client %q, %d %s", client, w.Code, w.Body)
	}
	if client, w := ahead("grant_type=client_credentials&client_id=a&client_id=b", "application/x-www-form-urlencoded"); client != "" || w.Code != 400 || !strings.Contains(w.Body.String(), "is repeated") {
		t.Errorf("repeated parameter: client %q, %d %s", client, w.Code, w.Body)
	}
	if client, w := ahead("client_id=robot&x="+strings.Repeat("a", MaxBodyBytes), "application/x-www-form-urlencoded"); client != "" || w.Code != 413 {
		t.Errorf("body too large: client %q, %d %s", client, w.Code, w.Body)
	}
	if client, w := ahead("client_id=robot", "text/plain"); client != "" || w.Code != 400 || !strings.Contains(w.Body.String(), "Content-Type") {
		t.Errorf("content type: client %q, %d %s", client, w.Code, w.Body)
	}
}
