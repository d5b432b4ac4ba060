package management

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/store"
)

func TestAuditHookAndLogs(t *testing.T) {
	e := newEnv(t)
	var app map[string]any
	e.do("POST", "/api/applications", map[string]any{"name": "Worker", "type": "MachineToMachine"}).want(t, 200, &app)
	e.do("GET", "/api/applications", nil).want(t, 200, nil)
	e.do("POST", "/api/applications", map[string]any{"name": ""}).want(t, 400, nil)
	e.auditMu.Lock()
	audits := append([]ChangeEvent(nil), e.audits...)
	e.auditMu.Unlock()
	if len(audits) != 1 {
		t.Fatalf("audit events = %+v, want one (reads and failures are not changes)", audits)
	}
	if a := audits[0]; a.Method != "POST" || a.Path != "/api/applications" || a.Pattern != "POST /api/applications" || a.Caller != "admin-app" {
		t.Errorf("audit event = %+v", a)
	}

	ctx := context.Background()
	now := time.Now()
	var batch []store.LogEntry
	for i := range 5 {
		batch = append(batch, store.LogEntry{ID: fmt.Sprint("l", i), Key: "ExchangeTokenBy.ClientCredentials", Result: store.ResultSuccess,
			ApplicationID: "app-a", Payload: []byte(`{"scope":"read:products"}`), CreatedAt: now.Add(time.Duration(i) * time.Second)})
	}
	batch[4].ApplicationID, batch[4].Result = "app-b", store.ResultError
	must(t, e.st.InsertLogs(ctx, batch))

	var list []logOut
	r := e.do("GET", "/api/logs?page_size=2", nil).want(t, 200, &list)
	if r.header.Get("Total-Number") != "5" || len(list) != 2 || list[0].ID != "l4" {
		t.Fatalf("list: total %q, %+v", r.header.Get("Total-Number"), list)
	}
	if p := list[0].Payload; p["applicationId"] != "app-b" || p["result"] != "Error" || p["key"] != "ExchangeTokenBy.ClientCredentials" || p["scope"] != "read:products" {
		t.Errorf("payload = %v", p)
	}
	r = e.do("GET", "/api/logs?applicationId=app-a&logKey=ExchangeTokenBy.ClientCredentials", nil).want(t, 200, &list)
	if r.header.Get("Total-Number") != "4" {
		t.Errorf("filtered total = %q", r.header.Get("Total-Number"))
	}
	var one logOut
	e.do("GET", "/api/logs/l2", nil).want(t, 200, &one)
	if one.ID != "l2" || one.CreatedAt != now.Add(2*time.Second).UnixMilli() {
		t.Errorf("get = %+v", one)
	}
	// The time window, Unix milliseconds, both ends inclusive.
	ms := func(i int) string { return fmt.Sprint(batch[i].CreatedAt.UnixMilli()) }
	for _, tc := range []struct{ query, want string }{
		{"start_time=" + ms(3), "l4 l3"},
		{"end_time=" + ms(1), "l1 l0"},
		{"start_time=" + ms(1) + "&end_time=" + ms(2), "l2 l1"},
		{"start_time=" + ms(2) + "&end_time=" + ms(2), "l2"},
		{"start_time=" + ms(2) + ".5&end_time=" + ms(3) + ".5", "l3"},
		{"start_time=" + ms(4) + "1", ""},
		{"start_time=-1e300&end_time=1e300", "l4 l3 l2 l1 l0"},
		{"start_time=&end_time=", "l4 l3 l2 l1 l0"},
		{"start_time=" + ms(3) + "&applicationId=app-a&enableCap=true", "l3"},
	} {
		var got []logOut
		r := e.do("GET", "/api/logs?"+tc.query, nil).want(t, 200, &got)
		var ids []string
		for _, l := range got {
			ids = append(ids, l.ID)
		}
		if strings.Join(ids, " ") != tc.want || r.header.Get("Total-Number") != fmt.Sprint(len(ids)) || r.header.Get("Total-Number-Is-Capped") != "" {
			t.Errorf("GET /api/logs?%s: %v (Total-Number %s), want %s", tc.query, ids, r.header.Get("Total-Number"), tc.want)
		}
	}
	e.wantRefused(t, "/api/logs", "guard.invalid_input", "start_time=yesterday", "end_time=Infinity", "end_time=NaN", "start_time=1e400")
	e.wantRefused(t, "/api/logs", "log.invalid_time_window", "start_time="+ms(3)+"&end_time="+ms(2))
	e.wantRefused(t, "/api/logs", "request.invalid_input", "enableCap=maybe", "startTime=1")
	e.do("GET", "/api/logs/nope", nil).want(t, 404, nil)
	e.do("GET", "/api/logs?userId="+strings.Repeat("u", 300), nil).want(t, 400, nil)
	e.do("GET", "/api/logs?page=0", nil).want(t, 400, nil)
	e.send(req{method: "GET", path: "/api/logs"}).want(t, 401, nil)
	e.send(req{method: "GET", path: "/api/logs", token: tokNoScope}).want(t, 403, nil)
}
