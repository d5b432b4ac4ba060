package httpjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzCheckKeys checks the strict decoder against encoding/json: it never
// panics, refuses only with a 400 *DecodeError, and lets a valid document
// through exactly when no object in it repeats a member name (counted
// independently: the names the tokenizer sees against the keys left after
// decoding). Decode with a struct target holds to the same.
func FuzzCheckKeys(f *testing.F) {
	for _, s := range []string{`{}`, `{"name":"x"}`, `{"name":"x","name":"y"}`, `{"a":{"b":1,"b":2}}`, `[{"a":1},{"a":1}]`,
		`{"Name":"x"}`, `{"a":"\u0061","\u0061":1}`, `{"profile":{"Website":"w"}}`, `{"list":[{"website":"a","website":"b"}]}`} {
		f.Add([]byte(s))
	}
	type inner struct {
		Website string `json:"website"`
	}
	type body struct {
		Name    string         `json:"name"`
		Profile *inner         `json:"profile"`
		List    []inner        `json:"list"`
		Data    map[string]any `json:"customData"`
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := CheckKeys(data, nil)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) || de.Status != http.StatusBadRequest {
				t.Fatalf("error %v is not a 400 *DecodeError", err)
			}
		}
		var v any
		if json.Unmarshal(data, &v) == nil {
			repeated := names(t, data) != keys(v)
			if repeated != (err != nil) {
				t.Fatalf("repeated names: %v, but CheckKeys said %v", repeated, err)
			}
		}
		r := httptest.NewRequest("POST", "/", bytes.NewReader(data))
		r.Header.Set("Content-Type", "application/json")
		var b body
		if err := Decode(httptest.NewRecorder(), r, &b, 0); err != nil {
			var de *DecodeError
			if !errors.As(err, &de) || (de.Status != http.StatusBadRequest && de.Status != http.StatusRequestEntityTooLarge) {
				t.Fatalf("Decode error %v", err)
			}
		}
	})
}

// names counts the object member names in a valid JSON text, as the
// tokenizer reads them.
func names(t *testing.T, data []byte) int {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	n := 0
	// One entry per open container: whether it is an object whose next
	// token is a member name.
	var stack []bool
	// valueDone records that a member's value ended in the object on top.
	valueDone := func() { stack[len(stack)-1] = true }
	objects := map[int]bool{} // depth → the container there is an object
	for {
		tok, err := dec.Token()
		if err != nil {
			return n
		}
		depth := len(stack)
		if depth > 0 && objects[depth-1] && stack[depth-1] {
			if _, ok := tok.(string); ok { // a member name
				n++
				stack[depth-1] = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			objects[depth] = true
			stack = append(stack, true)
		case json.Delim('['):
			objects[depth] = false
			stack = append(stack, false)
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:depth-1]
			if len(stack) > 0 && objects[len(stack)-1] {
				valueDone()
			}
		default:
			if depth > 0 && objects[depth-1] {
				valueDone()
			}
		}
	}
}

// keys counts the object keys of a decoded JSON value.
func keys(v any) int {
	n := 0
	switch v := v.(type) {
	case map[string]any:
		n += len(v)
		for _, e := range v {
			n += keys(e)
		}
	case []any:
		for _, e := range v {
			n += keys(e)
		}
	}
	return n
}
