package storetest

import (
	"testing"

	"github.com/monban/monban/internal/store"
)

// experienceTextCases are the conformance tests of
// store.ExperienceTextStore.
var experienceTextCases = []testCase{
	{"CustomPhrases", testCustomPhrases},
	{"AppSignInExperience", testAppSignInExperience},
}

func testCustomPhrases(t *testing.T, s store.Store) {
	ctx := t.Context()
	list, err := s.CustomPhrases(ctx)
	ok(t, err, "CustomPhrases empty")
	if len(list) != 0 {
		t.Fatalf("CustomPhrases on an empty store = %+v", list)
	}
	_, err = s.CustomPhrase(ctx, "ja")
	wantErr(t, err, store.ErrNotFound, "CustomPhrase missing")
	wantErr(t, s.DeleteCustomPhrase(ctx, "ja"), store.ErrNotFound, "DeleteCustomPhrase missing")

	last, err := s.LastEventSeq(ctx)
	ok(t, err, "LastEventSeq")
	ja, err := s.PutCustomPhrase(ctx, store.CustomPhrase{LanguageTag: "ja", Translation: []byte(`{"action":{"sign_in":"ログイン \"引用\""}}`)})
	ok(t, err, "PutCustomPhrase ja")
	if ja.ID == "" || ja.LanguageTag != "ja" || string(ja.Translation) != `{"action":{"sign_in":"ログイン \"引用\""}}` {
		t.Errorf("PutCustomPhrase = %+v", ja)
	}
	evs, err := s.ReadEvents(ctx, last, 10)
	ok(t, err, "ReadEvents")
	if len(evs) != 1 || evs[0].Kind != store.EventSignInExperienceUpdated {
		t.Errorf("events of PutCustomPhrase = %+v", evs)
	}
	again, err := s.PutCustomPhrase(ctx, store.CustomPhrase{LanguageTag: "ja", Translation: []byte(`{"input":{"code":"コード"}}`)})
	ok(t, err, "PutCustomPhrase ja again")
	if again.ID != ja.ID || string(again.Translation) != `{"input":{"code":"コード"}}` {
		t.Errorf("PutCustomPhrase again = %+v, want id %s kept and the new translation", again, ja.ID)
	}
	_, err = s.PutCustomPhrase(ctx, store.CustomPhrase{LanguageTag: "en", Translation: []byte(`{}`)})
	ok(t, err, "PutCustomPhrase en")
	list, err = s.CustomPhrases(ctx)
	ok(t, err, "CustomPhrases")
	if len(list) != 2 || list[0].LanguageTag != "en" || list[1].LanguageTag != "ja" || list[1].ID != ja.ID {
		t.Errorf("CustomPhrases = %+v, want en then ja", list)
	}
	got, err := s.CustomPhrase(ctx, "ja")
	ok(t, err, "CustomPhrase")
	same(t, "CustomPhrase", got, again)

	ok(t, s.DeleteCustomPhrase(ctx, "ja"), "DeleteCustomPhrase")
	_, err = s.CustomPhrase(ctx, "ja")
	wantErr(t, err, store.ErrNotFound, "CustomPhrase after delete")
	wantErr(t, s.DeleteCustomPhrase(ctx, "ja"), store.ErrNotFound, "DeleteCustomPhrase twice")
}

func testAppSignInExperience(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, err := s.PutAppSignInExperience(ctx, "nope", []byte(`{}`))
	wantErr(t, err, store.ErrNotFound, "PutAppSignInExperience of a missing application")
	ok(t, s.CreateApplication(ctx, app("a1", 1)), "CreateApplication")
	_, err = s.AppSignInExperience(ctx, "a1")
	wantErr(t, err, store.ErrNotFound, "AppSignInExperience before any")

	created, err := s.PutAppSignInExperience(ctx, "a1", []byte(`{"displayName":"一"}`))
	ok(t, err, "PutAppSignInExperience")
	if !created {
		t.Error("the first PutAppSignInExperience did not report created")
	}
	created, err = s.PutAppSignInExperience(ctx, "a1", []byte(`{"displayName":"二"}`))
	ok(t, err, "PutAppSignInExperience again")
	if created {
		t.Error("the second PutAppSignInExperience reported created")
	}
	doc, err := s.AppSignInExperience(ctx, "a1")
	ok(t, err, "AppSignInExperience")
	if string(doc) != `{"displayName":"二"}` {
		t.Errorf("AppSignInExperience = %s", doc)
	}
	ok(t, s.DeleteApplication(ctx, "a1"), "DeleteApplication")
	_, err = s.AppSignInExperience(ctx, "a1")
	wantErr(t, err, store.ErrNotFound, "AppSignInExperience after the application is deleted")
}
