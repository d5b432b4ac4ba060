package experience

import (
	"encoding/json"
	"errors"
	"testing"
)

// Whatever a client sends as a change, applying and checking it answers
// settings that pass Check again, or an *Error; never a panic.
func FuzzPatch(f *testing.F) {
	for _, seed := range []string{
		`{"signInMode":"SignIn"}`, `{}`, `[]`, `null`, `{"color":{"primaryColor":"#fff"}}`,
		`{"signUp":{"identifiers":["email"],"password":false,"verify":true,"secondaryIdentifiers":[{"identifier":"emailOrPhone","verify":true}]}}`,
		`{"passwordPolicy":{"length":{"min":1,"max":256},"rejects":{"words":["a"]}}}`,
		`{"termsOfUseUrl":null,"customContent":{"a":"b"},"usernamePolicy":{}}`,
	} {
		f.Add(seed)
	}
	svc := New(nil, Options{HasConnector: connectors(ChannelEmail)})
	f.Fuzz(func(t *testing.T, patch string) {
		next, err := applyPatch(Defaults(), json.RawMessage(patch))
		if err == nil {
			err = svc.Check(next)
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code == "" || e.Message == "" {
				t.Fatalf("%q: %v is not a refusal with a code", patch, err)
			}
			return
		}
		doc, err := json.Marshal(next)
		if err != nil {
			t.Fatal(err)
		}
		back, err := decodeStored(doc)
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.Check(back); err != nil {
			t.Fatalf("%q was accepted but does not pass once stored: %v", patch, err)
		}
	})
}
