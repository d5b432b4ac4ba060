package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/federation/saml/samltest"
	"github.com/monban/monban/internal/testkit"
)

// ssoFixture is a server with a SAML SSO connector for acme.test, whose
// IdP is a SAML identity provider of the test, and single sign-on on.
type ssoFixture struct {
	*userFixture
	idp         *samltest.IdP
	connectorID string
}

func newSSOFixture(t *testing.T) *ssoFixture {
	t.Helper()
	f := &ssoFixture{userFixture: newUserFixture(t, nil), idp: samltest.New(t, samltest.Options{})}
	c := f.mustAPI(f.mt, "POST", "/api/sso-connectors", map[string]any{"providerName": "SAML", "connectorName": "acme",
		"domains": []string{"acme.test"}, "config": map[string]any{"metadata": f.idp.MetadataXML(t)}}, 200)
	f.connectorID = c["id"].(string)
	sp := c["providerConfig"].(map[string]any)["serviceProvider"].(map[string]any)
	if sp["entityId"] != f.URL+"/enterprise-sso/"+f.connectorID || sp["assertionConsumerServiceUrl"] != f.URL+"/api/authn/single-sign-on/saml/"+f.connectorID {
		t.Fatalf("SP %v", sp)
	}
	// The IdP is given the SP's metadata, as served at its entity id.
	meta := f.do("GET", "/enterprise-sso/"+f.connectorID, nil, nil)
	if meta.Status != 200 || !strings.Contains(string(meta.Body), "AssertionConsumerService") {
		t.Fatalf("SP metadata: %d %s", meta.Status, meta.Body)
	}
	f.idp.AddSP(t, meta.Body)
	f.mustAPI(f.mt, "PATCH", "/api/sign-in-exp", map[string]any{"singleSignOnEnabled": true}, 200)
	return f
}

var idpBrowser = &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// atIdP follows the redirect p to the IdP and returns the form the IdP
// posts back.
func (f *ssoFixture) atIdP(t *testing.T, p page) (action string, form url.Values) {
	t.Helper()
	loc := p.Header.Get("Location")
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(loc, f.idp.Server.URL+"/sso?") {
		t.Fatalf("want a redirect to the IdP, got %d %q: %.300s", p.Status, loc, p.Body)
	}
	action, resp, relay, err := samltest.Answer(idpBrowser, loc)
	if err != nil {
		t.Fatal(err)
	}
	return action, url.Values{"SAMLResponse": {resp}, "RelayState": {relay}}
}

// The whole SP-initiated sign-in over HTTP: the e-mail address's domain
// picks the connector, the IdP answers the ACS, the answer signs up a new
// account (sign-up is open) with its enterprise identity, and the code is
// the app's. Replaying the answer signs nobody in.
func TestSAMLSignInByDomain(t *testing.T) {
	f := newSSOFixture(t)
	f.idp.SetUser(samltest.User{NameID: "u-1001", Email: "alice@acme.test", Name: "Alice Acme"})
	verifier, challenge := pkce()
	b := newBrowser(t, f.testServer)
	p := b.get(f.authURL(f.spa.ID, spaRedirect, challenge, nil))
	if !strings.Contains(p.Body, `action="`+f.URL+`/sign-in/sso"`) {
		t.Fatalf("no single sign-on form: %.500s", p.Body)
	}
	form := p.hidden()
	form.Set("email", "alice@ACME.test")
	action, answer := f.atIdP(t, b.post(f.URL+"/sign-in/sso", form, nil))
	if action != f.URL+"/api/authn/single-sign-on/saml/"+f.connectorID {
		t.Fatalf("the IdP posts to %s", action)
	}
	done := b.post(action, answer, nil)
	q := done.redirected(t, spaRedirect+"?")
	tok := f.exchange(t, q.Get("code"), verifier, nil)
	id := testkit.Claims(t, tok["id_token"].(string))
	if id["email"] != "alice@acme.test" || id["email_verified"] != true || id["name"] != "Alice Acme" {
		t.Fatalf("ID token %v", id)
	}
	user := f.mustAPI(f.mt, "GET", "/api/users/"+id["sub"].(string), nil, 200)
	idents, _ := user["identities"].(map[string]any)
	if ident, _ := idents["sso-"+f.connectorID].(map[string]any); ident["userId"] != "u-1001" {
		t.Fatalf("identities %v", user["identities"])
	}

	// The same answer again, in the same browser: the trip is spent.
	again := b.post(action, answer, nil)
	if again.Status == http.StatusSeeOther || again.Status < 400 {
		t.Fatalf("a replayed answer: %d %q", again.Status, again.Header.Get("Location"))
	}

	// The next sign-in of the same person finds the account.
	b2 := newBrowser(t, f.testServer)
	p = b2.get(f.authURL(f.spa.ID, spaRedirect, challenge, nil))
	form = p.hidden()
	form.Set("identifier", "alice@acme.test")
	form.Set("password", "anything")
	_, answer = f.atIdP(t, b2.post(f.URL+"/sign-in", form, nil)) // domain routing from the password form
	q = b2.post(action, answer, nil).redirected(t, spaRedirect+"?")
	if tok := f.exchange(t, q.Get("code"), verifier, nil); testkit.Claims(t, tok["id_token"].(string))["sub"] != id["sub"] {
		t.Fatalf("a second sign-in made another account")
	}
}

// Answers that must sign nobody in: an answer from another browser's
// trip, an answer to another connector's ACS, a tampered answer, and an
// e-mail domain no connector claims.
func TestSAMLSignInRefusals(t *testing.T) {
	f := newSSOFixture(t)
	_, challenge := pkce()
	start := func() (*browser, url.Values) {
		b := newBrowser(t, f.testServer)
		p := b.get(f.authURL(f.spa.ID, spaRedirect, challenge, nil))
		form := p.hidden()
		form.Set("email", "bob@acme.test")
		_, answer := f.atIdP(t, b.post(f.URL+"/sign-in/sso", form, nil))
		return b, answer
	}
	acs := f.URL + "/api/authn/single-sign-on/saml/" + f.connectorID

	// Another browser (without the interaction's cookie) cannot use it.
	_, answer := start()
	thief := newBrowser(t, f.testServer)
	if p := thief.post(acs, answer, nil); p.Status == http.StatusSeeOther || p.Status < 400 {
		t.Fatalf("another browser: %d %q", p.Status, p.Header.Get("Location"))
	}

	// An answer to one trip is not an answer to another (InResponseTo).
	b, first := start()
	_, second := start()
	mixed := url.Values{"SAMLResponse": second["SAMLResponse"], "RelayState": first["RelayState"]}
	if p := b.post(acs, mixed, nil); p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "could not be verified") {
		t.Fatalf("another trip's answer: %d %.300s", p.Status, p.Body)
	}

	// A tampered answer.
	b, answer = start()
	bad := url.Values{"SAMLResponse": {answer.Get("SAMLResponse")[:len(answer.Get("SAMLResponse"))-8] + "AAAAAAA="}, "RelayState": answer["RelayState"]}
	if p := b.post(acs, bad, nil); p.Status != http.StatusBadRequest {
		t.Fatalf("a tampered answer: %d", p.Status)
	}
	// A malformed ACS post.
	if p := b.post(acs, url.Values{"RelayState": {"x"}}, nil); p.Status != http.StatusBadRequest {
		t.Fatalf("no SAMLResponse: %d", p.Status)
	}

	// A domain no connector claims.
	b = newBrowser(t, f.testServer)
	p := b.get(f.authURL(f.spa.ID, spaRedirect, challenge, nil))
	form := p.hidden()
	form.Set("email", "carol@other.test")
	if p := b.post(f.URL+"/sign-in/sso", form, nil); p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "not set up for this email domain") {
		t.Fatalf("unknown domain: %d %.300s", p.Status, p.Body)
	}
	// Unknown connector's metadata.
	if r := f.do("GET", "/enterprise-sso/nope", nil, nil); r.Status != 404 {
		t.Fatalf("metadata of no connector: %d", r.Status)
	}
}

// Auth0's connection parameter names the enterprise connection: the
// pages go straight to its provider; an unknown one is Auth0's error.
func TestSAMLConnectionParameter(t *testing.T) {
	f := newSSOFixture(t)
	_, challenge := pkce()
	b := newBrowser(t, f.testServer)
	p := b.get(f.auth0AuthURL(challenge, url.Values{"connection": {"acme"}}))
	action, answer := f.atIdP(t, p)
	b.post(action, answer, nil).redirected(t, spaRedirect+"?")

	q := b.get(f.auth0AuthURL(challenge, url.Values{"connection": {"nope"}})).redirected(t, spaRedirect)
	if q.Get("error") != "invalid_request" || !strings.Contains(q.Get("error_description"), "connection was not found") {
		t.Fatalf("unknown connection: %v", q)
	}
}
