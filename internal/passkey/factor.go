package passkey

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/go-webauthn/webauthn/protocol"

	"github.com/monban/monban/internal/mfa"
	"github.com/monban/monban/internal/store"
)

// Factor is WebAuthn as a second-factor type of internal/mfa (its
// documents are the MFA verifications of type WebAuthn), and the
// pages' passkey sign-in over the same credentials.
type Factor struct {
	S     *Service
	MFA   *mfa.Service
	Users interface {
		GetUser(ctx context.Context, id string) (store.User, error)
	}
}

var _ mfa.Factor = (*Factor)(nil)

// Type is WebAuthn.
func (f *Factor) Type() string { return mfa.TypeWebAuthn }

// binding is what a second factor's ceremony is bound to: the MFA
// service binds the page's state to the interaction already.
func binding(userID string) string { return "mfa:" + userID }

// account is the account userID with its WebAuthn credentials (their
// documents opened).
func (f *Factor) account(ctx context.Context, userID, label string) (Account, error) {
	docs, err := f.MFA.Documents(ctx, userID, mfa.TypeWebAuthn)
	if err != nil {
		return Account{}, err
	}
	acct := Account{ID: userID, Name: label}
	for _, d := range docs {
		var doc Document
		if json.Unmarshal(d.Data, &doc) != nil {
			continue
		}
		acct.Credentials = append(acct.Credentials, Credential{ID: d.Verification.ID, Document: doc})
	}
	return acct, nil
}

// BeginBind starts registering an authenticator: the page shows the
// creation options ("options"); the state is the ceremony's.
func (f *Factor) BeginBind(ctx context.Context, who mfa.Subject, _ string) ([]byte, mfa.Shown, error) {
	acct, err := f.account(ctx, who.UserID, who.Label)
	if err != nil {
		return nil, nil, err
	}
	c, err := f.S.BeginRegister(binding(who.UserID), acct)
	if err != nil {
		return nil, nil, err
	}
	return []byte(c.State), mfa.Shown{"options": string(c.Options)}, nil
}

// FinishBind checks the authenticator's response ("response") and
// returns the credential's document; the browser's User-Agent is the
// answer's "agent".
func (f *Factor) FinishBind(ctx context.Context, who mfa.Subject, state []byte, answer url.Values, _ time.Time) ([]byte, []string, error) {
	acct, err := f.account(ctx, who.UserID, who.Label)
	if err != nil {
		return nil, nil, err
	}
	doc, err := f.S.FinishRegister(ctx, binding(who.UserID), string(state), acct, []byte(answer.Get("response")), answer.Get("agent"))
	if err != nil {
		return nil, nil, factorError(err)
	}
	data, err := json.Marshal(doc)
	return data, nil, err
}

// BeginVerify starts verifying one of the account's authenticators: the
// page shows the request options ("options") and posts back the state
// ("state") with the response.
func (f *Factor) BeginVerify(ctx context.Context, who mfa.Subject) (mfa.Shown, error) {
	acct, err := f.account(ctx, who.UserID, who.Label)
	if err != nil {
		return nil, err
	}
	if len(acct.Credentials) == 0 {
		return nil, mfa.ErrNotBound
	}
	c, err := f.S.BeginVerify(binding(who.UserID), acct)
	if err != nil {
		return nil, err
	}
	return mfa.Shown{"options": string(c.Options), "state": c.State}, nil
}

// Verify checks the assertion ("response", with "state") against the
// one credential of data: another credential's assertion is a wrong
// answer for this one (the service tries the account's others).
func (f *Factor) Verify(ctx context.Context, who mfa.Subject, data []byte, answer url.Values, _ time.Time) ([]byte, error) {
	var doc Document
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("passkey: malformed document: %w", err)
	}
	response := []byte(answer.Get("response"))
	id, err := credentialID(response)
	if err != nil {
		return nil, mfa.ErrWrongAnswer
	}
	if id != doc.CredentialID {
		return nil, mfa.ErrWrongAnswer
	}
	c, err := f.S.FinishVerify(ctx, binding(who.UserID), answer.Get("state"),
		Account{ID: who.UserID, Credentials: []Credential{{Document: doc}}}, response)
	if err != nil {
		return nil, factorError(err)
	}
	return json.Marshal(c.Document)
}

// BeginSignIn starts a passkey sign-in (signin.Passkeys).
func (f *Factor) BeginSignIn(interaction string) (Ceremony, error) {
	return f.S.BeginSignIn(interaction)
}

// FinishSignIn checks a passkey sign-in and stores the credential's new
// counter and its use (signin.Passkeys).
func (f *Factor) FinishSignIn(ctx context.Context, interaction, state string, response []byte) (string, error) {
	find := func(ctx context.Context, userID string) (Account, error) {
		if _, err := f.Users.GetUser(ctx, userID); errors.Is(err, store.ErrNotFound) {
			return Account{}, ErrUnknownCredential
		} else if err != nil {
			return Account{}, err
		}
		return f.account(ctx, userID, "")
	}
	acct, c, err := f.S.FinishSignIn(ctx, interaction, state, response, find)
	if err != nil {
		return "", err
	}
	data, err := json.Marshal(c.Document)
	if err != nil {
		return "", err
	}
	if err := f.MFA.Used(ctx, acct.ID, c.ID, data); err != nil {
		return "", err
	}
	return acct.ID, nil
}

// credentialID is the credential id (base64url) a response names.
func credentialID(response []byte) (string, error) {
	var r struct {
		RawID string `json:"rawId"`
	}
	if len(response) == 0 || len(response) > MaxResponseBytes || json.Unmarshal(response, &r) != nil || r.RawID == "" {
		return "", ErrMalformed
	}
	b, err := decode(r.RawID)
	if err != nil {
		return "", ErrMalformed
	}
	return protocol.URLEncodedBase64(b).String(), nil
}

// factorError is a ceremony's refusal as the MFA domain's.
func factorError(err error) error {
	switch {
	case errors.Is(err, ErrState), errors.Is(err, ErrReplayed):
		return fmt.Errorf("%w: %v", mfa.ErrBadState, err)
	case errors.Is(err, ErrRefused), errors.Is(err, ErrMalformed), errors.Is(err, ErrUnknownCredential), errors.Is(err, ErrCloned):
		return fmt.Errorf("%w: %v", mfa.ErrWrongAnswer, err)
	}
	return err
}

// Describe is what the APIs list of a credential: "agent", the browser
// that registered it (Logto's agent), and "kind", Auth0's name of the
// authentication method: "passkey" for a synced (backup-eligible)
// credential, else "webauthn-platform" for one built into the device,
// "webauthn-roaming" for a security key.
func (f *Factor) Describe(data []byte) map[string]string {
	var doc Document
	if json.Unmarshal(data, &doc) != nil {
		return nil
	}
	kind := "webauthn-roaming"
	switch {
	case doc.BackupEligible:
		kind = "passkey"
	case doc.Attachment == string(protocol.Platform):
		kind = "webauthn-platform"
	}
	return map[string]string{"agent": doc.Agent, "kind": kind}
}
