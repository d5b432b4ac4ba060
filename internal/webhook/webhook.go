// Package webhook is Logto's hooks: it keeps the hooks' rules (events,
// endpoint, signing key), turns committed outbox events into durable
// deliveries, and sends them, signed, with retries.
//
// Delivery is at least once. A Dispatcher plans deliveries from the outbox
// (internal/events' table) from a cursor stored with them, so an event is
// planned once across every instance and survives a restart; it then
// claims due deliveries with a lease, so two instances never send the
// same attempt at once and one that dies mid-send leaves its deliveries to
// the others when the lease runs out. Sending runs on the Dispatcher's own
// goroutines, never on a request's.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/monban/monban/internal/egress"
)

// SignatureHeader carries the hex HMAC-SHA256 of the body under the hook's
// signing key, as Logto names it.
const SignatureHeader = "logto-signature-sha-256"

// UserAgent is the user agent of deliveries unless a hook's headers set one.
const UserAgent = "Monban (https://github.com/monban/monban)"

// Sign returns the signature of body under key.
func Sign(key string, body []byte) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// maxResponse bounds how much of a receiver's answer is read and kept.
const maxResponse = 4 << 10

// sender posts payloads through the egress policy.
type sender struct {
	guard   *egress.Guard
	client  *http.Client
	timeout time.Duration
}

func newSender(p egress.Policy, timeout time.Duration) *sender {
	g := egress.New(p)
	return &sender{guard: g, timeout: timeout, client: &http.Client{
		Transport: g.Transport(),
		// A redirect is answered as it came: not 2xx, so a failure.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// result is what one attempt got.
type result struct {
	status   int
	response string
	err      error
}

func (r result) ok() bool { return r.err == nil && r.status >= 200 && r.status < 300 }

// describe says why an attempt failed, for the logs and recent logs.
func (r result) describe() string {
	if r.err != nil {
		return r.err.Error()
	}
	if !r.ok() {
		return fmt.Sprintf("the endpoint answered %d", r.status)
	}
	return ""
}

// send posts body to rawURL with headers and the signature of body.
func (s *sender) send(ctx context.Context, rawURL string, headers map[string]string, key string, body []byte) result {
	u, err := url.Parse(rawURL)
	if err == nil {
		err = s.guard.CheckURL(u)
	}
	if err != nil {
		return result{err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(string(body)))
	if err != nil {
		return result{err: err}
	}
	req.Header.Set("User-Agent", UserAgent)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set(SignatureHeader, Sign(key, body))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is the hook's, known to the reader
		}
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("no answer within %s", s.timeout)
		}
		return result{err: err}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // let the connection be reused
	text := string(b)
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "\uFFFD")
	}
	return result{status: resp.StatusCode, response: text}
}

// discard is a logger that drops everything.
var discard = slog.New(slog.NewTextHandler(io.Discard, nil))
