// Package passkeytest is a software WebAuthn authenticator for tests: it
// answers a ceremony's options as a browser and an authenticator would
// (an ES256 key, "none" attestation), and can be told to misbehave (sign
// for another origin, keep its counter, forget the user handle).
package passkeytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
)

// Authenticator holds one credential per relying party it registered
// with.
type Authenticator struct {
	// Origin is the origin the "browser" puts into client data.
	Origin string
	// Attachment is "platform" or "cross-platform".
	Attachment string
	// Counter is the signature counter; each assertion adds Step (0: the
	// counter stays, as an authenticator without one).
	Counter, Step uint32
	// UV: the authenticator verifies its user.
	UV bool

	key    *ecdsa.PrivateKey
	credID []byte
	user   []byte
}

// New returns an authenticator for origin that verifies its user and
// counts its signatures.
func New(origin string) *Authenticator {
	return &Authenticator{Origin: origin, Attachment: "platform", Step: 1, UV: true}
}

// CredentialID is the id of the credential it made, base64url.
func (a *Authenticator) CredentialID() string { return b64(a.credID) }

var b64 = base64.RawURLEncoding.EncodeToString

type creationOptions struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	} `json:"publicKey"`
}

type requestOptions struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RPID      string `json:"rpId"`
	} `json:"publicKey"`
}

// Create answers creation options (JSON, under "publicKey") with a new
// credential: the attestation response as a browser posts it.
func (a *Authenticator) Create(options []byte) ([]byte, error) {
	var o creationOptions
	if err := json.Unmarshal(options, &o); err != nil {
		return nil, err
	}
	user, err := base64.RawURLEncoding.DecodeString(o.PublicKey.User.ID)
	if err != nil {
		return nil, fmt.Errorf("user id: %w", err)
	}
	a.key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	a.credID = make([]byte, 16)
	_, _ = rand.Read(a.credID)
	a.user = user
	pub, err := a.key.PublicKey.Bytes() // 0x04 || X || Y
	if err != nil {
		return nil, err
	}
	x, y := pub[1:33], pub[33:65]
	cose, err := webauthncbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: x, -3: y})
	if err != nil {
		return nil, err
	}
	auth := a.authData(o.PublicKey.RP.ID, 0x40)
	auth = append(auth, make([]byte, 16)...) // AAGUID
	auth = binary.BigEndian.AppendUint16(auth, uint16(len(a.credID)))
	auth = append(auth, a.credID...)
	auth = append(auth, cose...)
	att, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": auth})
	if err != nil {
		return nil, err
	}
	cd := a.clientData("webauthn.create", o.PublicKey.Challenge)
	return json.Marshal(map[string]any{"id": b64(a.credID), "rawId": b64(a.credID), "type": "public-key",
		"authenticatorAttachment": a.Attachment, "clientExtensionResults": map[string]any{},
		"response": map[string]any{"clientDataJSON": b64(cd), "attestationObject": b64(att), "transports": []string{"internal"}}})
}

// Get answers request options with an assertion of its credential, as a
// browser posts it.
func (a *Authenticator) Get(options []byte) ([]byte, error) {
	var o requestOptions
	if err := json.Unmarshal(options, &o); err != nil {
		return nil, err
	}
	if a.key == nil {
		return nil, fmt.Errorf("no credential")
	}
	a.Counter += a.Step
	auth := a.authData(o.PublicKey.RPID, 0)
	cd := a.clientData("webauthn.get", o.PublicKey.Challenge)
	sum := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte(nil), auth...), sum[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.key, digest[:])
	if err != nil {
		return nil, err
	}
	resp := map[string]any{"clientDataJSON": b64(cd), "authenticatorData": b64(auth), "signature": b64(sig)}
	if a.user != nil {
		resp["userHandle"] = b64(a.user)
	}
	return json.Marshal(map[string]any{"id": b64(a.credID), "rawId": b64(a.credID), "type": "public-key",
		"authenticatorAttachment": a.Attachment, "clientExtensionResults": map[string]any{}, "response": resp})
}

// ForgetUser makes its assertions carry no user handle.
func (a *Authenticator) ForgetUser() { a.user = nil }

// authData is the authenticator data for rpID with flags (UP, and UV
// when it verifies) and the counter.
func (a *Authenticator) authData(rpID string, flags byte) []byte {
	h := sha256.Sum256([]byte(rpID))
	flags |= 0x01
	if a.UV {
		flags |= 0x04
	}
	out := append(h[:], flags)
	return binary.BigEndian.AppendUint32(out, a.Counter)
}

func (a *Authenticator) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.Origin, "crossOrigin": false})
	return b
}
