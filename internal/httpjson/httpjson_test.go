package httpjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	type body struct {
		Name  string `json:"name"`
		Count int    `json:"count"`
	}
	for _, tc := range []struct {
		name, ct, body string
		status         int    // 0: success
		msg            string // in the message
	}{
		{"ok", "application/json", `{"name":"a","count":2}`, 0, ""},
		{"ok with charset and space", "application/json; charset=UTF-8", " \n{\"name\":\"a\"}\n", 0, ""},
		{"ok +json", "application/merge-patch+json", `{"name":"a"}`, 0, ""},
		{"no content type", "", `{"name":"a"}`, 415, "application/json"},
		{"bad content type", "text/json", `{"name":"a"}`, 415, "application/json"},
		{"empty", "application/json", "", 400, "empty"},
		{"blank", "application/json", "  \n", 400, "empty"},
		{"too large", "application/json", `{"name":"` + strings.Repeat("a", 100) + `"}`, 413, "larger than 64"},
		{"array", "application/json", `[1]`, 400, "object"},
		{"syntax", "application/json", `{"name":}`, 400, "malformed JSON at byte"},
		{"truncated", "application/json", `{"name":"a"`, 400, "malformed"},
		{"unknown field", "application/json", `{"nom":"a"}`, 400, `unknown field "nom"`},
		{"type", "application/json", `{"count":"x"}`, 400, `field "count" must be an integer`},
		{"two values", "application/json", `{"name":"a"}{"name":"b"}`, 400, "single"},
		{"garbage after", "application/json", `{"name":"a"} x`, 400, "single"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", strings.NewReader(tc.body))
			if tc.ct != "" {
				r.Header.Set("Content-Type", tc.ct)
			}
			var v body
			err := Decode(httptest.NewRecorder(), r, &v, 64)
			if tc.status == 0 {
				if err != nil || v.Name != "a" {
					t.Fatalf("err %v, v %+v", err, v)
				}
				return
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("err %v is not a *DecodeError", err)
			}
			if de.Status != tc.status || !strings.Contains(de.Message, tc.msg) {
				t.Fatalf("got %d %q, want %d containing %q", de.Status, de.Message, tc.status, tc.msg)
			}
			if (tc.name == "empty" || tc.name == "blank") != errors.Is(err, ErrEmptyBody) {
				t.Errorf("errors.Is(err, ErrEmptyBody) = %v", errors.Is(err, ErrEmptyBody))
			}
		})
	}
}

func TestWrite(t *testing.T) {
	w := httptest.NewRecorder()
	Write(w, http.StatusConflict, map[string]string{"code": "entity.exists", "message": "it exists"})
	if w.Code != 409 || w.Header().Get("Content-Type") != "application/json; charset=utf-8" || w.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("%d %v", w.Code, w.Header())
	}
	var got map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["code"] != "entity.exists" || got["message"] != "it exists" {
		t.Fatalf("body %s", w.Body)
	}

	w = httptest.NewRecorder()
	Write(w, http.StatusOK, map[string]any{"bad": func() {}})
	if w.Code != 500 || !strings.Contains(w.Body.String(), "internal server error") {
		t.Fatalf("unencodable value: %d %s", w.Code, w.Body)
	}
}

// encoding/json matches member names in any case and keeps the last of
// repeated ones; Decode refuses both, at any depth, naming the member.
func TestDecodeStrictKeys(t *testing.T) {
	type inner struct {
		Website string `json:"website"`
		Zone    string `json:"zoneinfo,omitempty"`
	}
	type Embedded struct {
		Flag bool `json:"flag"`
	}
	type body struct {
		Embedded
		Name    string            `json:"name"`
		Profile *inner            `json:"profile"`
		List    []inner           `json:"list"`
		Data    map[string]any    `json:"customData"`
		Raw     json.RawMessage   `json:"raw"`
		Labels  map[string]string `json:"labels"`
		NoTag   string
	}
	for _, tc := range []struct {
		name, body string
		msg        string // "" for success
	}{
		{"exact", `{"name":"x","profile":{"website":"w"},"list":[{"website":"a"}],"customData":{"A":1,"a":2},"flag":true,"NoTag":"n","labels":{"K":"1","k":"2"}}`, ""},
		{"case", `{"Name":"x"}`, `unknown field "Name" (names are case-sensitive: "name")`},
		{"case upper", `{"NAME":"x"}`, `unknown field "NAME"`},
		{"case of untagged field", `{"notag":"x"}`, `unknown field "notag" (names are case-sensitive: "NoTag")`},
		{"case of embedded field", `{"Flag":true}`, `unknown field "Flag"`},
		{"nested case", `{"profile":{"Website":"w"}}`, `unknown field "profile.Website"`},
		{"case in array element", `{"list":[{"website":"a"},{"WEBSITE":"b"}]}`, `unknown field "list.WEBSITE"`},
		{"case with omitempty", `{"profile":{"ZoneInfo":"x"}}`, `unknown field "profile.ZoneInfo"`},
		{"repeated", `{"name":"x","name":"y"}`, `field "name" is repeated`},
		{"repeated with same value", `{"name":"x","name":"x"}`, `field "name" is repeated`},
		{"repeated nested", `{"profile":{"website":"a","website":"b"}}`, `field "profile.website" is repeated`},
		{"repeated in map", `{"customData":{"k":1,"k":2}}`, `field "customData.k" is repeated`},
		{"repeated deep in map", `{"customData":{"a":[{"b":{"c":1,"c":2}}]}}`, `field "customData.a.b.c" is repeated`},
		{"repeated in raw", `{"raw":{"x":{"y":1,"y":1}}}`, `field "raw.x.y" is repeated`},
		{"repeated object", `{"profile":{},"profile":{"website":"w"}}`, `field "profile" is repeated`},
		{"repeated escaped", `{"name":"x","n\u0061me":"y"}`, `field "name" is repeated`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", strings.NewReader(tc.body))
			r.Header.Set("Content-Type", "application/json")
			var v body
			err := Decode(httptest.NewRecorder(), r, &v, 0)
			if tc.msg == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var de *DecodeError
			if !errors.As(err, &de) || de.Status != http.StatusBadRequest || !strings.Contains(de.Message, tc.msg) {
				t.Fatalf("got %v, want 400 containing %q", err, tc.msg)
			}
		})
	}
}

// Without a type, only repeated names are refused; maps keep any case.
func TestCheckKeysUntyped(t *testing.T) {
	if err := CheckKeys([]byte(`{"a":1,"A":2,"b":[{"a":1},{"a":2}]}`), nil); err != nil {
		t.Errorf("distinct names refused: %v", err)
	}
	if err := CheckKeys([]byte(`[{"a":1,"a":2}]`), nil); err == nil || !strings.Contains(err.Error(), `"a" is repeated`) {
		t.Errorf("repeat in an array: %v", err)
	}
	deep := strings.Repeat(`{"a":`, maxDepth+1) + "1" + strings.Repeat("}", maxDepth+1)
	if err := CheckKeys([]byte(deep), nil); err == nil || !strings.Contains(err.Error(), "nested too deeply") {
		t.Errorf("deep nesting: %v", err)
	}
}

// Answers are JSON, not HTML: <, > and & are written as they are.
func TestWriteDoesNotEscapeHTML(t *testing.T) {
	rec := httptest.NewRecorder()
	Write(rec, 200, map[string]string{"script": "a => a < b && c > d"})
	if got := rec.Body.String(); got != `{"script":"a => a < b && c > d"}`+"\n" {
		t.Errorf("body %q", got)
	}
	var b strings.Builder
	if err := Encode(&b, []string{"<&>"}); err != nil || b.String() != `["<&>"]`+"\n" {
		t.Errorf("Encode: %q %v", b.String(), err)
	}
}

// Encode writes what Marshal makes, each time: a reused buffer holds
// nothing of an earlier answer, a failed one or a large one.
func TestEncodeReusesCleanBuffers(t *testing.T) {
	values := []any{
		map[string]any{"a": "<b>"},
		map[string]any{"bad": func() {}}, // cannot be encoded
		map[string]string{"big": strings.Repeat("x", 40<<10)},
		[]int{1, 2, 3},
		"short",
	}
	for round := range 3 {
		for i, v := range values {
			var got bytes.Buffer
			err := Encode(&got, v)
			want, werr := Marshal(v)
			if (err != nil) != (werr != nil) || !bytes.Equal(got.Bytes(), want) {
				t.Fatalf("round %d, value %d: Encode wrote %q (%v), Marshal %q (%v)", round, i, got.Bytes(), err, want, werr)
			}
		}
	}
}
