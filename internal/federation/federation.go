// Package federation signs people in through upstream identity providers:
// an OpenID Connect provider (discovery, the authorization code flow with
// PKCE, state and nonce, the ID token verified with the provider's keys),
// or a plain OAuth 2.0 provider with a user-info endpoint. What a provider
// proves about a person is an Identity; the hosted pages
// (internal/signin) decide what it signs in to.
//
// A trip to a provider is bound to the sign-in interaction by a Pending:
// the state sent (which names the interaction), the nonce the ID token
// must carry and the PKCE verifier. The callback is refused unless its
// state is the pending one, its issuer (when the provider sends one, RFC
// 9207) is the provider's, and the ID token was issued by the provider to
// this client for this nonce.
//
// Every fetch from a provider goes through the egress policy
// (internal/egress) with bounded answers. Tokens of a provider are never
// logged nor kept.
package federation

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/monban/monban/internal/randid"
)

// Kind is the kind of upstream provider, named as Logto names the
// verification record of a sign-in through it.
type Kind string

// The kinds of upstream providers.
const (
	// Social is a social connector (Google, GitHub, …).
	Social Kind = "Social"
	// EnterpriseSso is an enterprise SSO connector (SAML, OIDC).
	EnterpriseSso Kind = "EnterpriseSso"
)

// Identity is what an upstream provider proved about a person.
type Identity struct {
	Kind Kind
	// ConnectorID is the connector the person came through; Target is
	// the provider's name an identity is kept under (Logto's connector
	// target: "google", "github", …).
	ConnectorID, Target string
	// ExternalID is the person's id at the provider (the ID token's sub).
	ExternalID string
	// Email is the address the provider gives, EmailVerified whether the
	// provider says it verified it. Only a verified address may link to
	// an existing account.
	Email         string
	EmailVerified bool
	Phone         string
	Name          string
	Picture       string
	// Details are the provider's claims, as it gave them (Logto's
	// rawData).
	Details map[string]any
	// Issuer is an enterprise provider's issuer (an EnterpriseSso
	// record's), "" for a social one.
	Issuer string
}

// UserInfo is the identity in Logto's shape of a social user's info (a
// Social record's socialUserInfo, an identity's details): id, email,
// phone, name, avatar and rawData.
func (id Identity) UserInfo() map[string]any {
	m := map[string]any{"id": id.ExternalID}
	for k, v := range map[string]string{"email": id.Email, "phone": id.Phone, "name": id.Name, "avatar": id.Picture} {
		if v != "" {
			m[k] = v
		}
	}
	if id.Details != nil {
		m["rawData"] = id.Details
	}
	return m
}

// Pending is one trip of a browser to a provider: the state it carries
// (naming the interaction it belongs to), the nonce the ID token must
// carry, and the PKCE code verifier. It is kept with the interaction and
// used once.
type Pending struct {
	State    string `json:"state"`
	Nonce    string `json:"nonce"`
	Verifier string `json:"verifier"`
}

// NewPending starts a trip for the interaction interactionID: the state is
// the interaction's id and a fresh secret, so the callback finds its
// interaction, and nobody can forge one.
func NewPending(interactionID string) Pending {
	return Pending{State: interactionID + "." + randid.Secret(24), Nonce: randid.Secret(24), Verifier: randid.Secret(48)}
}

// InteractionOf is the interaction a callback's state names, "" when the
// state is not of NewPending's form.
func InteractionOf(state string) string {
	id, secret, ok := strings.Cut(state, ".")
	if !ok || id == "" || secret == "" || len(state) > 512 {
		return ""
	}
	return id
}

// Matches reports, in constant time, whether state is p's.
func (p Pending) Matches(state string) bool {
	return p.State != "" && subtle.ConstantTimeCompare([]byte(p.State), []byte(state)) == 1
}

// Callback is what a provider sent back to the redirect URI, in the query
// or (Apple's form_post) the form.
type Callback struct {
	Code  string
	State string
	// Iss is the issuer of the response (RFC 9207), when sent.
	Iss string
	// Error and ErrorDescription: the provider refused (the person
	// denied, …).
	Error, ErrorDescription string
	// User is Apple's user object (its name and e-mail address, sent on
	// the first sign-in only), raw.
	User string
}

// ParseCallback reads a callback from params: each value at most once.
func ParseCallback(params url.Values) (Callback, error) {
	for _, k := range []string{"code", "state", "iss", "error", "error_description", "user"} {
		if len(params[k]) > 1 {
			return Callback{}, fmt.Errorf("%w: %s given twice", ErrCallback, k)
		}
	}
	cb := Callback{Code: params.Get("code"), State: params.Get("state"), Iss: params.Get("iss"),
		Error: params.Get("error"), ErrorDescription: params.Get("error_description"), User: params.Get("user")}
	if cb.State == "" {
		return cb, fmt.Errorf("%w: no state", ErrCallback)
	}
	if cb.Code == "" && cb.Error == "" {
		return cb, fmt.Errorf("%w: neither code nor error", ErrCallback)
	}
	return cb, nil
}

// Provider is an upstream identity provider, configured for one
// connector.
type Provider interface {
	// AuthURL is where the browser goes for trip p.
	AuthURL(ctx context.Context, p Pending) (string, error)
	// Exchange checks the callback of trip p and returns the identity
	// the provider proved: ErrState for a state that is not p's,
	// ErrMixUp for another issuer's response, ErrDenied when the
	// provider refused, ErrToken for a token that does not verify,
	// ErrUpstream when the provider failed or could not be reached.
	Exchange(ctx context.Context, p Pending, cb Callback) (Identity, error)
}

// Button is an upstream provider the sign-in page offers.
type Button struct {
	ConnectorID string
	Target      string
	// Name is the provider's name, by language ("en" the fallback).
	Name map[string]string
}

// The errors of a callback.
var (
	// ErrNoProvider: no connector has the id (or it is not of the kind
	// asked for).
	ErrNoProvider = errors.New("federation: no such connector")
	// ErrCallback: the callback is malformed.
	ErrCallback = errors.New("federation: malformed callback")
	// ErrState: the callback's state is not the pending trip's.
	ErrState = errors.New("federation: state does not match")
	// ErrMixUp: the response names another issuer than the provider's.
	ErrMixUp = errors.New("federation: response from another issuer")
	// ErrDenied: the provider answered with an error (the person denied
	// access, …).
	ErrDenied = errors.New("federation: the provider refused")
	// ErrToken: the provider's ID token (or answer) does not verify: of
	// another issuer or client, expired, wrongly signed, another nonce.
	ErrToken = errors.New("federation: token not valid")
	// ErrUpstream: the provider failed or could not be reached.
	ErrUpstream = errors.New("federation: provider unavailable")
	// ErrConfig: the connector's configuration cannot work.
	ErrConfig = errors.New("federation: configuration not valid")
)

// maxBody bounds an answer of a provider.
const maxBody = 1 << 20

// limited bounds every answer's body read through rt.
type limited struct{ rt http.RoundTripper }

func (l limited) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := l.rt.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resp.Body = http.MaxBytesReader(nil, resp.Body, maxBody)
	return resp, nil
}

// Client returns an HTTP client for provider fetches over transport (the
// egress policy's): bounded answers, no redirects followed, a timeout.
func Client(transport http.RoundTripper) *http.Client {
	if transport == nil {
		transport = http.DefaultTransport
	}
	return &http.Client{Transport: limited{transport}, Timeout: 15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
