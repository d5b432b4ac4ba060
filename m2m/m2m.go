// Package m2m gets access tokens for a machine-to-machine (M2M) app with the
// OAuth 2.0 client_credentials grant (RFC 6749 §4.4), as Monban and Logto
// issue them, and keeps the current one for all callers.
//
// A TokenSource is configured with where the token endpoint is (Monban's or
// Logto's endpoint, an OIDC issuer, or the token endpoint itself), the app's
// App ID and App Secret, the API resource the token is for (RFC 8707
// resource, or Auth0's audience) and the scopes wanted. It asks for a token
// the first time one is needed, hands the same token to every caller while it
// is fresh, and gets a new one shortly before it expires: 60 seconds before,
// or a tenth of the token's lifetime before if that is sooner. Concurrent
// callers that find no fresh token wait for one shared request, so a burst
// of calls never becomes a burst of token requests.
//
// A TokenSource is an oauth2.TokenSource (golang.org/x/oauth2), so it plugs
// into oauth2.NewClient and anything else built on that interface; Client
// returns an *http.Client that sends the token with each request.
//
// A token endpoint's error answer is returned as an *Error that keeps the
// RFC 6749 error code and description.
package m2m

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// AuthStyle is how the app authenticates to the token endpoint.
type AuthStyle int

const (
	// AuthBasic sends the App ID and App Secret in an HTTP Basic
	// Authorization header (client_secret_basic), each form-urlencoded first
	// as RFC 6749 §2.3.1 says. It is the default, and what Logto's guide
	// shows.
	AuthBasic AuthStyle = iota
	// AuthInBody sends them as the client_id and client_secret parameters
	// of the request body (client_secret_post).
	AuthInBody
)

// Config says which token to get and from where. Set one of Endpoint, Issuer
// or TokenURL (if several are set, TokenURL wins, then Issuer).
type Config struct {
	// Endpoint is the server's base URL, e.g. "http://localhost:3001" for a
	// local Monban or "https://tenant.logto.app" for Logto Cloud. The issuer
	// is Endpoint + "/oidc".
	Endpoint string
	// Issuer is the OpenID Connect issuer. The token endpoint is read from
	// Issuer + "/.well-known/openid-configuration" on first use; the
	// document's issuer must equal this one.
	Issuer string
	// TokenURL is the token endpoint; when set, no discovery is done.
	TokenURL string

	AppID     string // the client_id
	AppSecret string // the client_secret

	// Resource is the API's indicator, sent as RFC 8707's resource.
	Resource string
	// Audience is sent as the audience parameter, for servers written for
	// Auth0's clients. Monban accepts either; if both are set they must
	// name the same API.
	Audience string
	// Scopes are the permissions wanted, sent space-separated as scope.
	Scopes []string

	// AuthStyle is how the App ID and App Secret are sent.
	AuthStyle AuthStyle

	// HTTPClient makes the discovery and token requests. Nil means a client
	// with a 30-second timeout. A client without a timeout gets each request
	// bounded to 30 seconds.
	HTTPClient *http.Client
}

// Error is a failed token request: the RFC 6749 §5.2 error code and
// description from the answer, and its HTTP status.
type Error struct {
	// Code is the error parameter, e.g. "invalid_client",
	// "invalid_target" or "invalid_scope". It is empty when the answer
	// was not an OAuth error document.
	Code string
	// Description is error_description, or a part of the body when the
	// answer was not an OAuth error document.
	Description string
	// Status is the HTTP status code.
	Status int
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("m2m: token request failed: ")
	if e.Code != "" {
		b.WriteString(e.Code)
	} else {
		b.WriteString("HTTP ")
		b.WriteString(strconv.Itoa(e.Status))
		b.WriteString(" ")
		b.WriteString(http.StatusText(e.Status))
	}
	if e.Description != "" {
		b.WriteString(": ")
		b.WriteString(e.Description)
	}
	if e.Code != "" {
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	}
	return b.String()
}

const (
	// maxBody bounds what is read of a discovery or token answer.
	maxBody = 1 << 20
	// defaultTimeout bounds a request when the HTTP client has none.
	defaultTimeout = 30 * time.Second
	// maxEarly is the most a token is refreshed before it expires;
	// shorter-lived tokens are refreshed a tenth of their lifetime early.
	maxEarly = 60 * time.Second
	// unknownLifetime is how long a token is used when the answer has no
	// expires_in and the token is no JWT with an exp claim.
	unknownLifetime = 60 * time.Second
	// retryDelay is how long a still-valid token is reused after a failed
	// refresh before the next attempt.
	retryDelay = 5 * time.Second
	// minValid is how long a token must still be valid to be handed out
	// after a failed refresh.
	minValid = 10 * time.Second
)

// TokenSource gets and caches an M2M app's access token. It is safe for
// concurrent use; make one per app, resource and scope set, and share it.
type TokenSource struct {
	cfg    Config
	client *http.Client
	issuer string // "" when TokenURL is configured
	now    func() time.Time

	mu        sync.Mutex
	tokenURL  string        // configured or discovered
	tok       *oauth2.Token // the current token, nil before the first
	refreshAt time.Time     // when tok stops being handed out without a refresh
	retryAt   time.Time     // no refresh before this after a failure
	inflight  *call
}

// call is one token request that any number of callers wait for.
type call struct {
	done chan struct{}
	tok  *oauth2.Token
	err  error
}

var _ oauth2.TokenSource = (*TokenSource)(nil)

// New checks cfg and returns a TokenSource. It makes no request: the first
// token (and the discovery document) are fetched on first use.
func New(cfg Config) (*TokenSource, error) {
	if cfg.AppID == "" || cfg.AppSecret == "" {
		return nil, errors.New("m2m: AppID and AppSecret are required")
	}
	ts := &TokenSource{cfg: cfg, client: cfg.HTTPClient, now: time.Now}
	if ts.client == nil {
		ts.client = &http.Client{Timeout: defaultTimeout}
	}
	switch {
	case cfg.TokenURL != "":
		if !absoluteHTTP(cfg.TokenURL) {
			return nil, fmt.Errorf("m2m: TokenURL %q is not an absolute http(s) URL", cfg.TokenURL)
		}
		ts.tokenURL = cfg.TokenURL
	case cfg.Issuer != "":
		if !absoluteHTTP(cfg.Issuer) {
			return nil, fmt.Errorf("m2m: Issuer %q is not an absolute http(s) URL", cfg.Issuer)
		}
		ts.issuer = cfg.Issuer
	case cfg.Endpoint != "":
		if !absoluteHTTP(cfg.Endpoint) {
			return nil, fmt.Errorf("m2m: Endpoint %q is not an absolute http(s) URL", cfg.Endpoint)
		}
		ts.issuer = strings.TrimRight(cfg.Endpoint, "/") + "/oidc"
	default:
		return nil, errors.New("m2m: one of Endpoint, Issuer or TokenURL is required")
	}
	return ts, nil
}

// Token returns a fresh access token, requesting one if needed. It
// implements oauth2.TokenSource. Each call returns a new *oauth2.Token that
// the caller may keep or change.
func (ts *TokenSource) Token() (*oauth2.Token, error) {
	return ts.TokenContext(context.Background())
}

// TokenContext is Token with a context: if ctx ends while the caller waits
// for a token request, TokenContext returns ctx's error (the request itself
// goes on for the other callers, bounded by the HTTP client's timeout).
func (ts *TokenSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	ts.mu.Lock()
	now := ts.now()
	if ts.tok != nil && (now.Before(ts.refreshAt) ||
		(now.Before(ts.retryAt) && ts.tok.Expiry.Sub(now) >= minValid)) {
		tok := copyToken(ts.tok)
		ts.mu.Unlock()
		return tok, nil
	}
	c := ts.inflight
	if c == nil {
		c = &call{done: make(chan struct{})}
		ts.inflight = c
		go ts.refresh(context.WithoutCancel(ctx), c)
	}
	ts.mu.Unlock()

	select {
	case <-c.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if c.err != nil {
		return nil, c.err
	}
	return copyToken(c.tok), nil
}

// AccessToken returns just the access token string.
func (ts *TokenSource) AccessToken(ctx context.Context) (string, error) {
	tok, err := ts.TokenContext(ctx)
	if err != nil {
		return "", err
	}
	return tok.AccessToken, nil
}

// Client returns an *http.Client that adds "Authorization: Bearer <token>"
// to each request, the token coming from ts with the request's context. As
// with oauth2.NewClient, if ctx holds an *http.Client under the
// oauth2.HTTPClient key, its transport and timeout are used for the
// requests; otherwise those of Config.HTTPClient (or http.DefaultTransport,
// without a timeout, when that is nil).
func (ts *TokenSource) Client(ctx context.Context) *http.Client {
	var base *http.Client
	if ctx != nil {
		base, _ = ctx.Value(oauth2.HTTPClient).(*http.Client)
	}
	if base == nil {
		base = ts.cfg.HTTPClient
	}
	c := &http.Client{Transport: &transport{src: ts, base: http.DefaultTransport}}
	if base != nil {
		if base.Transport != nil {
			c.Transport.(*transport).base = base.Transport
		}
		c.Timeout, c.CheckRedirect, c.Jar = base.Timeout, base.CheckRedirect, base.Jar
	}
	return c
}

// transport adds the bearer token to requests.
type transport struct {
	src  *TokenSource
	base http.RoundTripper
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := t.src.TokenContext(req.Context())
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	r := req.Clone(req.Context())
	tok.SetAuthHeader(r)
	return t.base.RoundTrip(r)
}

// refresh runs one token request for every caller waiting on c.
func (ts *TokenSource) refresh(ctx context.Context, c *call) {
	if ts.client.Timeout == 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultTimeout)
		defer cancel()
	}
	tok, lifetime, err := ts.fetch(ctx)

	ts.mu.Lock()
	now := ts.now()
	switch {
	case err == nil:
		ts.tok = tok
		early := min(maxEarly, lifetime/10)
		ts.refreshAt = tok.Expiry.Add(-early)
		ts.retryAt = time.Time{}
		c.tok = tok
	case ts.tok != nil && ts.tok.Expiry.Sub(now) >= minValid:
		// The current token is still good for a while: keep handing it
		// out, and try again a little later.
		ts.retryAt = now.Add(retryDelay)
		c.tok = ts.tok
	default:
		c.err = err
	}
	ts.inflight = nil
	ts.mu.Unlock()
	close(c.done)
}

// fetch discovers the token endpoint if needed and asks it for a token.
func (ts *TokenSource) fetch(ctx context.Context) (*oauth2.Token, time.Duration, error) {
	ts.mu.Lock()
	tokenURL := ts.tokenURL
	ts.mu.Unlock()
	if tokenURL == "" {
		u, err := ts.discover(ctx)
		if err != nil {
			return nil, 0, err
		}
		tokenURL = u
		ts.mu.Lock()
		ts.tokenURL = u
		ts.mu.Unlock()
	}

	form := url.Values{"grant_type": {"client_credentials"}}
	if ts.cfg.Resource != "" {
		form.Set("resource", ts.cfg.Resource)
	}
	if ts.cfg.Audience != "" {
		form.Set("audience", ts.cfg.Audience)
	}
	if len(ts.cfg.Scopes) > 0 {
		form.Set("scope", strings.Join(ts.cfg.Scopes, " "))
	}
	if ts.cfg.AuthStyle == AuthInBody {
		form.Set("client_id", ts.cfg.AppID)
		form.Set("client_secret", ts.cfg.AppSecret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, 0, fmt.Errorf("m2m: token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if ts.cfg.AuthStyle != AuthInBody {
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString(
			[]byte(url.QueryEscape(ts.cfg.AppID)+":"+url.QueryEscape(ts.cfg.AppSecret))))
	}
	sent := ts.now()
	status, body, err := ts.do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("m2m: token request: %w", err)
	}
	return parseToken(status, body, sent)
}

// do sends req and reads at most maxBody bytes of the answer.
func (ts *TokenSource) do(req *http.Request) (int, []byte, error) {
	res, err := ts.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxBody+1))
	if err != nil {
		return 0, nil, err
	}
	if len(body) > maxBody {
		return 0, nil, fmt.Errorf("the answer from %s is larger than %d bytes", req.URL.Redacted(), maxBody)
	}
	return res.StatusCode, body, nil
}

// discover reads the token endpoint from the issuer's OpenID Connect
// discovery document.
func (ts *TokenSource) discover(ctx context.Context) (string, error) {
	u := strings.TrimRight(ts.issuer, "/") + "/.well-known/openid-configuration"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", fmt.Errorf("m2m: discovery: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	status, body, err := ts.do(req)
	if err != nil {
		return "", fmt.Errorf("m2m: discovery: %w", err)
	}
	if status != http.StatusOK {
		return "", fmt.Errorf("m2m: discovery: GET %s: HTTP %d", u, status)
	}
	var doc struct {
		Issuer        string `json:"issuer"`
		TokenEndpoint string `json:"token_endpoint"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", fmt.Errorf("m2m: discovery: %s: %w", u, err)
	}
	if strings.TrimRight(doc.Issuer, "/") != strings.TrimRight(ts.issuer, "/") {
		return "", fmt.Errorf("m2m: discovery: the document's issuer %q is not %q", doc.Issuer, ts.issuer)
	}
	if !absoluteHTTP(doc.TokenEndpoint) {
		return "", fmt.Errorf("m2m: discovery: token_endpoint %q is not an absolute http(s) URL", doc.TokenEndpoint)
	}
	return doc.TokenEndpoint, nil
}

// parseToken reads a token endpoint's answer. sent is when the request was
// sent: the token's lifetime counts from then.
func parseToken(status int, body []byte, sent time.Time) (*oauth2.Token, time.Duration, error) {
	var raw map[string]any
	jsonErr := json.Unmarshal(body, &raw)
	if status < 200 || status > 299 || (jsonErr == nil && raw["error"] != nil) {
		e := &Error{Status: status}
		if jsonErr == nil {
			e.Code, _ = raw["error"].(string)
			e.Description, _ = raw["error_description"].(string)
		}
		if e.Code == "" {
			e.Description = snippet(body)
		}
		return nil, 0, e
	}
	if jsonErr != nil {
		return nil, 0, &Error{Status: status, Description: "the answer is not a JSON object: " + snippet(body)}
	}
	access, _ := raw["access_token"].(string)
	if access == "" {
		return nil, 0, &Error{Status: status, Description: "the answer has no access_token"}
	}
	typ, _ := raw["token_type"].(string)
	if typ == "" {
		typ = "Bearer"
	}
	lifetime := expiresIn(raw["expires_in"])
	if lifetime <= 0 {
		var ok bool
		if lifetime, ok = jwtLifetime(access, sent); !ok {
			lifetime = unknownLifetime
		}
	}
	tok := &oauth2.Token{AccessToken: access, TokenType: typ, Expiry: sent.Add(lifetime), ExpiresIn: int64(lifetime / time.Second)}
	return tok.WithExtra(raw), lifetime, nil
}

// expiresIn reads expires_in, a number or (from some servers) a numeric
// string.
func expiresIn(v any) time.Duration {
	var secs float64
	switch v := v.(type) {
	case float64:
		secs = v
	case string:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0
		}
		secs = f
	}
	if secs <= 0 || secs > 10*365*24*3600 {
		return 0
	}
	return time.Duration(secs * float64(time.Second))
}

// jwtLifetime reads the exp claim of a JWT access token, unverified: it only
// says when to get a new one. ok is false when the token has none.
func jwtLifetime(tok string, sent time.Time) (d time.Duration, ok bool) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return 0, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return 0, false
	}
	var c struct {
		Exp float64 `json:"exp"`
	}
	if json.Unmarshal(payload, &c) != nil || c.Exp <= 0 {
		return 0, false
	}
	return max(0, time.Unix(int64(c.Exp), 0).Sub(sent)), true
}

// snippet is the start of a non-JSON answer, printable, for an error message.
func snippet(body []byte) string {
	const max = 200
	s := strings.ToValidUTF8(string(body[:min(len(body), max)]), "")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

func copyToken(t *oauth2.Token) *oauth2.Token {
	c := *t
	return &c
}

func absoluteHTTP(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
