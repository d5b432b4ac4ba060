package interaction

import "github.com/monban/monban/internal/store"

// isFederated reports whether typ is the record type of an identity
// proved by an upstream provider.
func isFederated(typ string) bool { return typ == RecordSocial || typ == RecordEnterpriseSso }

// FederationStarted records the trip to a provider: rec is its record
// (Social or EnterpriseSso, of the connector, unverified, with the trip).
// An earlier trip is forgotten; the interaction waits for the callback.
func (it *Interaction) FederationStarted(rec Record) error {
	bad := rec.ID == "" || !isFederated(rec.Type) || rec.ConnectorID == "" || rec.Trip == nil || rec.Verified
	return it.on(ActFederationStarted, bad, func() {
		it.dropFederated()
		it.AccountID = ""
		it.Records = append(it.Records, rec)
	})
}

// Trip is the pending trip of the interaction: its unverified Social or
// EnterpriseSso record, while it waits for a callback.
func (it *Interaction) Trip() (Record, bool) {
	if it.Step != StepFederating {
		return Record{}, false
	}
	for _, r := range it.Records {
		if isFederated(r.Type) && !r.Verified && r.Trip != nil {
			return r, true
		}
	}
	return Record{}, false
}

// Federated records the identity a provider proved (rec: verified, its
// trip gone) for the account accountID that has it; the interaction is
// done.
func (it *Interaction) Federated(rec Record, accountID string) error {
	return it.on(ActFederated, !proved(rec) || accountID == "", func() { it.setFederated(rec, accountID) })
}

// FederatedRegistered records the identity a provider proved and the new
// account accountID made with it; the interaction is done, as a sign-up.
func (it *Interaction) FederatedRegistered(rec Record, accountID string) error {
	return it.on(ActFederatedRegistered, !proved(rec) || accountID == "", func() { it.setFederated(rec, accountID) })
}

// LinkOffered records the identity a provider proved, which no account
// has, and the account accountID whose verified e-mail address it
// carries; the interaction waits for the person to confirm the link.
// accountID is not signed in to until Linked.
func (it *Interaction) LinkOffered(rec Record, accountID string) error {
	return it.on(ActLinkOffered, !proved(rec) || accountID == "", func() { it.setFederated(rec, accountID) })
}

// LinkTarget is the account a link is offered to and the identity's
// record, at StepLink.
func (it *Interaction) LinkTarget() (accountID string, rec Record, ok bool) {
	if it.Step != StepLink {
		return "", Record{}, false
	}
	for _, r := range it.Records {
		if isFederated(r.Type) && r.Verified {
			return it.AccountID, r, it.AccountID != ""
		}
	}
	return "", Record{}, false
}

// Linked records that the identity offered was linked to its account;
// the interaction is done.
func (it *Interaction) Linked() error {
	_, _, ok := it.LinkTarget()
	return it.on(ActLinked, !ok, func() {})
}

// proved reports whether rec is the record of a proved identity.
func proved(rec Record) bool {
	return rec.ID != "" && isFederated(rec.Type) && rec.ConnectorID != "" && rec.Verified && rec.Trip == nil
}

func (it *Interaction) setFederated(rec Record, accountID string) {
	it.dropFederated()
	it.AccountID = accountID
	it.Records = append(it.Records, rec)
}

// dropFederated forgets the records of upstream providers.
func (it *Interaction) dropFederated() {
	kept := it.Records[:0:0]
	for _, r := range it.Records {
		if !isFederated(r.Type) {
			kept = append(kept, r)
		}
	}
	it.Records = kept
}

// FederatedRecord is the verified record of an identity proved through
// connectorID (typ RecordSocial or RecordEnterpriseSso), kept under
// target, with Logto's userInfo and, for an enterprise provider, its
// issuer.
func FederatedRecord(id, typ, connectorID, target string, userInfo map[string]any, issuer string) Record {
	return store.Verification{ID: id, Type: typ, ConnectorID: connectorID, Target: target, UserInfo: userInfo, Issuer: issuer, Verified: true}
}
