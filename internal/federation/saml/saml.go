// Package saml is a SAML 2.0 service provider for enterprise single
// sign-on: SP-initiated sign-in over the HTTP-Redirect binding, answers
// over HTTP-POST only, and signed assertions required (a signature on the
// Response or on the assertion, checked against the IdP's certificates
// from its metadata). Assertion ids are single use (internal/replay), so a
// captured answer cannot be posted twice. Parsing, signature checking and
// the XML signature wrapping defences are github.com/crewjam/saml's.
package saml

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	crewjam "github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/monban/monban/internal/replay"
)

// MaxMetadata bounds an IdP metadata document, fetched or given.
const MaxMetadata = 256 << 10

// MaxResponse bounds a posted SAMLResponse (base64).
const MaxResponse = 256 << 10

// Errors a caller words for people.
var (
	// ErrMetadata: the IdP's metadata is missing, unreadable or names no
	// sign-in endpoint or signing certificate.
	ErrMetadata = errors.New("saml: the identity provider's metadata is not usable")
	// ErrResponse: the answer is not a valid signed assertion for this
	// service provider (unsigned, wrongly signed, expired, for another
	// audience, or malformed).
	ErrResponse = errors.New("saml: the identity provider's answer was refused")
	// ErrReplayed: the assertion was accepted before.
	ErrReplayed = errors.New("saml: the assertion was used before")
)

// IdP is what the service provider knows of an identity provider, read
// from metadata.
type IdP struct {
	Descriptor *crewjam.EntityDescriptor
}

// EntityID is the IdP's entity id.
func (i IdP) EntityID() string { return i.Descriptor.EntityID }

// SignInEndpoint is the IdP's HTTP-Redirect single sign-on location.
func (i IdP) SignInEndpoint() string {
	for _, d := range i.Descriptor.IDPSSODescriptors {
		for _, s := range d.SingleSignOnServices {
			if s.Binding == crewjam.HTTPRedirectBinding {
				return s.Location
			}
		}
	}
	return ""
}

// Certificate is the IdP's first signing certificate (base64 DER, as in
// metadata) and when it expires.
func (i IdP) Certificate() (string, time.Time) {
	for _, d := range i.Descriptor.IDPSSODescriptors {
		for _, k := range d.KeyDescriptors {
			if k.Use != "" && k.Use != "signing" {
				continue
			}
			for _, c := range k.KeyInfo.X509Data.X509Certificates {
				data := strings.Join(strings.Fields(c.Data), "")
				der, err := base64.StdEncoding.DecodeString(data)
				if err != nil {
					continue
				}
				cert, err := x509.ParseCertificate(der)
				if err != nil {
					continue
				}
				return data, cert.NotAfter
			}
		}
	}
	return "", time.Time{}
}

// ParseMetadata reads an IdP's metadata document (an EntityDescriptor, or
// an EntitiesDescriptor holding exactly one IdP).
func ParseMetadata(doc []byte) (IdP, error) {
	if len(doc) == 0 || len(doc) > MaxMetadata {
		return IdP{}, fmt.Errorf("%w: empty or larger than %d bytes", ErrMetadata, MaxMetadata)
	}
	d, err := parseEntity(doc)
	if err != nil {
		return IdP{}, fmt.Errorf("%w: %v", ErrMetadata, err)
	}
	idp := IdP{Descriptor: d}
	if len(d.IDPSSODescriptors) == 0 || idp.SignInEndpoint() == "" {
		return IdP{}, fmt.Errorf("%w: no IDPSSODescriptor with an HTTP-Redirect SingleSignOnService", ErrMetadata)
	}
	if c, _ := idp.Certificate(); c == "" {
		return IdP{}, fmt.Errorf("%w: no signing certificate", ErrMetadata)
	}
	return idp, nil
}

// parseEntity reads an EntityDescriptor, or the one entity with an
// IDPSSODescriptor in an EntitiesDescriptor.
func parseEntity(doc []byte) (*crewjam.EntityDescriptor, error) {
	var root struct{ XMLName xml.Name }
	if err := xml.Unmarshal(doc, &root); err != nil {
		return nil, err
	}
	switch root.XMLName.Local {
	case "EntityDescriptor":
		d := &crewjam.EntityDescriptor{}
		if err := xml.Unmarshal(doc, d); err != nil {
			return nil, err
		}
		return d, nil
	case "EntitiesDescriptor":
		all := &crewjam.EntitiesDescriptor{}
		if err := xml.Unmarshal(doc, all); err != nil {
			return nil, err
		}
		var found *crewjam.EntityDescriptor
		for i := range all.EntityDescriptors {
			if len(all.EntityDescriptors[i].IDPSSODescriptors) > 0 {
				if found != nil {
					return nil, errors.New("more than one identity provider in the metadata")
				}
				found = &all.EntityDescriptors[i]
			}
		}
		if found == nil {
			return nil, errors.New("no identity provider in the metadata")
		}
		return found, nil
	}
	return nil, fmt.Errorf("the root element is %q, not EntityDescriptor", root.XMLName.Local)
}

// ManualIdP makes an IdP from its entity id, sign-in endpoint and signing
// certificate (PEM, or the base64 DER of metadata).
func ManualIdP(entityID, signInEndpoint, certificate string) (IdP, error) {
	if entityID == "" || signInEndpoint == "" || certificate == "" {
		return IdP{}, fmt.Errorf("%w: entityId, signInEndpoint and x509Certificate are all needed", ErrMetadata)
	}
	if u, err := url.Parse(signInEndpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return IdP{}, fmt.Errorf("%w: signInEndpoint is not an http(s) URL", ErrMetadata)
	}
	der := []byte(nil)
	if b, _ := pem.Decode([]byte(strings.TrimSpace(certificate))); b != nil {
		der = b.Bytes
	} else if d, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(certificate), "")); err == nil {
		der = d
	}
	if _, err := x509.ParseCertificate(der); err != nil {
		return IdP{}, fmt.Errorf("%w: x509Certificate is not a certificate", ErrMetadata)
	}
	d := &crewjam.EntityDescriptor{EntityID: entityID, IDPSSODescriptors: []crewjam.IDPSSODescriptor{{
		SSODescriptor: crewjam.SSODescriptor{RoleDescriptor: crewjam.RoleDescriptor{
			ProtocolSupportEnumeration: "urn:oasis:names:tc:SAML:2.0:protocol",
			KeyDescriptors: []crewjam.KeyDescriptor{{Use: "signing", KeyInfo: crewjam.KeyInfo{
				X509Data: crewjam.X509Data{X509Certificates: []crewjam.X509Certificate{{Data: base64.StdEncoding.EncodeToString(der)}}}}}},
		}},
		SingleSignOnServices: []crewjam.Endpoint{{Binding: crewjam.HTTPRedirectBinding, Location: signInEndpoint}},
	}}}
	return IdP{Descriptor: d}, nil
}

// FetchMetadata reads an IdP's metadata from url with client (which the
// caller builds under its egress policy), bounded in size.
func FetchMetadata(ctx context.Context, client *http.Client, metadataURL string) ([]byte, error) {
	u, err := url.Parse(metadataURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("%w: metadataUrl is not an http(s) URL", ErrMetadata)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMetadata, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: fetching the metadata: %v", ErrMetadata, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: fetching the metadata: status %d", ErrMetadata, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxMetadata+1))
	if err != nil {
		return nil, fmt.Errorf("%w: reading the metadata: %v", ErrMetadata, err)
	}
	if len(body) > MaxMetadata {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrMetadata, MaxMetadata)
	}
	return body, nil
}

// SP is the service provider of one connector.
type SP struct {
	sp     *crewjam.ServiceProvider
	replay replay.Cache
}

// Config is what an SP is made of. EntityID and ACS are this server's
// URLs for the connector; Replay records accepted assertion ids; Clock,
// when set, replaces the real clock (tests).
type Config struct {
	EntityID string
	ACS      string
	IdP      IdP
	Replay   replay.Cache
	Clock    *dsig.Clock
}

// New makes the service provider.
func New(c Config) (*SP, error) {
	acs, err := url.Parse(c.ACS)
	if err != nil || c.EntityID == "" || c.IdP.Descriptor == nil || c.Replay == nil {
		return nil, errors.New("saml: an SP needs an entity id, an ACS URL, an IdP and a replay cache")
	}
	sp := &crewjam.ServiceProvider{
		EntityID:                         c.EntityID,
		AcsURL:                           *acs,
		MetadataURL:                      url.URL{},
		IDPMetadata:                      c.IdP.Descriptor,
		AuthnNameIDFormat:                crewjam.UnspecifiedNameIDFormat,
		AssertionConsumerServiceBindings: []string{crewjam.HTTPPostBinding},
		RejectSHA1Signatures:             true,
		MetadataValidDuration:            48 * time.Hour,
		Clock:                            c.Clock,
	}
	out := &SP{sp: sp, replay: c.Replay}
	sp.ReplayCache = replayAdapter{out}
	return out, nil
}

// Metadata is the SP's metadata document.
func (s *SP) Metadata() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	if err := xml.NewEncoder(&b).Encode(s.sp.Metadata()); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// SignInURL makes an authentication request and returns the IdP URL to
// send the browser to (HTTP-Redirect binding) and the request's id, which
// the caller keeps to check the answer's InResponseTo.
func (s *SP) SignInURL(relayState string) (string, string, error) {
	req, err := s.sp.MakeAuthenticationRequest(s.sp.GetSSOBindingLocation(crewjam.HTTPRedirectBinding), crewjam.HTTPRedirectBinding, crewjam.HTTPPostBinding)
	if err != nil {
		return "", "", fmt.Errorf("saml: making the request: %w", err)
	}
	u, err := req.Redirect(relayState, s.sp)
	if err != nil {
		return "", "", fmt.Errorf("saml: making the request: %w", err)
	}
	return u.String(), req.ID, nil
}

// Assertion is what a verified assertion says of the person.
type Assertion struct {
	ID         string
	NameID     string
	Issuer     string
	Attributes map[string][]string // by Name and by FriendlyName
}

// First is the first value of the attribute name ("" if none).
func (a Assertion) First(name string) string {
	if name == "nameID" {
		return a.NameID
	}
	if v := a.Attributes[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Consume checks a posted SAMLResponse (HTTP-POST binding) answering the
// request requestID, and returns its assertion. Every refusal wraps
// ErrResponse or ErrReplayed; the detail is for logs, never for the page.
func (s *SP) Consume(samlResponse, requestID string) (Assertion, error) {
	if samlResponse == "" || len(samlResponse) > MaxResponse {
		return Assertion{}, fmt.Errorf("%w: SAMLResponse is missing or too large", ErrResponse)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(samlResponse), ""))
	if err != nil {
		return Assertion{}, fmt.Errorf("%w: SAMLResponse is not base64", ErrResponse)
	}
	ids := []string{requestID}
	if requestID == "" {
		ids = nil
	}
	a, err := s.sp.ParseXMLResponse(raw, ids, s.sp.AcsURL)
	if err != nil {
		if errors.Is(err, crewjam.ErrAssertionReplayed) {
			return Assertion{}, ErrReplayed
		}
		var ire *crewjam.InvalidResponseError
		if errors.As(err, &ire) && ire.PrivateErr != nil {
			if errors.Is(ire.PrivateErr, crewjam.ErrAssertionReplayed) {
				return Assertion{}, ErrReplayed
			}
			return Assertion{}, fmt.Errorf("%w: %v", ErrResponse, ire.PrivateErr)
		}
		return Assertion{}, fmt.Errorf("%w: %v", ErrResponse, err)
	}
	out := Assertion{ID: a.ID, Attributes: map[string][]string{}}
	if a.Issuer.Value != "" {
		out.Issuer = a.Issuer.Value
	}
	if a.Subject != nil && a.Subject.NameID != nil {
		out.NameID = a.Subject.NameID.Value
	}
	if out.NameID == "" {
		return Assertion{}, fmt.Errorf("%w: the assertion names no subject", ErrResponse)
	}
	for _, st := range a.AttributeStatements {
		for _, at := range st.Attributes {
			var vals []string
			for _, v := range at.Values {
				vals = append(vals, v.Value)
			}
			for _, n := range []string{at.Name, at.FriendlyName} {
				if n != "" {
					out.Attributes[n] = append(out.Attributes[n], vals...)
				}
			}
		}
	}
	return out, nil
}

// replayAdapter records assertion ids in the server's replay cache, under
// a prefix of their own.
type replayAdapter struct{ sp *SP }

func (r replayAdapter) Consume(id string, until time.Time) error {
	err := r.sp.replay.UseOnce(context.Background(), "saml:"+r.sp.sp.EntityID+":"+id, until)
	if errors.Is(err, replay.ErrReplayed) {
		return crewjam.ErrAssertionReplayed
	}
	return err
}

// SPMetadata is the metadata document of the service provider entityID
// whose ACS is acs; it needs no IdP, so it can be handed to the IdP
// before the connector is configured.
func SPMetadata(entityID, acs string) ([]byte, error) {
	u, err := url.Parse(acs)
	if err != nil {
		return nil, err
	}
	sp := &SP{sp: &crewjam.ServiceProvider{EntityID: entityID, AcsURL: *u, AuthnNameIDFormat: crewjam.UnspecifiedNameIDFormat,
		AssertionConsumerServiceBindings: []string{crewjam.HTTPPostBinding}, MetadataValidDuration: 48 * time.Hour}}
	return sp.Metadata()
}

// SignInURLWithID is SignInURL for a request whose id the caller chose
// (an xs:ID it can make again to check the answer), so no state need be
// kept for it.
func (s *SP) SignInURLWithID(relayState, requestID string) (string, error) {
	req, err := s.sp.MakeAuthenticationRequest(s.sp.GetSSOBindingLocation(crewjam.HTTPRedirectBinding), crewjam.HTTPRedirectBinding, crewjam.HTTPPostBinding)
	if err != nil {
		return "", fmt.Errorf("saml: making the request: %w", err)
	}
	req.ID = requestID
	u, err := req.Redirect(relayState, s.sp)
	if err != nil {
		return "", fmt.Errorf("saml: making the request: %w", err)
	}
	return u.String(), nil
}
