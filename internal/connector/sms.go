package connector

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/monban/monban/internal/egress"
	"github.com/monban/monban/internal/verifycode"
	"github.com/monban/monban/internal/webhook"
)

// env is what senders share: the egress-checked dialer and HTTP client,
// the trusted roots for SMTP's TLS, and the bound of an attempt.
type env struct {
	guard   *egress.Guard
	dial    func(ctx context.Context, network, addr string) (net.Conn, error)
	client  *http.Client
	roots   *x509.CertPool
	timeout time.Duration
}

func newEnv(p egress.Policy, roots *x509.CertPool, timeout time.Duration) *env {
	g := egress.New(p)
	return &env{guard: g, dial: g.DialContext(), roots: roots, timeout: timeout, client: &http.Client{
		Transport:     g.Transport(),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// maxAnswer bounds how much of a provider's answer is read.
const maxAnswer = 4 << 10

// post sends body to rawURL with headers through the egress policy; a
// non-2xx answer is an error quoting its start.
func (e *env) post(ctx context.Context, rawURL string, header http.Header, body []byte) error {
	u, err := url.Parse(rawURL)
	if err == nil {
		err = e.guard.CheckURL(u)
	}
	if err != nil {
		return errorf(SendFailed, "%v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return errorf(SendFailed, "%v", err)
	}
	req.Header = header
	req.Header.Set("User-Agent", webhook.UserAgent)
	resp, err := e.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("no answer within %s", e.timeout)
		}
		return errorf(SendFailed, "%s: %v", u.Host, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		text := strings.ToValidUTF8(strings.TrimSpace(string(b)), "\uFFFD")
		if utf8.RuneCountInString(text) > 300 {
			text = string([]rune(text)[:300]) + "…"
		}
		return errorf(SendFailed, "%s answered %d: %s", u.Host, resp.StatusCode, text)
	}
	return nil
}

// httpSMSConfig is Logto's HTTP SMS connector config, with a signing key.
type httpSMSConfig struct {
	Endpoint      string `json:"endpoint"`
	Authorization string `json:"authorization,omitempty"`
	// SigningKey, when set, signs each body as webhooks are signed.
	SigningKey string `json:"signingKey,omitempty"`
}

func parseHTTPSMS(raw []byte) (messenger, error) {
	var c httpSMSConfig
	if err := decodeStrict(raw, &c); err != nil {
		return nil, err
	}
	if err := checkHTTPURL("endpoint", c.Endpoint); err != nil {
		return nil, err
	}
	if strings.ContainsAny(c.Authorization, "\r\n") || len(c.Authorization) > 4096 {
		return nil, errorf(InvalidConfig, "authorization must be one header value")
	}
	if len(c.SigningKey) > 1024 {
		return nil, errorf(InvalidConfig, "signingKey must be at most 1024 bytes")
	}
	return &c, nil
}

func (c *httpSMSConfig) template(verifycode.Purpose) (Details, bool) { return Details{}, false }

// httpSMSBody is what the endpoint receives: Logto's HTTP SMS body (to,
// type, payload) with the code and locale also at the top level, and the
// text Monban would send.
type httpSMSBody struct {
	To      string         `json:"to"`
	Type    string         `json:"type"`
	Code    string         `json:"code"`
	Locale  string         `json:"locale"`
	Text    string         `json:"text"`
	Payload httpSMSPayload `json:"payload"`
}

type httpSMSPayload struct {
	Code   string `json:"code"`
	Locale string `json:"locale"`
}

func (c *httpSMSConfig) send(ctx context.Context, e *env, m verifycode.Message, tmpl Details) error {
	locale := baseLanguage(m.Locale)
	body, err := json.Marshal(httpSMSBody{To: "+" + m.To, Type: string(m.Purpose), Code: m.Code, Locale: locale,
		Text: render(tmpl.Content, m), Payload: httpSMSPayload{Code: m.Code, Locale: locale}})
	if err != nil {
		return err
	}
	h := http.Header{"Content-Type": {"application/json"}}
	if c.Authorization != "" {
		h.Set("Authorization", c.Authorization)
	}
	if c.SigningKey != "" {
		h.Set(webhook.SignatureHeader, webhook.Sign(c.SigningKey, body))
	}
	return e.post(ctx, c.Endpoint, h, body)
}

// twilioConfig is Logto's Twilio SMS connector config, with the API's
// base URL, for Twilio-compatible providers (and tests).
type twilioConfig struct {
	AccountSID              string           `json:"accountSID"`
	AuthToken               string           `json:"authToken"`
	FromMessagingServiceSID string           `json:"fromMessagingServiceSID"`
	DisableRiskCheck        bool             `json:"disableRiskCheck,omitempty"`
	Templates               []configTemplate `json:"templates"`
	Endpoint                string           `json:"endpoint,omitempty"`
}

// twilioAPI is Twilio's API base URL.
const twilioAPI = "https://api.twilio.com"

func parseTwilio(raw []byte) (messenger, error) {
	var c twilioConfig
	if err := decodeStrict(raw, &c); err != nil {
		return nil, err
	}
	switch {
	case !sidLike(c.AccountSID):
		return nil, errorf(InvalidConfig, "accountSID is required (letters and digits)")
	case c.AuthToken == "" || len(c.AuthToken) > 256:
		return nil, errorf(InvalidConfig, "authToken is required")
	case !sidLike(c.FromMessagingServiceSID):
		return nil, errorf(InvalidConfig, "fromMessagingServiceSID is required (letters and digits)")
	}
	if c.Endpoint != "" {
		if err := checkHTTPURL("endpoint", c.Endpoint); err != nil {
			return nil, err
		}
	}
	if err := checkConfigTemplates(c.Templates, false); err != nil {
		return nil, err
	}
	return &c, nil
}

// sidLike accepts Twilio's identifiers: letters and digits, bounded (the
// account SID goes into the URL path).
func sidLike(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return false
		}
	}
	return true
}

func (c *twilioConfig) template(p verifycode.Purpose) (Details, bool) {
	return fromConfig(c.Templates, p)
}

func (c *twilioConfig) send(ctx context.Context, e *env, m verifycode.Message, tmpl Details) error {
	base := c.Endpoint
	if base == "" {
		base = twilioAPI
	}
	risk := "enable"
	if c.DisableRiskCheck {
		risk = "disable"
	}
	form := url.Values{"To": {"+" + m.To}, "MessagingServiceSid": {c.FromMessagingServiceSID},
		"Body": {render(tmpl.Content, m)}, "RiskCheck": {risk}}
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	req := &http.Request{Header: http.Header{}}
	req.SetBasicAuth(c.AccountSID, c.AuthToken)
	h.Set("Authorization", req.Header.Get("Authorization"))
	endpoint := strings.TrimSuffix(base, "/") + "/2010-04-01/Accounts/" + url.PathEscape(c.AccountSID) + "/Messages.json"
	return e.post(ctx, endpoint, h, []byte(form.Encode()))
}
