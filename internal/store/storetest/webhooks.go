package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/monban/monban/internal/store"
)

// webhookCases are the conformance tests of store.WebhookStore.
var webhookCases = []testCase{
	{"HooksCRUD", testHooksCRUD},
	{"PlanAndClaim", testPlanAndClaim},
	{"Attempts", testAttempts},
	{"ConcurrentClaims", testConcurrentClaims},
}

// testConcurrentClaims: instances claiming at once never both get one
// delivery.
func testConcurrentClaims(t *testing.T, s store.Store) {
	ctx := context.Background()
	must(t, s.CreateHook(ctx, hook("h1", 0)))
	var ds []store.Delivery
	for i := range 60 {
		ds = append(ds, delivery(fmt.Sprintf("d%d", i), "h1", 1))
	}
	from, err := s.WebhookCursor(ctx)
	ok(t, err, "WebhookCursor")
	must(t, s.PlanDeliveries(ctx, from, from+1, ds))
	var (
		mu   sync.Mutex
		got  = map[string]string{}
		wg   sync.WaitGroup
		errs []error
	)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			owner := fmt.Sprintf("w%d", w)
			for range 40 {
				claimed, err := s.ClaimDeliveries(ctx, owner, at(5), time.Minute, 5)
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				}
				for _, d := range claimed {
					if prev, dup := got[d.ID]; dup {
						errs = append(errs, fmt.Errorf("%s claimed by %s and %s", d.ID, prev, owner))
					}
					got[d.ID] = owner
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	if len(got) != len(ds) {
		t.Errorf("%d of %d deliveries claimed", len(got), len(ds))
	}
}

func hook(id string, i int) store.Hook {
	three := 3
	return store.Hook{ID: id, Name: "hook " + id, Events: []string{"User.Created", "Role.Deleted"}, URL: "https://example.com/" + id,
		Headers: map[string]string{"x-api-key": "k-" + id}, Retries: &three, SigningKey: "key-" + id, Enabled: true, CreatedAt: at(i)}
}

func testHooksCRUD(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.GetHook(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get of a missing hook: %v", err)
	}
	a, b := hook("h1", 1), hook("h2", 2)
	b.Events, b.Event, b.Headers, b.Retries, b.Enabled = nil, "PostSignIn", nil, nil, false
	for _, h := range []store.Hook{b, a} {
		if err := s.CreateHook(ctx, h); err != nil {
			t.Fatalf("CreateHook %s: %v", h.ID, err)
		}
	}
	if err := s.CreateHook(ctx, a); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("CreateHook of a used id: %v", err)
	}
	got, err := s.GetHook(ctx, "h1")
	if err != nil || !reflect.DeepEqual(got, a) {
		t.Fatalf("GetHook = %+v, %v; want %+v", got, err, a)
	}
	got, err = s.GetHook(ctx, "h2")
	if err != nil || got.Event != "PostSignIn" || len(got.Events) != 0 || len(got.Headers) != 0 || got.Retries != nil || got.Enabled {
		t.Fatalf("GetHook h2 = %+v, %v", got, err)
	}
	list, total, err := s.ListHooks(ctx, store.Page{Limit: 1})
	if err != nil || total != 2 || len(list) != 1 || list[0].ID != "h1" {
		t.Fatalf("ListHooks = %+v, %d, %v", list, total, err)
	}
	a.Name, a.SigningKey, a.Events, a.Enabled = "renamed", "new-key", []string{"Scope.Created"}, false
	if err := s.UpdateHook(ctx, a); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetHook(ctx, "h1"); !reflect.DeepEqual(got, a) {
		t.Fatalf("after UpdateHook: %+v; want %+v", got, a)
	}
	if err := s.UpdateHook(ctx, hook("nope", 3)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("UpdateHook of a missing hook: %v", err)
	}
	if err := s.DeleteHook(ctx, "h1"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteHook(ctx, "h1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second DeleteHook: %v", err)
	}
}

func delivery(id, hookID string, i int) store.Delivery {
	return store.Delivery{ID: id, HookID: hookID, Event: "User.Created", Body: []byte(`{"event":"User.Created","n":` + id[1:] + `}`),
		State: store.DeliveryPending, NextAt: at(i), CreatedAt: at(i)}
}

func testPlanAndClaim(t *testing.T, s store.Store) {
	ctx := context.Background()
	if err := s.CreateHook(ctx, hook("h1", 0)); err != nil {
		t.Fatal(err)
	}
	from, err := s.WebhookCursor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PlanDeliveries(ctx, from, from+5, []store.Delivery{delivery("d1", "h1", 1), delivery("d2", "h1", 2), delivery("d3", "h1", 30)}); err != nil {
		t.Fatal(err)
	}
	// A second planner that read the old cursor stores nothing.
	if err := s.PlanDeliveries(ctx, from, from+5, []store.Delivery{delivery("d9", "h1", 1)}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("plan from a moved cursor: %v", err)
	}
	if got, _ := s.WebhookCursor(ctx); got != from+5 {
		t.Fatalf("cursor = %d, want %d", got, from+5)
	}

	now := at(10)
	claimed, err := s.ClaimDeliveries(ctx, "a", now, time.Minute, 10)
	if err != nil || len(claimed) != 2 || claimed[0].ID != "d1" || claimed[1].ID != "d2" || string(claimed[0].Body) != `{"event":"User.Created","n":1}` {
		t.Fatalf("claim = %+v, %v", claimed, err)
	}
	// Leased: no one else gets them, not even the same owner again.
	if again, err := s.ClaimDeliveries(ctx, "b", now.Add(30*time.Second), time.Minute, 10); err != nil || len(again) != 0 {
		t.Fatalf("claim of leased deliveries = %+v, %v", again, err)
	}
	// d1 succeeds; d2's owner dies, and its lease runs out.
	d1 := claimed[0]
	d1.State, d1.Attempts = store.DeliveryDelivered, 1
	att := store.DeliveryAttempt{ID: "a1", HookID: "h1", DeliveryID: "d1", Event: d1.Event, Body: d1.Body, Status: 200, Success: true, CreatedAt: now}
	if err := s.FinishAttempt(ctx, "b", d1, att); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("FinishAttempt by a non-owner: %v", err)
	}
	if err := s.FinishAttempt(ctx, "a", d1, att); err != nil {
		t.Fatal(err)
	}
	later := now.Add(2 * time.Minute)
	re, err := s.ClaimDeliveries(ctx, "b", later, time.Minute, 10)
	if err != nil || len(re) != 1 || re[0].ID != "d2" {
		t.Fatalf("claim after the lease ran out = %+v, %v", re, err)
	}
	if err := s.FinishAttempt(ctx, "a", claimed[1], att); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("FinishAttempt by the owner whose lease was taken over: %v", err)
	}
	// b fails it and schedules a retry; it is not due before its time.
	d2 := re[0]
	d2.Attempts, d2.NextAt = 1, later.Add(time.Hour)
	if err := s.FinishAttempt(ctx, "b", d2, store.DeliveryAttempt{ID: "a2", HookID: "h1", DeliveryID: "d2", Event: d2.Event, Body: d2.Body, Error: "boom", CreatedAt: later}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ClaimDeliveries(ctx, "c", later.Add(time.Minute), time.Minute, 10); len(got) != 0 {
		t.Fatalf("a retry was claimed before it was due: %+v", got)
	}
	if got, _ := s.ClaimDeliveries(ctx, "c", later.Add(2*time.Hour), time.Minute, 1); len(got) != 1 || got[0].ID != "d3" {
		t.Fatalf("claim with limit 1 = %+v, want the earliest due, d3", got)
	}
	if got, _ := s.ClaimDeliveries(ctx, "c", later.Add(2*time.Hour), time.Minute, 5); len(got) != 1 || got[0].ID != "d2" || got[0].Attempts != 1 {
		t.Fatalf("claim of a due retry = %+v", got)
	}
	// Pruning keeps pending deliveries, drops finished ones and old attempts.
	n, err := s.PruneWebhooks(ctx, later.Add(24*time.Hour))
	if err != nil || n != 3 { // d1, a1, a2
		t.Fatalf("PruneWebhooks = %d, %v", n, err)
	}
	if err := s.DeleteHook(ctx, "h1"); err != nil {
		t.Fatalf("DeleteHook with deliveries: %v", err)
	}
}

func testAttempts(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, _, err := s.ListAttempts(ctx, "nope", store.AttemptFilter{}, store.Page{}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("attempts of a missing hook: %v", err)
	}
	if err := s.CreateHook(ctx, hook("h1", 0)); err != nil {
		t.Fatal(err)
	}
	for i, ev := range []string{"User.Created", "Role.Deleted", "User.Created"} {
		a := store.DeliveryAttempt{ID: "a" + string(rune('1'+i)), HookID: "h1", Event: ev, Body: []byte("{}"), Status: 200 + 300*(i%2),
			Response: "ok", Success: i%2 == 0, CreatedAt: at(i + 1)}
		if i%2 == 1 {
			a.Error = "receiver answered 500"
		}
		if err := s.RecordAttempt(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	list, total, err := s.ListAttempts(ctx, "h1", store.AttemptFilter{}, store.Page{Limit: 2})
	if err != nil || total != 3 || len(list) != 2 || list[0].ID != "a3" || list[1].Status != 500 || list[1].Error == "" {
		t.Fatalf("ListAttempts = %+v, %d, %v", list, total, err)
	}
	list, total, _ = s.ListAttempts(ctx, "h1", store.AttemptFilter{Event: "User.Created", Since: at(2)}, store.Page{})
	if total != 1 || len(list) != 1 || list[0].ID != "a3" {
		t.Fatalf("filtered ListAttempts = %+v, %d", list, total)
	}
	list, _, _ = s.ListAttempts(ctx, "h1", store.AttemptFilter{Before: at(2)}, store.Page{})
	if len(list) != 1 || list[0].ID != "a1" {
		t.Fatalf("ListAttempts before = %+v", list)
	}
	st, err := s.HookStats(ctx, "h1", at(0))
	if err != nil || st != (store.HookStats{Requests: 3, Successes: 2}) {
		t.Fatalf("HookStats = %+v, %v", st, err)
	}
	if st, _ := s.HookStats(ctx, "h1", at(3)); st != (store.HookStats{Requests: 1, Successes: 1}) {
		t.Fatalf("HookStats since = %+v", st)
	}
}
