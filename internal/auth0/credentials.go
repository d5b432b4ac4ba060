package auth0

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/monban/monban/internal/auth0shape"
	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/jwk"
	"github.com/monban/monban/internal/store"
)

// Auth0's client credentials: public keys a client signs its assertions
// with (private_key_jwt), registered as PEM (a public key or a certificate)
// with an algorithm, and kept as the application's registered keys. A
// credential's kid is its key's RFC 7638 thumbprint.

// credentialAlgs are the algorithms Auth0 takes for a credential, less its
// RS384, which no client assertion here may use.
var credentialAlgs = []string{"RS256", "PS256"}

// credentialJSON is Auth0's credential.
type credentialJSON struct {
	ID             string  `json:"id"`
	Name           string  `json:"name"`
	KID            string  `json:"kid"`
	Alg            string  `json:"alg"`
	CredentialType string  `json:"credential_type"`
	CreatedAt      string  `json:"created_at"`
	UpdatedAt      string  `json:"updated_at"`
	ExpiresAt      *string `json:"expires_at,omitempty"`
}

func credentialOut(k store.ClientKey) credentialJSON {
	out := credentialJSON{ID: k.ID, Name: k.Name, CredentialType: "public_key",
		CreatedAt: auth0shape.Time(k.CreatedAt), UpdatedAt: auth0shape.Time(k.CreatedAt)}
	if parsed, err := jwk.Parse(k.JWK); err == nil {
		out.KID, out.Alg = parsed.Kid, parsed.Alg
	}
	if !k.ExpiresAt.IsZero() {
		e := auth0shape.Time(k.ExpiresAt)
		out.ExpiresAt = &e
	}
	return out
}

// credentialIn is a credential a create gives.
type credentialIn struct {
	CredentialType      *string `json:"credential_type"`
	Name                *string `json:"name"`
	PEM                 *string `json:"pem"`
	Alg                 *string `json:"alg"`
	ParseExpiryFromCert *bool   `json:"parse_expiry_from_cert"`
	ExpiresAt           *string `json:"expires_at"`
}

// key reads the credential into a registered key's JWK and expiry.
func (c credentialIn) key() (directory.ClientKeyIn, error) {
	var out directory.ClientKeyIn
	if c.CredentialType == nil || *c.CredentialType != "public_key" {
		return out, badBody("Payload validation error: 'credential_type' must be public_key.")
	}
	if c.PEM == nil || *c.PEM == "" {
		return out, badBody("Payload validation error: 'Missing required property: pem'.")
	}
	alg := "RS256"
	if c.Alg != nil {
		alg = *c.Alg
	}
	if !slices.Contains(credentialAlgs, alg) {
		return out, badBody("Payload validation error: 'alg' must be one of " + strings.Join(credentialAlgs, ", ") + ".")
	}
	pub, certExpiry, err := readPEM(*c.PEM)
	if err != nil {
		return out, badBody("Payload validation error: 'pem' must be a PEM public key or certificate of an RSA key of 2048 bits or more.")
	}
	kid, err := jwk.Thumbprint(pub)
	if err != nil {
		return out, badBody("Payload validation error: 'pem' holds no usable key.")
	}
	out.JWK, err = jose.JSONWebKey{Key: pub, KeyID: kid, Algorithm: alg, Use: "sig"}.MarshalJSON()
	if err != nil {
		return out, badBody("Payload validation error: 'pem' holds no usable key.")
	}
	if c.Name != nil {
		out.Name = *c.Name
	}
	switch {
	case c.ExpiresAt != nil && c.ParseExpiryFromCert != nil && *c.ParseExpiryFromCert:
		return out, badBody("Payload validation error: give expires_at or parse_expiry_from_cert, not both.")
	case c.ExpiresAt != nil:
		if out.ExpiresAt, err = time.Parse(time.RFC3339, *c.ExpiresAt); err != nil {
			return out, badBody("Payload validation error: 'expires_at' must be an ISO 8601 date and time.")
		}
	case c.ParseExpiryFromCert != nil && *c.ParseExpiryFromCert:
		if certExpiry.IsZero() {
			return out, badBody("Payload validation error: parse_expiry_from_cert needs a certificate.")
		}
		out.ExpiresAt = certExpiry
	}
	return out, nil
}

// readPEM reads an RSA public key from a PEM public key or certificate,
// with the certificate's expiry (zero for a bare key).
func readPEM(s string) (any, time.Time, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, time.Time{}, errBadPEM
	}
	var pub any
	var expiry time.Time
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, time.Time{}, err
		}
		pub = k
	case "CERTIFICATE":
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, time.Time{}, err
		}
		pub, expiry = cert.PublicKey, cert.NotAfter
	default:
		return nil, time.Time{}, errBadPEM
	}
	if k, ok := pub.(*rsa.PublicKey); !ok || k.N.BitLen() < 2048 {
		return nil, time.Time{}, errBadPEM
	}
	return pub, expiry, nil
}

var errBadPEM = badBody("bad PEM")

// client returns the application a credential route names, or Auth0's
// inexistent_client.
func (s *server) credentialClient(r *http.Request) (store.Application, error) {
	app, err := s.dir.Application(r.Context(), r.PathValue("id"))
	if err != nil {
		return app, notFound("client")
	}
	return app, nil
}

func (s *server) listCredentials(w http.ResponseWriter, r *http.Request) error {
	app, err := s.credentialClient(r)
	if err != nil {
		return err
	}
	out := make([]credentialJSON, 0, len(app.ClientKeys))
	for _, k := range app.ClientKeys {
		out = append(out, credentialOut(k))
	}
	httpjson.Write(w, http.StatusOK, out)
	return nil
}

func (s *server) createCredential(w http.ResponseWriter, r *http.Request) error {
	var body credentialIn
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if _, err := s.credentialClient(r); err != nil {
		return err
	}
	in, err := body.key()
	if err != nil {
		return err
	}
	k, err := s.dir.AddClientKey(r.Context(), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	s.changed(r)
	httpjson.Write(w, http.StatusCreated, credentialOut(k))
	return nil
}

func (s *server) findCredential(r *http.Request) (store.ClientKey, error) {
	app, err := s.credentialClient(r)
	if err != nil {
		return store.ClientKey{}, err
	}
	for _, k := range app.ClientKeys {
		if k.ID == r.PathValue("credential_id") {
			return k, nil
		}
	}
	return store.ClientKey{}, notFound("client_credential")
}

func (s *server) getCredential(w http.ResponseWriter, r *http.Request) error {
	k, err := s.findCredential(r)
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, credentialOut(k))
	return nil
}

func (s *server) updateCredential(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		ExpiresAt json.RawMessage `json:"expires_at"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if _, err := s.findCredential(r); err != nil {
		return err
	}
	var expires time.Time
	if len(body.ExpiresAt) > 0 && string(body.ExpiresAt) != "null" {
		var v string
		if json.Unmarshal(body.ExpiresAt, &v) != nil {
			return badBody("Payload validation error: 'expires_at' must be an ISO 8601 date and time or null.")
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return badBody("Payload validation error: 'expires_at' must be an ISO 8601 date and time or null.")
		}
		expires = t
	}
	k, err := s.dir.SetClientKeyExpiry(r.Context(), r.PathValue("id"), r.PathValue("credential_id"), expires)
	if err != nil {
		return err
	}
	s.changed(r)
	httpjson.Write(w, http.StatusOK, credentialOut(k))
	return nil
}

func (s *server) deleteCredential(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.findCredential(r); err != nil {
		return err
	}
	return s.answerChange(w, r, http.StatusNoContent, s.dir.DeleteClientKey(r.Context(), r.PathValue("id"), r.PathValue("credential_id")))
}

// check refuses client_authentication_methods a client of type t cannot
// have: only confidential clients take private_key_jwt, with at least one
// credential.
func (m *authMethodsJSON) check(t store.AppType) error {
	if m == nil {
		return nil
	}
	if m.PrivateKeyJWT == nil || len(m.PrivateKeyJWT.Credentials) == 0 {
		return badBody("Payload validation error: 'client_authentication_methods.private_key_jwt.credentials' must name at least one credential.")
	}
	if !directory.Confidential(t) {
		return badBody("Payload validation error: a " + auth0AppType(t) + " client cannot use private_key_jwt.")
	}
	return nil
}

// setAuthMethods registers the inline credentials of m and switches the
// client to private_key_jwt with exactly the credentials m names.
func (s *server) setAuthMethods(r *http.Request, appID string, m *authMethodsJSON) (store.Application, error) {
	keep := make([]string, 0, len(m.PrivateKeyJWT.Credentials))
	for _, c := range m.PrivateKeyJWT.Credentials {
		if c.ID != "" {
			keep = append(keep, c.ID)
			continue
		}
		in, err := c.key()
		if err != nil {
			return store.Application{}, err
		}
		k, err := s.dir.AddClientKey(r.Context(), appID, in)
		if err != nil {
			return store.Application{}, err
		}
		keep = append(keep, k.ID)
	}
	return s.dir.SetClientAuth(r.Context(), appID, store.AuthPrivateKeyJWT, keep)
}
