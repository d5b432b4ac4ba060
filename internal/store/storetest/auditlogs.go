package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/monban/monban/internal/store"
)

// auditCases are the conformance tests of store.AuditStore.
var auditCases = []testCase{{"AuditLogs", testAuditLogs}}

func testAuditLogs(t *testing.T, s store.Store) {
	ctx := context.Background()
	if err := s.InsertLogs(ctx, nil); err != nil {
		t.Fatalf("empty batch: %v", err)
	}
	var batch []store.LogEntry
	for i := range 10 {
		e := store.LogEntry{
			ID: fmt.Sprintf("log%02d", i), Key: "ExchangeTokenBy.ClientCredentials", Result: store.ResultSuccess,
			ApplicationID: "app1", Payload: []byte(`{"scope":"read"}`), CreatedAt: at(i),
		}
		if i%3 == 0 {
			e.Result, e.ApplicationID, e.Key = store.ResultError, "app2", "ManagementApi.Change"
		}
		if i == 9 {
			e.UserID, e.Payload = "user1", nil
			e.Actor = store.LogActor{Type: store.ActorUser, ID: "user1", Name: "Ada O'Brien"}
			e.Target = store.LogTarget{Type: "application", ID: "app7"}
		}
		batch = append(batch, e)
	}
	if err := s.InsertLogs(ctx, batch); err != nil {
		t.Fatal(err)
	}
	// A batch written again (a retry after an unclear failure) stores
	// nothing twice and leaves the stored entries as they were.
	again := append([]store.LogEntry{}, batch[:2]...)
	again[0].Key = "Changed.OnRetry"
	if err := s.InsertLogs(ctx, again); err != nil {
		t.Fatalf("batch with stored ids: %v", err)
	}
	if got, err := s.GetLog(ctx, "log00"); err != nil || got.Key != batch[0].Key {
		t.Fatalf("a stored entry after writing its id again: %+v, %v", got, err)
	}

	all, total, err := s.ListLogs(ctx, store.LogFilter{}, store.Page{Limit: 3})
	if err != nil || total != 10 || len(all) != 3 || all[0].ID != "log09" || all[2].ID != "log07" {
		t.Fatalf("newest first page: total %d, %+v, %v", total, ids(all), err)
	}
	if string(all[0].Payload) != "{}" || all[0].UserID != "user1" ||
		all[0].Actor != (store.LogActor{Type: store.ActorUser, ID: "user1", Name: "Ada O'Brien"}) || all[0].Target != (store.LogTarget{Type: "application", ID: "app7"}) {
		t.Errorf("entry = %+v", all[0])
	}
	got, err := s.GetLog(ctx, "log04")
	if err != nil || !got.CreatedAt.Equal(at(4)) || string(got.Payload) != `{"scope":"read"}` || got.ApplicationID != "app1" || got.Result != store.ResultSuccess {
		t.Fatalf("GetLog = %+v, %v", got, err)
	}
	if _, err := s.GetLog(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetLog of a missing id: %v", err)
	}
	for _, c := range []struct {
		f    store.LogFilter
		want int
	}{
		{store.LogFilter{ApplicationID: "app2"}, 4},
		{store.LogFilter{Key: "ManagementApi.Change"}, 4},
		{store.LogFilter{Key: "ExchangeTokenBy.ClientCredentials", ApplicationID: "app1"}, 6},
		{store.LogFilter{UserID: "user1"}, 1},
		{store.LogFilter{UserID: "user1", ApplicationID: "app1"}, 0},
		{store.LogFilter{From: at(7)}, 3},
		{store.LogFilter{From: at(7).Add(time.Millisecond)}, 2},
		{store.LogFilter{To: at(2)}, 3},
		{store.LogFilter{To: at(2).Add(-time.Millisecond)}, 2},
		{store.LogFilter{From: at(3), To: at(3)}, 1},
		{store.LogFilter{From: at(3), To: at(5), ApplicationID: "app1"}, 2},
		{store.LogFilter{From: at(5), To: at(3)}, 0},
		{store.LogFilter{Result: store.ResultError}, 4},
		{store.LogFilter{KeyPrefix: "ManagementApi."}, 4},
		{store.LogFilter{KeyPrefix: "ExchangeTokenBy.", Result: store.ResultSuccess}, 6},
		{store.LogFilter{KeyPrefix: "Exchange_oken"}, 0},
	} {
		if list, n, err := s.ListLogs(ctx, c.f, store.Page{}); err != nil || n != c.want || len(list) != c.want {
			t.Errorf("filter %+v: %d (%d rows), %v; want %d", c.f, n, len(list), err, c.want)
		}
	}
	n, err := s.DeleteLogsBefore(ctx, at(5))
	if err != nil || n != 5 {
		t.Fatalf("DeleteLogsBefore = %d, %v", n, err)
	}
	if _, total, err := s.ListLogs(ctx, store.LogFilter{}, store.Page{}); err != nil || total != 5 {
		t.Errorf("left %d, %v", total, err)
	}
}
