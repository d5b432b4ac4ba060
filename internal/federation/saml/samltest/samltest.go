// Package samltest runs a SAML identity provider for tests, built with the
// same library as the service provider: it signs every person in as the
// configured user without asking, and answers any service provider whose
// metadata it is given.
package samltest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"sync"
	"testing"
	"time"

	crewjam "github.com/crewjam/saml"
	"github.com/crewjam/saml/logger"
	dsig "github.com/russellhaering/goxmldsig"
)

// User is who the IdP says signs in.
type User struct {
	NameID string
	Email  string
	Name   string
}

// IdP is a running test identity provider.
type IdP struct {
	Server *httptest.Server
	IDP    *crewjam.IdentityProvider
	Key    *rsa.PrivateKey
	Cert   *x509.Certificate

	mu   sync.Mutex
	user User
	sps  map[string]*crewjam.EntityDescriptor
}

// Options change how the IdP answers.
type Options struct {
	// EntityID is the IdP's entity id (default: its metadata URL).
	EntityID string
	// Clock, when set, is the IdP's clock (to issue expired assertions).
	Clock *dsig.Clock
}

// New starts an IdP with a fresh key, stopped when the test ends.
func New(t testing.TB, o Options) *IdP {
	t.Helper()
	key, cert := KeyPair(t)
	idp := &IdP{Key: key, Cert: cert, sps: map[string]*crewjam.EntityDescriptor{}, user: User{NameID: "alice", Email: "alice@example.com", Name: "Alice"}}
	mux := http.NewServeMux()
	idp.Server = httptest.NewServer(mux)
	t.Cleanup(idp.Server.Close)
	base, _ := url.Parse(idp.Server.URL)
	meta := *base
	meta.Path = "/metadata"
	if o.EntityID != "" {
		m, _ := url.Parse(o.EntityID)
		meta = *m
	}
	sso := *base
	sso.Path = "/sso"
	idp.IDP = &crewjam.IdentityProvider{
		Key: key, Certificate: cert, MetadataURL: meta, SSOURL: sso,
		ServiceProviderProvider: idp, SessionProvider: idp, Clock: o.Clock,
		SignatureMethod: dsig.RSASHA256SignatureMethod, Logger: logger.DefaultLogger,
	}
	mux.HandleFunc("/metadata", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/samlmetadata+xml")
		_ = xml.NewEncoder(w).Encode(idp.IDP.Metadata())
	})
	mux.HandleFunc("/sso", idp.IDP.ServeSSO)
	return idp
}

// MetadataXML is the IdP's metadata document.
func (i *IdP) MetadataXML(t testing.TB) string {
	t.Helper()
	b, err := xml.Marshal(i.IDP.Metadata())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// MetadataURL is where the IdP serves its metadata.
func (i *IdP) MetadataURL() string { return i.Server.URL + "/metadata" }

// CertificatePEM is the IdP's signing certificate in PEM.
func (i *IdP) CertificatePEM() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: i.Cert.Raw}))
}

// SetUser changes who signs in next.
func (i *IdP) SetUser(u User) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.user = u
}

// AddSP registers a service provider's metadata document.
func (i *IdP) AddSP(t testing.TB, metadata []byte) {
	t.Helper()
	d := &crewjam.EntityDescriptor{}
	if err := xml.Unmarshal(metadata, d); err != nil {
		t.Fatalf("SP metadata: %v", err)
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.sps[d.EntityID] = d
}

// GetServiceProvider implements crewjam.ServiceProviderProvider.
func (i *IdP) GetServiceProvider(_ *http.Request, id string) (*crewjam.EntityDescriptor, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if d, ok := i.sps[id]; ok {
		return d, nil
	}
	return nil, os.ErrNotExist
}

// GetSession implements crewjam.SessionProvider: everyone is the user.
func (i *IdP) GetSession(_ http.ResponseWriter, _ *http.Request, _ *crewjam.IdpAuthnRequest) *crewjam.Session {
	i.mu.Lock()
	defer i.mu.Unlock()
	now := time.Now()
	return &crewjam.Session{ID: "s-" + i.user.NameID, CreateTime: now, ExpireTime: now.Add(time.Hour), Index: "1",
		NameID: i.user.NameID, NameIDFormat: string(crewjam.UnspecifiedNameIDFormat),
		CustomAttributes: []crewjam.Attribute{
			{Name: "email", NameFormat: "urn:oasis:names:tc:SAML:2.0:attrname-format:basic", Values: []crewjam.AttributeValue{{Type: "xs:string", Value: i.user.Email}}},
			{Name: "name", NameFormat: "urn:oasis:names:tc:SAML:2.0:attrname-format:basic", Values: []crewjam.AttributeValue{{Type: "xs:string", Value: i.user.Name}}},
		}}
}

// KeyPair makes an RSA key and a self-signed certificate for it.
func KeyPair(t testing.TB) (*rsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test idp"},
		NotBefore: time.Now().Add(-24 * time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return key, cert
}

// ErrNoForm: the IdP's answer held no SAMLResponse form.
var ErrNoForm = errors.New("samltest: no SAMLResponse in the answer")

var (
	formAction   = regexp.MustCompile(`<form method="post" action="([^"]*)"`)
	formResponse = regexp.MustCompile(`name="SAMLResponse" value="([^"]*)"`)
	formRelay    = regexp.MustCompile(`name="RelayState" value="([^"]*)"`)
)

// Answer follows a sign-in URL at the IdP, as a browser would, and returns
// the form the IdP posts back: where to, the SAMLResponse and the
// RelayState.
func Answer(client *http.Client, signInURL string) (action, samlResponse, relayState string, err error) {
	resp, err := client.Get(signInURL)
	if err != nil {
		return "", "", "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", "", "", err
	}
	a, r, s := formAction.FindSubmatch(body), formResponse.FindSubmatch(body), formRelay.FindSubmatch(body)
	if a == nil || r == nil {
		return "", "", "", fmt.Errorf("%w (status %d): %.300s", ErrNoForm, resp.StatusCode, body)
	}
	relay := ""
	if s != nil {
		relay = html.UnescapeString(string(s[1]))
	}
	return html.UnescapeString(string(a[1])), html.UnescapeString(string(r[1])), relay, nil
}
