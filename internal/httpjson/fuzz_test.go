package httpjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzBody has the kinds of fields the Management API's bodies have.
type fuzzBody struct {
	Name       string         `json:"name"`
	TTL        *int           `json:"accessTokenTtl"`
	Enabled    bool           `json:"enabled"`
	Ratio      float64        `json:"ratio"`
	IDs        []string       `json:"ids"`
	CustomData map[string]any `json:"customData"`
	Nested     *struct {
		URIs []string `json:"redirectUris"`
	} `json:"oidcClientMetadata"`
}

// FuzzDecode feeds Decode arbitrary bodies and content types. Every failure
// is a *DecodeError with status 400, 413 or 415 and a short, valid UTF-8
// message without Go type names; a body it accepts decodes to a value that
// survives encoding and decoding again unchanged.
func FuzzDecode(f *testing.F) {
	f.Add("application/json", []byte(`{"name":"x","accessTokenTtl":3600,"enabled":true,"ids":["a"],"customData":{"k":[1,{"x":null}]}}`))
	f.Add("application/json; charset=utf-8", []byte(`{"oidcClientMetadata":{"redirectUris":["https://x/cb"]}}`))
	f.Add("application/merge-patch+json", []byte(`{"name":null}`))
	f.Add("application/json", []byte(`{"unknown":1}`))
	f.Add("application/json", []byte(`{"accessTokenTtl":"1"}`))
	f.Add("application/json", []byte(`{"accessTokenTtl":1e400}`))
	f.Add("application/json", []byte(`{"accessTokenTtl":99999999999999999999}`))
	f.Add("application/json", []byte(`{"name":"x"} {"name":"y"}`))
	f.Add("application/json", []byte(`{"name":"x"}]`))
	f.Add("application/json", []byte(`[{"name":"x"}]`))
	f.Add("application/json", []byte(`{"name":"\ud800"}`))
	f.Add("application/json", []byte(`{"Name":"x","NAME":"y"}`))
	f.Add("application/json", []byte(`{"name":`))
	f.Add("application/json", []byte("  \n"))
	f.Add("text/plain", []byte(`{"name":"x"}`))
	f.Add("", []byte(`{}`))
	f.Add("application/json", []byte(strings.Repeat("[", 20000)))
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		const limit = 4 << 10
		r := httptest.NewRequest("POST", "/api/x", bytes.NewReader(body))
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		var v fuzzBody
		err := Decode(httptest.NewRecorder(), r, &v, limit)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("not a *DecodeError: %T %v", err, err)
			}
			switch de.Status {
			case 400, 415:
			case 413:
				if len(body) <= limit {
					t.Fatalf("413 for %d bytes", len(body))
				}
			default:
				t.Fatalf("status %d", de.Status)
			}
			if de.Message == "" || !utf8.ValidString(de.Message) || len(de.Message) > 200 ||
				strings.Contains(de.Message, "httpjson.") || strings.Contains(de.Message, "struct") ||
				strings.Contains(de.Message, "Go ") || strings.Contains(de.Message, "json: ") {
				t.Fatalf("message %q", de.Message)
			}
			return
		}
		if len(body) > limit || !IsJSONContentType(contentType) {
			t.Fatalf("accepted %d bytes as %q", len(body), contentType)
		}
		again, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("accepted value does not encode: %v", err)
		}
		r2 := httptest.NewRequest("POST", "/api/x", bytes.NewReader(again))
		r2.Header.Set("Content-Type", "application/json")
		var w fuzzBody
		if err := Decode(httptest.NewRecorder(), r2, &w, 1<<20); err != nil {
			t.Fatalf("re-encoded body %s refused: %v", again, err)
		}
		if !reflect.DeepEqual(normal(t, v), normal(t, w)) {
			t.Fatalf("round trip: %+v became %+v", v, w)
		}
	})
}

// normal is v as generic JSON, so that values compare by content.
func normal(t *testing.T, v fuzzBody) any {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
