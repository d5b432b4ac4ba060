package sqlstore

import (
	"encoding/json"
	"fmt"

	"github.com/monban/monban/internal/store"
)

// signInInteraction is the JSON kept in the interaction column of
// sessions and grants: the sign-in's event and verification records.
type signInInteraction struct {
	Event   string               `json:"event,omitempty"`
	Records []store.Verification `json:"records,omitempty"`
}

// encodeSignIn is the interaction column of rec: "" for a record without
// an event or records (a password grant's).
func encodeSignIn(rec store.SignInRecord) string {
	if rec.Event == "" && len(rec.Verifications) == 0 {
		return ""
	}
	b, _ := json.Marshal(signInInteraction{Event: rec.Event, Records: rec.Verifications})
	return string(b)
}

// decodeSignIn reads the interaction column raw into rec.
func decodeSignIn(raw string, rec *store.SignInRecord) error {
	if raw == "" {
		return nil
	}
	var v signInInteraction
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return fmt.Errorf("malformed sign-in interaction: %w", err)
	}
	rec.Event, rec.Verifications = v.Event, v.Records
	return nil
}

// encodeRecords is the records column of an interaction.
func encodeRecords(recs []store.Verification) string {
	if len(recs) == 0 {
		return ""
	}
	b, _ := json.Marshal(recs)
	return string(b)
}

// decodeRecords reads the records column of an interaction.
func decodeRecords(raw string) ([]store.Verification, error) {
	if raw == "" {
		return nil, nil
	}
	var out []store.Verification
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		return nil, fmt.Errorf("malformed interaction records: %w", err)
	}
	return out, nil
}
