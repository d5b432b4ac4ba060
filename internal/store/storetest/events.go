package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/monban/monban/internal/store"
)

// kinds returns the kind and entity of each event, as "kind entity".
func kinds(evs []store.Event) []string {
	out := make([]string, 0, len(evs))
	for _, ev := range evs {
		out = append(out, string(ev.Kind)+" "+ev.Entity)
	}
	return out
}

// readAll returns every event after seq.
func readAll(t *testing.T, s store.Store, after int64) []store.Event {
	t.Helper()
	evs, err := s.ReadEvents(t.Context(), after, 0)
	ok(t, err, "ReadEvents")
	return evs
}

// testEvents checks the outbox: each committed change appends its event,
// a write that fails appends none, and events come back in sequence order.
// eventCases are the conformance cases of store.Events.
var eventCases = []testCase{
	{"Events", testEvents},
	{"EventPruning", testEventPruning},
	{"ConcurrentEvents", testConcurrentEvents},
	{"EventOrigins", testEventOrigins},
}

func testEvents(t *testing.T, s store.Store) {
	ctx := t.Context()
	last, err := s.LastEventSeq(ctx)
	ok(t, err, "LastEventSeq of an empty store")
	if last != 0 || len(readAll(t, s, 0)) != 0 {
		t.Fatalf("a new store has events: last %d", last)
	}

	must(t, s.CreateApplication(ctx, app("a1", 0)))
	must(t, s.CreateResource(ctx, resource("r1", 1)))
	must(t, s.CreateScope(ctx, scope("s1", "r1", 2)))
	must(t, s.CreateRole(ctx, role("ro1", 3)))
	must(t, s.AddRoleScopes(ctx, "ro1", []string{"s1", "s1"}))
	must(t, s.AddRoleApplications(ctx, "ro1", []string{"a1"}))
	must(t, s.CreateAppSecret(ctx, store.AppSecret{AppID: "a1", Name: "k", Hash: []byte("h"), CreatedAt: at(4)}))
	must(t, s.RemoveRoleScope(ctx, "ro1", "s1"))
	must(t, s.DeleteApplication(ctx, "a1"))
	must(t, s.RevokeAccessToken(ctx, store.RevokedAccessToken{JTI: "j1", ExpiresAt: at(90)}))

	// Writes that fail leave no event.
	wantErr(t, s.CreateApplication(ctx, app("a2", 5)), nil, "CreateApplication")
	wantErr(t, s.CreateApplication(ctx, app("a2", 6)), store.ErrConflict, "CreateApplication twice")
	wantErr(t, s.UpdateApplication(ctx, app("nobody", 7)), store.ErrNotFound, "UpdateApplication of an unknown app")
	wantErr(t, s.AddRoleScopes(ctx, "ro1", []string{"s1", "missing"}), store.ErrNotFound, "AddRoleScopes with an unknown scope")
	wantErr(t, s.DeleteScope(ctx, "missing"), store.ErrNotFound, "DeleteScope of an unknown scope")
	wantErr(t, s.CreateResource(ctx, store.Resource{ID: "r2", Indicator: resource("r1", 1).Indicator, CreatedAt: at(8)}),
		store.ErrConflict, "CreateResource with an indicator in use")

	evs := readAll(t, s, 0)
	same(t, "events", kinds(evs), []string{
		"application.created a1", "resource.created r1", "scope.created s1", "role.created ro1",
		"role.scopes_added ro1", "role.applications_added ro1", "application.secrets_changed a1",
		"role.scope_removed ro1", "application.deleted a1", "access_token.revoked j1",
		"application.created a2",
	})
	for i := 1; i < len(evs); i++ {
		if evs[i].Seq <= evs[i-1].Seq {
			t.Errorf("event %d has seq %d after %d", i, evs[i].Seq, evs[i-1].Seq)
		}
	}
	if evs[0].CreatedAt.IsZero() {
		t.Error("an event has no creation time")
	}
	p, err := evs[4].Decode()
	ok(t, err, "Decode")
	same(t, "role.scopes_added payload", p.IDs, []string{"s1"})
	if p, _ := evs[2].Decode(); p.ResourceID != "r1" {
		t.Errorf("scope.created payload names resource %q, want r1", p.ResourceID)
	}
	if p, _ := evs[9].Decode(); p.ExpiresAt != at(90).UnixMilli() {
		t.Errorf("access_token.revoked payload expires at %d, want %d", p.ExpiresAt, at(90).UnixMilli())
	}
	if p, _ := evs[3].Decode(); !p.Equal(store.EventPayload{}) {
		t.Errorf("role.created payload: %+v, want none", p)
	}
	last, err = s.LastEventSeq(ctx)
	ok(t, err, "LastEventSeq")
	if last != evs[len(evs)-1].Seq {
		t.Errorf("LastEventSeq = %d, want %d", last, evs[len(evs)-1].Seq)
	}

	// Reading on from a cursor, a page at a time.
	page, err := s.ReadEvents(ctx, evs[2].Seq, 3)
	ok(t, err, "ReadEvents page")
	same(t, "a page of events", kinds(page), kinds(evs[3:6]))
	if rest := readAll(t, s, last); len(rest) != 0 {
		t.Errorf("events after the last: %v", kinds(rest))
	}
}

// testEventPruning checks that pruning deletes old events but the newest,
// and that numbering goes on above it.
func testEventPruning(t *testing.T, s store.Store) {
	ctx := t.Context()
	n, err := s.PruneEvents(ctx, time.Now().Add(time.Hour))
	ok(t, err, "PruneEvents of an empty outbox")
	if n != 0 {
		t.Errorf("PruneEvents of an empty outbox deleted %d", n)
	}
	for i := range 3 {
		must(t, s.CreateRole(ctx, role(fmt.Sprint("r", i), i)))
	}
	evs := readAll(t, s, 0)
	n, err = s.PruneEvents(ctx, time.Now().Add(-time.Hour))
	ok(t, err, "PruneEvents of nothing old")
	if n != 0 || len(readAll(t, s, 0)) != 3 {
		t.Errorf("PruneEvents of nothing old deleted %d", n)
	}
	n, err = s.PruneEvents(ctx, time.Now().Add(time.Hour))
	ok(t, err, "PruneEvents")
	if n != 2 {
		t.Errorf("PruneEvents deleted %d, want 2 (all but the newest)", n)
	}
	same(t, "events left", kinds(readAll(t, s, 0)), kinds(evs[2:]))
	must(t, s.CreateRole(ctx, role("r3", 3)))
	after := readAll(t, s, evs[2].Seq)
	if len(after) != 1 || after[0].Seq <= evs[2].Seq {
		t.Errorf("after pruning, the next event is %+v, want one numbered above %d", after, evs[2].Seq)
	}
}

// testConcurrentEvents has writers append events at once: every committed
// change has its event, and a reader that follows the outbox while they
// write, asking for the events after the last one it saw, misses none.
func testConcurrentEvents(t *testing.T, s store.Store) {
	ctx := t.Context()
	const writers, rounds = 4, 10
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created []string
		seen    []string
		done    = make(chan struct{})
	)
	follower := make(chan error, 1)
	go func() {
		var cursor int64
		for {
			finished := false // the writers were done before this read began
			select {
			case <-done:
				finished = true
			default:
			}
			evs, err := s.ReadEvents(ctx, cursor, 0)
			if err != nil {
				follower <- err
				return
			}
			for _, ev := range evs {
				seen = append(seen, ev.Entity)
				cursor = ev.Seq
			}
			if finished && len(evs) == 0 {
				follower <- nil
				return
			}
		}
	}()
	for w := range writers {
		wg.Go(func() {
			for i := range rounds {
				id := fmt.Sprintf("w%d-%02d", w, i)
				if err := s.CreateApplication(ctx, app(id, w*rounds+i)); err != nil {
					t.Errorf("CreateApplication %s: %v", id, err)
					continue
				}
				mu.Lock()
				created = append(created, id)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(done)
	ok(t, <-follower, "following the outbox")
	slices.Sort(created)
	slices.Sort(seen)
	same(t, "applications the follower saw", seen, created)
}

// testEventOrigins: a write made with an origin records it and a snapshot
// of the entity (before a deletion, after anything else), never the
// password hash; a sign-in appends an event only with an origin.
func testEventOrigins(t *testing.T, s store.Store) {
	plain := t.Context()
	last, err := s.LastEventSeq(plain)
	ok(t, err, "LastEventSeq")
	origin := store.EventOrigin{Method: "POST", Path: "/users", Route: "/users", IP: "203.0.113.7", UserAgent: "ua/1",
		Params: map[string]string{"userId": "u1"}}
	ctx := store.WithOrigin(plain, origin)
	u := user("u1", 1)
	u.PasswordHash = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"
	must(t, s.CreateUser(ctx, u))
	must(t, s.RecordSignIn(plain, "u1", at(2)))
	must(t, s.RecordSignIn(ctx, "u1", at(3)))
	must(t, s.CreateResource(ctx, resource("r1", 1)))
	must(t, s.CreateScope(ctx, scope("s1", "r1", 2)))
	must(t, s.CreateRole(ctx, role("ro1", 3)))
	must(t, s.AddRoleScopes(ctx, "ro1", []string{"s1"}))
	must(t, s.DeleteUser(ctx, "u1", at(4)))
	evs := readAll(t, s, last)
	want := []string{"user.created u1", "user.signed_in u1", "resource.created r1", "scope.created s1", "role.created ro1",
		"role.scopes_added ro1", "user.deleted u1"}
	if got := kinds(evs); !slices.Equal(got, want) {
		t.Fatalf("events = %v, want %v", got, want)
	}
	for _, ev := range evs {
		p, err := ev.Decode()
		ok(t, err, "Decode "+string(ev.Kind))
		if p.Origin == nil || !p.Equal(store.EventPayload{ResourceID: p.ResourceID, IDs: p.IDs, Origin: &origin, Data: p.Data}) {
			t.Errorf("%s: origin %+v", ev.Kind, p.Origin)
		}
		if strings.Contains(string(ev.Payload), "argon2") {
			t.Errorf("%s: the password hash is in the event: %s", ev.Kind, ev.Payload)
		}
		switch ev.Kind {
		case store.EventUserCreated, store.EventUserSignedIn, store.EventUserDeleted:
			var got store.User
			ok(t, json.Unmarshal(p.Data, &got), "user snapshot")
			if got.ID != "u1" || got.Username != u.Username || got.PasswordHash != store.RedactedPassword {
				t.Errorf("%s: snapshot %+v", ev.Kind, got)
			}
			if ev.Kind != store.EventUserCreated && !got.LastSignInAt.Equal(at(3)) {
				t.Errorf("%s: last sign-in %v", ev.Kind, got.LastSignInAt)
			}
		case store.EventRoleCreated:
			var got store.Role
			ok(t, json.Unmarshal(p.Data, &got), "role snapshot")
			if got.ID != "ro1" || got.Name != role("ro1", 3).Name {
				t.Errorf("role snapshot %+v", got)
			}
		case store.EventRoleScopesAdded, store.EventScopeCreated:
			if !strings.Contains(string(p.Data), `"ID":"s1"`) {
				t.Errorf("%s: snapshot %s", ev.Kind, p.Data)
			}
		case store.EventResourceCreated:
			if p.Data != nil {
				t.Errorf("resource snapshot %s", p.Data)
			}
		}
	}
}
