// Package passkey runs the WebAuthn ceremonies of the hosted pages:
// registering an authenticator (a passkey or a security key) for an
// account, verifying it as a second factor, and signing in with a
// discoverable credential alone ("sign in with a passkey").
//
// The relying party is the server's public endpoint: its host is the RP
// ID, its scheme, host and port the one origin a response may come from.
// A ceremony's state (the challenge, and for whom and for which
// interaction it was made) is sealed into the page that runs it, so the
// browser carries it but cannot read or change it; the state is bound to
// the interaction, lives for Lifetime, and is used once (the challenge
// is recorded in the single-use store before a response is checked).
//
// A credential is kept as a Document: Logto's fields of a WebAuthn MFA
// verification (rpId, credentialId, publicKey, transports, counter,
// agent) plus the authenticator's flags the checks need. Storing and
// sealing documents is the caller's (internal/mfa's) business.
package passkey

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/monban/monban/internal/replay"
	"github.com/monban/monban/internal/sealed"
)

// Lifetime is how long a ceremony's state is good: the page that runs it
// must be answered within it.
const Lifetime = 5 * time.Minute

// MaxResponseBytes bounds an authenticator's response as posted.
const MaxResponseBytes = 12 << 10

// Purpose is what a ceremony is for.
type Purpose string

// The ceremonies.
const (
	// Register binds a new authenticator to a known account.
	Register Purpose = "register"
	// Verify checks one of a known account's authenticators (a second
	// factor).
	Verify Purpose = "verify"
	// SignIn checks a discoverable credential of any account (a passkey
	// as the first factor); the account is the one it names.
	SignIn Purpose = "sign-in"
)

// Errors of the ceremonies. Any other error is the server's (the
// single-use store failed).
var (
	// ErrState: the ceremony's state is missing, altered, expired, of
	// another purpose, account or interaction.
	ErrState = errors.New("passkey: the ceremony is not this page's or has expired")
	// ErrReplayed: the ceremony's state was used before.
	ErrReplayed = errors.New("passkey: the ceremony was used before")
	// ErrMalformed: the authenticator's response cannot be read.
	ErrMalformed = errors.New("passkey: malformed response")
	// ErrUnknownCredential: no account (or not the account) holds the
	// credential.
	ErrUnknownCredential = errors.New("passkey: unknown credential")
	// ErrRefused: the response does not verify (challenge, origin, RP,
	// signature, flags, or an authenticator already registered).
	ErrRefused = errors.New("passkey: the response does not verify")
	// ErrCloned: the authenticator's signature counter did not move
	// forward: a copy of the credential may exist. The sign-in is
	// refused.
	ErrCloned = errors.New("passkey: the authenticator may be cloned")
)

// Document is one registered credential: Logto's fields, and the flags
// and authenticator data the next assertion is checked against.
type Document struct {
	RPID            string   `json:"rpId"`
	CredentialID    string   `json:"credentialId"` // base64url
	PublicKey       string   `json:"publicKey"`    // base64url COSE key
	Transports      []string `json:"transports,omitempty"`
	Counter         uint32   `json:"counter"`
	Agent           string   `json:"agent"`
	AAGUID          string   `json:"aaguid,omitempty"`          // base64url
	Attachment      string   `json:"attachment,omitempty"`      // platform, cross-platform
	AttestationType string   `json:"attestationType,omitempty"` // none, basic_full, …
	UserVerified    bool     `json:"userVerified,omitempty"`
	BackupEligible  bool     `json:"backupEligible,omitempty"`
	BackupState     bool     `json:"backupState,omitempty"`
}

// Credential is a stored document with the id of its row.
type Credential struct {
	ID string // the MFA verification's id
	Document
}

// Account is the account of a ceremony: its id (the user handle), the
// names an authenticator shows, and the credentials it holds.
type Account struct {
	ID          string
	Name        string // username, e-mail address or phone number
	DisplayName string
	Credentials []Credential
}

// Ceremony is what a page needs to run a ceremony: the options for
// navigator.credentials (JSON, as WebAuthn's PublicKeyCredentialCreation-
// or RequestOptions in the library's shape, under "publicKey") and the
// sealed state to post back with the response.
type Ceremony struct {
	Options json.RawMessage
	State   string
}

// Config configures a Service.
type Config struct {
	// Endpoint is the public base URL: the RP ID is its host, the origin
	// its scheme, host and port.
	Endpoint string
	// Name is the relying party's name an authenticator shows; "" is
	// the RP ID.
	Name string
	// Sealer seals and opens ceremony states.
	Sealer func() *sealed.Box
	// Used records used challenges.
	Used replay.Cache
	Now  func() time.Time
}

// Service runs the ceremonies.
type Service struct {
	wa     *webauthn.WebAuthn
	rpID   string
	origin string
	sealer func() *sealed.Box
	used   replay.Cache
	now    func() time.Time
}

// New returns the Service of cfg; an endpoint whose host cannot be an RP
// ID (an IP address) is an error.
func New(cfg Config) (*Service, error) {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("passkey: endpoint %q is not an absolute http(s) URL", cfg.Endpoint)
	}
	if cfg.Sealer == nil || cfg.Used == nil {
		return nil, errors.New("passkey: a sealer and a single-use store are needed")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	rpID := u.Hostname()
	name := cfg.Name
	if name == "" {
		name = rpID
	}
	origin := u.Scheme + "://" + u.Host
	wa, err := webauthn.New(&webauthn.Config{
		RPID: rpID, RPDisplayName: name, RPOrigins: []string{origin},
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementPreferred, UserVerification: protocol.VerificationPreferred},
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Timeout: Lifetime, TimeoutUVD: Lifetime},
			Registration: webauthn.TimeoutConfig{Timeout: Lifetime, TimeoutUVD: Lifetime},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("passkey: %w", err)
	}
	if err := protocol.ValidateRPID(rpID); err != nil {
		return nil, fmt.Errorf("passkey: the endpoint's host %q cannot be a relying party id: %w", rpID, err)
	}
	return &Service{wa: wa, rpID: rpID, origin: origin, sealer: cfg.Sealer, used: cfg.Used, now: cfg.Now}, nil
}

// RPID is the relying party id.
func (s *Service) RPID() string { return s.rpID }

// state is what a page carries, sealed.
type state struct {
	Purpose     Purpose              `json:"p"`
	Interaction string               `json:"i"`
	Account     string               `json:"a,omitempty"`
	Expires     int64                `json:"e"`
	Session     webauthn.SessionData `json:"s"`
}

const sealPurpose = "webauthn-ceremony"

// BeginRegister starts registering an authenticator for acct in
// interaction; the account's credentials are excluded (an authenticator
// is registered once).
func (s *Service) BeginRegister(interaction string, acct Account) (Ceremony, error) {
	opts, session, err := s.wa.BeginRegistration(user{acct},
		webauthn.WithExclusions(webauthn.Credentials(user{acct}.WebAuthnCredentials()).CredentialDescriptors()))
	if err != nil {
		return Ceremony{}, fmt.Errorf("passkey: begin registration: %w", err)
	}
	return s.ceremony(Register, interaction, acct.ID, opts, session)
}

// BeginVerify starts verifying one of acct's authenticators.
func (s *Service) BeginVerify(interaction string, acct Account) (Ceremony, error) {
	opts, session, err := s.wa.BeginLogin(user{acct})
	if err != nil {
		return Ceremony{}, fmt.Errorf("passkey: begin login: %w", err)
	}
	return s.ceremony(Verify, interaction, acct.ID, opts, session)
}

// BeginSignIn starts a sign-in by a discoverable credential, with user
// verification required (the passkey is the whole sign-in).
func (s *Service) BeginSignIn(interaction string) (Ceremony, error) {
	opts, session, err := s.wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return Ceremony{}, fmt.Errorf("passkey: begin discoverable login: %w", err)
	}
	return s.ceremony(SignIn, interaction, "", opts, session)
}

func (s *Service) ceremony(p Purpose, interaction, account string, opts any, session *webauthn.SessionData) (Ceremony, error) {
	raw, err := json.Marshal(opts)
	if err != nil {
		return Ceremony{}, err
	}
	st, err := json.Marshal(state{Purpose: p, Interaction: interaction, Account: account,
		Expires: s.now().Add(Lifetime).Unix(), Session: *session})
	if err != nil {
		return Ceremony{}, err
	}
	box := s.sealer()
	if box == nil {
		return Ceremony{}, errors.New("passkey: no sealer")
	}
	sealedState, err := box.SealString(sealPurpose, string(st))
	if err != nil {
		return Ceremony{}, fmt.Errorf("passkey: seal: %w", err)
	}
	return Ceremony{Options: raw, State: sealedState}, nil
}

// open reads a posted state for purpose, interaction and account ("" for
// a sign-in) and uses it: a second use is ErrReplayed.
func (s *Service) open(ctx context.Context, sealedState string, p Purpose, interaction, account string) (webauthn.SessionData, error) {
	box := s.sealer()
	if box == nil || sealedState == "" || len(sealedState) > 8<<10 {
		return webauthn.SessionData{}, ErrState
	}
	plain, err := box.OpenString(sealPurpose, sealedState)
	if err != nil {
		return webauthn.SessionData{}, ErrState
	}
	var st state
	if err := json.Unmarshal([]byte(plain), &st); err != nil {
		return webauthn.SessionData{}, ErrState
	}
	exp := time.Unix(st.Expires, 0)
	if st.Purpose != p || st.Interaction == "" || st.Interaction != interaction || st.Account != account || !s.now().Before(exp) {
		return webauthn.SessionData{}, ErrState
	}
	if err := s.used.UseOnce(ctx, "webauthn:"+st.Session.Challenge, exp); err != nil {
		if errors.Is(err, replay.ErrReplayed) {
			return webauthn.SessionData{}, ErrReplayed
		}
		return webauthn.SessionData{}, fmt.Errorf("passkey: single use: %w", err)
	}
	return st.Session, nil
}

// FinishRegister checks the authenticator's attestation response for
// the registration begun for acct in interaction and returns the new
// credential's document (agent is the browser's User-Agent, kept as
// Logto keeps it).
func (s *Service) FinishRegister(ctx context.Context, interaction, sealedState string, acct Account, response []byte, agent string) (Document, error) {
	session, err := s.open(ctx, sealedState, Register, interaction, acct.ID)
	if err != nil {
		return Document{}, err
	}
	if len(response) > MaxResponseBytes {
		return Document{}, ErrMalformed
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return Document{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	for _, c := range acct.Credentials {
		if c.CredentialID == parsed.ID {
			return Document{}, fmt.Errorf("%w: the authenticator is registered already", ErrRefused)
		}
	}
	cred, err := s.wa.CreateCredential(user{acct}, session, parsed)
	if err != nil {
		return Document{}, fmt.Errorf("%w: %v", ErrRefused, err)
	}
	if len(agent) > 512 {
		agent = agent[:512]
	}
	return documentOf(s.rpID, *cred, agent), nil
}

// FinishVerify checks an assertion for the verification begun for acct
// in interaction; it returns the credential used, its counter and flags
// updated (to be stored).
func (s *Service) FinishVerify(ctx context.Context, interaction, sealedState string, acct Account, response []byte) (Credential, error) {
	session, err := s.open(ctx, sealedState, Verify, interaction, acct.ID)
	if err != nil {
		return Credential{}, err
	}
	parsed, err := parseAssertion(response)
	if err != nil {
		return Credential{}, err
	}
	if _, ok := acct.credential(parsed.RawID); !ok {
		return Credential{}, ErrUnknownCredential
	}
	cred, err := s.wa.ValidateLogin(user{acct}, session, parsed)
	if err != nil {
		return Credential{}, refusal(err)
	}
	return s.updated(acct, *cred)
}

// FinishSignIn checks an assertion of a discoverable credential for the
// sign-in begun in interaction; find reads the account of a user handle
// (an unknown one is ErrUnknownCredential). It returns the account and
// the credential used, updated.
func (s *Service) FinishSignIn(ctx context.Context, interaction, sealedState string, response []byte,
	find func(ctx context.Context, userID string) (Account, error)) (Account, Credential, error) {
	session, err := s.open(ctx, sealedState, SignIn, interaction, "")
	if err != nil {
		return Account{}, Credential{}, err
	}
	parsed, err := parseAssertion(response)
	if err != nil {
		return Account{}, Credential{}, err
	}
	handle := parsed.Response.UserHandle
	if len(handle) == 0 || len(handle) > 64 {
		return Account{}, Credential{}, fmt.Errorf("%w: no user handle", ErrUnknownCredential)
	}
	acct, err := find(ctx, string(handle))
	if err != nil {
		return Account{}, Credential{}, err
	}
	if _, ok := acct.credential(parsed.RawID); !ok {
		return Account{}, Credential{}, ErrUnknownCredential
	}
	_, cred, err := s.wa.ValidatePasskeyLogin(func(_, _ []byte) (webauthn.User, error) { return user{acct}, nil }, session, parsed)
	if err != nil {
		return Account{}, Credential{}, refusal(err)
	}
	c, err := s.updated(acct, *cred)
	return acct, c, err
}

// updated is acct's stored credential with the counter and flags of the
// verified assertion; a counter that did not move forward is ErrCloned.
func (s *Service) updated(acct Account, cred webauthn.Credential) (Credential, error) {
	if cred.Authenticator.CloneWarning {
		return Credential{}, ErrCloned
	}
	c, _ := acct.credential(cred.ID)
	c.Counter = cred.Authenticator.SignCount
	c.UserVerified, c.BackupState = cred.Flags.UserVerified, cred.Flags.BackupState
	return c, nil
}

func parseAssertion(response []byte) (*protocol.ParsedCredentialAssertionData, error) {
	if len(response) == 0 || len(response) > MaxResponseBytes {
		return nil, ErrMalformed
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return parsed, nil
}

// refusal is the library's refusal of an assertion as one of ours.
func refusal(err error) error {
	var unknown *protocol.ErrorUnknownCredential
	if errors.As(err, &unknown) {
		return ErrUnknownCredential
	}
	return fmt.Errorf("%w: %v", ErrRefused, err)
}

// credential is acct's credential of the raw id.
func (a Account) credential(rawID []byte) (Credential, bool) {
	id := protocol.URLEncodedBase64(rawID).String()
	for _, c := range a.Credentials {
		if c.CredentialID == id {
			return c, true
		}
	}
	return Credential{}, false
}

// documentOf is the document of a credential just registered.
func documentOf(rpID string, c webauthn.Credential, agent string) Document {
	d := Document{RPID: rpID, CredentialID: protocol.URLEncodedBase64(c.ID).String(),
		PublicKey: protocol.URLEncodedBase64(c.PublicKey).String(), Counter: c.Authenticator.SignCount, Agent: agent,
		Attachment: string(c.Authenticator.Attachment), AttestationType: c.AttestationType,
		UserVerified: c.Flags.UserVerified, BackupEligible: c.Flags.BackupEligible, BackupState: c.Flags.BackupState}
	if len(c.Authenticator.AAGUID) > 0 {
		d.AAGUID = protocol.URLEncodedBase64(c.Authenticator.AAGUID).String()
	}
	for _, t := range c.Transport {
		d.Transports = append(d.Transports, string(t))
	}
	return d
}

// credential is the library's form of d; a document that cannot be
// decoded gives an empty credential, which no assertion matches.
func (d Document) credential() webauthn.Credential {
	id, err1 := decode(d.CredentialID)
	pk, err2 := decode(d.PublicKey)
	aaguid, _ := decode(d.AAGUID)
	if err1 != nil || err2 != nil {
		return webauthn.Credential{}
	}
	c := webauthn.Credential{ID: id, PublicKey: pk, AttestationType: d.AttestationType,
		Flags:         webauthn.CredentialFlags{UserPresent: true, UserVerified: d.UserVerified, BackupEligible: d.BackupEligible, BackupState: d.BackupState},
		Authenticator: webauthn.Authenticator{AAGUID: aaguid, SignCount: d.Counter, Attachment: protocol.AuthenticatorAttachment(d.Attachment)}}
	for _, t := range d.Transports {
		c.Transport = append(c.Transport, protocol.AuthenticatorTransport(t))
	}
	return c
}

func decode(s string) ([]byte, error) {
	var b protocol.URLEncodedBase64
	if s == "" {
		return nil, nil
	}
	if err := b.UnmarshalJSON([]byte(`"` + strings.TrimRight(s, "=") + `"`)); err != nil {
		return nil, err
	}
	return b, nil
}

// user is an Account as the library's User.
type user struct{ a Account }

func (u user) WebAuthnID() []byte { return []byte(u.a.ID) }
func (u user) WebAuthnName() string {
	if u.a.Name != "" {
		return u.a.Name
	}
	return u.a.ID
}
func (u user) WebAuthnDisplayName() string {
	if u.a.DisplayName != "" {
		return u.a.DisplayName
	}
	return u.WebAuthnName()
}
func (u user) WebAuthnCredentials() []webauthn.Credential {
	out := make([]webauthn.Credential, 0, len(u.a.Credentials))
	for _, c := range u.a.Credentials {
		if wc := c.Document.credential(); wc.ID != nil {
			out = append(out, wc)
		}
	}
	return out
}
