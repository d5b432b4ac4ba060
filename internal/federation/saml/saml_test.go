package saml_test

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/monban/monban/internal/federation/saml"
	"github.com/monban/monban/internal/federation/saml/samltest"
	"github.com/monban/monban/internal/replay"
)

const (
	spEntity = "https://sp.example/enterprise-sso/c1"
	spACS    = "https://sp.example/api/authn/single-sign-on/saml/c1"
)

func newSP(t *testing.T, idp *samltest.IdP, entityID string, cache replay.Cache) *saml.SP {
	t.Helper()
	meta, err := saml.ParseMetadata([]byte(idp.MetadataXML(t)))
	if err != nil {
		t.Fatalf("ParseMetadata: %v", err)
	}
	sp, err := saml.New(saml.Config{EntityID: entityID, ACS: spACS, IdP: meta, Replay: cache})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := sp.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	idp.AddSP(t, doc)
	return sp
}

var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 10 * time.Second}

// answer signs in at the IdP for sp and returns the posted SAMLResponse
// and the request id it answers.
func answer(t *testing.T, sp *saml.SP) (string, string) {
	t.Helper()
	u, id, err := sp.SignInURL("relay-1")
	if err != nil {
		t.Fatal(err)
	}
	action, resp, relay, err := samltest.Answer(noRedirects, u)
	if err != nil {
		t.Fatal(err)
	}
	if action != spACS || relay != "relay-1" {
		t.Fatalf("the IdP posts to %q with RelayState %q", action, relay)
	}
	return resp, id
}

func memCache() replay.Cache { return replay.NewMemory(100, time.Now) }

func TestSignIn(t *testing.T) {
	idp := samltest.New(t, samltest.Options{})
	sp := newSP(t, idp, spEntity, memCache())
	resp, id := answer(t, sp)
	a, err := sp.Consume(resp, id)
	if err != nil {
		t.Fatalf("Consume: %v", err)
	}
	if a.NameID != "alice" || a.First("email") != "alice@example.com" || a.First("name") != "Alice" || a.First("nameID") != "alice" {
		t.Fatalf("assertion = %+v", a)
	}
	if a.Issuer != idp.MetadataURL() {
		t.Fatalf("issuer %q", a.Issuer)
	}
}

func TestMetadataSources(t *testing.T) {
	idp := samltest.New(t, samltest.Options{})
	m, err := saml.ParseMetadata([]byte(idp.MetadataXML(t)))
	if err != nil {
		t.Fatal(err)
	}
	if m.EntityID() != idp.MetadataURL() || m.SignInEndpoint() != idp.Server.URL+"/sso" {
		t.Fatalf("metadata: %s %s", m.EntityID(), m.SignInEndpoint())
	}
	cert, exp := m.Certificate()
	if cert == "" || exp.Before(time.Now()) {
		t.Fatalf("certificate %q expires %v", cert, exp)
	}
	manual, err := saml.ManualIdP(m.EntityID(), m.SignInEndpoint(), idp.CertificatePEM())
	if err != nil {
		t.Fatalf("ManualIdP: %v", err)
	}
	sp, err := saml.New(saml.Config{EntityID: spEntity, ACS: spACS, IdP: manual, Replay: memCache()})
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := sp.Metadata()
	idp.AddSP(t, doc)
	resp, id := answer(t, sp)
	if _, err := sp.Consume(resp, id); err != nil {
		t.Fatalf("Consume with a manual IdP: %v", err)
	}

	for name, doc := range map[string]string{
		"empty":       "",
		"not xml":     "hello",
		"no idp":      `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"></EntityDescriptor>`,
		"other root":  `<Foo/>`,
		"entity bomb": `<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><EntityDescriptor entityID="&b;"/>`,
	} {
		if _, err := saml.ParseMetadata([]byte(doc)); !errors.Is(err, saml.ErrMetadata) {
			t.Errorf("%s: ParseMetadata = %v, want ErrMetadata", name, err)
		}
	}
	for name, c := range map[string][3]string{
		"no cert":   {"e", "https://idp/sso", ""},
		"bad cert":  {"e", "https://idp/sso", "not a cert"},
		"bad url":   {"e", "javascript:alert(1)", idp.CertificatePEM()},
		"no entity": {"", "https://idp/sso", idp.CertificatePEM()},
	} {
		if _, err := saml.ManualIdP(c[0], c[1], c[2]); !errors.Is(err, saml.ErrMetadata) {
			t.Errorf("%s: ManualIdP = %v, want ErrMetadata", name, err)
		}
	}
}

func TestReplayRefused(t *testing.T) {
	idp := samltest.New(t, samltest.Options{})
	sp := newSP(t, idp, spEntity, memCache())
	resp, id := answer(t, sp)
	if _, err := sp.Consume(resp, id); err != nil {
		t.Fatal(err)
	}
	if _, err := sp.Consume(resp, id); !errors.Is(err, saml.ErrReplayed) {
		t.Fatalf("second Consume = %v, want ErrReplayed", err)
	}
}

// edit decodes a SAMLResponse, lets f change it and encodes it again.
func edit(t *testing.T, resp string, f func(doc *etree.Document)) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(resp)
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		t.Fatal(err)
	}
	f(doc)
	out, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(out)
}

func removeSignature(el *etree.Element) {
	for _, c := range el.ChildElements() {
		if c.Tag == "Signature" {
			el.RemoveChild(c)
		}
	}
}

func assertionOf(doc *etree.Document) *etree.Element {
	for _, c := range doc.Root().ChildElements() {
		if c.Tag == "Assertion" {
			return c
		}
	}
	return nil
}

func refused(t *testing.T, sp *saml.SP, resp, id, what string) {
	t.Helper()
	a, err := sp.Consume(resp, id)
	if !errors.Is(err, saml.ErrResponse) {
		t.Fatalf("%s: Consume = %+v, %v; want ErrResponse", what, a, err)
	}
}

func TestUnsignedRefused(t *testing.T) {
	idp := samltest.New(t, samltest.Options{})
	sp := newSP(t, idp, spEntity, memCache())
	resp, id := answer(t, sp)
	unsigned := edit(t, resp, func(doc *etree.Document) {
		removeSignature(doc.Root())
		removeSignature(assertionOf(doc))
	})
	refused(t, sp, unsigned, id, "unsigned response and assertion")
	// The signed original still passes (it was not consumed by the refusal).
	if _, err := sp.Consume(resp, id); err != nil {
		t.Fatalf("the signed original: %v", err)
	}
	// A signed Response whose assertion is unsigned is covered by the
	// Response's signature; an altered one is not.
	resp, id = answer(t, sp)
	altered := edit(t, resp, func(doc *etree.Document) {
		a := assertionOf(doc)
		removeSignature(a)
		a.FindElement("./Subject/NameID").SetText("mallory")
	})
	refused(t, sp, altered, id, "altered assertion under the Response's signature")
}

func TestWronglySignedRefused(t *testing.T) {
	idp := samltest.New(t, samltest.Options{})
	sp := newSP(t, idp, spEntity, memCache())
	// An IdP whose answers are signed by a key other than the one the
	// service provider trusts for it.
	impostor := samltest.New(t, samltest.Options{})
	m, err := saml.ParseMetadata([]byte(impostor.MetadataXML(t)))
	if err != nil {
		t.Fatal(err)
	}
	trusted, err := saml.ManualIdP(m.EntityID(), m.SignInEndpoint(), idp.CertificatePEM())
	if err != nil {
		t.Fatal(err)
	}
	spWrong, err := saml.New(saml.Config{EntityID: spEntity, ACS: spACS, IdP: trusted, Replay: memCache()})
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := spWrong.Metadata()
	impostor.AddSP(t, doc)
	resp, id := answer(t, spWrong)
	refused(t, spWrong, resp, id, "signed by another key")

	// A signed answer whose subject was changed afterwards.
	resp, id = answer(t, sp)
	tampered := edit(t, resp, func(doc *etree.Document) {
		assertionOf(doc).FindElement("./Subject/NameID").SetText("mallory")
	})
	refused(t, sp, tampered, id, "tampered after signing")
}

func TestAudienceAndTimeRefused(t *testing.T) {
	idp := samltest.New(t, samltest.Options{})
	sp := newSP(t, idp, spEntity, memCache())
	other := newSP(t, idp, "https://other.example/sp", memCache())
	resp, id := answer(t, other)
	refused(t, sp, resp, id, "assertion for another audience")

	// The same answer read three hours later.
	resp, id = answer(t, sp)
	meta, _ := saml.ParseMetadata([]byte(idp.MetadataXML(t)))
	later, err := saml.New(saml.Config{EntityID: spEntity, ACS: spACS, IdP: meta, Replay: memCache(),
		Clock: dsig.NewFakeClockAt(time.Now().Add(3 * time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	refused(t, later, resp, id, "expired assertion")
	if _, err := sp.Consume(resp, id); err != nil {
		t.Fatalf("the same answer in time: %v", err)
	}

	// An answer to another request (or none at all: IdP-initiated).
	resp, _ = answer(t, sp)
	refused(t, sp, resp, "id-another-request", "answer to another request")
	refused(t, sp, resp, "", "unsolicited answer")

	for name, bad := range map[string]string{"empty": "", "not base64": "%%%", "not xml": base64.StdEncoding.EncodeToString([]byte("hello")),
		"too large": strings.Repeat("A", saml.MaxResponse+4)} {
		refused(t, sp, bad, id, name)
	}
}

// TestSignatureWrappingRefused: the XML signature wrapping cases the
// library documents (spec_signature_encryption_test.go of
// github.com/crewjam/saml): a forged assertion beside, around, or carrying
// the signature of the signed one is never consumed.
func TestSignatureWrappingRefused(t *testing.T) {
	idp := samltest.New(t, samltest.Options{})
	sp := newSP(t, idp, spEntity, memCache())
	forge := func(doc *etree.Document) (legit, forged *etree.Element) {
		removeSignature(doc.Root()) // the Response's own signature would catch it first
		legit = assertionOf(doc)
		forged = legit.Copy()
		removeSignature(forged)
		forged.FindElement("./Subject/NameID").SetText("mallory")
		return legit, forged
	}
	cases := map[string]func(doc *etree.Document){
		"forged assertion beside the signed one": func(doc *etree.Document) {
			_, forged := forge(doc)
			doc.Root().InsertChildAt(assertionOf(doc).Index(), forged)
		},
		"forged assertion alone": func(doc *etree.Document) {
			legit, forged := forge(doc)
			doc.Root().RemoveChild(legit)
			doc.Root().AddChild(forged)
		},
		"forged assertion wrapping the signed one": func(doc *etree.Document) {
			legit, forged := forge(doc)
			doc.Root().RemoveChild(legit)
			forged.CreateElement("saml:Advice").AddChild(legit)
			doc.Root().AddChild(forged)
		},
		"forged assertion carrying the signed one's signature": func(doc *etree.Document) {
			legit, forged := forge(doc)
			doc.Root().RemoveChild(legit)
			sig := legit.FindElement("./Signature").Copy()
			forged.InsertChildAt(forged.ChildElements()[1].Index(), sig)
			forged.CreateElement("saml:Advice").AddChild(legit)
			doc.Root().AddChild(forged)
		},
		"two signatures": func(doc *etree.Document) {
			removeSignature(doc.Root())
			a := assertionOf(doc)
			a.InsertChildAt(a.ChildElements()[1].Index(), a.FindElement("./Signature").Copy())
		},
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			resp, id := answer(t, sp)
			refused(t, sp, edit(t, resp, f), id, name)
		})
	}
	// The same edits without forging keep a valid answer valid: the
	// refusals above are the forgery's.
	resp, id := answer(t, sp)
	ok := edit(t, resp, func(doc *etree.Document) { removeSignature(doc.Root()) })
	if _, err := sp.Consume(ok, id); err != nil {
		t.Fatalf("signed assertion in an unsigned Response: %v", err)
	}
}
