// Package httpjson holds the few JSON helpers the server's HTTP handlers
// share: strict request decoding with a size limit, and JSON responses.
package httpjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// DefaultMaxBytes bounds a request body when the caller has no better limit.
const DefaultMaxBytes = 64 << 10

// ErrEmptyBody is wrapped by the error Decode returns for a request without a
// body, so that handlers for which the body is optional can tell it apart.
var ErrEmptyBody = errors.New("request body is empty")

// DecodeError is a client's mistake in a request body. Status is 400, 413 or
// 415; Message is safe to show to the client (it never quotes the body beyond
// a field name).
type DecodeError struct {
	Status  int
	Message string
	err     error
}

func (e *DecodeError) Error() string { return e.Message }
func (e *DecodeError) Unwrap() error { return e.err }

func badRequest(format string, args ...any) *DecodeError {
	return &DecodeError{Status: http.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
}

// Decode reads r's body, which must be one JSON object of at most maxBytes
// bytes (DefaultMaxBytes if maxBytes <= 0) sent as application/json, into v.
// Unknown fields, anything after the object, a member name repeated in its
// object (at any depth) and a field name in the wrong case (see CheckKeys)
// are rejected. Every failure is a *DecodeError.
func Decode(w http.ResponseWriter, r *http.Request, v any, maxBytes int64) error {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if r.Body == nil {
		return &DecodeError{Status: http.StatusBadRequest, Message: ErrEmptyBody.Error(), err: ErrEmptyBody}
	}
	// Read it all first: bodies are small, and a limit hit anywhere in the
	// body then gives 413 whatever the JSON before it looked like.
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBytes))
	if err != nil {
		if errors.As(err, new(*http.MaxBytesError)) {
			return &DecodeError{Status: http.StatusRequestEntityTooLarge,
				Message: "request body is larger than " + strconv.FormatInt(maxBytes, 10) + " bytes", err: err}
		}
		return &DecodeError{Status: http.StatusBadRequest, Message: "could not read request body", err: err}
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 {
		return &DecodeError{Status: http.StatusBadRequest, Message: ErrEmptyBody.Error(), err: ErrEmptyBody}
	}
	if !IsJSONContentType(r.Header.Get("Content-Type")) {
		return &DecodeError{Status: http.StatusUnsupportedMediaType, Message: "request body must be sent as application/json"}
	}
	if trimmed[0] != '{' {
		return badRequest("request body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return describe(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("request body must hold a single JSON object")
	}
	return CheckKeys(data, v)
}

// IsJSONContentType reports whether a Content-Type header names JSON
// (application/json or a +json type), with any parameters.
func IsJSONContentType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

// describe turns a decoding error into a message naming the field at fault,
// without Go type names or pieces of the input.
func describe(err error) *DecodeError {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return &DecodeError{Status: http.StatusBadRequest,
			Message: "malformed JSON at byte " + strconv.FormatInt(syn.Offset, 10), err: err}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &DecodeError{Status: http.StatusBadRequest, Message: "malformed JSON: unexpected end of body", err: err}
	case errors.As(err, &typ):
		if typ.Field == "" {
			return &DecodeError{Status: http.StatusBadRequest, Message: "request body has the wrong JSON type", err: err}
		}
		return &DecodeError{Status: http.StatusBadRequest,
			Message: fmt.Sprintf("field %q must be %s", shorten(typ.Field), kind(typ.Type)), err: err}
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		if s, err := strconv.Unquote(name); err == nil {
			name = strconv.Quote(shorten(s))
		}
		return &DecodeError{Status: http.StatusBadRequest, Message: "unknown field " + name, err: err}
	}
	return &DecodeError{Status: http.StatusBadRequest, Message: "malformed JSON request body", err: err}
}

func shorten(s string) string {
	const max = 64
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}

// kind names a Go type the way a JSON client thinks of it.
func kind(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "a valid value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer in range"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a valid value"
}

// Marshal encodes v as every JSON answer is encoded: without escaping <, >
// and & (answers are JSON, never HTML, and an echoed script keeps its "=>"
// rather than "=\u003e"), ending with a newline.
func Marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Encode writes v to w as Marshal encodes it, for handlers that set their
// own headers. Its buffer and encoder are reused (encoders).
func Encode(w io.Writer, v any) error {
	e := encoders.Get().(*encoder)
	defer e.release()
	if err := e.enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(e.buf.Bytes())
	return err
}

// encoder is Marshal's buffer and encoder, kept for reuse by Encode.
type encoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

var encoders = sync.Pool{New: func() any {
	e := &encoder{}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	return e
}}

// maxKeptEncoderBytes bounds the buffer an encoder keeps for reuse: one
// large answer does not hold its memory for good.
const maxKeptEncoderBytes = 16 << 10

func (e *encoder) release() {
	if e.buf.Cap() > maxKeptEncoderBytes {
		return
	}
	e.buf.Reset()
	encoders.Put(e)
}

// Write sends v as JSON with the given status. Encoding happens before the
// header is written, so a value that cannot be encoded becomes a 500.
func Write(w http.ResponseWriter, status int, v any) {
	body, err := Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"code":"unexpected_error","message":"internal server error"}` + "\n")
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
