package management

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/webhook"
)

// Logto's hooks (/api/hooks): the rules are the webhook package's; this
// file reads Logto's bodies and answers Logto's shapes.

// hookConfigJSON is Logto's hook config.
type hookConfigJSON struct {
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers,omitempty"`
	Retries *int              `json:"retries,omitempty"`
}

type hookStatsJSON struct {
	RequestCount int `json:"requestCount"`
	SuccessCount int `json:"successCount"`
}

// hookJSON is Logto's hook; signingKey is shown, as Logto shows it.
type hookJSON struct {
	ID             string         `json:"id"`
	Name           string         `json:"name"`
	Event          *string        `json:"event"`
	Events         []string       `json:"events"`
	Config         hookConfigJSON `json:"config"`
	SigningKey     string         `json:"signingKey"`
	Enabled        bool           `json:"enabled"`
	CreatedAt      int64          `json:"createdAt"`
	ExecutionStats *hookStatsJSON `json:"executionStats,omitempty"`
}

func hookOut(h store.Hook) hookJSON {
	events := h.Events
	if events == nil {
		events = []string{}
	}
	out := hookJSON{ID: h.ID, Name: h.Name, Events: events, Config: hookConfigJSON{URL: h.URL, Headers: h.Headers, Retries: h.Retries},
		SigningKey: h.SigningKey, Enabled: h.Enabled, CreatedAt: ms(h.CreatedAt)}
	if h.Event != "" {
		out.Event = &h.Event
	}
	if len(out.Config.Headers) == 0 {
		out.Config.Headers = nil
	}
	return out
}

// hookBody is a create or PATCH body. The fields Logto answers with but
// does not let a client set are ignored.
type hookBody struct {
	ID             stripped        `json:"id"`
	TenantID       stripped        `json:"tenantId"`
	SigningKey     stripped        `json:"signingKey"`
	CreatedAt      stripped        `json:"createdAt"`
	ExecutionStats stripped        `json:"executionStats"`
	Name           *string         `json:"name"`
	Event          json.RawMessage `json:"event"`
	Events         *[]string       `json:"events"`
	Config         *hookConfigJSON `json:"config"`
	Enabled        *bool           `json:"enabled"`
}

func (b hookBody) patch() (webhook.Patch, error) {
	p := webhook.Patch{Name: b.Name, Events: b.Events, Enabled: b.Enabled}
	switch ev := strings.TrimSpace(string(b.Event)); ev {
	case "":
	case "null":
		p.ClearEvent = true
	default:
		var s string
		if err := json.Unmarshal(b.Event, &s); err != nil {
			return p, invalid("event must be a string or null")
		}
		p.Event = &s
	}
	if b.Config != nil {
		p.Config = &webhook.Config{URL: b.Config.URL, Headers: b.Config.Headers, Retries: b.Config.Retries}
	}
	return p, nil
}

func (s *server) hookID(r *http.Request) (string, error) {
	return pathID(r, "id", "hook")
}

func (s *server) listHooks(w http.ResponseWriter, r *http.Request) error {
	stats, err := directory.YesNo("includeExecutionStats", r.URL.Query().Get("includeExecutionStats"))
	if err != nil {
		return err
	}
	return writePage(w, r, func(h hookJSON) hookJSON { return h }, func(page store.Page) ([]hookJSON, int, error) {
		list, total, err := s.hooks.List(r.Context(), page)
		if err != nil {
			return nil, 0, err
		}
		out := make([]hookJSON, len(list))
		for i, h := range list {
			if out[i], err = s.hookWithStats(r, h, stats); err != nil {
				return nil, 0, err
			}
		}
		return out, total, nil
	})
}

func (s *server) hookWithStats(r *http.Request, h store.Hook, stats bool) (hookJSON, error) {
	out := hookOut(h)
	if stats {
		st, err := s.hooks.Stats(r.Context(), h.ID)
		if err != nil {
			return out, err
		}
		out.ExecutionStats = &hookStatsJSON{RequestCount: st.Requests, SuccessCount: st.Successes}
	}
	return out, nil
}

func (s *server) getHook(w http.ResponseWriter, r *http.Request) error {
	stats, err := directory.YesNo("includeExecutionStats", r.URL.Query().Get("includeExecutionStats"))
	if err != nil {
		return err
	}
	id, err := s.hookID(r)
	if err != nil {
		return err
	}
	h, err := s.hooks.Get(r.Context(), id)
	if err != nil {
		return hookNotFound(err, "entity.not_exists_with_id")
	}
	out, err := s.hookWithStats(r, h, stats)
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, out)
	return nil
}

func (s *server) createHook(w http.ResponseWriter, r *http.Request) error {
	var body hookBody
	if err := decode(w, r, &body); err != nil {
		return err
	}
	p, err := body.patch()
	if err != nil {
		return err
	}
	h, err := s.hooks.Create(r.Context(), p)
	if err != nil {
		return err
	}
	s.record(r, h.ID)
	httpjson.Write(w, http.StatusCreated, hookOut(h))
	return nil
}

func (s *server) updateHook(w http.ResponseWriter, r *http.Request) error {
	var body hookBody
	if err := decode(w, r, &body); err != nil {
		return err
	}
	p, err := body.patch()
	if err != nil {
		return err
	}
	id, err := s.hookID(r)
	if err != nil {
		return err
	}
	return s.hookChanged(w, r)(s.hooks.Update(r.Context(), id, p))
}

// hookChanged answers a change to a hook: the hook as changed, or Logto's
// code for a missing one (a change updates the hook).
func (s *server) hookChanged(w http.ResponseWriter, r *http.Request) func(store.Hook, error) error {
	return func(h store.Hook, err error) error {
		if err != nil {
			return hookNotFound(err, "entity.not_exists")
		}
		s.record(r, "")
		httpjson.Write(w, http.StatusOK, hookOut(h))
		return nil
	}
}

func (s *server) regenerateHookKey(w http.ResponseWriter, r *http.Request) error {
	id, err := s.hookID(r)
	if err != nil {
		return err
	}
	return s.hookChanged(w, r)(s.hooks.RegenerateKey(r.Context(), id))
}

func (s *server) deleteHook(w http.ResponseWriter, r *http.Request) error {
	id, err := s.hookID(r)
	if err != nil {
		return err
	}
	if err := s.hooks.Delete(r.Context(), id); err != nil {
		return hookNotFound(err, "entity.not_found")
	}
	s.record(r, "")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// testHook sends Logto's test payloads and answers 204, or 422 with the
// endpoint's answer.
func (s *server) testHook(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Events []string        `json:"events"`
		Config *hookConfigJSON `json:"config"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if body.Config == nil {
		return &apiError{http.StatusBadRequest, "guard.invalid_input", "config is required"}
	}
	id, err := s.hookID(r)
	if err != nil {
		return err
	}
	err = s.hooks.Test(r.Context(), id, body.Events, webhook.Config{URL: body.Config.URL, Headers: body.Config.Headers})
	if err != nil {
		return hookNotFound(err, "entity.not_exists_with_id")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// hookLogKey is Logto's log key prefix of webhook deliveries.
const hookLogKey = "TriggerHook."

// hookLogJSON is Logto's log entry of one delivery attempt.
type hookLogJSON struct {
	ID        string         `json:"id"`
	Key       string         `json:"key"`
	Payload   map[string]any `json:"payload"`
	CreatedAt int64          `json:"createdAt"`
}

func hookLogOut(a store.DeliveryAttempt) hookLogJSON {
	key := hookLogKey + a.Event
	result := "Success"
	if !a.Success {
		result = "Error"
	}
	var body any
	if err := json.Unmarshal(a.Body, &body); err != nil {
		body = string(a.Body)
	}
	p := map[string]any{"key": key, "result": result, "hookId": a.HookID, "hookRequest": map[string]any{"body": body}}
	if a.Status != 0 {
		var resp any
		if err := json.Unmarshal([]byte(a.Response), &resp); err != nil {
			resp = a.Response
		}
		p["response"] = map[string]any{"statusCode": a.Status, "body": resp}
	}
	if a.Error != "" {
		p["error"] = a.Error
	}
	return hookLogJSON{ID: a.ID, Key: key, Payload: p, CreatedAt: ms(a.CreatedAt)}
}

// recentLogWindow is how far back recent-logs look without a time window,
// as Logto's.
const recentLogWindow = 24 * time.Hour

func (s *server) hookLogs(w http.ResponseWriter, r *http.Request) error {
	id, err := s.hookID(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var f store.AttemptFilter
	if key := q.Get("logKey"); key != "" {
		f.Event = strings.TrimPrefix(key, hookLogKey)
		if f.Event == key {
			f.Event = "\x00" // not a webhook's key: nothing matches
		}
	}
	start, err := timestampParam(q.Get("start_time"), q.Has("start_time"), "start_time")
	if err != nil {
		return err
	}
	end, err := timestampParam(q.Get("end_time"), q.Has("end_time"), "end_time")
	if err != nil {
		return err
	}
	if start != nil && end != nil && start.After(*end) {
		return &apiError{http.StatusBadRequest, "log.invalid_time_window", "start_time is after end_time"}
	}
	switch {
	case start == nil && end == nil:
		f.Since = s.Now().Add(-recentLogWindow)
	default:
		if start != nil {
			f.Since = *start
		}
		if end != nil {
			f.Before = end.Add(time.Millisecond)
		}
	}
	return writePage(w, r, hookLogOut, func(page store.Page) ([]store.DeliveryAttempt, int, error) {
		list, total, err := s.hooks.Attempts(r.Context(), id, f, page)
		return list, total, hookNotFound(err, "entity.not_exists_with_id")
	})
}

// timestampParam reads a Unix-milliseconds query parameter, as Logto's
// parseTimestampParam.
func timestampParam(raw string, present bool, name string) (*time.Time, error) {
	if !present {
		return nil, nil
	}
	v, err := strconv.ParseFloat(raw, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) || math.Abs(v) > 8.64e15 {
		return nil, &apiError{http.StatusBadRequest, "guard.invalid_input", fmt.Sprintf("%s must be a time in Unix milliseconds", name)}
	}
	t := time.UnixMilli(int64(v))
	return &t, nil
}

// hookError answers a refusal of the webhook package with Logto's status
// and code.
func hookError(w http.ResponseWriter, e *webhook.Error) {
	switch e.Reason {
	case webhook.ReasonUnknownEvent:
		writeError(w, http.StatusBadRequest, "guard.invalid_input", e.Message)
	case webhook.ReasonMissingEvents:
		writeError(w, http.StatusBadRequest, "hook.missing_events", e.Message)
	case webhook.ReasonEndpointError:
		httpjson.Write(w, http.StatusUnprocessableEntity, map[string]any{
			"code": "hook.endpoint_responded_with_error", "message": e.Message,
			"data": map[string]any{"responseStatus": e.Status, "responseBody": e.Response},
		})
	case webhook.ReasonSendFailed:
		writeError(w, http.StatusUnprocessableEntity, "hook.send_test_payload_failed", e.Message)
	default:
		writeError(w, http.StatusBadRequest, "request.invalid_input", e.Message)
	}
}

// openAPIHooks documents these routes; it is merged into openAPI.
//
//go:embed openapi_hooks.json
var openAPIHooks []byte

func init() { addOpenAPI(openAPIHooks) }

// withOrigin has the writes h makes record the request (store.WithOrigin),
// in Logto's terms: the path below /api, the route with Logto's parameter
// names, the parameters, the client's address and user agent. Webhooks
// report it.
func (s *server) withOrigin(pattern string, h handlerFunc) handlerFunc {
	method, path, _ := strings.Cut(pattern, " ")
	path = strings.TrimPrefix(path, "/api")
	route, names := logtoRoute(path)
	return func(w http.ResponseWriter, r *http.Request) error {
		o := store.EventOrigin{Method: method, Path: strings.TrimPrefix(r.URL.Path, "/api"), Route: route,
			UserAgent: r.UserAgent()}
		if len(names) > 0 {
			o.Params = make(map[string]string, len(names))
			for ours, theirs := range names {
				o.Params[theirs] = r.PathValue(ours)
			}
		}
		if s.ClientIP != nil {
			o.IP = s.ClientIP(r)
		}
		return h(w, r.WithContext(store.WithOrigin(r.Context(), o)))
	}
}

// logtoRoute spells a route pattern as Logto's router does ("/users/{id}"
// is "/users/:userId") and maps each of its parameters to Logto's name.
func logtoRoute(path string) (string, map[string]string) {
	segs := strings.Split(path, "/")
	names := map[string]string{}
	for i, seg := range segs {
		name, ok := strings.CutPrefix(seg, "{")
		if !ok {
			continue
		}
		name = strings.TrimSuffix(name, "}")
		theirs := name
		if name == "id" && i >= 1 {
			switch segs[i-1] {
			case "users":
				theirs = "userId"
			case "resources":
				theirs = "resourceId"
			}
		}
		names[name] = theirs
		segs[i] = ":" + theirs
	}
	return strings.Join(segs, "/"), names
}

// hookNotFound answers a missing hook with the code Logto's route gives it:
// a read finds the hook by id (entity.not_exists_with_id), a change updates
// it (entity.not_exists), a deletion deletes it (entity.not_found).
func hookNotFound(err error, code string) error {
	if errors.Is(err, store.ErrNotFound) {
		return &apiError{http.StatusNotFound, code, "hook not found"}
	}
	return err
}
