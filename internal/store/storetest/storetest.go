// Package storetest is the conformance suite every store.Store backend must
// pass. A backend's test calls Run with a function that opens a fresh, empty
// store.
package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/monban/monban/internal/store"
)

// Run runs the suite: one section per aggregate of store.Store, each
// listed in the file of its tests, so that one can be run alone (go test
// -run 'Conformance/Roles'). open must return a new, empty store for each
// test case; Run closes it when the case ends.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	for _, sec := range []struct {
		name  string
		cases []testCase
	}{
		{"Applications", applicationCases},
		{"AppSecrets", appSecretCases},
		{"Resources", resourceCases},
		{"Scopes", scopeCases},
		{"Roles", roleCases},
		{"SigningKeys", signingKeyCases},
		{"Settings", settingCases},
		{"Catalog", catalogCases},
		{"Customizers", customizerCases},
		{"AuditLogs", auditCases},
		{"Users", userCases},
		{"Identities", identityCases},
		{"MFAVerifications", mfaCases},
		{"Sessions", sessionCases},
		{"Grants", grantCases},
		{"Interactions", interactionCases},
		{"Events", eventCases},
		{"Webhooks", webhookCases},
		{"PasswordTickets", passwordTicketCases},
		{"VerificationCodes", verificationCodeCases},
		{"Connectors", connectorCases},
		{"SignInExperience", signInExperienceCases},
		{"ExperienceText", experienceTextCases},
		{"Organizations", organizationCases},
		{"Replay", replayCases},
		{"PushedRequests", pushedRequestCases},
		{"Exchange", exchangeCases},
		{"SSOConnectors", ssoConnectorCases},
		{"Devices", deviceCases},
		{"Store", storeCases},
	} {
		t.Run(sec.name, func(t *testing.T) { runCases(t, open, sec.cases) })
	}
}

// testCase is one conformance test, run on a fresh store.
type testCase struct {
	name string
	fn   func(*testing.T, store.Store)
}

// runCases runs each case as a subtest on its own store from open.
func runCases(t *testing.T, open func(t *testing.T) store.Store, cases []testCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tc.fn(t, s)
		})
	}
}

// t0 is the base of the times in fixtures: UTC, whole milliseconds, so that
// it round-trips exactly.
var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// at returns t0 plus i minutes and a few milliseconds, so that ordering by
// creation time is checked and not only by id.
func at(i int) time.Time {
	return t0.Add(time.Duration(i)*time.Minute + time.Duration(i*7)*time.Millisecond)
}

func app(id string, i int) store.Application {
	return store.Application{ID: id, Name: "app " + id, Description: "the " + id + " app",
		Type: store.AppMachineToMachine, CreatedAt: at(i)}
}

func resource(id string, i int) store.Resource {
	return store.Resource{ID: id, Name: "res " + id, Indicator: "https://api.example.com/" + id,
		AccessTokenTTL: 3600 + i, CreatedAt: at(i)}
}

func scope(id, resourceID string, i int) store.Scope {
	return store.Scope{ID: id, ResourceID: resourceID, Name: "scope:" + id, Description: "scope " + id, CreatedAt: at(i)}
}

func role(id string, i int) store.Role {
	return store.Role{ID: id, Name: "role " + id, Description: "the " + id + " role",
		Type: store.RoleMachineToMachine, CreatedAt: at(i)}
}

func signingKey(id string, status store.KeyStatus, i int) store.SigningKey {
	return store.SigningKey{ID: id, Algorithm: "ES256", Status: status,
		PrivateKey: []byte("der of " + id), CreatedAt: at(i)}
}

// ok fails the test now if err is not nil.
func ok(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: unexpected error: %v", what, err)
	}
}

// wantErr checks that err matches target (store.ErrNotFound or
// store.ErrConflict).
func wantErr(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: got error %v, want %v", what, err, target)
	}
}

// same checks that got equals want, comparing times with time.Equal (a
// backend may return another location) and nil slices as empty ones.
func same(t *testing.T, what string, got, want any) {
	t.Helper()
	if !equal(reflect.ValueOf(got), reflect.ValueOf(want)) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// must is for the setup steps of a test.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("setup: %v", err)
	}
}

var timeType = reflect.TypeFor[time.Time]()

func equal(a, b reflect.Value) bool {
	if !a.IsValid() || !b.IsValid() {
		return a.IsValid() == b.IsValid()
	}
	if a.Type() != b.Type() {
		return false
	}
	if a.Type() == timeType {
		return a.Interface().(time.Time).Equal(b.Interface().(time.Time))
	}
	switch a.Kind() {
	case reflect.Struct:
		for i := range a.NumField() {
			if !equal(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Slice:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !equal(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return equal(a.Elem(), b.Elem())
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}

// ids returns the ids of a list of applications, resources, scopes or roles.
// like is a search match of field ("" for any) against a LIKE pattern.
func like(field, pattern string) store.Match {
	return store.Match{Field: field, Values: []string{pattern}}
}

// wantFiltered checks that list with filter gives the rows of ids want,
// and their number as total.
func wantFiltered[F, T any](t *testing.T, what string, filter F, want []string,
	list func(context.Context, F, store.Page) ([]T, int, error)) {
	t.Helper()
	got, total, err := list(t.Context(), filter, store.Page{})
	ok(t, err, what)
	same(t, what, ids(got), want)
	if total != len(want) {
		t.Errorf("%s: total %d, want %d", what, total, len(want))
	}
}

func ids[T any](list []T) []string {
	out := make([]string, 0, len(list))
	for _, v := range list {
		out = append(out, reflect.ValueOf(v).FieldByName("ID").String())
	}
	return out
}
