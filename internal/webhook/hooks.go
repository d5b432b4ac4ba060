package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/monban/monban/internal/egress"
	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
)

// Reason says why a hook operation was refused.
type Reason int

const (
	// ReasonInvalid: a field is malformed (name too long, bad URL or
	// header, URL the egress policy refuses).
	ReasonInvalid Reason = iota + 1
	// ReasonUnknownEvent: an event name is not one of Events.
	ReasonUnknownEvent
	// ReasonMissingEvents: a new hook names no event.
	ReasonMissingEvents
	// ReasonEndpointError: a test payload was answered with a non-2xx
	// status (Error.Status, Error.Response).
	ReasonEndpointError
	// ReasonSendFailed: a test payload could not be sent.
	ReasonSendFailed
)

// Error is a refusal of a hook operation.
type Error struct {
	Reason   Reason
	Message  string
	Status   int    // ReasonEndpointError: the endpoint's status
	Response string // ReasonEndpointError: the start of its answer
}

func (e *Error) Error() string { return e.Message }

func refuse(r Reason, format string, a ...any) error {
	return &Error{Reason: r, Message: fmt.Sprintf(format, a...)}
}

// Config is a hook's endpoint, Logto's config object.
type Config struct {
	URL     string
	Headers map[string]string
	Retries *int // kept, not acted upon (Logto deprecated it)
}

// Patch is what a create or update sets; nil fields are left alone (on
// create, take their defaults).
type Patch struct {
	Name *string
	// Event is the legacy single event; ClearEvent sets it to null.
	Event      *string
	ClearEvent bool
	Events     *[]string
	Config     *Config
	Enabled    *bool
}

// Limits on a hook's fields.
const (
	maxName      = 256
	maxURL       = 2048
	maxHeaders   = 50
	maxHeaderLen = 4096
)

// Service keeps hooks and sends test payloads; it is what the Management
// API calls.
type Service struct {
	st   store.Store
	send *sender
	now  func() time.Time
}

// NewService returns a Service over st whose endpoints obey policy.
func NewService(st store.Store, policy egress.Policy, timeout time.Duration, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{st: st, send: newSender(policy, timeout), now: now}
}

// newSigningKey is a hook's signing key: 32 random characters, as Logto's.
func newSigningKey() string { return randid.Secret(24) }

// apply applies p to h under the rules of hooks, with the URL held to
// guard's policy.
func apply(guard *egress.Guard, h *store.Hook, p Patch) error {
	if p.Name != nil {
		if len(*p.Name) > maxName {
			return refuse(ReasonInvalid, "name must be at most %d characters", maxName)
		}
		h.Name = *p.Name
	}
	if p.ClearEvent {
		h.Event = ""
	}
	if p.Event != nil {
		if !KnownEvent(*p.Event) {
			return refuse(ReasonUnknownEvent, "event: unknown event %q", *p.Event)
		}
		h.Event = *p.Event
	}
	if p.Events != nil {
		if len(*p.Events) == 0 {
			return refuse(ReasonInvalid, "events must name at least one event")
		}
		var evs []string
		for _, e := range *p.Events {
			if !KnownEvent(e) {
				return refuse(ReasonUnknownEvent, "events: unknown event %q", e)
			}
			if !slices.Contains(evs, e) {
				evs = append(evs, e)
			}
		}
		h.Events = evs
	}
	if p.Config != nil {
		if err := checkConfig(guard, *p.Config); err != nil {
			return err
		}
		h.URL, h.Headers, h.Retries = p.Config.URL, p.Config.Headers, p.Config.Retries
	}
	if p.Enabled != nil {
		h.Enabled = *p.Enabled
	}
	return nil
}

// checkConfig refuses what could never be sent: a URL that is not http or
// https, has credentials or an address guard's policy refuses, a header
// that is not a valid one.
func checkConfig(guard *egress.Guard, c Config) error {
	if c.URL == "" || len(c.URL) > maxURL {
		return refuse(ReasonInvalid, "config.url must be an http or https URL of at most %d characters", maxURL)
	}
	u, err := url.Parse(c.URL)
	if err != nil || !u.IsAbs() {
		return refuse(ReasonInvalid, "config.url is not an absolute URL")
	}
	if err := guard.CheckURL(u); err != nil {
		return refuse(ReasonInvalid, "config.url: %v", err)
	}
	if c.Retries != nil && (*c.Retries < 0 || *c.Retries > 3) {
		return refuse(ReasonInvalid, "config.retries must be from 0 to 3")
	}
	if len(c.Headers) > maxHeaders {
		return refuse(ReasonInvalid, "config.headers may hold at most %d headers", maxHeaders)
	}
	for k, v := range c.Headers {
		if !validHeaderName(k) || len(v) > maxHeaderLen || strings.ContainsAny(v, "\r\n\x00") {
			return refuse(ReasonInvalid, "config.headers: %q is not a valid header", k)
		}
		switch strings.ToLower(k) {
		case "host", "content-length", "content-type", "transfer-encoding", "connection", SignatureHeader:
			return refuse(ReasonInvalid, "config.headers: %s is set by the server", k)
		}
	}
	return nil
}

func validHeaderName(k string) bool {
	if k == "" || len(k) > 256 {
		return false
	}
	for _, c := range k {
		if c > 127 || !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("!#$%&'*+-.^_`|~", c)) {
			return false
		}
	}
	return true
}

// Create makes a hook from p, with a new signing key. It needs a config
// and an event (Events or the legacy Event).
func (s *Service) Create(ctx context.Context, p Patch) (store.Hook, error) {
	h := store.Hook{ID: randid.ID(), SigningKey: newSigningKey(), Enabled: true, CreatedAt: s.now()}
	if err := build(s.send.guard, &h, p); err != nil {
		return h, err
	}
	return h, s.st.CreateHook(ctx, h)
}

// Check reports whether Create would accept p, without making anything.
func (s *Service) Check(p Patch) error {
	return build(s.send.guard, &store.Hook{Enabled: true}, p)
}

// anyAddress is a guard whose policy reaches every address: it checks a
// URL's form (scheme, host, no credentials) and nothing else.
var anyAddress = egress.New(egress.Policy{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}})

// CheckForm reports whether Create would accept p, but for the egress
// policy, which is the server's own setting: what a client can check
// before it asks a server to make the hook.
func CheckForm(p Patch) error {
	return build(anyAddress, &store.Hook{Enabled: true}, p)
}

// build makes h the new hook p describes.
func build(guard *egress.Guard, h *store.Hook, p Patch) error {
	if p.Config == nil {
		return refuse(ReasonInvalid, "config is required")
	}
	if err := apply(guard, h, p); err != nil {
		return err
	}
	if len(h.Events) == 0 && h.Event == "" {
		return refuse(ReasonMissingEvents, "a hook needs events")
	}
	return nil
}

// Update applies p to the hook with id.
func (s *Service) Update(ctx context.Context, id string, p Patch) (store.Hook, error) {
	h, err := s.st.GetHook(ctx, id)
	if err != nil {
		return h, err
	}
	if err := apply(s.send.guard, &h, p); err != nil {
		return h, err
	}
	return h, s.st.UpdateHook(ctx, h)
}

// RegenerateKey gives the hook a new signing key.
func (s *Service) RegenerateKey(ctx context.Context, id string) (store.Hook, error) {
	h, err := s.st.GetHook(ctx, id)
	if err != nil {
		return h, err
	}
	h.SigningKey = newSigningKey()
	return h, s.st.UpdateHook(ctx, h)
}

// Get, List and Delete are the store's.
func (s *Service) Get(ctx context.Context, id string) (store.Hook, error) {
	return s.st.GetHook(ctx, id)
}

func (s *Service) List(ctx context.Context, page store.Page) ([]store.Hook, int, error) {
	return s.st.ListHooks(ctx, page)
}

func (s *Service) Delete(ctx context.Context, id string) error { return s.st.DeleteHook(ctx, id) }

// StatsWindow is how far back a hook's execution stats count.
const StatsWindow = 24 * time.Hour

// Stats counts the hook's attempts in the last StatsWindow.
func (s *Service) Stats(ctx context.Context, id string) (store.HookStats, error) {
	return s.st.HookStats(ctx, id, s.now().Add(-StatsWindow))
}

// Attempts lists the hook's delivery attempts.
func (s *Service) Attempts(ctx context.Context, id string, f store.AttemptFilter, page store.Page) ([]store.DeliveryAttempt, int, error) {
	return s.st.ListAttempts(ctx, id, f, page)
}

// Test sends Logto's test payload of each event to c (not the hook's
// stored config), signed with the hook's key, and waits for the answers.
// A non-2xx answer is ReasonEndpointError, a failure to send
// ReasonSendFailed.
func (s *Service) Test(ctx context.Context, id string, events []string, c Config) error {
	h, err := s.st.GetHook(ctx, id)
	if err != nil {
		return err
	}
	if len(events) == 0 {
		return refuse(ReasonInvalid, "events must name at least one event")
	}
	for _, e := range events {
		if !KnownEvent(e) {
			return refuse(ReasonUnknownEvent, "events: unknown event %q", e)
		}
	}
	if err := checkConfig(s.send.guard, c); err != nil {
		return err
	}
	var once []string
	for _, e := range events {
		if !slices.Contains(once, e) {
			once = append(once, e)
		}
	}
	for _, e := range once {
		body, _ := json.Marshal(testPayload(id, e, s.now())) // plain values always encode
		r := s.send.send(ctx, c.URL, c.Headers, h.SigningKey, body)
		switch {
		case r.err != nil:
			return &Error{Reason: ReasonSendFailed, Message: r.err.Error()}
		case !r.ok():
			return &Error{Reason: ReasonEndpointError, Message: r.describe(), Status: r.status, Response: r.response}
		}
	}
	return nil
}

// testPayload is Logto's generateHookTestPayload.
func testPayload(hookID, event string, now time.Time) any {
	created := now.UTC().Format("2006-01-02T15:04:05.000Z")
	if slices.Contains(interactionEvents, event) {
		return map[string]any{
			"event": event, "hookId": hookID, "createdAt": created, "userAgent": "fake-user-agent",
			"sessionId": "fake-session-id", "userIp": "fake-user-ip", "userId": "fake-id",
			"user": map[string]any{
				"id": "fake-id", "username": "fake-user", "primaryEmail": "fake-user@fake-service.com", "primaryPhone": "1234567890",
				"name": "Fake User", "avatar": "https://fake-service.com/avatars/fake-user.png", "customData": map[string]any{"theme": "light"},
				"identities": map[string]any{"google": map[string]any{"userId": "fake-google-user-id"}}, "profile": map[string]any{},
				"applicationId": "fake-application-id", "isSuspended": false,
				"lastSignInAt": now.UnixMilli(), "createdAt": now.UnixMilli(), "updatedAt": now.UnixMilli(),
			},
			"application": map[string]any{"id": "fake-spa-application-id", "type": store.AppSPA, "name": "Fake Application",
				"description": "Fake application data for testing"},
		}
	}
	return map[string]any{
		"event": event, "hookId": hookID, "createdAt": created, "userAgent": "fake-user-agent",
		"path": "/fake-path/:id", "method": "POST", "status": 200, "params": map[string]any{"id": "fake-id"},
		"data": map[string]any{"result": "success"},
	}
}

// IsError reports whether err is a refusal of this package, and which.
func IsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
