package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/monban/monban/internal/store"
)

// connectorCases are the conformance tests of store.ConnectorStore and
// store.MessageOutbox.
var connectorCases = []testCase{
	{"ConnectorsCRUD", testConnectorsCRUD},
	{"EmailTemplates", testEmailTemplates},
	{"Outbox", testOutbox},
	{"ConcurrentMessageClaims", testConcurrentMessageClaims},
}

func connector(id, factory string, i int) store.Connector {
	return store.Connector{ID: id, ConnectorID: factory, Config: []byte(`{"host":"smtp.example.com","auth":{"pass":"s3cret ` + id + `"}}`),
		Metadata: []byte(`{}`), CreatedAt: at(i)}
}

// testConnectorsCRUD: connectors round-trip (config included), are listed
// oldest first, and a create replaces the connectors of the factories it
// names in the same transaction.
func testConnectorsCRUD(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := connector("a", "smtp", 0), connector("b", "http-sms", 1)
	must(t, s.CreateConnector(ctx, a, nil))
	must(t, s.CreateConnector(ctx, b, nil))
	wantErr(t, s.CreateConnector(ctx, a, nil), store.ErrConflict, "CreateConnector of a used id")
	got, err := s.GetConnector(ctx, "a")
	ok(t, err, "GetConnector")
	same(t, "connector a", got, a)
	list, err := s.ListConnectors(ctx)
	ok(t, err, "ListConnectors")
	same(t, "connectors", ids(list), []string{"a", "b"})

	a.Config, a.Metadata, a.SyncProfile = []byte(`{"host":"other"}`), []byte(`{"name":{"en":"x"}}`), true
	ok(t, s.UpdateConnector(ctx, a), "UpdateConnector")
	got, err = s.GetConnector(ctx, "a")
	ok(t, err, "GetConnector after an update")
	same(t, "updated connector", got, a)
	wantErr(t, s.UpdateConnector(ctx, connector("zz", "smtp", 0)), store.ErrNotFound, "UpdateConnector of no connector")

	c := connector("c", "smtp2", 2)
	ok(t, s.CreateConnector(ctx, c, []string{"smtp", "smtp2", "other"}), "CreateConnector replacing")
	list, err = s.ListConnectors(ctx)
	ok(t, err, "ListConnectors after a replacement")
	same(t, "connectors after a replacement", ids(list), []string{"b", "c"})

	ok(t, s.DeleteConnector(ctx, "b"), "DeleteConnector")
	wantErr(t, s.DeleteConnector(ctx, "b"), store.ErrNotFound, "DeleteConnector twice")
	_, err = s.GetConnector(ctx, "b")
	wantErr(t, err, store.ErrNotFound, "GetConnector of a deleted connector")
}

func template(id, lang, typ string, i int) store.EmailTemplate {
	return store.EmailTemplate{ID: id, LanguageTag: lang, TemplateType: typ,
		Details: []byte(`{"subject":"` + id + `","content":"{{code}}"}`), CreatedAt: at(i)}
}

// testEmailTemplates: an upsert keeps one template per language and type
// (the first id and creation time), filters narrow lists and bulk
// deletions, details are replaced.
func testEmailTemplates(t *testing.T, s store.Store) {
	ctx := context.Background()
	en, ja := template("t1", "en", "SignIn", 0), template("t2", "ja", "SignIn", 1)
	got, err := s.UpsertEmailTemplates(ctx, []store.EmailTemplate{en, ja, template("t3", "en", "Register", 2)})
	ok(t, err, "UpsertEmailTemplates")
	same(t, "upserted", ids(got), []string{"t1", "t2", "t3"})
	again := template("t9", "en", "SignIn", 9)
	again.Details = []byte(`{"subject":"new","content":"{{code}}"}`)
	got, err = s.UpsertEmailTemplates(ctx, []store.EmailTemplate{again})
	ok(t, err, "UpsertEmailTemplates of an existing pair")
	want := en
	want.Details = again.Details
	same(t, "replaced template", got, []store.EmailTemplate{want})

	for _, c := range []struct {
		f    store.TemplateFilter
		want []string
	}{
		{store.TemplateFilter{}, []string{"t1", "t2", "t3"}},
		{store.TemplateFilter{LanguageTag: "en"}, []string{"t1", "t3"}},
		{store.TemplateFilter{TemplateType: "SignIn"}, []string{"t1", "t2"}},
		{store.TemplateFilter{LanguageTag: "ja", TemplateType: "Register"}, []string{}},
	} {
		list, err := s.ListEmailTemplates(ctx, c.f)
		ok(t, err, "ListEmailTemplates")
		same(t, fmt.Sprintf("templates of %+v", c.f), ids(list), c.want)
	}
	one, err := s.GetEmailTemplate(ctx, "t2")
	ok(t, err, "GetEmailTemplate")
	same(t, "template t2", one, ja)
	upd, err := s.UpdateEmailTemplate(ctx, "t2", []byte(`{"subject":"x","content":"y"}`))
	ok(t, err, "UpdateEmailTemplate")
	same(t, "updated details", string(upd.Details), `{"subject":"x","content":"y"}`)
	_, err = s.UpdateEmailTemplate(ctx, "nope", []byte(`{}`))
	wantErr(t, err, store.ErrNotFound, "UpdateEmailTemplate of none")

	n, err := s.DeleteEmailTemplates(ctx, store.TemplateFilter{LanguageTag: "en"})
	if err != nil || n != 2 {
		t.Errorf("DeleteEmailTemplates(en) = %d, %v; want 2", n, err)
	}
	ok(t, s.DeleteEmailTemplate(ctx, "t2"), "DeleteEmailTemplate")
	wantErr(t, s.DeleteEmailTemplate(ctx, "t2"), store.ErrNotFound, "DeleteEmailTemplate twice")
	_, err = s.GetEmailTemplate(ctx, "t2")
	wantErr(t, err, store.ErrNotFound, "GetEmailTemplate of a deleted template")
}

func outMessage(id string, i int) store.OutMessage {
	return store.OutMessage{ID: id, Channel: "email", Payload: []byte(`{"code":"123456"}`), State: store.MessagePending,
		NextAt: at(i), CreatedAt: at(i), ExpiresAt: at(i + 10)}
}

// testOutbox: messages are claimed when due, under a lease that keeps
// others off until it runs out; finishing needs the lease and wipes the
// payload of a finished message; pruning goes by creation time.
func testOutbox(t *testing.T, s store.Store) {
	ctx := context.Background()
	must(t, s.EnqueueMessage(ctx, outMessage("m1", 0)))
	must(t, s.EnqueueMessage(ctx, outMessage("m2", 5)))
	got, err := s.ClaimMessages(ctx, "a", at(1), time.Minute, 10)
	ok(t, err, "ClaimMessages")
	same(t, "claimed", got, []store.OutMessage{outMessage("m1", 0)})
	if again, _ := s.ClaimMessages(ctx, "b", at(1).Add(30*time.Second), time.Minute, 10); len(again) != 0 {
		t.Errorf("a leased message was claimed again: %v", ids(again))
	}
	m := got[0]
	m.Attempts, m.LastError, m.NextAt = 1, "refused", at(3)
	wantErr(t, s.FinishMessage(ctx, "b", m), store.ErrNotFound, "FinishMessage by another owner")
	ok(t, s.FinishMessage(ctx, "a", m), "FinishMessage (retry)")
	got, err = s.ClaimMessages(ctx, "b", at(4), time.Minute, 10)
	ok(t, err, "ClaimMessages of a retry")
	if len(got) != 1 || got[0].Attempts != 1 || got[0].LastError != "refused" || string(got[0].Payload) != `{"code":"123456"}` {
		t.Fatalf("retry claimed as %+v", got)
	}
	// Its lease runs out: another instance takes it over.
	got, err = s.ClaimMessages(ctx, "c", at(6), time.Minute, 10)
	ok(t, err, "ClaimMessages after a lease ran out")
	same(t, "taken over", ids(got), []string{"m1", "m2"})
	m = got[0]
	m.State, m.Attempts = store.MessageSent, 2
	ok(t, s.FinishMessage(ctx, "c", m), "FinishMessage (sent)")
	if again, _ := s.ClaimMessages(ctx, "d", at(9), time.Minute, 10); len(again) != 1 || again[0].ID != "m2" {
		t.Errorf("after m1 was sent, claimed %v; want m2 only", ids(again))
	}
	n, err := s.PruneMessages(ctx, at(1))
	if err != nil || n != 1 {
		t.Errorf("PruneMessages = %d, %v; want 1", n, err)
	}
}

// testConcurrentMessageClaims: instances claiming at once never both get
// one message.
func testConcurrentMessageClaims(t *testing.T, s store.Store) {
	ctx := context.Background()
	for i := range 40 {
		must(t, s.EnqueueMessage(ctx, outMessage(fmt.Sprintf("m%02d", i), 0)))
	}
	var (
		mu   sync.Mutex
		got  = map[string]string{}
		wg   sync.WaitGroup
		errs []error
	)
	for w := range 4 {
		wg.Go(func() {
			owner := fmt.Sprintf("w%d", w)
			for range 20 {
				claimed, err := s.ClaimMessages(ctx, owner, at(1), time.Minute, 3)
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				}
				for _, m := range claimed {
					if prev, dup := got[m.ID]; dup {
						errs = append(errs, fmt.Errorf("%s claimed by %s and %s", m.ID, prev, owner))
					}
					got[m.ID] = owner
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if len(got) != 40 {
		t.Errorf("%d of 40 messages claimed", len(got))
	}
}
