package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// dpop_jkt at the authorization endpoint (RFC 9449 §10) binds the code to
// a key: its exchange needs a proof of that key, and the tokens are bound
// to it. A pushed request is bound to the key of the proof sent with it
// (§10.1). A malformed thumbprint is refused.
func TestDPoPAuthorizationCodeBinding(t *testing.T) {
	f := newUserFixture(t, nil)
	c, other := newDPoPClient(t), newDPoPClient(t)
	tokenURL := f.Issuer + "/token"
	b := f.signedIn(t)
	exchange := func(code, verifier, proof string) response {
		return postDPoP(f.testServer, "/oidc/token", proof, nil, url.Values{"grant_type": {"authorization_code"},
			"code": {code}, "redirect_uri": {spaRedirect}, "code_verifier": {verifier}, "client_id": {f.spa.ID}})
	}
	wantRefused := func(what string, r response, code string) {
		t.Helper()
		if r.Status != http.StatusBadRequest || r.json(t)["error"] != code {
			t.Fatalf("%s: %d %s, want 400 %s", what, r.Status, r.Body, code)
		}
	}

	verifier, challenge := pkce()
	code := f.code(t, b, f.spa.ID, spaRedirect, challenge, url.Values{"dpop_jkt": {c.jkt}})
	wantRefused("a bound code without a proof", exchange(code, verifier, ""), "invalid_dpop_proof")
	wantRefused("a bound code with another key", exchange(code, verifier, other.proof("POST", tokenURL, "", nil)), "invalid_grant")
	// The refusals did not spend it: the bound key redeems it.
	r := exchange(code, verifier, c.proof("POST", tokenURL, "", nil))
	if r.Status != http.StatusOK || r.json(t)["token_type"] != "DPoP" {
		t.Fatalf("a bound code with its key: %d %s", r.Status, r.Body)
	}
	if cnf, _ := claimsOf(t, r.json(t)["access_token"].(string))["cnf"].(map[string]any); cnf["jkt"] != c.jkt {
		t.Fatalf("cnf %v, want jkt %s", cnf, c.jkt)
	}

	// A malformed dpop_jkt goes back to the client.
	_, ch := pkce()
	for _, bad := range []string{"not-a-thumbprint", c.jkt + "A", strings.Repeat("A", 44)} {
		q := b.get(f.authURL(f.spa.ID, spaRedirect, ch, url.Values{"dpop_jkt": {bad}})).redirected(t, spaRedirect)
		if q.Get("error") != "invalid_request" || !strings.Contains(q.Get("error_description"), "dpop_jkt") {
			t.Fatalf("dpop_jkt %q: %v", bad, q)
		}
	}

	// A pushed request with a proof binds its code to the proof's key.
	pushURL := f.Issuer + "/request"
	push := func(proof string, form url.Values) response {
		form.Set("client_id", f.spa.ID)
		h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
		if proof != "" {
			h.Set("DPoP", proof)
		}
		return f.do("POST", "/oidc/request", h, strings.NewReader(form.Encode()))
	}
	verifier, challenge = pkce()
	pushed := spaPushed(challenge)
	pushed.Set("dpop_jkt", other.jkt)
	if r := push(c.proof("POST", pushURL, "", nil), pushed); r.Status != http.StatusBadRequest || r.json(t)["error"] != "invalid_dpop_proof" {
		t.Fatalf("a pushed dpop_jkt of another key than the proof's: %d %s", r.Status, r.Body)
	}
	r = push(c.proof("POST", pushURL, "", nil), spaPushed(challenge))
	if r.Status != http.StatusCreated {
		t.Fatalf("push with a proof: %d %s", r.Status, r.Body)
	}
	q := url.Values{"client_id": {f.spa.ID}, "request_uri": {r.json(t)["request_uri"].(string)}}
	got := b.get(f.Issuer+"/auth?"+q.Encode()).redirected(t, spaRedirect)
	if got.Get("code") == "" {
		t.Fatalf("no code: %v", got)
	}
	wantRefused("a pushed, bound code without a proof", exchange(got.Get("code"), verifier, ""), "invalid_dpop_proof")
	if r := exchange(got.Get("code"), verifier, c.proof("POST", tokenURL, "", nil)); r.Status != http.StatusOK || r.json(t)["token_type"] != "DPoP" {
		t.Fatalf("a pushed, bound code with its key: %d %s", r.Status, r.Body)
	}
}
