package management

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/monban/monban/internal/egress"
	"github.com/monban/monban/internal/webhook"
)

type hookOutT struct {
	ID             string            `json:"id"`
	Name           string            `json:"name"`
	Event          *string           `json:"event"`
	Events         []string          `json:"events"`
	Config         map[string]any    `json:"config"`
	SigningKey     string            `json:"signingKey"`
	Enabled        bool              `json:"enabled"`
	CreatedAt      int64             `json:"createdAt"`
	ExecutionStats *map[string]int64 `json:"executionStats"`
}

func (e *env) createHook(body map[string]any) hookOutT {
	e.t.Helper()
	var h hookOutT
	e.do("POST", "/api/hooks", body).want(e.t, 201, &h)
	return h
}

// hookReceiver is a real HTTP endpoint on loopback recording what it gets.
type hookReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	sigs   []string
	status int
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{status: 200}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		h.bodies = append(h.bodies, b)
		h.sigs = append(h.sigs, r.Header.Get(webhook.SignatureHeader))
		w.WriteHeader(h.status)
		_, _ = w.Write([]byte(`{"received":true}`))
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookReceiver) payloads(t *testing.T, key string) []map[string]any {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]map[string]any, len(h.bodies))
	for i, b := range h.bodies {
		if h.sigs[i] != webhook.Sign(key, b) {
			t.Errorf("delivery %d: signature %q does not verify", i, h.sigs[i])
		}
		must(t, json.Unmarshal(b, &out[i]))
	}
	return out
}

func TestHooksCRUD(t *testing.T) {
	e := newEnv(t)
	h := e.createHook(map[string]any{"name": "audit", "events": []string{"User.Created", "Role.Deleted", "User.Created"},
		"config": map[string]any{"url": "https://example.com/h", "headers": map[string]string{"X-Key": "v"}}})
	if h.ID == "" || h.Name != "audit" || h.Event != nil || !slices.Equal(h.Events, []string{"User.Created", "Role.Deleted"}) ||
		h.Config["url"] != "https://example.com/h" || len(h.SigningKey) != 32 || !h.Enabled || h.CreatedAt == 0 || h.ExecutionStats != nil {
		t.Fatalf("created %+v", h)
	}
	legacy := e.createHook(map[string]any{"event": "PostSignIn", "enabled": false, "config": map[string]any{"url": "https://example.com/l"}})
	if legacy.Event == nil || *legacy.Event != "PostSignIn" || len(legacy.Events) != 0 || legacy.Enabled {
		t.Fatalf("legacy hook %+v", legacy)
	}

	// Optional pagination: every hook without page, one page with it.
	var all []hookOutT
	r := e.do("GET", "/api/hooks", nil).want(t, 200, &all)
	if len(all) != 2 || r.header.Get("Total-Number") != "" || r.header.Get("Link") != "" {
		t.Fatalf("list: %d hooks, headers %v", len(all), r.header)
	}
	r = e.do("GET", "/api/hooks?page=1&page_size=1&includeExecutionStats=true", nil).want(t, 200, &all)
	if len(all) != 1 || r.header.Get("Total-Number") != "2" || !strings.Contains(strings.Join(r.header.Values("Link"), ","), `rel="next"`) {
		t.Fatalf("page: %+v, headers %v", all, r.header)
	}
	if all[0].ExecutionStats == nil || (*all[0].ExecutionStats)["requestCount"] != 0 {
		t.Errorf("execution stats %v", all[0].ExecutionStats)
	}
	var got hookOutT
	e.do("GET", "/api/hooks/"+h.ID, nil).want(t, 200, &got)
	if got.SigningKey != h.SigningKey || got.ExecutionStats != nil {
		t.Errorf("get %+v", got)
	}
	e.wantCode(e.do("GET", "/api/hooks/"+h.ID+"?nonsense=1", nil), 400, "request.invalid_input")

	// A read-modify-write PATCH: the hook as answered, changed.
	var full map[string]any
	e.do("GET", "/api/hooks/"+h.ID+"?includeExecutionStats=true", nil).want(t, 200, &full)
	full["name"], full["events"], full["signingKey"] = "renamed", []string{"Scope.Created"}, "ignored"
	e.do("PATCH", "/api/hooks/"+h.ID, full).want(t, 200, &got)
	if got.Name != "renamed" || !slices.Equal(got.Events, []string{"Scope.Created"}) || got.SigningKey != h.SigningKey {
		t.Errorf("patched %+v", got)
	}
	e.do("PATCH", "/api/hooks/"+legacy.ID, map[string]any{"event": nil, "events": []string{"PostRegister"}}).want(t, 200, &got)
	if got.Event != nil || !slices.Equal(got.Events, []string{"PostRegister"}) {
		t.Errorf("event cleared: %+v", got)
	}
	e.do("PATCH", "/api/hooks/"+h.ID+"/signing-key", nil).want(t, 200, &got)
	if got.SigningKey == h.SigningKey || len(got.SigningKey) != 32 {
		t.Errorf("new key %q", got.SigningKey)
	}
	e.do("DELETE", "/api/hooks/"+h.ID, nil).want(t, 204, nil)
	// Each route answers a missing hook with the code Logto's gives: a
	// find by id, an update, a deletion.
	for _, rq := range [][3]string{{"GET", "", "entity.not_exists_with_id"}, {"DELETE", "", "entity.not_found"},
		{"PATCH", "/signing-key", "entity.not_exists"}, {"GET", "/recent-logs", "entity.not_exists_with_id"}} {
		var body any
		if rq[0] == "PATCH" {
			body = map[string]any{}
		}
		e.wantCode(e.do(rq[0], "/api/hooks/"+h.ID+rq[1], body), 404, rq[2])
	}
	e.wantCode(e.do("PATCH", "/api/hooks/"+h.ID, map[string]any{"name": "x"}), 404, "entity.not_exists")
}

func (e *env) wantCode(r resp, status int, code string) map[string]string {
	e.t.Helper()
	if r.status != status {
		e.t.Errorf("status %d, want %d: %s", r.status, status, r.body)
		return nil
	}
	m := r.errBody(e.t)
	if m["code"] != code {
		e.t.Errorf("code %q, want %q: %s", m["code"], code, r.body)
	}
	return m
}

func TestHookRefusals(t *testing.T) {
	e := newEnv(t)
	cfg := map[string]any{"url": "https://example.com/h"}
	e.wantCode(e.do("POST", "/api/hooks", map[string]any{"events": []string{"User.Exploded"}, "config": cfg}), 400, "guard.invalid_input")
	e.wantCode(e.do("POST", "/api/hooks", map[string]any{"event": "Nope", "config": cfg}), 400, "guard.invalid_input")
	e.wantCode(e.do("POST", "/api/hooks", map[string]any{"config": cfg}), 400, "hook.missing_events")
	e.wantCode(e.do("POST", "/api/hooks", map[string]any{"events": []string{}, "config": cfg}), 400, "request.invalid_input")
	e.wantCode(e.do("POST", "/api/hooks", map[string]any{"events": []string{"User.Created"}}), 400, "request.invalid_input")
	for _, u := range []string{"http://10.0.0.1/h", "http://169.254.169.254/latest/meta-data", "http://[fd00::1]/", "file:///etc/passwd", "not a url"} {
		m := e.wantCode(e.do("POST", "/api/hooks", map[string]any{"events": []string{"User.Created"}, "config": map[string]any{"url": u}}), 400, "request.invalid_input")
		if m != nil && !strings.Contains(m["message"], "config.url") {
			t.Errorf("%s: %v", u, m)
		}
	}
	e.wantCode(e.do("POST", "/api/hooks", map[string]any{"events": []string{"User.Created"}, "config": cfg, "secret": 1}), 400, "request.invalid_input")
	e.wantCode(e.do("POST", "/api/hooks", map[string]any{"events": "User.Created", "config": cfg}), 400, "request.invalid_input")
	h := e.createHook(map[string]any{"events": []string{"User.Created"}, "config": cfg})
	e.wantCode(e.do("PATCH", "/api/hooks/"+h.ID, map[string]any{"events": []string{"Bogus"}}), 400, "guard.invalid_input")
	e.wantCode(e.do("PATCH", "/api/hooks/"+h.ID, map[string]any{"config": map[string]any{"url": "http://192.168.1.1/"}}), 400, "request.invalid_input")
	e.wantCode(e.do("PATCH", "/api/hooks/"+h.ID, map[string]any{"config": map[string]any{"url": cfg["url"], "headers": map[string]string{"Host": "x"}}}), 400, "request.invalid_input")
	var got hookOutT
	e.do("GET", "/api/hooks/"+h.ID, nil).want(t, 200, &got)
	if !slices.Equal(got.Events, []string{"User.Created"}) || got.Config["url"] != cfg["url"] {
		t.Errorf("a refused PATCH changed the hook: %+v", got)
	}
}

func TestHookTestEndpoint(t *testing.T) {
	e := newEnv(t)
	rcv := newHookReceiver(t)
	h := e.createHook(map[string]any{"events": []string{"User.Created"}, "config": map[string]any{"url": "https://example.com/h"}})
	e.do("POST", "/api/hooks/"+h.ID+"/test", map[string]any{"events": []string{"User.Created", "PostSignIn"},
		"config": map[string]any{"url": rcv.URL}}).want(t, 204, nil)
	got := rcv.payloads(t, h.SigningKey)
	if len(got) != 2 || got[0]["event"] != "User.Created" || got[0]["hookId"] != h.ID || got[1]["event"] != "PostSignIn" {
		t.Fatalf("test payloads %v", got)
	}
	rcv.mu.Lock()
	rcv.status = 500
	rcv.mu.Unlock()
	r := e.do("POST", "/api/hooks/"+h.ID+"/test", map[string]any{"events": []string{"Role.Created"}, "config": map[string]any{"url": rcv.URL}})
	var body struct {
		Code string `json:"code"`
		Data struct {
			ResponseStatus int    `json:"responseStatus"`
			ResponseBody   string `json:"responseBody"`
		} `json:"data"`
	}
	r.want(t, 422, &body)
	if body.Code != "hook.endpoint_responded_with_error" || body.Data.ResponseStatus != 500 || body.Data.ResponseBody != `{"received":true}` {
		t.Errorf("endpoint error %s", r.body)
	}
	rcv.Close()
	e.wantCode(e.do("POST", "/api/hooks/"+h.ID+"/test", map[string]any{"events": []string{"Role.Created"}, "config": map[string]any{"url": rcv.URL}}),
		422, "hook.send_test_payload_failed")
	e.wantCode(e.do("POST", "/api/hooks/"+h.ID+"/test", map[string]any{"events": []string{"Role.Created"}, "config": map[string]any{"url": "http://10.9.8.7/"}}),
		400, "request.invalid_input")
	e.wantCode(e.do("POST", "/api/hooks/"+h.ID+"/test", map[string]any{"events": []string{"Nope"}, "config": map[string]any{"url": rcv.URL}}),
		400, "guard.invalid_input")
	e.wantCode(e.do("POST", "/api/hooks/nosuchhook/test", map[string]any{"events": []string{"Role.Created"}, "config": map[string]any{"url": rcv.URL}}),
		404, "entity.not_exists_with_id")
}

// TestHookEventsFromTheAPI: each Management API route Logto registers fires
// its event, with Logto's payload: the request's method, path, route and
// parameters, the status the route answered and its response body as data.
// Recent logs then show every attempt.
func TestHookEventsFromTheAPI(t *testing.T) {
	e := newEnv(t)
	rcv := newHookReceiver(t)
	h := e.createHook(map[string]any{"events": webhook.Fires(), "config": map[string]any{"url": rcv.URL, "headers": map[string]string{"X-Tenant": "t1"}}})
	opts := webhook.DefaultOptions()
	opts.Egress = egress.Policy{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	d := webhook.NewDispatcher(e.st, opts)

	type call struct {
		method, path string
		body         any
		event        string
		route        string
	}
	u := e.createUser(map[string]any{"username": "hooked", "password": "correct horse battery"})
	res := e.createResource("Hooked", "https://hooked.example")
	calls := []call{
		{"PATCH", "/api/users/" + u.ID, map[string]any{"name": "Hook Ed"}, "User.Data.Updated", "/users/:userId"},
		{"PATCH", "/api/users/" + u.ID + "/custom-data", map[string]any{"customData": map[string]any{"tier": "gold"}}, "User.Data.Updated", "/users/:userId/custom-data"},
		{"PATCH", "/api/users/" + u.ID + "/profile", map[string]any{"profile": map[string]any{"givenName": "Ed"}}, "User.Data.Updated", "/users/:userId/profile"},
		{"PATCH", "/api/users/" + u.ID + "/password", map[string]any{"password": "another good passphrase"}, "User.Data.Updated", "/users/:userId/password"},
		{"PATCH", "/api/users/" + u.ID + "/is-suspended", map[string]any{"isSuspended": true}, "User.SuspensionStatus.Updated", "/users/:userId/is-suspended"},
		{"POST", "/api/roles", map[string]any{"name": "hooked", "description": "d"}, "Role.Created", "/roles"},
		{"POST", "/api/resources/" + res.ID + "/scopes", map[string]any{"name": "read:h", "description": "d"}, "Scope.Created", "/resources/:resourceId/scopes"},
	}
	type sent struct {
		status int
		body   []byte
		call
	}
	var done []sent
	run := func(c call) sent {
		t.Helper()
		r := e.do(c.method, c.path, c.body)
		if r.status >= 300 {
			t.Fatalf("%s %s: %d %s", c.method, c.path, r.status, r.body)
		}
		s := sent{r.status, r.body, c}
		done = append(done, s)
		return s
	}
	for _, c := range calls {
		run(c)
	}
	var role roleOutT
	must(t, json.Unmarshal(done[5].body, &role))
	var sc scopeOutT
	must(t, json.Unmarshal(done[6].body, &sc))
	for _, c := range []call{
		{"PATCH", "/api/roles/" + role.ID, map[string]any{"description": "changed"}, "Role.Data.Updated", "/roles/:id"},
		{"POST", "/api/roles/" + role.ID + "/scopes", map[string]any{"scopeIds": []string{sc.ID}}, "Role.Scopes.Updated", "/roles/:id/scopes"},
		{"DELETE", "/api/roles/" + role.ID + "/scopes/" + sc.ID, nil, "Role.Scopes.Updated", "/roles/:id/scopes/:scopeId"},
		{"PATCH", "/api/resources/" + res.ID + "/scopes/" + sc.ID, map[string]any{"description": "changed"}, "Scope.Data.Updated", "/resources/:resourceId/scopes/:scopeId"},
		{"DELETE", "/api/resources/" + res.ID + "/scopes/" + sc.ID, nil, "Scope.Deleted", "/resources/:resourceId/scopes/:scopeId"},
		{"DELETE", "/api/roles/" + role.ID, nil, "Role.Deleted", "/roles/:id"},
		{"DELETE", "/api/users/" + u.ID, nil, "User.Deleted", "/users/:userId"},
		// Routes Logto registers no event for fire none.
		{"POST", "/api/users/" + u.ID + "/password/verify", map[string]any{"password": "x"}, "", ""},
	} {
		if c.event == "" {
			e.do(c.method, c.path, c.body)
			continue
		}
		run(c)
	}
	d.Round(context.Background())
	got := rcv.payloads(t, h.SigningKey)
	// User.Created from createUser first, then the calls in order.
	if len(got) != len(done)+1 {
		for _, p := range got {
			t.Log(p["event"], p["method"], p["path"])
		}
		t.Fatalf("%d deliveries, want %d", len(got), len(done)+1)
	}
	// Deliveries are sent at once, so they may arrive in any order.
	byRequest := map[string]map[string]any{}
	for _, p := range got {
		byRequest[p["method"].(string)+" "+p["path"].(string)+" "+p["event"].(string)] = p
	}
	if p := byRequest["POST /users User.Created"]; p == nil || p["status"] != 200.0 || p["matchedRoute"] != "/users" {
		t.Errorf("creation payload %v", p)
	}
	for _, s := range done {
		p := byRequest[s.method+" "+strings.TrimPrefix(s.path, "/api")+" "+s.event]
		if p == nil {
			t.Errorf("%s %s: no %s delivered", s.method, s.path, s.event)
			continue
		}
		if p["event"] != s.event || p["status"] != float64(s.status) || p["method"] != s.method || p["matchedRoute"] != s.route ||
			p["path"] != strings.TrimPrefix(s.path, "/api") || p["ip"] != "198.51.100.4" || p["hookId"] != h.ID {
			t.Errorf("%s %s (answered %d): payload %v", s.method, s.path, s.status, p)
			continue
		}
		if _, err := time.Parse(time.RFC3339Nano, p["createdAt"].(string)); err != nil {
			t.Errorf("createdAt %v", p["createdAt"])
		}
		want := any(nil)
		if s.status != 204 {
			must(t, json.Unmarshal(s.body, &want))
		}
		gotData, _ := json.Marshal(p["data"])
		wantData, _ := json.Marshal(want)
		if s.event == "User.Deleted" {
			if data, _ := p["data"].(map[string]any); data["id"] != u.ID || data["username"] != "hooked" {
				t.Errorf("User.Deleted data %s", gotData)
			}
		} else if string(gotData) != string(wantData) {
			t.Errorf("%s %s: data %s, the response was %s", s.method, s.path, gotData, wantData)
		}
	}
	params := byRequest["DELETE /resources/"+res.ID+"/scopes/"+sc.ID+" Scope.Deleted"]["params"].(map[string]any)
	if params["resourceId"] != res.ID || params["scopeId"] != sc.ID {
		t.Errorf("params %v", params)
	}

	// Recent logs: Logto's log shape, paginated, filtered by key and time.
	var logs []struct {
		ID        string         `json:"id"`
		Key       string         `json:"key"`
		Payload   map[string]any `json:"payload"`
		CreatedAt int64          `json:"createdAt"`
	}
	r := e.do("GET", "/api/hooks/"+h.ID+"/recent-logs?page_size=5", nil).want(t, 200, &logs)
	if len(logs) != 5 || r.header.Get("Total-Number") != strconv.Itoa(len(got)) || len(r.header.Values("Link")) == 0 {
		t.Fatalf("recent logs: %d, headers %v", len(logs), r.header)
	}
	l := logs[0]
	req, _ := l.Payload["hookRequest"].(map[string]any)
	body, _ := req["body"].(map[string]any)
	resp, _ := l.Payload["response"].(map[string]any)
	if !strings.HasPrefix(l.Key, "TriggerHook.") || l.Payload["result"] != "Success" || l.Payload["hookId"] != h.ID || body["event"] != strings.TrimPrefix(l.Key, "TriggerHook.") ||
		resp["statusCode"] != 200.0 || resp["body"].(map[string]any)["received"] != true || l.CreatedAt == 0 {
		t.Errorf("log %+v", l)
	}
	e.do("GET", "/api/hooks/"+h.ID+"/recent-logs?logKey=TriggerHook.Role.Scopes.Updated", nil).want(t, 200, &logs)
	if len(logs) != 2 {
		t.Errorf("logKey filter: %d", len(logs))
	}
	future := strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10)
	e.do("GET", "/api/hooks/"+h.ID+"/recent-logs?start_time="+future, nil).want(t, 200, &logs)
	if len(logs) != 0 {
		t.Errorf("start_time in the future: %d", len(logs))
	}
	e.wantCode(e.do("GET", "/api/hooks/"+h.ID+"/recent-logs?start_time=soon", nil), 400, "guard.invalid_input")
	e.wantCode(e.do("GET", "/api/hooks/"+h.ID+"/recent-logs?start_time=2&end_time=1", nil), 400, "log.invalid_time_window")
	var stats hookOutT
	e.do("GET", "/api/hooks/"+h.ID+"?includeExecutionStats=true", nil).want(t, 200, &stats)
	if stats.ExecutionStats == nil || (*stats.ExecutionStats)["requestCount"] != int64(len(got)) || (*stats.ExecutionStats)["successCount"] != int64(len(got)) {
		t.Errorf("stats %v", stats.ExecutionStats)
	}
}

// TestHookEventNamesDocumented: the OpenAPI document's event names are
// the webhook package's.
func TestHookEventNamesDocumented(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas struct {
				HookEvent struct {
					Enum []string `json:"enum"`
				} `json:"HookEvent"`
			} `json:"schemas"`
		} `json:"components"`
	}
	must(t, json.Unmarshal(openAPI(), &doc))
	if !slices.Equal(doc.Components.Schemas.HookEvent.Enum, webhook.Events) {
		t.Errorf("openapi HookEvent enum %v, want %v", doc.Components.Schemas.HookEvent.Enum, webhook.Events)
	}
}
