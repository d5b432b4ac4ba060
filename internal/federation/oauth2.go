package federation

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/oauth2"
)

// OAuth2Config configures an upstream OAuth 2.0 provider that proves who
// the person is through a user-info endpoint (GitHub's shape).
type OAuth2Config struct {
	Kind        Kind
	ConnectorID string
	Target      string
	// Issuer, when set, is the provider's issuer identifier: a callback
	// that names another (RFC 9207) is refused.
	Issuer                         string
	AuthURL, TokenURL, UserInfoURL string
	ClientID, ClientSecret         string
	AuthStyle                      oauth2.AuthStyle
	Scope                          []string
	RedirectURL                    string
	AuthParams                     url.Values
	// Mapping names the user-info fields of the identity (zero: id,
	// email, email_verified, phone_number, name, picture).
	Mapping ClaimMapping
	// EmailsURL, when set, lists the person's addresses (GitHub's
	// /user/emails: [{email, primary, verified}]); the identity's
	// address is the primary one, verified when the provider says so.
	EmailsURL string
	// TrustEmail: the provider verifies every address it gives (the
	// administrator says so).
	TrustEmail bool
	// HTTP fetches from the provider (nil: Client(nil)).
	HTTP *http.Client
}

// OAuth2 is an upstream OAuth 2.0 provider with a user-info endpoint.
type OAuth2 struct{ cfg OAuth2Config }

// NewOAuth2 returns the provider of cfg, checked.
func NewOAuth2(cfg OAuth2Config) (*OAuth2, error) {
	for name, raw := range map[string]string{"authorizationEndpoint": cfg.AuthURL, "tokenEndpoint": cfg.TokenURL, "userInfoEndpoint": cfg.UserInfoURL} {
		if u, err := url.Parse(raw); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("%w: %s must be an absolute http(s) URL", ErrConfig, name)
		}
	}
	switch {
	case cfg.ClientID == "":
		return nil, fmt.Errorf("%w: clientId is required", ErrConfig)
	case cfg.RedirectURL == "":
		return nil, fmt.Errorf("%w: no redirect URL", ErrConfig)
	}
	if cfg.HTTP == nil {
		cfg.HTTP = Client(nil)
	}
	if cfg.Kind == "" {
		cfg.Kind = Social
	}
	if cfg.Mapping.ID == "" {
		cfg.Mapping.ID = "id"
	}
	if cfg.Mapping.Picture == "" {
		cfg.Mapping.Picture = "picture"
	}
	return &OAuth2{cfg: cfg}, nil
}

func (o *OAuth2) config() *oauth2.Config {
	return &oauth2.Config{ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, RedirectURL: o.cfg.RedirectURL, Scopes: o.cfg.Scope,
		Endpoint: oauth2.Endpoint{AuthURL: o.cfg.AuthURL, TokenURL: o.cfg.TokenURL, AuthStyle: authStyle(o.cfg.AuthStyle, o.cfg.ClientSecret)}}
}

// AuthURL is the authorization endpoint with trip p's request: code flow,
// state and PKCE S256 (a provider that does not know PKCE ignores it).
func (o *OAuth2) AuthURL(_ context.Context, p Pending) (string, error) {
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(p.Verifier)}
	for k, vs := range o.cfg.AuthParams {
		switch k {
		case "state", "code_challenge", "code_challenge_method", "client_id", "redirect_uri", "response_type", "scope":
			continue
		}
		for _, v := range vs {
			opts = append(opts, oauth2.SetAuthURLParam(k, v))
		}
	}
	return o.config().AuthCodeURL(p.State, opts...), nil
}

// Exchange checks the callback of trip p, redeems its code and reads who
// the person is from the user-info endpoint.
func (o *OAuth2) Exchange(ctx context.Context, p Pending, cb Callback) (Identity, error) {
	if !p.Matches(cb.State) {
		return Identity{}, ErrState
	}
	if cb.Iss != "" && o.cfg.Issuer != "" && cb.Iss != o.cfg.Issuer {
		return Identity{}, ErrMixUp
	}
	if cb.Error != "" {
		return Identity{}, fmt.Errorf("%w: %s", ErrDenied, cb.Error)
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, o.cfg.HTTP)
	tok, err := o.config().Exchange(ctx, cb.Code, oauth2.VerifierOption(p.Verifier))
	if err != nil {
		return Identity{}, exchangeError(err)
	}
	var info map[string]any
	if err := o.get(ctx, tok.AccessToken, o.cfg.UserInfoURL, &info); err != nil {
		return Identity{}, err
	}
	id, err := o.cfg.Mapping.identity(o.cfg.Kind, o.cfg.ConnectorID, o.cfg.Target, info)
	if err != nil {
		return Identity{}, err
	}
	if o.cfg.TrustEmail && id.Email != "" {
		id.EmailVerified = true
	}
	if o.cfg.EmailsURL != "" {
		var emails []listedEmail
		if err := o.get(ctx, tok.AccessToken, o.cfg.EmailsURL, &emails); err != nil {
			return Identity{}, err
		}
		id.Email, id.EmailVerified = "", false
		if i := slices.IndexFunc(emails, func(e listedEmail) bool {
			return e.Primary && strings.Contains(e.Email, "@") && len(e.Email) <= maxClaimText
		}); i >= 0 {
			id.Email, id.EmailVerified = emails[i].Email, emails[i].Verified
		}
	}
	return id, nil
}

// listedEmail is one of a person's addresses, as GitHub lists them.
type listedEmail struct {
	Email    string `json:"email"`
	Primary  bool   `json:"primary"`
	Verified bool   `json:"verified"`
}

// get reads the JSON answer of a GET of u with the access token into v.
func (o *OAuth2) get(ctx context.Context, token, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrConfig, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	resp, err := o.cfg.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("%w: reading the user's profile failed", ErrUpstream)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("%w: the provider refused its access token (%d)", ErrToken, resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("%w: the profile answered %d", ErrUpstream, resp.StatusCode)
	}
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: the profile is not JSON", ErrUpstream)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return nil
}
