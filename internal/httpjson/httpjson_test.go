package httpjson

import (
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
	WriteError(w, http.StatusConflict, "entity.exists", "it exists")
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
