package interaction

import (
	"errors"
	"testing"

	"github.com/monban/monban/internal/store"
)

func tripRecord() Record {
	return Record{ID: "v1", Type: RecordSocial, ConnectorID: "c1", Trip: &store.Trip{State: "it.s", Nonce: "n", Verifier: "v"}}
}

func TestFederationSteps(t *testing.T) {
	proved := FederatedRecord("v2", RecordSocial, "c1", "google", map[string]any{"id": "g-1"}, "")
	for _, tc := range []struct {
		name  string
		end   func(it *Interaction) error
		step  Step
		event Event
	}{
		{"federated", func(it *Interaction) error { return it.Federated(proved, "u1") }, StepDone, EventSignIn},
		{"registered", func(it *Interaction) error { return it.FederatedRegistered(proved, "u1") }, StepDone, EventRegister},
		{"link offered", func(it *Interaction) error { return it.LinkOffered(proved, "u1") }, StepLink, EventSignIn},
	} {
		t.Run(tc.name, func(t *testing.T) {
			it := &Interaction{Event: EventSignIn, Step: StepIdentify}
			if _, ok := it.Trip(); ok {
				t.Fatal("a trip before any was started")
			}
			if err := it.FederationStarted(tripRecord()); err != nil || it.Step != StepFederating {
				t.Fatalf("FederationStarted: %v at %s", err, it.Step)
			}
			if rec, ok := it.Trip(); !ok || rec.Trip.State != "it.s" {
				t.Fatalf("Trip = %+v, %v", rec, ok)
			}
			if err := tc.end(it); err != nil || it.Step != tc.step || it.Event != tc.event || it.AccountID != "u1" {
				t.Fatalf("end: %v at %s of %s, account %q", err, it.Step, it.Event, it.AccountID)
			}
			if len(it.Records) != 1 || it.Records[0].Trip != nil || !it.Records[0].Verified {
				t.Fatalf("records %+v: the trip's record must be replaced by the proved one", it.Records)
			}
			if _, ok := it.Trip(); ok {
				t.Fatal("the trip outlived its callback")
			}
		})
	}
}

func TestFederationRefusals(t *testing.T) {
	proved := FederatedRecord("v2", RecordSocial, "c1", "google", nil, "")
	fresh := func(step Step) *Interaction { return &Interaction{Event: EventSignIn, Step: step} }
	for name, err := range map[string]error{
		"federated without a trip":  fresh(StepIdentify).Federated(proved, "u1"),
		"linked without an offer":   fresh(StepFederating).Linked(),
		"trip of another type":      fresh(StepIdentify).FederationStarted(Record{ID: "v", Type: RecordPassword, ConnectorID: "c", Trip: &store.Trip{}}),
		"trip without its state":    fresh(StepIdentify).FederationStarted(Record{ID: "v", Type: RecordSocial, ConnectorID: "c"}),
		"trip without a connector":  fresh(StepIdentify).FederationStarted(Record{ID: "v", Type: RecordSocial, Trip: &store.Trip{}}),
		"trip during a password":    fresh(StepPassword).FederationStarted(tripRecord()),
		"an unproved record":        fresh(StepFederating).Federated(tripRecord(), "u1"),
		"no account":                fresh(StepFederating).Federated(proved, ""),
		"a link to no account":      fresh(StepFederating).LinkOffered(proved, ""),
		"a sign-up without account": fresh(StepFederating).FederatedRegistered(proved, ""),
		"federated at a link":       fresh(StepLink).Federated(proved, "u1"),
		"trip of a sign-up":         (&Interaction{Event: EventRegister, Step: StepIdentify}).FederationStarted(tripRecord()),
	} {
		if !errors.Is(err, ErrTransition) {
			t.Errorf("%s: %v, want ErrTransition", name, err)
		}
	}
	// A link offered is linked, or declined (the sign-in starts over).
	it := fresh(StepFederating)
	if err := it.LinkOffered(proved, "u1"); err != nil {
		t.Fatal(err)
	}
	if acc, rec, ok := it.LinkTarget(); !ok || acc != "u1" || rec.Target != "google" {
		t.Fatalf("LinkTarget = %q %+v %v", acc, rec, ok)
	}
	if err := it.Linked(); err != nil || it.Step != StepDone {
		t.Fatalf("Linked: %v at %s", err, it.Step)
	}
	it = fresh(StepFederating)
	_ = it.LinkOffered(proved, "u1")
	if err := it.Choose(EventSignIn); err != nil || it.Step != StepIdentify || it.AccountID != "" || len(it.Records) != 0 {
		t.Fatalf("declining: %v at %s, account %q, records %v", err, it.Step, it.AccountID, it.Records)
	}
}
